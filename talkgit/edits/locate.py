"""Finding the lines a block replaces: exact, then whitespace-tolerant, then fuzzy.

Every search returns one place or refuses: a block that could mean two places, or whose
indentation cannot be carried over to its replacement, is refused with the reason, since
applying it somewhere is worse than asking the model again.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from talkgit.edits.model import Suggestion

DEFAULT_FUZZY_THRESHOLD = 0.8
# Below this similarity the closest lines are too far off to be worth showing the model.
SUGGESTION_FLOOR = 0.5
# The fuzzy search runs difflib's ratio on this many windows, the best by a cheap score
# (and on every window that ties with the last of them).
FUZZY_CANDIDATES = 12
# ...and on this many more windows elsewhere, to find a rival to the one it chose.
FUZZY_RIVALS = 24
# Windows that tie on the cheap score are all rated, up to this many: with repeated
# lines, the right window may tie with many wrong ones.
FUZZY_TIES = 200
# A fuzzy match is refused when another place is this close to it: a typo must not
# decide between two places.
FUZZY_MARGIN = 0.05

# Beyond this many pairs of characters, texts are matched word by word first.
CHARACTER_PAIRS = 40_000

_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


class Refusal(Exception):
    """A block that does not apply, with the reason and the closest lines when there are some."""

    def __init__(self, reason: str, suggestion: Suggestion | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.suggestion = suggestion


class Match(NamedTuple):
    start: int
    end: int
    how: str


def literal(
    bodies: Sequence[str],
    search: Sequence[str],
    *,
    after: int = 0,
    hint: int | None = None,
    what: str,
) -> Match | None:
    """Where ``search`` is in ``bodies`` at or after line ``after``, exactly or but for
    whitespace; None when it is not; Refusal when it is in several places.

    ``hint`` (a diff's line number, 0-based) picks between several places only when it
    points exactly at one of them.
    """
    stripped = [body.strip() for body in bodies]
    tiers = (("exact", bodies, search), ("whitespace", stripped, [s.strip() for s in search]))
    for how, haystack, needle in tiers:
        starts = [start for start in _find_all(haystack, needle) if start >= after]
        if starts:
            match = _unique(starts, len(search), how, hint, what)
            if how == "whitespace":
                _refuse_uneven_indent(search, bodies[match.start : match.end], match, what)
            return match
    return None


def _find_all(haystack: Sequence[str], needle: Sequence[str]) -> list[int]:
    size = len(needle)
    return [
        start
        for start in range(len(haystack) - size + 1)
        if haystack[start] == needle[0] and haystack[start : start + size] == needle
    ]


def _unique(starts: list[int], size: int, how: str, hint: int | None, what: str) -> Match:
    if len(starts) > 1 and hint in starts:
        # A diff's line number picks between equal places when it names one of them; a
        # number that names none is a miscount, and the nearest place may be the wrong one.
        starts = [hint]
    if len(starts) > 1:
        places = ", ".join(str(start + 1) for start in starts[:10])
        number = "" if hint is None else ", and its line number is none of them"
        raise Refusal(
            f"{what} matches {len(starts)} places (starting at lines {places}){number}; "
            "add unchanged lines before or after it so that it matches one place only"
        )
    return Match(starts[0], starts[0] + size, how)


def _refuse_uneven_indent(
    search: Sequence[str], found: Sequence[str], match: Match, what: str
) -> None:
    if indent_shift(search, found) is None:
        raise Refusal(
            f"{what} matches lines {match.start + 1}{_to(match)} only with other "
            "indentation, and not by the same amount on every line, so the new lines "
            "cannot be indented to fit: copy the lines with their exact indentation"
        )


def _to(match: Match) -> str:
    return f"\N{EN DASH}{match.end}" if match.end - match.start > 1 else ""


def indent_shift(search: Sequence[str], found: Sequence[str]) -> tuple[str, str] | None:
    """(SEARCH's indentation, the file's) to re-indent the replacement by; None when unsure.

    Only lines that say the same on both sides are evidence: a mistyped line may have
    lost or gained a space. They must all move by one amount; with none of them, the
    first lines must be indented alike, or nothing says how the new lines should be.
    """
    pairs = _same_lines(search, found)
    if not pairs:
        first = [next((line for line in lines if line.strip()), "") for lines in (search, found)]
        return ("", "") if indent(first[0]) == indent(first[1]) else None
    old, new = indent(pairs[0][0]), indent(pairs[0][1])
    if all(indent(shift(s, old, new)) == indent(f) for s, f in pairs):
        return old, new
    return None


def _same_lines(search: Sequence[str], found: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs of non-blank lines of ``search`` and ``found`` that are equal but for indentation.

    Lines pair by position when there are as many on both sides (a window as long as
    SEARCH), else as difflib aligns them.
    """
    ours, theirs = [s.strip() for s in search], [f.strip() for f in found]
    if len(ours) == len(theirs):
        indexes = [(i, i) for i in range(len(ours))]
    else:
        matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
        blocks = matcher.get_matching_blocks()
        indexes = [(i + k, j + k) for i, j, size in blocks for k in range(size)]
    return [(search[i], found[j]) for i, j in indexes if ours[i] and ours[i] == theirs[j]]


def indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def shift(line: str, old: str, new: str) -> str:
    """``line`` re-indented as a line indented ``old`` becomes one indented ``new``."""
    if not line.strip() or old == new:
        return line
    if line.startswith(old):
        return new + line[len(old) :]
    current = indent(line)
    # A line indented less than the anchor moves by as many columns, when the file and the
    # block agree on one indentation character.
    chars = set(current + old + new)
    if len(chars) == 1:
        (char,) = chars
        return char * max(len(current) + len(new) - len(old), 0) + line[len(current) :]
    return line


# -- fuzzy


class _Window(NamedTuple):
    start: int
    end: int
    ratio: float
    same: int  # lines equal to SEARCH's, pair by pair, in a window as long as SEARCH; else -1
    score: float


def fuzzy(
    bodies: Sequence[str], search: Sequence[str], threshold: float, *, after: int = 0, what: str
) -> Match:
    """The one window of ``bodies`` (at or after ``after``) most like ``search``, or Refusal.

    Refused: no window at least ``threshold`` similar; another place within FUZZY_MARGIN of
    it; a window whose lines are not indented like SEARCH's (indent_shift).
    """
    rater = _Rater(bodies, search, after)
    rated = rater.candidates(min(threshold, SUGGESTION_FLOOR))
    if not rated:
        raise Refusal(f"{what} was not found in the file, not even approximately")
    chosen = _choose(rated, len(search))
    if chosen.ratio < threshold:
        raise Refusal(
            f"{what} was not found in the file (the closest lines are {chosen.ratio:.2f} "
            f"similar, {threshold:.2f} is needed)",
            _suggestion(bodies, chosen),
        )
    rivals = [w for w in [*rated, *rater.rivals(chosen)] if _rivals(w, chosen, len(search))]
    if rivals:
        raise Refusal(_ambiguous(what, chosen, rivals))
    found = bodies[chosen.start : chosen.end]
    _refuse_uneven_indent(search, found, Match(chosen.start, chosen.end, ""), what)
    return Match(chosen.start, chosen.end, f"fuzzy {chosen.ratio:.2f}")


def _choose(rated: Sequence[_Window], size: int) -> _Window:
    """The best window; among those about as good, one as long as SEARCH with most equal lines.

    A window one line longer or shorter that takes in or leaves out a blank line is nearly
    as similar, and replacing it would add or drop that line.
    """
    best = max(rated, key=lambda w: w.ratio)
    near = [w for w in rated if w.ratio >= best.ratio - FUZZY_MARGIN]
    pool = [w for w in near if w.end - w.start == size] or near
    return max(pool, key=lambda w: (w.same, w.ratio))


def _rivals(window: _Window, chosen: _Window, size: int) -> bool:
    if (window.start, window.end) == (chosen.start, chosen.end):
        return False
    if window.ratio < chosen.ratio - FUZZY_MARGIN:
        return False
    if window.end <= chosen.start or window.start >= chosen.end:
        return True  # another place
    if chosen.end - chosen.start != size:
        return True  # a guess at the window's length, and another guess is as good
    same_length = window.end - window.start == size
    return same_length and window.same >= chosen.same  # the same lines, shifted


def _ambiguous(what: str, chosen: _Window, rivals: Sequence[_Window]) -> str:
    places: list[_Window] = []
    for window in [chosen, *sorted(rivals, key=lambda w: -w.ratio)]:
        if all(window.end <= p.start or window.start >= p.end for p in places):
            places.append(window)  # one window per place: the best of those that overlap
    if len(places) < 2:  # the rivals are the same lines, shifted
        places = [chosen, *rivals]
    listed = ", ".join(
        f"lines {w.start + 1}\N{EN DASH}{w.end} ({w.ratio:.2f})"
        for w in sorted(places[:6], key=lambda w: w.start)
    )
    return (
        f"{what} is about as similar to several places ({listed}): "
        "copy its lines exactly from the file, with unchanged lines around them"
    )


def _suggestion(bodies: Sequence[str], window: _Window) -> Suggestion:
    return Suggestion(
        first_line=window.start + 1,
        last_line=window.end,
        text="".join(f"{body}\n" for body in bodies[window.start : window.end]),
        similarity=window.ratio,
    )


class _Rater:
    """How similar windows of the file are to SEARCH (``similarity``), indentation ignored.

    Too slow to run on every window of a large file, so windows are ranked by a cheap score
    first (shared words) and only the best are rated.
    """

    def __init__(self, bodies: Sequence[str], search: Sequence[str], after: int) -> None:
        self.lines = [body.strip() for body in bodies]
        self.search = [line.strip() for line in search]
        # difflib's quick ratios bound any similarity from above: they skip hopeless windows.
        self.bound = difflib.SequenceMatcher(None, autojunk=False)
        self.bound.set_seq2(_text(self.search))
        scored = _scored_windows(self.lines[after:], self.search)
        self.ranked = sorted(
            ((score, start + after, end + after) for score, start, end in scored),
            key=lambda item: (-item[0], item[1], item[2]),
        )
        self.rated: set[tuple[int, int]] = set()

    def candidates(self, floor: float) -> list[_Window]:
        if not self.ranked:
            return []
        last = self.ranked[min(FUZZY_CANDIDATES, len(self.ranked)) - 1][0]
        top = [item for item in self.ranked[:FUZZY_TIES] if item[0] >= last]
        return self._rate(top, floor)

    def rivals(self, chosen: _Window) -> list[_Window]:
        """Rated windows that could rival ``chosen``: every one that scores as well, then more."""
        unrated = [
            item
            for item in self.ranked
            if (item[1], item[2]) not in self.rated and self._could_rival(item[1], item[2], chosen)
        ]
        ties = [item for item in unrated[:FUZZY_TIES] if item[0] >= chosen.score]
        more = unrated[len(ties) : len(ties) + FUZZY_RIVALS]
        return self._rate([*ties, *more], chosen.ratio - FUZZY_MARGIN)

    def _rate(self, items: Iterable[tuple[float, int, int]], need: float) -> list[_Window]:
        rated = []
        for score, start, end in items:
            self.rated.add((start, end))
            window = self.lines[start:end]
            self.bound.set_seq1(_text(window))
            if self.bound.real_quick_ratio() < need or self.bound.quick_ratio() < need:
                continue
            ratio = similarity(self.search, window)
            if ratio >= need:
                rated.append(_Window(start, end, ratio, self._same(start, end), score))
        return rated

    def _could_rival(self, start: int, end: int, chosen: _Window) -> bool:
        """Whether the window ``start:end`` would count against ``chosen`` if as similar."""
        size = len(self.search)
        if end <= chosen.start or start >= chosen.end or chosen.end - chosen.start != size:
            return True
        return end - start == size and self._same(start, end) >= chosen.same

    def _same(self, start: int, end: int) -> int:
        if end - start != len(self.search):
            return -1
        return sum(a == b for a, b in zip(self.lines[start:end], self.search, strict=True))


def similarity(search: Sequence[str], window: Sequence[str]) -> float:
    """How alike two runs of lines are, from 0 to 1: as difflib's ratio of their texts.

    Equal lines are matched first, then characters only in the gaps between them: difflib
    on thousands of characters takes seconds. Being greedy, the lines can pair out of step
    in a run of repeated lines, so runs as long as each other are also paired line by line,
    and the better count wins. Both count characters the two texts share in order, so
    neither is ever more than the true similarity.
    """
    size = _length(search) + _length(window)
    if not size:
        return 1.0
    common = _common_by_lines(search, window)
    if len(search) == len(window):
        paired = sum(_common(f"{a}\n", f"{b}\n") for a, b in zip(search, window, strict=True))
        common = max(common, paired)
    return 2 * common / size


def _common_by_lines(search: Sequence[str], window: Sequence[str]) -> int:
    matcher = difflib.SequenceMatcher(None, list(search), list(window), autojunk=False)
    common = i = j = 0
    for a, b, size in matcher.get_matching_blocks():
        common += _common(_text(search[i:a]), _text(window[j:b])) + _length(search[a : a + size])
        i, j = a + size, b + size
    return common


def _common(first: str, second: str) -> int:
    """How many characters ``first`` and ``second`` share in order (a lower bound).

    Long texts match words first and characters only between them: difflib's matching
    is quadratic, and a paragraph on one line has thousands of characters.
    """
    if not first or not second:
        return 0
    if len(first) * len(second) <= CHARACTER_PAIRS:
        matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
        return sum(block.size for block in matcher.get_matching_blocks())
    ours, theirs = _TOKEN.findall(first), _TOKEN.findall(second)
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    common = i = j = 0
    for a, b, size in matcher.get_matching_blocks():
        gap = "".join(ours[i:a]), "".join(theirs[j:b])
        if len(gap[0]) * len(gap[1]) <= CHARACTER_PAIRS:
            common += _common(*gap)
        common += sum(len(token) for token in ours[a : a + size])
        i, j = a + size, b + size
    return common


def _text(lines: Sequence[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def _length(lines: Sequence[str]) -> int:
    return sum(len(line) + 1 for line in lines)


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
