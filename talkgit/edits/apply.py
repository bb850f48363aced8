"""Applying edits to a tree in memory: exact, then whitespace-tolerant, then fuzzy matching.

Blocks apply in order and each sees the result of the ones before. A block that does not
apply leaves the files as they were and is reported with the reason (and the closest lines,
when there are some); the blocks that did apply are kept, and the caller decides. A block
either does what it says or is refused: it is never applied somewhere it might not mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from talkgit.edits import elision, missing
from talkgit.edits.locate import (
    DEFAULT_FUZZY_THRESHOLD,
    Match,
    Refusal,
    fuzzy,
    indent_shift,
    literal,
    shift,
)
from talkgit.edits.model import (
    BlockOutcome,
    Edit,
    EditResult,
    EntryKind,
    FileChange,
    Hunk,
    SearchReplace,
    TreeView,
    UnifiedDiff,
    WholeFile,
)
from talkgit.edits.paths import check_content, check_path, decode_text
from talkgit.errors import EditError

__all__ = ["DEFAULT_FUZZY_THRESHOLD", "apply_edits"]

_BOM = "\ufeff"


def apply_edits(
    edits: Sequence[Edit], tree: TreeView, *, fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD
) -> EditResult:
    """Apply ``edits`` to ``tree`` in memory and return the file changes and one outcome per block.

    Every path is checked first (UnsafePathError, BinaryFileError name the block), and
    what the blocks leave in a .gitmodules or .gitattributes last (UnsafeContentError),
    so an unsafe reply changes nothing. A block that does not match is reported, not raised;
    so is one whose path looks like a placeholder (``path/to/x.py``) and names no file.
    """
    checked = [_checked(index, edit, tree) for index, edit in enumerate(edits, 1)]
    _refuse_file_and_directory([edit for edit in checked if _placeholder(edit, tree) is None])
    files = _Files(tree)
    outcomes = [
        _outcome(index, edit, files, fuzzy_threshold) for index, edit in enumerate(checked, 1)
    ]
    changes = files.changes()
    for change in changes:
        check_content(change)
    return EditResult(changes, tuple(outcomes))


def _checked(index: int, edit: Edit, tree: TreeView) -> Edit:
    if _placeholder(edit, tree) is not None:
        return edit  # refused as a placeholder before it can touch anything
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


def _placeholder(edit: Edit, tree: TreeView) -> str | None:
    """The path of ``edit`` that looks like an example's placeholder and names no entry."""
    paths = [edit.path]
    if isinstance(edit, UnifiedDiff) and edit.new_path is not None:
        paths.append(edit.new_path)
    for path in paths:
        if missing.looks_like_placeholder(path) and tree.entry(path) is None:
            return path
    return None


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
        _refuse_placeholder(edit, files)
        if isinstance(edit, SearchReplace):
            how = _apply_search_replace(edit, files, threshold)
        elif isinstance(edit, UnifiedDiff):
            how = _apply_diff(edit, files, threshold)
        else:
            how = _apply_whole_file(edit, files)
    except Refusal as refused:
        return BlockOutcome(index, edit.path, False, refused.reason, refused.suggestion)
    return BlockOutcome(index, edit.path, True, how)


def _refuse_placeholder(edit: Edit, files: _Files) -> None:
    path = _placeholder(edit, files.tree)
    if path is not None:
        raise Refusal(missing.placeholder_reason(path, files.paths()))


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
        self.tree = tree
        self._current: dict[str, _Text | None] = {}

    def get(self, path: str) -> _Text | None:
        if path in self._current:
            return self._current[path]
        entry = self.tree.entry(path)
        if entry is None:
            return None
        return _Text.decode(path, entry.data, entry.kind is EntryKind.EXECUTABLE)

    def set(self, path: str, text: _Text | None) -> None:
        self._current[path] = text

    def paths(self) -> list[str]:
        """Every file's path: the tree's, and those the blocks so far created, less deleted."""
        now = {path: text is not None for path, text in self._current.items()}
        kept = [path for path in self.tree.paths() if now.get(path, True)]
        known = set(kept)
        return kept + sorted(p for p, exists in now.items() if exists and p not in known)

    def changes(self) -> tuple[FileChange, ...]:
        changes = []
        for path, text in self._current.items():
            entry = self.tree.entry(path)
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
    edit = _reading(edit, text)
    if not edit.search.strip():
        return _create(edit.path, text, edit.replace, files)
    if text is None:
        found = missing.did_you_mean(edit.path, files.paths())
        raise Refusal(f"the file does not exist{found}; to create it, leave SEARCH empty")
    sides = _Sides("SEARCH", "REPLACE")
    text, span = _replace_lines(text, edit.search, edit.replace, threshold, sides=sides)
    files.set(edit.path, text)
    return span.how


