"""Git trailers (``Key: value`` lines closing a commit message), read the way git reads them.

This mirrors git's own trailer parser (``trailer.c``) under git's default configuration,
so ``parse_trailers`` agrees with ``git interpret-trailers --parse`` and, with
``divider=False``, with ``git log --format=%(trailers:only,unfold)``:

* the trailer block is the last paragraph of the message, after the title paragraph;
  trailing blank lines, ``#`` comment lines, an old ``Conflicts:`` list and everything
  from a ``# --- >8 ---`` scissors line are ignored, and with ``divider`` so is
  everything from the first line that starts with ``---`` followed by whitespace;
* that paragraph is a block if all its lines are trailers, or if at least 25% are and
  one is git-generated (``Signed-off-by: `` or ``(cherry picked from commit ``);
* a key is ASCII letters, digits and ``-``, then optional blanks, then ``:``; a line that
  starts with whitespace continues the previous trailer, and the fold is unfolded to one
  space, exactly as git prints it.

CRLF: like git, ``\\r`` is ordinary whitespace, not a line break, so a CRLF message parses
like its LF form except that a folded value keeps the ``\\r`` before the fold (git does
too). git's whitespace is ASCII space, tab, LF and CR only: ``\\f`` and ``\\v`` are text.

Pure Python: no pygit2 here, so hooks can import this cheaply.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from typing import Final, NamedTuple

from talkgit.errors import TalkgitError

_SPACE: Final = " \t\n\r"  # git's isspace(): ASCII only, and without \f and \v
_KEY_CHARS: Final = frozenset(string.ascii_letters + string.digits + "-")
_COMMENT: Final = "#"
_GIT_GENERATED: Final = ("Signed-off-by: ", "(cherry picked from commit ")
_SCISSORS: Final = "# ------------------------ >8 ------------------------\n"
_FOLD: Final = re.compile(r"\n[ \t\n\r]*")


class TrailerError(TalkgitError, ValueError):
    """A trailer git would not read back as written, or a message it cannot be added to."""


class Trailer(NamedTuple):
    """One ``Key: value`` trailer; a folded value is unfolded to a single line."""

    key: str
    value: str


class LocatedTrailer(NamedTuple):
    """A trailer and the 1-based number of the message line it starts on."""

    line: int
    trailer: Trailer


class _Block(NamedTuple):
    """The message split into lines, and the trailer block as ``lines[start:end]``."""

    lines: list[str]
    start: int
    end: int


def parse_trailers(message: str, *, divider: bool = True) -> list[Trailer]:
    """The trailers git reads from ``message``, in order, repeated keys kept.

    ``divider`` honours a ``---`` patch divider as ``git interpret-trailers`` does; pass
    ``False`` for a stored commit message, which is how ``git log`` reads trailers.
    """
    return [located.trailer for located in locate_trailers(message, divider=divider)]


def locate_trailers(message: str, *, divider: bool = True) -> list[LocatedTrailer]:
    """Like ``parse_trailers``, with the line each trailer starts on (for error reports)."""
    block = _find_block(message, divider=divider)
    located = []
    for index, text in _entries(block):
        trailer = _parse_entry(text)
        if trailer is not None:
            located.append(LocatedTrailer(index + 1, trailer))
    return located


def format_trailers(trailers: Sequence[Trailer]) -> str:
    """``Key: value`` lines, each ending in a newline.

    Raises TrailerError (a ValueError) for a key or value git would not read back as
    written: a newline, surrounding blanks, a key that is not ASCII letters, digits, '-'.
    """
    return "".join(
        f"{_checked_key(key)}: {_checked_value(key, value)}\n" for key, value in trailers
    )


def add_trailers(message: str, trailers: Sequence[Trailer], *, divider: bool = True) -> str:
    """``message`` with ``trailers`` after its existing ones.

    New trailers join the final trailer block if there is one, else they open a new block
    after a blank line. Comments, a scissors line and (with ``divider``) a patch part stay
    at the end. git reads the result as the old trailers followed by the new ones; a message
    whose last line is a bare ``---`` (or scissors) with no newline admits no trailers after
    it, which raises TrailerError.
    """
    added = format_trailers(trailers)
    if not added:
        return message
    block = _find_block(message, divider=divider)
    lines = block.lines
    if block.start < block.end:
        cut = _last_text_line(lines, block.start, block.end) + 1
        return _complete_line("".join(lines[:cut]), divider=divider) + added + "".join(lines[cut:])
    head = _complete_line("".join(lines[: block.end]), divider=divider)
    if not (block.end and _is_blank(lines[block.end - 1])):
        head += "\n"
    return head + added + "".join(lines[block.end :])


def values(trailers: Sequence[Trailer], key: str) -> list[str]:
    """The values of every trailer named ``key`` (case-insensitive, as git matches keys)."""
    wanted = key.lower()
    return [trailer.value for trailer in trailers if trailer.key.lower() == wanted]


def line_key(line: str) -> str | None:
    """The key if ``line`` starts the way a trailer does (``Key:``), else None."""
    position = _separator_position(line)
    return line[:position].strip(_SPACE) if position >= 1 else None


def _separator_position(line: str) -> int:
    """Where the ``:`` after a trailer key is in ``line``, or -1 (git's find_separator).

    0 means the line starts with ``:``, which is no trailer either.
    """
    seen_blank = False
    for position, char in enumerate(line):
        if char == ":":
            return position
        if not seen_blank and char in _KEY_CHARS:
            continue
        if position and char in " \t":
            seen_blank = True
            continue
        break
    return -1


def _checked_key(key: str) -> str:
    if not key or not set(key) <= _KEY_CHARS:
        raise TrailerError(f"trailer key {key!r} must be ASCII letters, digits and '-'")
    return key


def _checked_value(key: str, value: str) -> str:
    if any(char in value for char in "\n\r\0") or value != value.strip(" \t"):
        raise TrailerError(
            f"trailer {key} value {value!r} must be one line without surrounding blanks"
        )
    return value


def _split_lines(message: str) -> list[str]:
    """Lines split at LF only, each keeping its LF (the last one may have none)."""
    lines = [line + "\n" for line in message.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _is_blank(line: str) -> bool:
    return not line.strip(_SPACE)


def _find_block(message: str, *, divider: bool) -> _Block:
    """Locate the trailer block the way git's trailer_info_get does."""
    lines = _split_lines(message)
    end = _message_end(lines, _patch_start(lines) if divider else len(lines))
    start = _last_paragraph_start(lines, end)
    if start is None or not _is_trailer_paragraph(lines[start:end]):
        start = end
    return _Block(lines, start, end)


def _patch_start(lines: list[str]) -> int:
    """The first ``---`` divider line: ``---`` then whitespace (a bare final ``---`` is not)."""
    for index, line in enumerate(lines):
        if line.startswith("---") and len(line) > 3 and line[3] in _SPACE:
            return index
    return len(lines)


def _message_end(lines: list[str], limit: int) -> int:
    """Where the message proper ends: before trailing comments, blank lines and Conflicts.

    git's ignore_non_trailer, quirks included: line 0 never starts the ignored tail.
    """
    cutoff = min(limit, _scissors(lines))
    tail = 0
    in_conflicts = False
    for index, line in enumerate(lines[:cutoff]):
        if line[0] in "#\n":
            tail = tail or index
        elif line == "Conflicts:\n":
            in_conflicts = True
            tail = tail or index
        elif in_conflicts and line[0] == "\t":
            pass
        elif tail:
            tail, in_conflicts = 0, False
    return tail or cutoff


def _scissors(lines: list[str]) -> int:
    # git searches the whole message, divider or not; one after a divider makes git 2.39
    # loop forever, so ``min`` with the divider above is our choice, not git's.
    return next((i for i, line in enumerate(lines) if line == _SCISSORS), len(lines))


def _last_paragraph_start(lines: list[str], end: int) -> int | None:
    """The first line of the last paragraph before ``end``, or None if that is the title.

    Comment lines are skipped, never paragraph breaks; trailing blank lines are skipped.
    """
    title_end = next(
        (i for i in range(end) if not lines[i].startswith(_COMMENT) and _is_blank(lines[i])),
        end,
    )
    seen_text = False
    for index in range(end - 1, title_end - 1, -1):
        line = lines[index]
        if line.startswith(_COMMENT):
            continue
        if _is_blank(line):
            if seen_text:
                return index + 1
            continue
        seen_text = True
    return None


def _is_trailer_paragraph(paragraph: Sequence[str]) -> bool:
    """git's rule: all trailers, or >= 25% trailers with one git-generated among them.

    A whitespace-led line continuing a trailer counts for nothing; one continuing
    anything else (or following a comment) counts as a non-trailer line.
    """
    trailers = others = 0
    generated = continuing = False
    for line in paragraph:
        if line.startswith(_COMMENT):
            continuing = False
        elif _is_blank(line):
            continue
        elif line.startswith(_GIT_GENERATED) or _separator_position(line) >= 1:
            trailers += 1
            generated = generated or line.startswith(_GIT_GENERATED)
            continuing = True
        elif line[0] in _SPACE:
            others += not continuing
        else:
            others += 1
            continuing = False
    return (generated and trailers * 3 >= others) or (trailers > 0 and others == 0)


def _entries(block: _Block) -> list[tuple[int, str]]:
    """The block's lines with continuation lines folded into the trailer they continue."""
    entries: list[tuple[int, str]] = []
    foldable = False
    for index in range(block.start, block.end):
        line = block.lines[index]
        if foldable and line[0] in _SPACE:
            first, text = entries[-1]
            entries[-1] = (first, text + line)
            continue
        entries.append((index, line))
        foldable = _separator_position(line) >= 1
    return entries


def _parse_entry(text: str) -> Trailer | None:
    if text.startswith(_COMMENT):
        return None
    position = _separator_position(text)
    if position < 1:
        return None  # e.g. "(cherry picked from commit …)": it counts, but has no key
    value = text[position + 1 :].strip(_SPACE)
    return Trailer(text[:position].strip(_SPACE), _FOLD.sub(" ", value).strip(_SPACE))


def _last_text_line(lines: list[str], start: int, end: int) -> int:
    """The block's last trailer line: new trailers go right after it. Not after a comment
    or a blank line below it: git would read a blank line there as the block's start."""
    return next(
        i
        for i in range(end - 1, start - 1, -1)
        if not _is_blank(lines[i]) and not lines[i].startswith("#")
    )


def _complete_line(text: str, *, divider: bool) -> str:
    """``text`` ending in a newline, unless that would turn its last line into a cut line."""
    if not text or text.endswith("\n"):
        return text
    last = text[text.rfind("\n") + 1 :] + "\n"
    if last == _SCISSORS or (divider and last == "---\n"):
        raise TrailerError(
            f"cannot add trailers after a final {last.strip()!r} line without a newline"
        )
    return text + "\n"
