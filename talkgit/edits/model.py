"""The edits a model can ask for, the tree they apply to, and what applying them produced."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final, Protocol

EN_DASH: Final = "\N{EN DASH}"


@dataclass(frozen=True)
class SearchReplace:
    """Replace the lines ``search`` with ``replace`` in ``path``; an empty ``search`` creates it.

    ``readings`` are the other ways to read the block when more than one of its lines could
    be the divider (a reStructuredText title's "=======" underline): (search, replace) pairs,
    from which applying takes the one whose SEARCH is in the file.
    """

    path: str
    search: str
    replace: str
    readings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Hunk:
    """One ``@@`` hunk: the lines it expects (context and removed) and the lines it leaves.

    ``old`` and ``new`` end with a newline unless the diff said ``\\ No newline at end of
    file`` for that side. ``old_start`` is the header's line number, used only as a hint.
    """

    old: str
    new: str
    old_start: int | None = None


@dataclass(frozen=True)
class UnifiedDiff:
    """A unified diff of one file: ``new_path`` None deletes it, another name renames it.

    ``creates`` is set when the old side was ``/dev/null``.
    """

    path: str
    new_path: str | None
    hunks: tuple[Hunk, ...]
    creates: bool = False


@dataclass(frozen=True)
class WholeFile:
    """The complete new content of ``path``."""

    path: str
    content: str


Edit = SearchReplace | UnifiedDiff | WholeFile


class EntryKind(Enum):
    """What a tree entry is, as far as editing cares."""

    FILE = "file"
    EXECUTABLE = "executable"
    SYMLINK = "symlink"
    DIRECTORY = "directory"
    SUBMODULE = "submodule"


@dataclass(frozen=True)
class Entry:
    """One entry of a tree; ``data`` is the blob for files and the target for symlinks."""

    kind: EntryKind
    data: bytes = b""


class TreeView(Protocol):
    """Read access to the tree edits apply to (the git store supplies a real one)."""

    def entry(self, path: str) -> Entry | None:
        """The entry at ``path`` ("a/b/c.py"; directories too), or None if there is none."""

    def paths(self) -> Iterable[str]:
        """Every file's path (not directories'): to name the file a wrong path may mean."""


@dataclass(frozen=True)
class FileChange:
    """One file to write (``data``) or delete (``data`` None): what the git store commits."""

    path: str
    data: bytes | None
    executable: bool = False


@dataclass(frozen=True)
class Suggestion:
    """The lines of a file closest to a SEARCH (or hunk) that did not match."""

    first_line: int
    last_line: int
    text: str
    similarity: float


@dataclass(frozen=True)
class BlockOutcome:
    """What became of edit block ``index`` (1-based, in reply order).

    ``how`` is "exact", "whitespace", "fuzzy 0.87", "elided (3 parts)", "created", ... when
    applied, else the reason.
    """

    index: int
    path: str
    applied: bool
    how: str
    suggestion: Suggestion | None = None


@dataclass(frozen=True)
class EditResult:
    """The file changes of the blocks that applied, and an outcome for every block."""

    changes: tuple[FileChange, ...]
    outcomes: tuple[BlockOutcome, ...]

    @property
    def all_applied(self) -> bool:
        """True when every block applied (and so when there were no blocks)."""
        return all(outcome.applied for outcome in self.outcomes)

    def explain(self) -> str:
        """A report for the model: which blocks applied; for each failure, why and what is near."""
        if not self.outcomes:
            return "No edit blocks were found: nothing was changed."
        lines = [_summary(self.outcomes)]
        for outcome in self.outcomes:
            if not outcome.applied:
                lines += ["", *_failure(outcome)]
            elif outcome.how.startswith("fuzzy"):
                lines += [
                    "",
                    f"Block {outcome.index} ({outcome.path}) matched only approximately "
                    f"({outcome.how}): check that the right lines changed.",
                ]
        if not self.all_applied:
            lines += [
                "",
                "Blocks that applied are kept, and later blocks saw their result. Resend only "
                "the blocks that did not apply, with SEARCH lines copied exactly from the "
                "current file.",
            ]
        return "\n".join(lines)


def _summary(outcomes: Sequence[BlockOutcome]) -> str:
    applied = [o.index for o in outcomes if o.applied]
    failed = [o.index for o in outcomes if not o.applied]
    if not failed:
        return "Block 1 applied." if len(applied) == 1 else f"All {len(applied)} blocks applied."
    noun = "Block" if len(failed) == 1 else "Blocks"
    if not applied:
        return f"{noun} {_ranges(failed)} did not apply: nothing was changed."
    noun = "Block" if len(applied) == 1 else "Blocks"
    return f"{noun} {_ranges(applied)} applied, {_ranges(failed)} did not."


def _ranges(numbers: Sequence[int]) -> str:
    """1, 2, 3, 5 -> "1-3, 5", with an en dash, as a person would write it."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}{EN_DASH}{r[-1]}" for r in runs)


def longest_backtick_run(text: str) -> int:
    """The most backticks that open a line of ``text``, so a fence around it can be longer."""
    return max((len(m[1]) for m in re.finditer(r"(?m)^[ \t]*(`+)", text)), default=0)


def _failure(outcome: BlockOutcome) -> list[str]:
    lines = [f"Block {outcome.index} ({outcome.path}) did not apply: {outcome.how}."]
    hint = outcome.suggestion
    if hint is not None:
        span = f"line {hint.first_line}"
        if hint.last_line != hint.first_line:
            span = f"lines {hint.first_line}{EN_DASH}{hint.last_line}"
        fence = "`" * max(3, longest_backtick_run(hint.text) + 1)
        lines += [
            f"Did you mean {span} (similarity {hint.similarity:.2f})?",
            fence,
            hint.text.rstrip("\n"),
            fence,
        ]
    return lines
