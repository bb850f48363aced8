"""Ranking a tree's files for a task or step: PageRank personalised towards what it names.

The teleport of the PageRank goes to the files the text points at: files it names by path
or file name, files defining the identifiers it mentions (``QuerySet.bulk_create``,
``make_response``), a smaller share to the files using those identifiers (the callers are
context too), and the focus files the caller adds (a step's files). Rank then flows along
the reference graph to what those files use. Links through a mentioned identifier weigh
ten times more, as in aider.

A word that can only be code (snake_case, CamelCase, ``quoted``, an attribute, a call)
counts fully; a plain word that happens to name a symbol or a file ("render", "parse")
counts a tenth, shared by all files defining it, so a common word cannot outweigh a real
mention. A word in lower case also finds names that differ only in case: "the queryset"
finds ``QuerySet``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from talkgit.repomap import collector, graph
from talkgit.repomap.index import RepoIndex
from talkgit.repomap.symbols import MIN_IDENTIFIER

FOCUS: Final = 1.0  # each focus file
NAMED: Final = 1.0  # a path the text names, shared by the files it can be
CODE_WORD: Final = 1.0  # an identifier that can only be code
PLAIN_WORD: Final = 0.1  # a plain word that is also a symbol's or a file's name
CALLERS: Final = 0.3  # of a mentioned identifier's weight, shared by the files using it
MENTION_BOOST: Final = 10.0

_WORD: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATHISH: Final = re.compile(r"[\w./@+-]*[\w@+-]")  # a path or file name, without the full stop
# Around a word, what only code has: `quotes`, a call, an attribute (not a full stop).
_CODE_BEFORE: Final = re.compile(r"(?:`|[\w)\]]\.)\Z")
_CODE_AFTER: Final = re.compile(r"[`(]|\.[A-Za-z_]")


@dataclass
class Mentions:
    """What a text points at: files with their teleport weights, names with link factors."""

    files: dict[int, float] = field(default_factory=dict)
    names: dict[str, float] = field(default_factory=dict)
    definers: dict[str, tuple[int, ...]] = field(default_factory=dict)  # of ``names``

    def add(self, files: Iterable[int], weight: float) -> None:
        """Share ``weight`` among ``files``."""
        found = tuple(files)
        for file in found:
            self.files[file] = self.files.get(file, 0.0) + weight / len(found)


def rank(index: RepoIndex, text: str, focus: Iterable[str] = ()) -> list[str]:
    """Every path of ``index``, the most relevant to ``text`` (a task or a step) first.

    Files that have symbols or that the text or ``focus`` points at come first, by their
    personalised PageRank, ties by their PageRank without a task; then the other files
    (no symbols: data, docs, assets), named ones first.
    """
    with collector.paused():
        return _ranked(index, mentioned(index, text, focus))


def _ranked(index: RepoIndex, mentions: Mentions) -> list[str]:
    scores = _scores(index, mentions)
    starts = index.table.starts
    late = list(map(operator.eq, starts, starts[1:]))  # no symbols: as many starts as ends
    for file in mentions.files:
        late[file] = False
    # Tuples compared in C: a key function per file would cost more than the rest of rank.
    negated = map(operator.neg, scores), map(operator.neg, index.prior)
    keys = zip(late, *negated, index.paths, strict=True)
    return [key[3] for key in sorted(keys)]


def mentioned(index: RepoIndex, text: str, focus: Iterable[str] = ()) -> Mentions:
    """The files and identifiers ``text`` and ``focus`` point at."""
    mentions = Mentions()
    for path in focus:
        number = index.numbers.get(path)
        if number is not None:
            mentions.add([number], FOCUS)
    found = words(text)
    _files_named(index, text, found, mentions)
    prose = {word: weight for word, weight in found.items() if word.islower()}
    for name, defining in index.defining(found, prose).items():
        weight = found.get(name) or prose.get(name.lower(), 0.0)
        _identifier(index, name, weight, defining, mentions)
    return mentions


def words(text: str) -> dict[str, float]:
    """The identifiers of ``text`` with their weight: ``CODE_WORD`` for those that can only
    be code, ``PLAIN_WORD`` for the rest."""
    found: dict[str, float] = {}
    for match in _WORD.finditer(text):
        word = match[0]
        if len(word) < MIN_IDENTIFIER:
            continue
        start, end = match.span()
        before = _CODE_BEFORE.search(text, max(0, start - 2), start)
        in_code = before or _CODE_AFTER.match(text, end)
        weight = CODE_WORD if in_code or _looks_like_code(word) else PLAIN_WORD
        found[word] = max(weight, found.get(word, 0.0))
    return found


def _looks_like_code(word: str) -> bool:
    inner = word.strip("_")
    return "_" in inner or any(c.isdigit() for c in inner) or any(c.isupper() for c in inner[1:])


def _files_named(
    index: RepoIndex, text: str, found: Mapping[str, float], mentions: Mentions
) -> None:
    """Files named by path (whole, or its last components), by file name, or by a file name
    without its extension (one of the words ``found``, with its weight)."""
    tokens = [match[0].removeprefix("./") for match in _PATHISH.finditer(text)]
    tokens = [token for token in tokens if "/" in token or "." in token]
    names = {token.rpartition("/")[2] for token in tokens}
    by_name: dict[str, list[int]] = {}
    by_stem: dict[str, list[int]] = {}
    for number, path in enumerate(index.paths):  # one pass: no map of 10,000 names per task
        name = path[path.rfind("/") + 1 :]
        if name in names:
            by_name.setdefault(name, []).append(number)
        stem = name.partition(".")[0]
        if stem in found:
            by_stem.setdefault(stem, []).append(number)
    for token in tokens:
        candidates = by_name.get(token.rpartition("/")[2], [])
        suffix = "/" + token
        named = [file for file in candidates if ("/" + index.paths[file]).endswith(suffix)]
        if named:
            mentions.add(named, NAMED)
    for stem, files in by_stem.items():
        mentions.add(files, found[stem])


def _identifier(
    index: RepoIndex, word: str, weight: float, defining: tuple[int, ...], mentions: Mentions
) -> None:
    mentions.add(defining, weight)
    users = [file for file in index.using(word) if file not in defining]
    if users:
        mentions.add(users, weight * CALLERS)
    if weight == CODE_WORD:
        mentions.names[word] = MENTION_BOOST - 1  # on top of the link's own weight
        mentions.definers[word] = defining


def _scores(index: RepoIndex, mentions: Mentions) -> Sequence[float]:
    if not mentions.files:
        return index.prior
    names = mentions.names
    users = {name: index.using(name) for name in names}
    extra = graph.link_weights(index.group, mentions.definers, users, names)
    return graph.pagerank(index.links, mentions.files, extra)
