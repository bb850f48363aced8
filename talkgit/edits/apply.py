"""Applying edits to a tree in memory: exact, then whitespace-tolerant, then fuzzy matching.

Blocks apply in order and each sees the result of the ones before. A block that does not
apply leaves the files as they were and is reported with the reason (and the closest lines,
when there are some); the blocks that did apply are kept, and the caller decides.
"""

from __future__ import annotations

import difflib
import heapq
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from talkgit.edits.model import (
    BlockOutcome,
    Edit,
    EditResult,
    EntryKind,
    FileChange,
    Hunk,
    SearchReplace,
    Suggestion,
    TreeView,
    UnifiedDiff,
    WholeFile,
)
from talkgit.edits.paths import check_content, check_path, decode_text
from talkgit.errors import EditError

DEFAULT_FUZZY_THRESHOLD = 0.8
# Below this similarity the closest lines are too far off to be worth showing the model.
SUGGESTION_FLOOR = 0.5
# The fuzzy search runs difflib's ratio on this many windows, the best by a cheap score.
FUZZY_CANDIDATES = 12

_BOM = "\ufeff"
_WORD = re.compile(r"\w+")


def apply_edits(
    edits: Sequence[Edit], tree: TreeView, *, fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD
) -> EditResult:
    """Apply ``edits`` to ``tree`` in memory and return the file changes and one outcome per block.

    Every path is checked first (UnsafePathError, BinaryFileError name the block), and
    what the blocks leave in a .gitmodules or .gitattributes last (UnsafeContentError),
    so an unsafe reply changes nothing. A block that does not match is reported, not raised.
    """
    checked = [_checked(index, edit, tree) for index, edit in enumerate(edits, 1)]
    _refuse_file_and_directory(checked)
    files = _Files(tree)
    outcomes = [
        _outcome(index, edit, files, fuzzy_threshold) for index, edit in enumerate(checked, 1)
    ]
    changes = files.changes()
    for change in changes:
        check_content(change)
    return EditResult(changes, tuple(outcomes))


def _checked(index: int, edit: Edit, tree: TreeView) -> Edit:
    try:
        if isinstance(edit, UnifiedDiff):
            new_path = None if edit.new_path is None else check_path(edit.new_path, tree)
            edit = replace(edit, path=check_path(edit.path, tree), new_path=new_path)
        else:
            edit = replace(edit, path=check_path(edit.path, tree))
        entry = tree.entry(edit.path)
        if entry is not None:
            decode_text(edit.path, entry.data)
    except EditError as exc:
        raise type(exc)(f"block {index}: {exc}") from exc
    return edit


def _refuse_file_and_directory(edits: Sequence[Edit]) -> None:
    """EditError when one block writes a file where another puts a directory.

    A git tree holds one or the other: writing both would lose one block's edit silently.
    (check_path already refuses a clash with the tree the blocks apply to.)
    """
    written: dict[str, int] = {}
    for index, edit in enumerate(edits, 1):
        path = edit.new_path if isinstance(edit, UnifiedDiff) else edit.path
        if path is not None:
            written.setdefault(path, index)
    for path, index in written.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth])
            if prefix in written:
                first, second = sorted((written[prefix], index))
                raise EditError(
                    f"blocks {first} and {second}: {prefix!r} cannot be both a file "
                    f"and the directory of {path!r}; a path is one or the other, so give "
                    "one of them another name"
                )


def _outcome(index: int, edit: Edit, files: _Files, threshold: float) -> BlockOutcome:
    try:
        if isinstance(edit, SearchReplace):
            how = _apply_search_replace(edit, files, threshold)
        elif isinstance(edit, UnifiedDiff):
            how = _apply_diff(edit, files, threshold)
        else:
            how = _apply_whole_file(edit, files)
    except _Rejected as rejected:
        return BlockOutcome(index, edit.path, False, rejected.reason, rejected.suggestion)
    return BlockOutcome(index, edit.path, True, how)


