"""Lines a model writes for code it leaves out: ``...``, ``# ... existing code ...``.

A SEARCH that matches the file as it is written is taken literally (``...`` is a Python
stub body); only one that does not is read as elided, split at these lines into parts that
must each be found in the file, in order.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from talkgit.edits.locate import Match, Refusal, literal

_DOTS = r"(?:\.{3,}|\u2026+)"
_BARE = re.compile(rf"^{_DOTS}$")
# A whole-line comment in the common languages: its text, without the comment's markers.
_COMMENT = re.compile(r"^(?:#+|//+|/\*+|<!--|--|;+|%+|\*)\s*(?P<text>.*?)\s*(?:\*+/|-->)?$")
_EDGE_DOTS = re.compile(rf"^{_DOTS}\s*|\s*{_DOTS}$")
# After leading dots: a word saying what is left out ("# ... more tests").
_ELIDING_WORD = re.compile(
    r"\b(existing|unchanged|rest|remaining|remainder|omitted|elided|same|other|more|code"
    r"|lines?|etc|snip|previous|original|before|keep|kept)\b",
    re.IGNORECASE,
)
# Otherwise the whole comment must say it ("# rest of the function unchanged"): a comment
# such as "# Generate the rest of the windows" is code's own.
_ELIDING_PHRASE = re.compile(
    r"\(?(?:(?:the )?(?:rest|remainder) of(?: the)?(?: \w+){1,2}"
    r"|(?:existing|other|remaining|previous|original) (?:code|lines|methods|functions|tests)"
    r"|(?:code|lines|everything else|\w+ body)"
    r"|unchanged|omitted|elided|snip)"
    r"(?: (?:is |are |remains? |stays? )?(?:unchanged|omitted|elided|the same|as before|here))?"
    r"\.?\)?",
    re.IGNORECASE,
)


def is_elision(line: str) -> bool:
    """Whether ``line`` stands for lines left out: ``...``, ``…``, or a comment saying so."""
    return bool(_BARE.match(line.strip())) or is_comment_elision(line)


def is_comment_elision(line: str) -> bool:
    """Whether ``line`` is a comment standing for lines left out (``// ... existing code``)."""
    comment = _COMMENT.match(line.strip())
    if comment is None or not comment["text"]:
        return False
    text = comment["text"]
    core = _EDGE_DOTS.sub("", text)
    if not core:
        return core != text  # dots and nothing else
    if core != text and re.match(_DOTS, text):
        return bool(_ELIDING_WORD.search(core))
    return bool(_ELIDING_PHRASE.fullmatch(core))


def elisions(lines: Sequence[str]) -> list[str]:
    return [line for line in lines if is_elision(line)]


def split(lines: Sequence[str]) -> list[list[str]]:
    """The parts of ``lines`` between elision lines (empty ones too, at the ends)."""
    parts: list[list[str]] = [[]]
    for line in lines:
        if is_elision(line):
            parts.append([])
        else:
            parts[-1].append(line)
    return parts


def doubtful(old: Sequence[str], new: Sequence[str]) -> tuple[int, str] | None:
    """The first elision of ``new`` that may be text of its own rather than the pair of
    the one in ``old``: (line number in ``new``, the line), or None.

    A stub body or a doctest's ``...``, or a comment that reads like a marker, that a
    REPLACE adds would otherwise stand in for what SEARCH left out, and the parts would
    pair out of step. A marker is trusted when it is the same comment as its pair, or when
    a non-blank line beside it is the same on both sides, as it is when a model keeps the
    lines around what it leaves out.
    """
    ours = [i for i, line in enumerate(old) if is_elision(line)]
    theirs = [j for j, line in enumerate(new) if is_elision(line)]
    for i, j in zip(ours, theirs, strict=False):
        if is_comment_elision(new[j]) and new[j].strip() == old[i].strip():
            continue
        if not any(_beside(old, i, step) == _beside(new, j, step) != "" for step in (-1, 1)):
            return j + 1, new[j]
    return None


def _beside(lines: Sequence[str], index: int, step: int) -> str:
    at = index + step
    return lines[at].strip() if 0 <= at < len(lines) else ""


def new_markers(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """Comment elisions in ``new`` that ``old`` does not have as many times.

    Written as they are, they would put the marker into the file in place of the code it
    stands for. A bare ``...`` is Python, so it is not among them.
    """
    have = Counter(line.strip() for line in old)
    added = Counter(line.strip() for line in new if is_comment_elision(line)) - have
    return list(added)


def locate_parts(
    bodies: Sequence[str], parts: Sequence[Sequence[str]], *, after: int, what: str
) -> list[Match | None]:
    """Where each part is, in order: exactly or but for whitespace, and unique in what is left
    of the file after the part before it. None for an empty part; Refusal naming the part
    that is missing or ambiguous.
    """
    matches: list[Match | None] = []
    for number, part in enumerate(parts, 1):
        if not part:
            matches.append(None)
            continue
        name = f"part {number} of {len(parts)} of {what} (split at its '...' lines)"
        match = literal(bodies, part, after=after, what=name)
        if match is None:
            place = "in the file" if number == 1 else "after the part before it"
            raise Refusal(
                f"{name} was not found {place}; '...' lines are never matched approximately: "
                "copy each part exactly from the file"
            )
        matches.append(match)
        after = match.end
    return matches
