"""Which lines of which files a pull request's diff covers, from the files API's ``patch`` fields.

A review comment can only sit on a line inside one of the diff's hunks: a line the pull
request adds, or a context line shown around it. Everything else (a finding further down
an unchanged part of the file, a file without a textual patch) goes to check annotations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, NamedTuple, Protocol

_HUNK: Final = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class LineComment:
    """A comment on ``line`` (1-based, new side) of ``path``; ``fingerprint`` names its subject."""

    path: str
    line: int
    body: str
    fingerprint: str = ""


class PatchedFile(Protocol):
    """A file as the pull-request files API lists it (``client.PullFile``)."""

    @property
    def filename(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def patch(self) -> str | None: ...

    @property
    def previous_filename(self) -> str | None: ...


class PatchLines(NamedTuple):
    """New-side line numbers: those the patch adds, and all inside its hunks (added or context)."""

    added: frozenset[int]
    in_hunks: frozenset[int]


@dataclass(frozen=True)
class FileDiff:
    path: str
    status: str
    patch: str | None
    lines: PatchLines
    previous_path: str | None = None

    @property
    def size(self) -> int:
        """How big the patch is, in characters (0 without one)."""
        return len(self.patch or "")


@dataclass(frozen=True)
class PullDiff:
    """A pull request's changed files; ``incomplete`` when GitHub did not list them all."""

    files: tuple[FileDiff, ...] = ()
    incomplete: bool = False

    def file(self, path: str) -> FileDiff | None:
        return next((f for f in self.files if f.path == path), None)

    def commentable(self, path: str, line: int) -> bool:
        """Whether a review comment may sit on ``line`` of ``path``."""
        diff = self.file(path)
        return diff is not None and line in diff.lines.in_hunks

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)


GITHUB_FILE_LIMIT: Final = 3000  # the files API lists no more than this


def pull_diff(files: Iterable[PatchedFile]) -> PullDiff:
    """The diff of a pull request from the files API's entries."""
    parsed = tuple(
        FileDiff(
            path=f.filename,
            status=f.status,
            patch=f.patch,
            lines=parse_patch(f.patch or ""),
            previous_path=f.previous_filename,
        )
        for f in files
    )
    return PullDiff(parsed, incomplete=len(parsed) >= GITHUB_FILE_LIMIT)


def parse_patch(patch: str) -> PatchLines:
    """The new-side lines one file's unified-diff hunks add and show."""
    added: set[int] = set()
    shown: set[int] = set()
    for line in walk_patch(patch):
        if line.new is not None:
            shown.add(line.new)
            if line.tag == "+":
                added.add(line.new)
    return PatchLines(frozenset(added), frozenset(shown))


class PatchLine(NamedTuple):
    """A hunk's line: tag (``+``, ``-`` or blank), text, new-side number (None when removed)."""

    tag: str
    text: str
    new: int | None


def walk_patch(patch: str) -> Iterator[PatchLine]:
    """The lines of ``patch``'s hunks, each with its new-side line number.

    Hunk headers give the line counts, so a line is read by its first character only
    while the hunk still has lines to give: ``+`` added, ``-`` removed (old side only),
    `` `` or nothing (a context line whose blank was trimmed) on both sides; ``\\``
    ("No newline at end of file") and anything past a hunk's counts are skipped.
    """
    line = old_left = new_left = 0
    for text in patch.split("\n"):
        header = _HUNK.match(text)
        if header is not None:
            line, old_left, new_left = int(header[3]), _count(header[2]), _count(header[4])
            continue
        tag = text[:1]
        if tag == "\\" or (old_left <= 0 and new_left <= 0):
            continue
        if tag == "-":
            old_left -= 1
            yield PatchLine("-", text[1:], None)
            continue
        if tag != "+":
            old_left -= 1
        yield PatchLine("+" if tag == "+" else " ", text[1:], line)
        line += 1
        new_left -= 1


def _count(text: str | None) -> int:
    return 1 if text is None else int(text)
