"""Private worktrees for tools that need files on disk, outside the user's checkout.

They are real, detached git worktrees (so tools that call git inside them work), created
once per name, moved to the commit asked for, and removed on request. The user's own
working tree is never used.

A symbolic link is checked out as a plain file holding the link's text
(``core.symlinks=false``, as git does where links cannot be made): a pull request's
``leak.py`` linking to ``~/.env`` would otherwise be read by every tool that opens it, or
that follows an import into it. No tool can follow what is not a link.

They live in ``talkgit-<uid>/worktrees/<repository>/`` in the system's temporary
directory, a directory only this user can open, not under ``.git/``: ruff and pytest
look for their configuration in every directory above the files they check, and from
inside ``.git/talkgit/`` they found the user's checkout's — the head's rules applied to a
base with none of its own, and files under ``.git`` were excluded by them, so a base
checked there had no findings and every old one looked new.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from talkgit.errors import RepositoryError, translate_no_space
from talkgit.git.command import git
from talkgit.git.repo import GitRepo
from talkgit.proc import environ_without
from talkgit.userdirs import private_temp_directory

# Hooks export these; inside our worktree they would point git back at the user's checkout.
_GIT_LOCATION_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX")
# In a worktree's own folder under .git/worktrees/: it was made with links as plain files.
# One made by an older talkgit may still hold links, which a checkout leaves as they are.
_LINKS_OFF = "talkgit-links-off"


def _git(repo_dir: Path, *args: str) -> None:
    env = environ_without(*_GIT_LOCATION_VARIABLES)
    git("-c", "core.symlinks=false", *args, cwd=repo_dir, env=env)


def worktree_path(repo: GitRepo, name: str) -> Path:
    """Where the worktree ``name`` of ``repo`` lives (whether or not it exists yet)."""
    return worktrees_root(repo) / name


def worktrees_root(repo: GitRepo) -> Path:
    """This repository's folder of private worktrees, one per repository on the machine."""
    with translate_no_space("making talkgit's folder in the temporary directory"):
        private = private_temp_directory()
    if private is None:
        raise RepositoryError(
            f"cannot keep worktrees in {tempfile.gettempdir()}: its talkgit-{os.getuid()} "
            "folder is someone else's or cannot be made; set TMPDIR to a folder of your own"
        )
    key = hashlib.sha256(str(repo.common_dir.resolve()).encode()).hexdigest()[:16]
    return Path(private) / "worktrees" / key


def materialize(repo: GitRepo, name: str, commit: str) -> Path:
    """A worktree named ``name`` holding exactly ``commit``'s files; created or reused."""
    path = worktree_path(repo, name)
    if _links_off(path):
        # An existing worktree is its user's alone: no need to hold up the repository.
        _git(path, "checkout", "--quiet", "--force", "--detach", commit)
        _git(path, "clean", "--quiet", "-ffdx")
        return path
    with repo.lock:  # creating one changes .git/worktrees, which every worktree shares
        if path.exists():
            shutil.rmtree(path)  # a half-made worktree from a crash
        path.parent.mkdir(parents=True, exist_ok=True)
        _git(repo.workdir, "worktree", "prune")
        _git(repo.workdir, "worktree", "add", "--quiet", "--force", "--detach", str(path), commit)
        (_admin_dir(path) / _LINKS_OFF).touch()
    return path


def _links_off(path: Path) -> bool:
    try:
        return (_admin_dir(path) / _LINKS_OFF).is_file()
    except (OSError, UnicodeDecodeError):  # no worktree there, or half of one
        return False


def _admin_dir(path: Path) -> Path:
    """The worktree's own folder in the repository: its ``.git`` file says where."""
    gitdir = (path / ".git").read_text(encoding="utf-8").removeprefix("gitdir:").strip()
    return path / gitdir  # relative to the worktree with worktree.useRelativePaths


def remove(repo: GitRepo, name: str) -> None:
    """Remove the worktree ``name`` (and git's record of it); absent is fine."""
    path = worktree_path(repo, name)
    if not path.exists():
        return
    with repo.lock:
        shutil.rmtree(path)
        _git(repo.workdir, "worktree", "prune")