def _reading(edit: SearchReplace, text: _Text | None) -> SearchReplace:
    """The one reading of a block with several possible dividers that the file supports.

    Read at a "=======" of the text itself, SEARCH stops short of the one meant and is a
    part of it, so it is in the file too: the longest SEARCH in the file is the one meant,
    unless the file goes on after it with the very line it stopped at, when a longer SEARCH
    that is not in the file as written (a typo) may be meant. With no SEARCH in the file,
    only a new file's empty SEARCH can be meant.
    """
    if not edit.readings:
        return edit
    readings = [(edit.search, edit.replace), *edit.readings]
    for number in reversed(range(len(readings))):
        found = _found(text, readings[number][0])
        if found is None:
            continue
        longer = readings[number + 1][0] if number + 1 < len(readings) else None
        if longer is not None and _goes_on_as(text, found, readings[number][0], longer):
            break
        return replace(edit, search=readings[number][0], replace=readings[number][1], readings=())
    else:
        empty = [r for r in readings if not r[0].strip()]
        if len(empty) == 1 and (text is None or not text.lines):
            return replace(edit, search=empty[0][0], replace=empty[0][1], readings=())
    raise Refusal(
        f"{len(readings)} of its lines could be the '=======' between SEARCH and REPLACE "
        "(the text has such lines too), and the file does not say which: copy SEARCH "
        "exactly from the file, or send this change as a unified diff"
    )


def _found(text: _Text | None, search: str) -> Match | None:
    """Where ``search`` is, literally; Refusal when in several places, as for any block."""
    if text is None or not search.strip():
        return None
    return literal(text.bodies, _lines_of(search), what="SEARCH")


def _goes_on_as(text: _Text | None, found: Match, shorter: str, longer: str) -> bool:
    """Whether the file goes on after ``found`` with the line ``longer`` has after ``shorter``."""
    if text is None or found.end >= len(text.lines):
        return False
    following = _lines_of(longer)[len(_lines_of(shorter))]
    return text.bodies[found.end].strip() == following.strip()


def _create(path: str, text: _Text | None, content: str, files: _Files) -> str:
    if text is not None and text.lines:
        raise Refusal(
            "the file already exists and is not empty; an empty SEARCH only creates a file: "
            "put the lines to change in SEARCH"
        )
    files.set(path, (text or _Text()).splice(0, 0, _lines_of(content)))
    return "created"


def _apply_whole_file(edit: WholeFile, files: _Files) -> str:
    text = files.get(edit.path)
    if text is not None:
        _refuse_new_markers(text.bodies, _lines_of(edit.content), _Sides("the file", "it"))
    files.set(edit.path, (text or _Text()).with_content(edit.content))
    return "created" if text is None else "replaced whole file"


def _apply_diff(edit: UnifiedDiff, files: _Files, threshold: float) -> str:
    source = files.get(edit.path)
    if edit.creates and source is not None and source.lines:
        raise Refusal(
            "the diff creates the file (from /dev/null) but it already exists and is not empty"
        )
    if source is None and not edit.creates:
        raise Refusal(f"the file does not exist{missing.did_you_mean(edit.path, files.paths())}")
    text, hows = _apply_hunks(source or _Text(), edit.hunks, threshold)
    if edit.new_path is None:
        if edit.hunks and text.lines:
            raise Refusal(
                f"the diff deletes the file but leaves {len(text.lines)} of its lines; "
                "the file has more in it than the diff shows"
            )
        files.set(edit.path, None)
        return "deleted"
    how = "created" if edit.creates else _combined(hows)
    if edit.new_path != edit.path:
        if files.get(edit.new_path) is not None:
            raise Refusal(f"cannot rename to {edit.new_path}: it already exists")
        files.set(edit.path, None)
        how = f"renamed to {edit.new_path}" + ("" if how == "exact" else f"; {how}")
    files.set(edit.new_path, text)
    return how


