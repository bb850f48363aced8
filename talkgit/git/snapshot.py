"""Snapshots of what the user has not committed, and the paths a change touches.

Gates check a tree in a private worktree, never the user's checkout, so staged or
uncommitted work is first written as a tree: the index as it is (``--staged``), or the
working tree through a temporary index that leaves the user's own index untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pygit2

from talkgit.errors import translate_no_space
from talkgit.git.command import git
from talkgit.git.repo import GitRepo, translate_git_errors
from talkgit.git.trees import commit_tree
from talkgit.proc import environ_without


def index_tree(repo: GitRepo, environ: Mapping[str, str] | None = None) -> str:
    """The tree the index holds (what `git commit` would commit), written as objects only.

    Through `git write-tree`, not libgit2: in a hook, git names the index being committed
    in ``GIT_INDEX_FILE`` (`git commit -a` stages into a temporary one), and only git
    honours it.
    """
    env = dict(os.environ if environ is None else environ)
    for name in ("GIT_DIR", "GIT_WORK_TREE"):
        env.pop(name, None)
    return git("write-tree", cwd=repo.workdir, env=env).stdout.strip()


def worktree_tree(repo: GitRepo) -> str:
    """The working tree as a tree (tracked and untracked files, .gitignore honoured)."""
    with (
        translate_no_space("snapshotting your uncommitted changes"),
        tempfile.TemporaryDirectory(dir=repo.private_dir.parent) as scratch,
    ):
        env = environ_without("GIT_DIR", "GIT_WORK_TREE")
        env["GIT_INDEX_FILE"] = str(Path(scratch) / "index")
        user_index = Path(repo.raw.path) / "index"
        if user_index.exists():  # start from the user's index: unchanged files stay stat-clean
            Path(env["GIT_INDEX_FILE"]).write_bytes(user_index.read_bytes())
        git("add", "-A", cwd=repo.workdir, env=env)
        return git("write-tree", cwd=repo.workdir, env=env).stdout.strip()


def snapshot_commit(repo: GitRepo, tree: str, parent: str) -> str:
    """A commit object (on no ref) holding ``tree``, so it can be checked out privately."""
    if repo.commit(parent).tree_id == pygit2.Oid(hex=tree):
        return parent
    return commit_tree(repo, pygit2.Oid(hex=tree), "talkgit snapshot\n", [parent])


def changed_paths(repo: GitRepo, base: str, head: str) -> tuple[str, ...]:
    """Files added or modified from ``base`` to ``head`` (trees or commits), sorted."""
    with repo.lock, translate_git_errors("cannot compare trees"):
        base_tree = repo.raw[base].peel(pygit2.Tree)
        head_tree = repo.raw[head].peel(pygit2.Tree)
        diff = base_tree.diff_to_tree(head_tree)
        paths = {
            delta.new_file.path
            for delta in diff.deltas
            if delta.status != pygit2.enums.DeltaStatus.DELETED
        }
    return tuple(sorted(paths))
