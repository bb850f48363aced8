"""The map's cache on disk: each file's symbols by blob, and each tree's whole index.

``<cache>/files/<2 hex>.json`` holds the symbols of every blob whose id starts with those two
digits (keyed by reader and blob id: see ``symbols.reader_of``), so a new commit parses only
the blobs it changed, and a cold build writes 256 files, not one per source file.
``<cache>/trees/<tree id>.json`` holds a tree's finished index: a warm build reads that one
file. Everything is plain JSON written atomically: a reader never sees half a file (two
builds writing one shard at once lose one's entries: a miss later, nothing worse), and a
cache file that is corrupt, of another format or of another user's making is ignored and
rebuilt (pickle would run whatever such a file says). The directory is this user's alone
(0700, ownership checked), like every private directory of talkgit's.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from talkgit.errors import NoSpaceError
from talkgit.files import write_atomically
from talkgit.repomap.symbols import FileSymbols, Symbol
from talkgit.userdirs import private_directory

FORMAT: Final = "talkgit.repomap/1"  # a change to extract's output or the index's shape bumps it
TREES_KEPT: Final = 8  # indexes of other trees: a run's steps reuse the base's and a few more
SHARD_LIMIT: Final = 2048  # entries of a files/ shard before those of old blobs are dropped


def cache_location(private_dir: Path) -> Path:
    """Where a repository keeps its map cache, under talkgit's private directory."""
    return private_dir / "cache" / "repomap"


class MapCache:
    """The cache in ``directory``; use ``open``, which checks the directory is ours."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._shards: dict[str, dict[str, Any]] = {}
        self._used: set[str] = set()

    @classmethod
    def open(cls, directory: Path) -> MapCache | None:
        """The cache, or None when ``directory`` cannot be made or is not this user's alone
        (the map is then built without one)."""
        try:
            made = private_directory(str(directory.parent), directory.name)
        except OSError:
            return None
        return cls(directory) if made is not None else None

    def read_tree(self, tree: str) -> dict[str, Any] | None:
        """The stored index of ``tree`` as its JSON object, or None."""
        record = _read(self.tree_path(tree))
        return record if record is not None and record.get("tree") == tree else None

    def write_tree(self, tree: str, record: Mapping[str, Any]) -> None:
        path = self.tree_path(tree)
        _write(path, {**record, "format": FORMAT, "tree": tree})
        _prune(path.parent, TREES_KEPT)

    def tree_path(self, tree: str) -> Path:
        return self.directory / "trees" / f"{tree}.json"

    def read_files(self, keys: Iterable[str]) -> dict[str, FileSymbols]:
        """The stored symbols of those ``keys`` (``reader:blob id``) the cache has."""
        found = {}
        for key in keys:
            entry = self._shard(key).get(key)
            symbols = _file_symbols(entry) if entry is not None else None
            if symbols is not None:
                found[key] = symbols
                self._used.add(key)
        return found

    def write_files(self, found: Mapping[str, FileSymbols]) -> None:
        touched: dict[str, dict[str, Any]] = {}
        for key, symbols in found.items():
            touched.setdefault(_shard_name(key), {})[key] = _entry(symbols)
            self._used.add(key)
        for name, entries in touched.items():
            shard = self._shards.setdefault(name, _entries(self._shard_path(name)))
            shard.update(entries)
            if len(shard) > SHARD_LIMIT:
                kept = {key: value for key, value in shard.items() if key in self._used}
                shard.clear()
                shard.update(kept)
            _write(self._shard_path(name), {"format": FORMAT, "entries": shard})

    def _shard(self, key: str) -> dict[str, Any]:
        name = _shard_name(key)
        if name not in self._shards:
            self._shards[name] = _entries(self._shard_path(name))
        return self._shards[name]

    def _shard_path(self, name: str) -> Path:
        return self.directory / "files" / f"{name}.json"


def _shard_name(key: str) -> str:
    return key.rpartition(":")[2][:2]


def _read(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) and record.get("format") == FORMAT else None


def _write(path: Path, record: Mapping[str, Any]) -> None:
    # A cache that cannot be written only costs the next build its time.
    with contextlib.suppress(OSError, NoSpaceError):
        write_atomically(path, json.dumps(record, separators=(",", ":")))


def _prune(directory: Path, kept: int) -> None:
    """Remove all but the ``kept`` most recently written files of ``directory``."""
    with contextlib.suppress(OSError):
        files = sorted(directory.glob("*.json"), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in files[kept:]:
            with contextlib.suppress(OSError):
                old.unlink()


def _entries(path: Path) -> dict[str, Any]:
    record = _read(path)
    entries = record.get("entries") if record is not None else None
    return entries if isinstance(entries, dict) else {}


def _entry(symbols: FileSymbols) -> list[list[Any]]:
    defines = symbols.defines
    return [
        [s.name for s in defines],
        [s.kind for s in defines],
        [s.line for s in defines],
        [s.signature for s in defines],
        sorted(symbols.references),
    ]


def _file_symbols(entry: Any) -> FileSymbols | None:
    """An entry read back, or None when it is not one ``_entry`` writes."""
    if not isinstance(entry, list) or len(entry) != 5 or not all(_is_list(c) for c in entry):
        return None
    names, kinds, lines, signatures, references = entry
    if not _all_of(str, names, kinds, signatures, references) or not _all_of(int, lines):
        return None
    if not len(names) == len(kinds) == len(lines) == len(signatures):
        return None
    defines = tuple(map(Symbol, names, kinds, lines, signatures))
    return FileSymbols(defines, frozenset(references))


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


def _all_of(kind: type, *columns: list[Any]) -> bool:
    """Whether every value of every column is exactly a ``kind`` (a bool is no int here)."""
    return all(set(map(type, column)) <= {kind} for column in columns)
