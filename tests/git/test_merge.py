from __future__ import annotations

from pathlib import Path

import pytest

from talkgit.edits.model import FileChange
from talkgit.git.merge import MergeConflict, merge
from talkgit.git.repo import GitRepo
from talkgit.git.trees import create_commit
from tests.support.gitrepo import fsck, git, user_state


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
