"""A change as `git diff` shows it: the unified diff reviewers read, and its line hunks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import pygit2

from talkgit.errors import NotFoundError
from talkgit.git.repo import GitRepo, translate_git_errors

# git diff's default since git 2.14: it slides a hunk to where its indentation says a
# block starts and ends, so the hunks are the ones `git diff` prints.
_AS_GIT_DOES = pygit2.enums.DiffOption.INDENT_HEURISTIC


class Hunk(NamedTuple):
    """A run of changed lines: ``old_lines`` base lines from ``old_start`` became
    ``new_lines`` head lines from ``new_start`` (1-based, as in ``@@ -a,b +c,d @@``).

    As in a unified diff, a side with no lines names the line just before the change:
    ``Hunk(4, 0, 5, 2)`` inserts two lines after base line 4, ``Hunk(5, 2, 4, 0)`` deletes
    base lines 5 and 6 after head line 4, and 0 means "before the first line".
    """

    old_start: int
    old_lines: int
    new_start: int
    new_lines: int


def patch_text(repo: GitRepo, base: str, head: str, *, context_lines: int = 3) -> str:
    """The unified diff from ``base`` to ``head`` (commits or trees); binary files are named."""
    with repo.lock, translate_git_errors("cannot diff"):
        diff = _diff(repo, base, head, context_lines=context_lines)
        return diff.patch or ""


def line_hunks(
    repo: GitRepo, base: str, head: str, paths: Iterable[str]
) -> dict[str, tuple[Hunk, ...]]:
    """For each of ``paths``, the hunks of ``git diff -U0 base head`` in it, top down.

    A path whose content did not change (or that neither side has) maps to ``()``: every
    line is where it was. An added file is one hunk of new lines, a deleted one a hunk of
    old lines. A binary file has no line hunks and is left out, so that a caller can tell
    "nothing changed" from "not known". Paths are compared as they are, without renames,
    and named as ``changed_paths`` names them (undecodable bytes as surrogate escapes).
    """
    wanted = set(paths)
    found: dict[str, tuple[Hunk, ...]] = dict.fromkeys(wanted, ())
    with repo.lock, translate_git_errors("cannot diff"):
        diff = _diff(repo, base, head, context_lines=0)
        for index, delta in enumerate(diff.deltas):
            path = _path(delta)
            if path not in wanted:
                continue
            patch = diff[index]  # made for this file only: the other files are not read
            if patch is None or patch.delta.is_binary:
                del found[path]
            else:
                found[path] = tuple(
                    Hunk(h.old_start, h.old_lines, h.new_start, h.new_lines) for h in patch.hunks
                )
    return found


def _diff(repo: GitRepo, base: str, head: str, *, context_lines: int) -> pygit2.Diff:
    base_tree, head_tree = _tree(repo, base), _tree(repo, head)
    return base_tree.diff_to_tree(head_tree, _AS_GIT_DOES, context_lines=context_lines)


def _tree(repo: GitRepo, revision: str) -> pygit2.Tree:
    try:
        return repo.raw[revision].peel(pygit2.Tree)
    except KeyError as exc:
        raise NotFoundError(f"no commit or tree {revision}") from exc


def _path(delta: pygit2.DiffDelta) -> str:
    deleted = delta.status == pygit2.enums.DeltaStatus.DELETED
    return delta.old_file.path if deleted else delta.new_file.path