class _Rejected(Exception):
    """A block that does not apply; never leaves this module."""

    def __init__(self, reason: str, suggestion: Suggestion | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.suggestion = suggestion


# -- the files as the blocks change them


def _split_keeping_ends(text: str) -> tuple[str, ...]:
    pieces = text.split("\n")
    lines = [f"{piece}\n" for piece in pieces[:-1]]
    return tuple([*lines, pieces[-1]] if pieces[-1] else lines)


def _body(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith("\n") else line


def _lines_of(text: str) -> list[str]:
    """The lines of an edit's text, without their endings."""
    return [_body(line) for line in _split_keeping_ends(text)]


@dataclass(frozen=True)
class _Text:
    """A file as lines that keep their own endings, so untouched lines stay byte for byte."""

    lines: tuple[str, ...] = ()
    executable: bool = False
    bom: bool = False

    @classmethod
    def decode(cls, path: str, data: bytes, executable: bool) -> _Text:
        text = decode_text(path, data)
        bom = text.startswith(_BOM)
        return cls(_split_keeping_ends(text[1:] if bom else text), executable, bom)

    def encode(self) -> bytes:
        return ((_BOM if self.bom else "") + "".join(self.lines)).encode("utf-8")

    @property
    def bodies(self) -> list[str]:
        return [_body(line) for line in self.lines]

    @property
    def eol(self) -> str:
        crlf = sum(line.endswith("\r\n") for line in self.lines)
        lf = sum(line.endswith("\n") for line in self.lines) - crlf
        return "\r\n" if crlf > lf else "\n"

    def splice(
        self,
        start: int,
        end: int,
        bodies: Sequence[str],
        *,
        old_lacks_newline: bool = False,
        new_lacks_newline: bool = False,
    ) -> _Text:
        """Replace lines ``start:end`` with ``bodies``, ended like the rest of the file."""
        eol = self.eol
        lines = [*self.lines[:start], *(body + eol for body in bodies), *self.lines[end:]]
        if end == len(self.lines) and lines:
            lines[-1] = _body(lines[-1]) + self._final_ending(
                eol, bool(bodies) and new_lacks_newline, old_lacks_newline
            )
        return replace(self, lines=tuple(lines))

    def _final_ending(self, eol: str, drop: bool, add: bool) -> str:
        # A diff may say "\ No newline at end of file"; otherwise the file's last line keeps
        # the ending it had, so a final newline is neither lost nor invented.
        if drop:
            return ""
        if add or not self.lines:
            return eol
        last = self.lines[-1]
        return last[len(_body(last)) :]

    def with_content(self, content: str) -> _Text:
        """This file holding ``content`` instead, in its line endings."""
        eol = self.eol
        bodies = _lines_of(content)
        lines = [body + eol for body in bodies]
        if lines and not content.endswith("\n"):
            lines[-1] = bodies[-1]
        return replace(self, lines=tuple(lines))


class _Files:
    """The tree's files overlaid with what the blocks so far have written or deleted."""

    def __init__(self, tree: TreeView) -> None:
        self._tree = tree
        self._current: dict[str, _Text | None] = {}

    def get(self, path: str) -> _Text | None:
        if path in self._current:
            return self._current[path]
        entry = self._tree.entry(path)
        if entry is None:
            return None
        return _Text.decode(path, entry.data, entry.kind is EntryKind.EXECUTABLE)

    def set(self, path: str, text: _Text | None) -> None:
        self._current[path] = text

    def changes(self) -> tuple[FileChange, ...]:
        changes = []
        for path, text in self._current.items():
            entry = self._tree.entry(path)
            before = None if entry is None else (entry.data, entry.kind is EntryKind.EXECUTABLE)
            after = None if text is None else (text.encode(), text.executable)
            if before != after:
                changes.append(
                    FileChange(path, after[0], after[1]) if after else FileChange(path, None)
                )
        return tuple(changes)


# -- the three kinds of edit


def _apply_search_replace(edit: SearchReplace, files: _Files, threshold: float) -> str:
    text = files.get(edit.path)
    if not edit.search.strip():
        return _create(edit.path, text, edit.replace, files)
    if text is None:
        raise _Rejected("the file does not exist; to create it, leave SEARCH empty")
    search = _lines_of(edit.search)
    match = _locate(text.bodies, search, threshold, hint=None, what="SEARCH")
    files.set(edit.path, _replace_match(text, match, search, _lines_of(edit.replace)))
    return match.how


def _create(path: str, text: _Text | None, content: str, files: _Files) -> str:
    if text is not None and text.lines:
        raise _Rejected(
            "the file already exists and is not empty; an empty SEARCH only creates a file: "
            "put the lines to change in SEARCH"
        )
    files.set(path, (text or _Text()).splice(0, 0, _lines_of(content)))
    return "created"


def _apply_whole_file(edit: WholeFile, files: _Files) -> str:
    text = files.get(edit.path)
    files.set(edit.path, (text or _Text()).with_content(edit.content))
    return "created" if text is None else "replaced whole file"


def _apply_diff(edit: UnifiedDiff, files: _Files, threshold: float) -> str:
    source = files.get(edit.path)
    if edit.creates and source is not None and source.lines:
        raise _Rejected(
            "the diff creates the file (from /dev/null) but it already exists and is not empty"
        )
    if source is None and not edit.creates:
        raise _Rejected("the file does not exist")
    text, hows = _apply_hunks(source or _Text(), edit.hunks, threshold)
    if edit.new_path is None:
        if edit.hunks and text.lines:
            raise _Rejected(
                f"the diff deletes the file but leaves {len(text.lines)} of its lines; "
                "the file has more in it than the diff shows"
            )
        files.set(edit.path, None)
        return "deleted"
    how = "created" if edit.creates else _combined(hows)
    if edit.new_path != edit.path:
        if files.get(edit.new_path) is not None:
            raise _Rejected(f"cannot rename to {edit.new_path}: it already exists")
        files.set(edit.path, None)
        how = f"renamed to {edit.new_path}" + ("" if how == "exact" else f"; {how}")
    files.set(edit.new_path, text)
    return how


def _apply_hunks(text: _Text, hunks: Sequence[Hunk], threshold: float) -> tuple[_Text, list[str]]:
    hows, offset = [], 0
    for number, hunk in enumerate(hunks, 1):
        where = f" (line {hunk.old_start})" if hunk.old_start is not None else ""
        what = f"hunk {number} of {len(hunks)}{where}"
        old, new = _lines_of(hunk.old), _lines_of(hunk.new)
        match = _locate_hunk(text, old, hunk.old_start, offset, threshold, what)
        text = _replace_match(
            text,
            match,
            old,
            new,
            old_lacks_newline=bool(hunk.old) and not hunk.old.endswith("\n"),
            new_lacks_newline=bool(hunk.new) and not hunk.new.endswith("\n"),
        )
        offset += len(new) - (match.end - match.start)
        hows.append(match.how)
    return text, hows


def _locate_hunk(
    text: _Text, old: list[str], old_start: int | None, offset: int, threshold: float, what: str
) -> _Match:
    if old:
        hint = None if old_start is None else old_start - 1 + offset
        return _locate(text.bodies, old, threshold, hint=hint, what=what)
    # Nothing to match: "@@ -N,0 ..." inserts after line N, the only anchor there is.
    if old_start is None:
        raise _Rejected(
            f"{what} has no context lines and no line number: add unchanged lines around it"
        )
    at = old_start + offset if text.lines else 0
    if not 0 <= at <= len(text.lines):
        raise _Rejected(f"{what} inserts after line {old_start}, past the end of the file")
    return _Match(at, at, "exact")


def _combined(hows: Sequence[str]) -> str:
    if all(how == "exact" for how in hows):
        return "exact"
    if len(hows) == 1:
        return hows[0]
    return "; ".join(f"hunk {n}: {how}" for n, how in enumerate(hows, 1) if how != "exact")


def _replace_match(
    text: _Text,
    match: _Match,
    search: Sequence[str],
    replacement: list[str],
    *,
    old_lacks_newline: bool = False,
    new_lacks_newline: bool = False,
) -> _Text:
    if match.how != "exact":
        replacement = _reindent(replacement, search, text.bodies[match.start : match.end])
    return text.splice(
        match.start,
        match.end,
        replacement,
        old_lacks_newline=old_lacks_newline,
        new_lacks_newline=new_lacks_newline,
    )


# -- finding the lines a block replaces


class _Match(NamedTuple):
    start: int
    end: int
    how: str


def _locate(
    bodies: list[str], search: list[str], threshold: float, *, hint: int | None, what: str
) -> _Match:
    """Where ``search`` is in ``bodies``: exact, else whitespace-insensitive, else fuzzy."""
    exact = _find_all(bodies, search)
    if exact:
        return _unique(exact, len(search), "exact", hint, what)
    loose = _find_all([b.strip() for b in bodies], [s.strip() for s in search])
    if loose:
        return _unique(loose, len(search), "whitespace", hint, what)
    return _fuzzy(bodies, search, threshold, what)


def _find_all(haystack: list[str], needle: list[str]) -> list[int]:
    size = len(needle)
    return [
        start
        for start in range(len(haystack) - size + 1)
        if haystack[start] == needle[0] and haystack[start : start + size] == needle
    ]


def _unique(starts: list[int], size: int, how: str, hint: int | None, what: str) -> _Match:
    if len(starts) > 1 and hint is not None:
        # A diff's line number picks between equal places, as `git apply` does.
        nearest = sorted(starts, key=lambda start: abs(start - hint))
        if abs(nearest[0] - hint) < abs(nearest[1] - hint):
            starts = nearest[:1]
    if len(starts) > 1:
        places = ", ".join(str(start + 1) for start in starts[:10])
        raise _Rejected(
            f"{what} matches {len(starts)} places (starting at lines {places}); "
            "add unchanged lines before or after it so that it matches one place only"
        )
    return _Match(starts[0], starts[0] + size, how)


class _Window(NamedTuple):
    start: int
    end: int
    ratio: float


def _fuzzy(bodies: list[str], search: list[str], threshold: float, what: str) -> _Match:
    best, rivals = _closest(bodies, search, min(threshold, SUGGESTION_FLOOR))
    if best is not None and best.ratio >= threshold:
        if rivals:
            raise _Rejected(
                f"{what} is {best.ratio:.2f} similar to {rivals + 1} places equally; "
                "copy its lines exactly from the file"
            )
        return _Match(best.start, best.end, f"fuzzy {best.ratio:.2f}")
    if best is None:
        raise _Rejected(f"{what} was not found in the file, not even approximately")
    suggestion = Suggestion(
        first_line=best.start + 1,
        last_line=best.end,
        text="".join(f"{body}\n" for body in bodies[best.start : best.end]),
        similarity=best.ratio,
    )
    raise _Rejected(
        f"{what} was not found in the file (the closest lines are {best.ratio:.2f} similar, "
        f"{threshold:.2f} is needed)",
        suggestion,
    )


def _closest(bodies: list[str], search: list[str], floor: float) -> tuple[_Window | None, int]:
    """The window most like ``search`` (at least ``floor``) and how many others tie with it.

    Indentation is ignored. difflib's ratio is too slow to run on every window of a large
    file, so windows are ranked by a cheap score first (shared words) and only the best few
    get the real ratio.
    """
    lines = [body.strip() for body in bodies]
    stripped = [line.strip() for line in search]
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2("\n".join(stripped))
    ranked = heapq.nlargest(FUZZY_CANDIDATES, _scored_windows(lines, stripped))
    best: _Window | None = None
    rivals = 0
    for _score, start, end in ranked:
        need = best.ratio if best else floor
        matcher.set_seq1("\n".join(lines[start:end]))
        if matcher.real_quick_ratio() < need or matcher.quick_ratio() < need:
            continue
        ratio = matcher.ratio()
        if best is None or ratio > best.ratio:
            if ratio >= floor:
                best, rivals = _Window(start, end, ratio), 0
        elif ratio == best.ratio and (end <= best.start or start >= best.end):
            rivals += 1
    return best, rivals


def _scored_windows(lines: list[str], search: list[str]) -> Iterator[tuple[float, int, int]]:
    """(score, start, end) for every window of one line fewer, as many, or one more than search.

    The score is a Dice coefficient over the words of the window and of the search; the
    counts slide with the window, so each step costs one line in and one line out.
    """
    wanted: Counter[str] = Counter()
    for line in search:
        wanted.update(_words(line))
    words = [_words(line) for line in lines]
    for width in sorted({max(len(search) - 1, 1), len(search), len(search) + 1}):
        if width > len(lines):
            continue
        tally = _Tally(wanted)
        for line_words in words[:width]:
            tally.add(line_words, 1)
        for start in range(len(lines) - width + 1):
            if start:
                tally.add(words[start - 1], -1)
                tally.add(words[start + width - 1], 1)
            yield tally.score(), start, start + width


def _words(line: str) -> Counter[str]:
    return Counter(_WORD.findall(line))


class _Tally:
    """The words of a window, and how many of them the search has too."""

    def __init__(self, wanted: Counter[str]) -> None:
        self.wanted = wanted
        self.wanted_total = wanted.total()
        self.have: Counter[str] = Counter()
        self.total = self.common = 0

    def add(self, words: Counter[str], sign: int) -> None:
        for word, count in words.items():
            before = self.have[word]
            after = before + sign * count
            self.have[word] = after
            self.common += min(after, self.wanted[word]) - min(before, self.wanted[word])
            self.total += sign * count

    def score(self) -> float:
        size = self.total + self.wanted_total
        return 2 * self.common / size if size else 0.0


def _reindent(replacement: list[str], search: Sequence[str], found: Sequence[str]) -> list[str]:
    """Move ``replacement`` by the indentation the matched lines have over the SEARCH lines."""
    anchor_search = next((line for line in search if line.strip()), None)
    anchor_found = next((line for line in found if line.strip()), None)
    if anchor_search is None or anchor_found is None:
        return replacement
    old, new = _indent(anchor_search), _indent(anchor_found)
    if old == new:
        return replacement
    return [_shift(line, old, new) for line in replacement]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _shift(line: str, old: str, new: str) -> str:
    if not line.strip():
        return line
    if line.startswith(old):
        return new + line[len(old) :]
    indent = _indent(line)
    # A line indented less than the anchor moves by as many columns, when the file and the
    # block agree on one indentation character.
    chars = set(indent + old + new)
    if len(chars) == 1:
        (char,) = chars
        return char * max(len(indent) + len(new) - len(old), 0) + line[len(indent) :]
    return line
