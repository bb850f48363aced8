"""A commit's tree as the edits package sees it: entries by path, kinds and bytes."""

from __future__ import annotations

from collections.abc import Iterator

import pygit2

from talkgit.edits.model import Entry, EntryKind
from talkgit.git.repo import GitRepo

_KINDS = {
    pygit2.enums.FileMode.BLOB: EntryKind.FILE,
    pygit2.enums.FileMode.BLOB_EXECUTABLE: EntryKind.EXECUTABLE,
    pygit2.enums.FileMode.LINK: EntryKind.SYMLINK,
    pygit2.enums.FileMode.TREE: EntryKind.DIRECTORY,
    pygit2.enums.FileMode.COMMIT: EntryKind.SUBMODULE,
}


class CommitTree:
    """Read-only view of ``commit``'s tree (implements edits.model.TreeView)."""

    def __init__(self, repo: GitRepo, commit: str) -> None:
        self.repo = repo
        with repo.lock:
            self._tree = repo.commit(commit).tree

    def entry(self, path: str) -> Entry | None:
        with self.repo.lock:
            try:
                obj = self._tree[path]
            except (KeyError, ValueError):
                return None
            kind = _KINDS.get(pygit2.enums.FileMode(obj.filemode), EntryKind.FILE)
            data = obj.data if isinstance(obj, pygit2.Blob) else b""
        return Entry(kind, data)

    def paths(self) -> Iterator[str]:
        """Every file path in the tree (not directories), in git's order."""
        with self.repo.lock:
            found = [path for path, _ in _walk(self._tree, "")]
        yield from found

    def sizes(self) -> dict[str, int]:
        """Every file path with its size in bytes — for a compact view of the repository."""
        with self.repo.lock:
            return dict(_walk(self._tree, ""))


def _walk(tree: pygit2.Tree, prefix: str) -> Iterator[tuple[str, int]]:
    for obj in tree:
        path = f"{prefix}{obj.name}"
        if isinstance(obj, pygit2.Tree):
            yield from _walk(obj, path + "/")
        elif isinstance(obj, pygit2.Blob):
            yield path, obj.size
