"""The map as text for a model: ranked files with their symbols, cut to a token budget.

    talkgit/repomap/rank.py
      def rank(index: RepoIndex, text: str, focus: Iterable[str]=()) -> list[str]
      class Mentions
        def add(self, files: Iterable[int], weight: float) -> None
    talkgit/repomap/render.py
    ... and 212 more files

Files come in rank order, each with its symbols (methods one step further in), as many as
fit; then bare paths of the next files while room remains; then how many were left out.
Tokens are counted with the caller's counter (the model's tokenizer) on whole candidate
maps, O(log n) times: the count of a text is not the sum of its parts' counts, and a
tokenizer call per file would cost more than the rest of the map.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from talkgit.filenames import shown
from talkgit.repomap.index import RepoIndex
from talkgit.repomap.symbols import Symbol

SYMBOLS_PER_FILE: Final = 40  # a 300-method module would crowd every other file out
INDENT: Final = "  "  # a symbol under its file; a method one more under its class

Counter = Callable[[str], int]


def render_map(
    index: RepoIndex, ranked: Sequence[str], budget_tokens: int, count_tokens: Counter
) -> str:
    """The map of ``ranked`` (paths, best first) in at most ``budget_tokens`` tokens as
    ``count_tokens`` counts them; "" when not even the last line fits."""
    blocks = _Blocks(index, ranked)
    total = len(ranked)

    def text(full: int, bare: int = 0) -> str:
        shown_paths = [shown(path) for path in ranked[full : full + bare]]
        left = total - full - bare
        tail = [f"... and {left} more files"] if left else []
        return "\n".join([*blocks.first(full), *shown_paths, *tail])

    def fits(candidate: str) -> bool:
        return count_tokens(candidate) <= budget_tokens

    if not fits(text(0)):
        return ""
    full = _most(lambda n: fits(text(n)), total)
    bare = _most(lambda n: fits(text(full, n)), total - full)
    return text(full, bare)


class _Blocks:
    """Each ranked file's lines, made when first needed: a probe only renders what it shows."""

    def __init__(self, index: RepoIndex, ranked: Sequence[str]) -> None:
        self.index = index
        self.ranked = ranked
        self.made: list[str] = []

    def first(self, count: int) -> list[str]:
        while len(self.made) < count:
            self.made.append(block(self.ranked[len(self.made)], self.index.symbols))
        return self.made[:count]


def block(path: str, symbols_of: Callable[[str], tuple[Symbol, ...]]) -> str:
    """A file's path and, indented below it, the signatures of its symbols."""
    every = symbols_of(path)
    symbols = shown_symbols(every)
    lines = [shown(path)]
    lines += [INDENT * (2 if s.kind == "method" else 1) + s.signature for s in symbols]
    if len(every) > len(symbols):
        lines.append(f"{INDENT}... {len(every) - len(symbols)} more")
    return "\n".join(lines)


def shown_symbols(symbols: tuple[Symbol, ...]) -> tuple[Symbol, ...]:
    """At most ``SYMBOLS_PER_FILE`` of a file's symbols, in source order: top-level ones
    first (a file's classes and functions say what it is), then public methods, then the
    private and special ones (``_helper``, ``__len__``)."""
    if len(symbols) <= SYMBOLS_PER_FILE:
        return symbols
    by_worth = sorted(range(len(symbols)), key=lambda n: _worth(symbols[n]))
    return tuple(symbols[n] for n in sorted(by_worth[:SYMBOLS_PER_FILE]))


def _worth(symbol: Symbol) -> int:
    if symbol.kind != "method":
        return 0
    return 2 if symbol.name.startswith("_") and symbol.name != "__init__" else 1


def _most(fits: Callable[[int], bool], limit: int) -> int:
    """The largest n in 0..limit with ``fits(n)``, given ``fits(0)``: steps of 1, 2, 4...
    until one does not fit, then halving between. O(log n) calls, none far past the answer
    (a probe of all 10,000 files would render and count them all)."""
    good, step = 0, 1
    while good < limit:
        probe = min(good + step, limit)
        if not fits(probe):
            limit = probe - 1
            break
        good, step = probe, step * 2
    while good < limit:
        middle = (good + limit + 1) // 2
        if fits(middle):
            good = middle
        else:
            limit = middle - 1
    return good
