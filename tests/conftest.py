from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.gitrepo import make_repo

# Fixtures shared by test folders: real projects installed editable in a virtual environment.
pytest_plugins = ["tests.support.projects"]

# In CI the property tests replay the same examples every run: a red build must mean a
# change broke something, not that the dice found a new corner. Locally they explore.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def pinned_git_identity(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Deterministic identity and dates, and no user or system git config leaking in."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test User")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
        monkeypatch.setenv(f"GIT_{role}_DATE", "2026-01-01T00:00:00+00:00")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "TALKGIT_CHECK_SERVER"):
        monkeypatch.delenv(name, raising=False)
    # talkgit's private worktrees live in the temporary directory: one per test, so they go
    # with the test's other files instead of piling up in the machine's.
    temporary = tmp_path_factory.mktemp("tmp")
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    yield


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real repository with one commit on main: README.md and pkg/mod.py."""
    return make_repo(tmp_path / "repo")