def _apply_hunks(text: _Text, hunks: Sequence[Hunk], threshold: float) -> tuple[_Text, list[str]]:
    """Apply ``hunks`` in order: each is found at or after the end of the one before, as
    ``git apply`` does, with its line number moved by the lines the ones before added."""
    hows: list[str] = []
    offset = after = 0
    for number, hunk in enumerate(hunks, 1):
        where = f" (line {hunk.old_start})" if hunk.old_start is not None else ""
        what = f"hunk {number} of {len(hunks)}{where}"
        ends = _Ends(
            old_lacks_newline=bool(hunk.old) and not hunk.old.endswith("\n"),
            new_lacks_newline=bool(hunk.new) and not hunk.new.endswith("\n"),
        )
        if hunk.old:
            hint = None if hunk.old_start is None else hunk.old_start - 1 + offset
            sides = _Sides(what, f"the new side of {what}")
            text, span = _replace_lines(
                text, hunk.old, hunk.new, threshold, sides=sides, after=after, hint=hint, ends=ends
            )
        else:
            text, span = _insert(text, hunk, offset, after, what, ends)
        offset += span.delta
        after = span.end
        hows.append(span.how)
    return text, hows


def _insert(
    text: _Text, hunk: Hunk, offset: int, after: int, what: str, ends: _Ends
) -> tuple[_Text, _Span]:
    """A hunk with nothing to match: "@@ -N,0 ..." inserts after line N, the only anchor."""
    if not text.lines:
        at = 0  # a new or empty file: its first line is the only place there is
    elif hunk.old_start is None:
        raise Refusal(
            f"{what} has no context lines and no line number: add unchanged lines around it"
        )
    else:
        at = hunk.old_start + offset
        if not 0 <= at <= len(text.lines):
            raise Refusal(f"{what} inserts after line {hunk.old_start}, past the end of the file")
        if at < after:
            raise Refusal(
                f"{what} inserts after line {hunk.old_start}, inside or before the hunk "
                "ahead of it: hunks must follow each other down the file"
            )
    new = _lines_of(hunk.new)
    text = _replace_match(text, Match(at, at, "exact"), [], new, ends)
    return text, _Span(at + len(new), len(new), "exact")


def _combined(hows: Sequence[str]) -> str:
    if all(how == "exact" for how in hows):
        return "exact"
    if len(hows) == 1:
        return hows[0]
    return "; ".join(f"hunk {n}: {how}" for n, how in enumerate(hows, 1) if how != "exact")


# -- replacing lines: the SEARCH of a block, the old side of a hunk


class _Sides(NamedTuple):
    """What the two sides of a block are called in a message: SEARCH and REPLACE."""

    old: str
    new: str


class _Ends(NamedTuple):
    """Whether a hunk's sides end without a newline ("\\ No newline at end of file")."""

    old_lacks_newline: bool = False
    new_lacks_newline: bool = False


_PLAIN_ENDS = _Ends()


class _Span(NamedTuple):
    """Where a replacement ended (the line after it, in the new text), and its line count."""

    end: int
    delta: int
    how: str


def _replace_lines(
    text: _Text,
    old_text: str,
    new_text: str,
    threshold: float,
    *,
    sides: _Sides,
    after: int = 0,
    hint: int | None = None,
    ends: _Ends = _PLAIN_ENDS,
) -> tuple[_Text, _Span]:
    """Find ``old_text`` at or after line ``after`` and put ``new_text`` in its place.

    Literal first (exact, then whitespace): '...' is Python, so a SEARCH that matches as it
    is written means what it says. Else a SEARCH with '...' lines is elided, and is never
    matched approximately: a fuzzy window of the wrong length would swallow or repeat code.
    """
    old, new = _lines_of(old_text), _lines_of(new_text)
    match = literal(text.bodies, old, after=after, hint=hint, what=sides.old)
    if match is None and elision.elisions(old):
        return _replace_elided(text, old, new, sides=sides, after=after, ends=ends)
    # Written as it is from here on: a marker would go into the file.
    _refuse_new_markers(old, new, sides)
    if match is None:
        match = fuzzy(text.bodies, old, threshold, after=after, what=sides.old)
    delta = len(new) - (match.end - match.start)
    return _replace_match(text, match, old, new, ends), _Span(match.end + delta, delta, match.how)


