"""A commit's files as blob ids, and blobs read in bulk: for indexes that visit every file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pygit2

from talkgit.errors import RepositoryError
from talkgit.git.repo import GitRepo, translate_git_errors

_REGULAR = (pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE)


def tree_files(repo: GitRepo, commit: str) -> list[tuple[str, str]]:
    """Every regular file of ``commit``'s tree as (path, blob id), in git's order.

    Symbolic links and submodules are left out: they hold no source of this repository.
    libgit2 flattens the tree into an in-memory index, several times faster than walking
    its subtrees from Python on a 10,000-file tree.
    """
    with repo.lock, translate_git_errors(f"cannot read the files of {commit[:12]}"):
        flat = pygit2.Index()
        flat.read_tree(repo.commit(commit).tree)
        return [(entry.path, str(entry.id)) for entry in flat if entry.mode in _REGULAR]


def read_blobs(repo: GitRepo, ids: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    """Each blob of ``ids`` with its bytes. The lock is taken per blob, so parallel lanes
    are not held up for a whole repository's worth of reads."""
    for blob_id in ids:
        with repo.lock, translate_git_errors(f"cannot read blob {blob_id[:12]}"):
            try:
                data = repo.objects[blob_id].read_raw()
            except KeyError:
                raise RepositoryError(f"blob {blob_id[:12]} is missing") from None
        yield blob_id, data
