"""Small real trees for the gates to run their real tools on."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from textwrap import dedent

import pytest

from talkgit.gates.base import Target
from talkgit.gates.tools import tool_version
from tests.support.tools import nothing_beside_python

MakeTarget = Callable[..., Target]
FakeTool = Callable[[str, str], None]


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (repository-relative path → dedented text) under ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
    return root


@pytest.fixture
def make_target(tmp_path: Path) -> MakeTarget:
    """``make_target(files, changed=None, cache_dir=None, timeout=120)``: a tree and a Target.

    ``changed`` defaults to every file written; the cache directory to one per test.
    """

    def make(
        files: dict[str, str],
        changed: tuple[str, ...] | None = None,
        cache_dir: Path | None = None,
        timeout: float = 120.0,
    ) -> Target:
        root = write_tree(tmp_path / "repo", files)
        touched = tuple(files) if changed is None else changed
        return Target(root, touched, cache_dir or tmp_path / "cache", timeout=timeout)

    return make


@pytest.fixture
def empty_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine on which no tool can be found: an empty PATH, and a Python with nothing
    installed beside it (where talkgit looks for its own tools when PATH has none)."""
    nothing = tmp_path / "empty-bin"
    nothing.mkdir()
    monkeypatch.setenv("PATH", str(nothing))
    nothing_beside_python(monkeypatch, nothing)


@pytest.fixture
def fake_tool(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeTool]:
    """``fake_tool(name, stdout)``: put first on PATH a ``name`` that prints ``stdout``, exits 0.

    Only for the one case no real tool can be made to produce: output that is not its
    report. Version answers are cached per process, so the cache is cleared around it.
    """
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def install(name: str, stdout: str) -> None:
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{stdout}\nEOF\n")
        script.chmod(0o755)

    tool_version.cache_clear()
    yield install
    tool_version.cache_clear()
