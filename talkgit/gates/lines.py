"""Where a head line was at the base, from the hunks of the change (``git diff -U0``).

A line outside every hunk is unchanged: it was the base line as many lines up or down as
the hunks above it added or removed. A line inside a hunk is changed: it replaced that
hunk's base lines, which may be none (an insertion).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # a plain NamedTuple; importing it at run time would load pygit2
    from talkgit.git.diff import Hunk

LineChanges = Mapping[str, Sequence["Hunk"]]
"""Path -> the change's hunks in it, top down; a path not in it: nothing is known."""


class Unchanged(NamedTuple):
    """The head line is base line ``line``, untouched."""

    line: int


class Changed(NamedTuple):
    """The head line is in a hunk that replaced base lines ``start`` to ``stop - 1``."""

    start: int
    stop: int


def locate(hunks: Sequence[Hunk], line: int) -> Unchanged | Changed:
    """Where head ``line`` (1-based) came from, given its file's hunks in order."""
    shift = 0
    for hunk in hunks:
        if hunk.new_lines and hunk.new_start <= line < hunk.new_start + hunk.new_lines:
            return Changed(*_base_range(hunk))
        # An empty side names the line before the change: a deletion after head line 4
        # lies before line 5, not before line 4.
        if line < hunk.new_start + max(hunk.new_lines, 1):
            break
        shift += hunk.old_lines - hunk.new_lines
    return Unchanged(line + shift)


def _base_range(hunk: Hunk) -> tuple[int, int]:
    if hunk.old_lines:
        return hunk.old_start, hunk.old_start + hunk.old_lines
    # An insertion replaced no line. Its neighbours stand in: a tool that reports a
    # whole-file finding on line 1, or an import-block finding on the block's first line,
    # reports it on the inserted line once lines are inserted there. They are unchanged
    # lines, so a finding that stayed on them is matched before (see compare).
    return max(hunk.old_start, 1), hunk.old_start + 2
