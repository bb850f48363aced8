from __future__ import annotations

from pathlib import Path

import pytest

from talkgit.edits.model import FileChange
from talkgit.git.merge import MergeConflict, merge
from talkgit.git.repo import GitRepo
from talkgit.git.trees import create_commit
from tests.support.gitrepo import fsck, git, make_repo, user_state


def _on(repo: GitRepo, base: str, **files: str) -> str:
    changes = [FileChange(name.replace("__", "/"), text.encode()) for name, text in files.items()]
    return create_commit(repo, base=base, changes=changes, message="c\n")


def test_fast_forward_when_the_step_started_from_the_integration_head(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    head = opened.head()
    step = _on(opened, head, a="a\n")
    assert merge(opened, head, step, "m\n") == step
    assert merge(opened, step, head, "m\n") == step  # already contained


def test_disjoint_steps_merge_into_a_two_parent_commit(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    before = user_state(repo)
    head = opened.head()
    left, right = _on(opened, head, a="a\n"), _on(opened, head, b="b\n")
    merged = merge(opened, left, right, "merge right\n")
    assert git(repo, "rev-parse", f"{merged}^1", f"{merged}^2").split() == [left, right]
    assert sorted(git(repo, "ls-tree", "--name-only", merged).split()) == [
        "README.md",
        "a",
        "b",
        "pkg",
    ]
    assert user_state(repo) == before
    fsck(repo)


def test_overlapping_edits_are_a_conflict_naming_the_paths(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    head = opened.head()
    left, right = _on(opened, head, pkg__mod="X = 2\n"), _on(opened, head, pkg__mod="X = 3\n")
    with pytest.raises(MergeConflict, match="pkg/mod") as caught:
        merge(opened, left, right, "m\n")
    assert caught.value.paths == ("pkg/mod",)


def test_a_merge_that_would_make_an_unsafe_gitmodules_is_a_conflict(tmp_path: Path) -> None:
    # Each side is safe alone: "path = -x" sits under [core] on the left, and the right
    # adds a [submodule] header above it; merged, git's fsck would refuse the file.
    path = make_repo(tmp_path / "r", {".gitmodules": "[core]\n\tk = 1\n\tj = 2\n"})
    opened = GitRepo.discover(path)
    head = opened.head()
    left = _on(opened, head, **{".gitmodules": "[core]\n\tk = 1\n\tj = 2\n\tpath = -x\n"})
    right = _on(opened, head, **{".gitmodules": '[core]\n[submodule "x"]\n\tk = 1\n\tj = 2\n'})
    with pytest.raises(MergeConflict) as caught:
        merge(opened, left, right, "m\n")
    assert caught.value.paths == (".gitmodules",)
    fsck(path)
