"""Machines where talkgit's own tools are off PATH (pipx), or nowhere at all."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path

import pytest


def git_only_path() -> str:
    """A PATH that holds git but not the ruff, mypy and bandit beside this Python, as pipx
    leaves it; the test is skipped where git itself lives beside this Python."""
    git_dir = Path(shutil.which("git") or "/usr/bin/git").parent
    if git_dir in {Path(sysconfig.get_path("scripts")), Path(sys.executable).parent}:
        pytest.skip("git lives beside this Python: no PATH can leave one without the other")
    return str(git_dir)


def nothing_beside_python(monkeypatch: pytest.MonkeyPatch, empty: Path) -> None:
    """Make the Python running talkgit one with nothing installed beside it."""
    monkeypatch.setattr(sys, "executable", str(empty / "python"))
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(empty))
