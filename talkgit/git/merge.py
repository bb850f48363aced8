"""Merging a step's commit into the integration branch, in memory."""

from __future__ import annotations

import pygit2

from talkgit.errors import TalkgitError
from talkgit.git.repo import GitRepo, translate_git_errors
from talkgit.git.trees import commit_tree


class MergeConflict(TalkgitError):
    """The step's changes overlap changes already integrated; the step must be redone."""

    def __init__(self, paths: tuple[str, ...]) -> None:
        self.paths = paths
        super().__init__(f"merge conflict in {', '.join(paths)}")


def merge(repo: GitRepo, ours: str, theirs: str, message: str) -> str:
    """The commit integrating ``theirs`` into ``ours``: a fast-forward when possible.

    Nothing moves: the caller publishes the result with a compare-and-swap on its branch.
    """
    with repo.lock, translate_git_errors("cannot merge"):
        if ours == theirs or repo.objects.descendant_of(ours, theirs):
            return ours
        if repo.objects.descendant_of(theirs, ours):
            return theirs
        base = repo.objects.merge_base(ours, theirs)
        index = repo.objects.merge_trees(base, ours, theirs)
        if index.conflicts is not None:
            raise MergeConflict(tuple(sorted({_path(c) for c in index.conflicts})))
        tree = index.write_tree(repo.objects)
    return commit_tree(repo, tree, message, [ours, theirs])


def _path(conflict: tuple[pygit2.IndexEntry | None, ...]) -> str:
    return next(str(entry.path) for entry in conflict if entry is not None)
