"""One commit's files, what each defines, and the links between them: what rank and render read.

``build_index`` reads the tree once. With a cache directory, a tree indexed before is one
JSON file read back (a warm build), and a new tree parses only the blobs the cache has not
seen (see ``cache``). The index is query-independent: ranking for a task happens in ``rank``.

Inside, the index is columns of plain lists (symbols by file, links as compressed rows): a
10,000-file index reads back from JSON in a few tens of milliseconds, where objects per
symbol would take longer to make than the whole map may take. ``symbols(path)`` makes a
file's ``Symbol`` objects when asked.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from talkgit.git.blobs import read_blobs, tree_files
from talkgit.git.repo import GitRepo
from talkgit.repomap import collector, graph
from talkgit.repomap.cache import MapCache
from talkgit.repomap.parsing import extract_all
from talkgit.repomap.symbols import MIN_IDENTIFIER, NOTHING, FileSymbols, Symbol, reader_of


@dataclass(frozen=True)
class SymbolTable:
    """Every file's symbols as columns: file ``i`` has rows ``starts[i]:starts[i + 1]``."""

    starts: Sequence[int]
    names: Sequence[str]
    kinds: Sequence[str]
    lines: Sequence[int]
    signatures: Sequence[str]

    def count(self, file: int) -> int:
        return self.starts[file + 1] - self.starts[file]

    def of(self, file: int) -> tuple[Symbol, ...]:
        rows = slice(self.starts[file], self.starts[file + 1])
        columns = (self.names[rows], self.kinds[rows], self.lines[rows], self.signatures[rows])
        return tuple(map(Symbol, *columns))


@dataclass(frozen=True)
class NameFiles:
    """Names with a list of files each: ``names[i]``'s are ``files[starts[i]:starts[i + 1]]``."""

    names: Sequence[str]
    starts: Sequence[int]
    files: Sequence[int]

    @cached_property
    def positions(self) -> dict[str, int]:
        return dict(zip(self.names, range(len(self.names)), strict=True))

    def of(self, name: str) -> Sequence[int]:
        position = self.positions.get(name)
        if position is None:
            return ()
        return self.files[self.starts[position] : self.starts[position + 1]]


@dataclass(frozen=True)
class RepoIndex:
    """The files of one tree (``paths``, git's order; files are numbered by position), their
    symbols, the files using each name that links files (``users``), the links, and each
    file's PageRank without a task (``prior``: how central it is)."""

    tree: str
    paths: tuple[str, ...]
    table: SymbolTable
    users: NameFiles
    links: graph.Links
    prior: Sequence[float]

    @cached_property
    def numbers(self) -> dict[str, int]:
        """Each path's position in ``paths``."""
        return {path: number for number, path in enumerate(self.paths)}

    def symbols(self, path: str) -> tuple[Symbol, ...]:
        """What ``path`` defines, in source order (nothing for a path not in the tree)."""
        number = self.numbers.get(path)
        return () if number is None else self.table.of(number)

    def group(self, file: int) -> str:
        """File ``file``'s language, as ``symbols.reader_of`` tells it ("" for none)."""
        return reader_of(self.paths[file]) or ""

    def defining(
        self, names: Iterable[str], folded: Iterable[str] = ()
    ) -> dict[str, tuple[int, ...]]:
        """The files defining each name that is one of ``names``, or a CamelCase name that
        is one of ``folded`` but for case (``queryset`` finds ``QuerySet``; ``when`` does
        not find ``When``, nor ``set`` ``SET``), by the name defined.

        One pass over the symbols: cheaper than a name -> files map made for every map.
        """
        wanted, lowered = set(names), set(folded)
        found: dict[str, list[int]] = {}
        starts = self.table.starts
        for row, name in enumerate(self.table.names):
            if name in wanted or (lowered and name.lower() in lowered and _camel(name)):
                file = bisect.bisect_right(starts, row) - 1
                files = found.setdefault(name, [])
                if not files or files[-1] != file:
                    files.append(file)
        return {name: tuple(files) for name, files in found.items()}

    def using(self, name: str) -> Sequence[int]:
        """The files using ``name``, when it is a name that links files (else none)."""
        return self.users.of(name)

    def record(self) -> dict[str, Any]:
        """The index as one JSON object (``from_record`` reads it back)."""
        table, users, links = self.table, self.users, self.links
        return {
            "paths": list(self.paths),
            "symbol_starts": list(table.starts),
            "names": list(table.names),
            "kinds": list(table.kinds),
            "lines": list(table.lines),
            "signatures": list(table.signatures),
            "linking_names": list(users.names),
            "user_starts": list(users.starts),
            "users": list(users.files),
            "link_starts": list(links.starts),
            "link_targets": list(links.targets),
            "link_shares": list(links.shares),
            "link_totals": list(links.totals),
            "prior": list(self.prior),
        }

    @classmethod
    def from_record(cls, tree: str, record: Mapping[str, Any]) -> RepoIndex | None:
        """The index ``record`` holds, or None when it is not one ``record()`` wrote.

        Every column is checked (types, lengths, positions in range) with
        set(map(type, ...)), so the check costs little beside the JSON parse.
        """
        try:
            index = cls(
                tree,
                tuple(record["paths"]),
                SymbolTable(*(record[key] for key in _SYMBOL_COLUMNS)),
                NameFiles(*(record[key] for key in _USER_COLUMNS)),
                graph.Links(*(record[key] for key in _LINK_COLUMNS)),
                record["prior"],
            )
        except (KeyError, TypeError):
            return None
        return index if _valid(index) else None