def _refuse_new_markers(old: list[str], new: list[str], sides: _Sides) -> None:
    added = elision.new_markers(old, new)
    if added:
        raise Refusal(
            f"{sides.new} has the line {added[0]!r}, which {sides.old} does not: it would be "
            "written into the file as it is, and the lines it stands for would be lost; "
            "write those lines out in full"
        )


def _replace_elided(
    text: _Text, old: list[str], new: list[str], *, sides: _Sides, after: int, ends: _Ends
) -> tuple[_Text, _Span]:
    """Replace each part of an elided SEARCH with the same part of REPLACE; keep what is
    between the parts, which their '...' lines stand for."""
    parts, new_parts = elision.split(old), elision.split(new)
    if len(new_parts) != len(parts):
        raise Refusal(_elided_alone(old, new, sides))
    doubt = elision.doubtful(old, new)
    if doubt is not None:
        number, line = doubt
        raise Refusal(
            f"{sides.new}'s line {number} ({line.strip()!r}) may be code as much as lines left "
            f"out, and the lines beside it are not those beside the '...' of {sides.old}: "
            f"copy every line into {sides.old}, or keep the same lines around each '...' "
            "on both sides"
        )
    for part, new_part in zip(parts, new_parts, strict=True):
        if new_part and not part:
            raise Refusal(
                f"{sides.new} has lines where {sides.old} has only '...' lines, so nothing "
                f"says where they go: put the unchanged lines around them in {sides.old}"
            )
    if not any(parts):
        raise Refusal(f"{sides.old} has nothing but '...' lines: copy the lines to change")
    found = elision.locate_parts(text.bodies, parts, after=after, what=sides.old)
    pairs = [(m, p, n) for m, p, n in zip(found, parts, new_parts, strict=True) if m is not None]
    delta = 0
    for number, (match, part, new_part) in reversed(list(enumerate(pairs, 1))):
        text = _replace_match(
            text, match, part, new_part, ends if number == len(pairs) else _PLAIN_ENDS
        )
        delta += len(new_part) - len(part)
    loose = any(match.how != "exact" for match, _, _ in pairs)
    how = f"elided ({len(pairs)} parts{', whitespace' if loose else ''})"
    return text, _Span(pairs[-1][0].end + delta, delta, how)


def _elided_alone(old: list[str], new: list[str], sides: _Sides) -> str:
    number, line = next((n, line) for n, line in enumerate(old, 1) if elision.is_elision(line))
    count = len(elision.elisions(new))
    has = (
        "has none"
        if not count
        else f"has {count} where {sides.old} has {len(elision.elisions(old))}"
    )
    return (
        f"{sides.old} leaves out lines with '...' (its line {number}: {line.strip()!r}), and "
        f"{sides.new} {has}, so the lines left out would be lost: copy every line "
        f"into {sides.old}, or put the same '...' lines in {sides.new} to keep what they stand for"
    )


def _replace_match(
    text: _Text, match: Match, search: Sequence[str], replacement: list[str], ends: _Ends
) -> _Text:
    if match.how != "exact":
        replacement = _reindent(replacement, search, text.bodies[match.start : match.end])
    return text.splice(
        match.start,
        match.end,
        replacement,
        old_lacks_newline=ends.old_lacks_newline,
        new_lacks_newline=ends.new_lacks_newline,
    )


def _reindent(replacement: list[str], search: Sequence[str], found: Sequence[str]) -> list[str]:
    """Move ``replacement`` by the indentation the matched lines have over the SEARCH lines."""
    old, new = indent_shift(search, found) or ("", "")
    return [shift(line, old, new) for line in replacement]
