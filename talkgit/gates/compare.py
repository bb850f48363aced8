"""New findings only: what a head has that its base did not, found where the change is.

A legacy repository full of old findings passes a clean change, because only what the
change adds counts. The change's hunks (``git diff -U0``) say where each head line was at
the base, and a head finding is paired with at most one base finding, in three steps:

1. On a line the change did not touch: a base finding with the same rule on the line it
   was at the base. Text is no guide here: a line added above an identical one would take
   the old line's findings, and the old line would look new.
2. On a line the change touched: a base finding with the same rule and message among the
   base lines its hunk replaced (for an insertion, the lines either side of it). An old
   finding on an edited line is new only when the tool says something new about it, such
   as a whole-file finding a tool reports on line 1. A finding on no line (line 0) is
   paired the same way with one on no line.
3. What is left: a base finding with the same rule, path and line text (``text_key``), in
   file order; code moved within a file keeps its findings. A file the hunks say nothing
   about (no hunks given, or a binary file) is compared this way only, which is exactly
   matching by fingerprint.

A finding with an ``anchor`` (a failing test's id) is paired in step 3 only, by its
anchor: failing at head but not at base is new (a regression or a new failing test),
failing at both is pre-existing. Every step takes only base findings not paired before.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import NamedTuple

from talkgit.gates.base import Finding
from talkgit.gates.lines import Changed, LineChanges, locate


class Comparison(NamedTuple):
    """A head's findings split against its base's."""

    new: tuple[Finding, ...]  # at head, not at base
    preexisting: tuple[Finding, ...]  # at head and at base
    fixed: tuple[Finding, ...]  # at base, gone at head (the base's findings)


def new_findings(
    base: Sequence[Finding], head: Sequence[Finding], hunks: LineChanges | None = None
) -> Comparison:
    """Compare two fingerprinted runs of one gate; each part keeps its input order.

    ``hunks`` maps paths to the change's hunks in them (``talkgit.git.diff.line_hunks``);
    without it, or for a path it leaves out, findings are paired by text only.
    Raises ValueError when a finding has no fingerprint (``fingerprint_all`` first).
    """
    _require_fingerprints(base)
    _require_fingerprints(head)
    pairing = _Pairing(base, head, {} if hunks is None else hunks)
    pairing.on_unchanged_lines()
    pairing.on_changed_lines()
    pairing.by_text()
    paired = set(pairing.paired.values())
    return Comparison(
        new=tuple(f for i, f in enumerate(head) if i not in pairing.paired),
        preexisting=tuple(f for i, f in enumerate(head) if i in pairing.paired),
        fixed=tuple(f for j, f in enumerate(base) if j not in paired),
    )


class _Pairing:
    """Head findings paired with base findings (``paired``: head index -> base index)."""

    def __init__(self, base: Sequence[Finding], head: Sequence[Finding], hunks: LineChanges):
        self.base, self.head, self.hunks = base, head, hunks
        self.paired: dict[int, int] = {}
        self.taken: set[int] = set()

    def on_unchanged_lines(self) -> None:
        """Step 1: same rule on the head line's base line."""
        pools = self._pools(self._placed(self.base), lambda f: (f.path, f.rule, f.line))
        for i in self._unpaired_head(self._placed):
            where = locate(self.hunks[self.head[i].path], self.head[i].line)
            if not isinstance(where, Changed):
                self._take(i, pools.get((self.head[i].path, self.head[i].rule, where.line)))

    def on_changed_lines(self) -> None:
        """Step 2: same rule and message in the base lines the head line's hunk replaced."""
        pools = self._pools(self._placed_or_lineless(self.base), _said)
        for i in self._unpaired_head(self._placed_or_lineless):
            finding = self.head[i]
            start, stop = 0, 1  # a finding on no line: one on no line at the base
            if finding.line > 0:
                where = locate(self.hunks[finding.path], finding.line)
                if not isinstance(where, Changed):
                    continue
                start, stop = where
            self._take(i, pools.get(_said(finding)), start, stop)

    def by_text(self) -> None:
        """Step 3: same rule, path and line text (or anchor), in file order."""
        pools = self._pools(self._textual(self.base), lambda f: f.text_key)
        for i in self._unpaired_head(self._textual):
            self._take(i, pools.get(self.head[i].text_key))

    def _placed(self, findings: Sequence[Finding]) -> list[int]:
        """Those paired by where they are: on a line of a file with hunks, no anchor."""
        return [i for i, f in enumerate(findings) if self._located(f) and f.line > 0]

    def _placed_or_lineless(self, findings: Sequence[Finding]) -> list[int]:
        return [i for i, f in enumerate(findings) if self._located(f)]

    def _textual(self, findings: Sequence[Finding]) -> list[int]:
        """Everything but a finding on no line in a file with hunks (step 2 had it)."""
        return [i for i, f in enumerate(findings) if not (self._located(f) and f.line <= 0)]

    def _located(self, finding: Finding) -> bool:
        return not finding.anchor and finding.path in self.hunks

    def _unpaired_head(self, select: Callable[[Sequence[Finding]], list[int]]) -> list[int]:
        return [i for i in _in_file_order(self.head, select(self.head)) if i not in self.paired]

    def _pools(
        self, indices: Iterable[int], key: Callable[[Finding], Hashable]
    ) -> dict[Hashable, list[tuple[int, int]]]:
        """The unpaired base findings among ``indices`` by ``key``, each as (line, index),
        in file order."""
        pools: dict[Hashable, list[tuple[int, int]]] = defaultdict(list)
        for j in _in_file_order(self.base, indices):
            if j not in self.taken:
                pools[key(self.base[j])].append((self.base[j].line, j))
        return pools

    def _take(
        self, i: int, pool: list[tuple[int, int]] | None, start: int = 0, stop: int | None = None
    ) -> None:
        """Pair head finding ``i`` with the pool's first base finding on a line from
        ``start`` to before ``stop`` (to the end when ``stop`` is None)."""
        at = bisect_left(pool, (start, -1)) if pool else 0
        if pool and at < len(pool) and (stop is None or pool[at][0] < stop):
            _, j = pool.pop(at)
            self.paired[i] = j
            self.taken.add(j)


def _said(finding: Finding) -> tuple[str, str, str]:
    return finding.path, finding.rule, finding.message


def _in_file_order(findings: Sequence[Finding], indices: Iterable[int]) -> list[int]:
    return sorted(indices, key=lambda i: (findings[i].line, findings[i].column, i))


def _require_fingerprints(findings: Sequence[Finding]) -> None:
    if any(not (finding.fingerprint and finding.text_key) for finding in findings):
        raise ValueError("findings must be fingerprinted (fingerprint_all) before comparing")