_SYMBOL_COLUMNS = ("symbol_starts", "names", "kinds", "lines", "signatures")
_USER_COLUMNS = ("linking_names", "user_starts", "users")
_LINK_COLUMNS = ("link_starts", "link_targets", "link_shares", "link_totals")


def build_index(repo: GitRepo, commit: str, cache_dir: Path | None) -> RepoIndex:
    """The index of ``commit``'s tree, from ``cache_dir`` when it holds it (None: no cache).

    Raises RepositoryError or NotFoundError when the commit or its objects cannot be read.
    """
    with repo.lock:
        tree = repo.tree_of(commit)
    cache = MapCache.open(cache_dir) if cache_dir is not None else None
    with collector.paused():
        cached = _cached(cache, tree)
        if cached is not None:
            return cached
        files = tree_files(repo, commit)
        found = _file_symbols(repo, files, cache)
        index = assemble(tree, [path for path, _ in files], found)
        if cache is not None:
            cache.write_tree(tree, index.record())
    return index


def _cached(cache: MapCache | None, tree: str) -> RepoIndex | None:
    record = cache.read_tree(tree) if cache is not None else None
    return RepoIndex.from_record(tree, record) if record is not None else None


def _file_symbols(
    repo: GitRepo, files: Sequence[tuple[str, str]], cache: MapCache | None
) -> dict[str, FileSymbols]:
    """Each path's symbols: from the cache by blob, else parsed (and then cached)."""
    keys: dict[str, str] = {}  # path -> reader:blob
    for path, blob in files:
        reader = reader_of(path)
        if reader is not None:
            keys[path] = f"{reader}:{blob}"
    known = cache.read_files(set(keys.values())) if cache is not None else {}
    missing = {key: path for path, key in keys.items() if key not in known}
    data = dict(read_blobs(repo, {key.rpartition(":")[2] for key in missing}))
    jobs = [(path, data[key.rpartition(":")[2]]) for key, path in missing.items()]
    parsed = dict(zip(missing, extract_all(jobs), strict=True))
    if cache is not None and parsed:
        cache.write_files(parsed)
    known.update(parsed)
    return {path: known[key] for path, key in keys.items()}


