"""Tests of talkgit.edits, with a dict-backed TreeView standing in for the git store."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from talkgit.edits.model import Entry, EntryKind


class DictTree:
    """A TreeView over ``{path: bytes | Entry}``: bytes are files, their parents directories."""

    def __init__(self, files: Mapping[str, bytes | Entry]) -> None:
        self.files = dict(files)

    def entry(self, path: str) -> Entry | None:
        value = self.files.get(path)
        if isinstance(value, bytes):
            return Entry(EntryKind.FILE, value)
        if value is not None:
            return value
        if any(name.startswith(f"{path}/") for name in self.files):
            return Entry(EntryKind.DIRECTORY)
        return None

    def paths(self) -> Iterator[str]:
        for path, value in self.files.items():
            if isinstance(value, bytes) or value.kind in (EntryKind.FILE, EntryKind.EXECUTABLE):
                yield path