def assemble(tree: str, paths: Sequence[str], found: Mapping[str, FileSymbols]) -> RepoIndex:
    """The index of ``paths`` (a tree's files, in order) from each one's symbols."""
    per_file = [found.get(path, NOTHING) for path in paths]
    definers = _definers(per_file)
    linking = {name for name, files in definers.items() if len(files) <= graph.MAX_DEFINERS}
    referrers: dict[str, list[int]] = {}
    for number, symbols in enumerate(per_file):
        for name in symbols.references & linking:
            referrers.setdefault(name, []).append(number)
    groups = [reader_of(path) or "" for path in paths]
    names = {name: 1.0 for name in referrers}
    links = graph.links(
        graph.link_weights(groups.__getitem__, definers, referrers, names), len(paths)
    )
    prior = graph.pagerank(links) if paths else []
    return RepoIndex(tree, tuple(paths), _table(per_file), _name_files(referrers), links, prior)


def _name_files(files_by_name: Mapping[str, Sequence[int]]) -> NameFiles:
    names = sorted(files_by_name)
    starts, files = [0], list[int]()
    for name in names:
        files += files_by_name[name]
        starts.append(len(files))
    return NameFiles(names, starts, files)


def _table(per_file: Sequence[FileSymbols]) -> SymbolTable:
    starts, names, kinds, lines, signatures = [0], [], [], [], []
    for symbols in per_file:
        for symbol in symbols.defines:
            names.append(symbol.name)
            kinds.append(symbol.kind)
            lines.append(symbol.line)
            signatures.append(symbol.signature)
        starts.append(len(names))
    return SymbolTable(starts, names, kinds, lines, signatures)


def _definers(per_file: Sequence[FileSymbols]) -> dict[str, list[int]]:
    definers: dict[str, list[int]] = {}
    for number, symbols in enumerate(per_file):
        for name in {symbol.name for symbol in symbols.defines}:
            if len(name) >= MIN_IDENTIFIER:
                definers.setdefault(name, []).append(number)
    return definers


def _camel(name: str) -> bool:
    return any(c.isupper() for c in name[1:]) and any(c.islower() for c in name)


def _valid(index: RepoIndex) -> bool:
    """Whether ``index`` read back is what ``record`` writes: lists of the right types and
    lengths, every file number and row boundary in range."""
    count, table, users, links = len(index.paths), index.table, index.users, index.links
    strings = (index.paths, table.names, table.kinds, table.signatures, users.names)
    floats = (links.shares, links.totals, index.prior)
    if not all(_only(c, str) for c in strings) or not all(_only(c, float) for c in floats):
        return False
    symbols = len(table.names)
    return (
        len(table.kinds) == len(table.lines) == len(table.signatures) == symbols
        and len(links.totals) == len(index.prior) == count
        and len(links.shares) == len(links.targets)
        and _rows(table.starts, count, symbols)
        and _rows(users.starts, len(users.names), len(users.files))
        and _rows(links.starts, count, len(links.targets))
        and _numbers(table.lines, 0, 1 << 31)
        and _numbers(users.files, 0, count)
        and _numbers(links.targets, 0, count)
    )


def _only(column: object, kind: type) -> bool:
    """Whether ``column`` is a list of nothing but exact ``kind``s (a bool is no int)."""
    return isinstance(column, list | tuple) and set(map(type, column)) <= {kind}


def _rows(starts: Sequence[int], count: int, total: int) -> bool:
    """Whether ``starts`` cuts ``total`` values into ``count`` rows, in order."""
    if not _only(starts, int) or len(starts) != count + 1:
        return False
    return starts[0] == 0 and starts[-1] == total and all(map(int.__le__, starts, starts[1:]))


def _numbers(column: Sequence[int], low: int, high: int) -> bool:
    """Whether ``column`` holds ints from ``low`` up to, not including, ``high``."""
    return _only(column, int) and (not column or (min(column) >= low and max(column) < high))
