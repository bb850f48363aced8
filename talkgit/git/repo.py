"""Opening a repository and reading from it; pygit2 errors become RepositoryError here."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pygit2

from talkgit.errors import NotFoundError, RepositoryError, is_no_space, no_space
from talkgit.files import nearly_full

if TYPE_CHECKING:
    from talkgit.git.packs import Pack
    from talkgit.git.staging import ObjectStaging

# libgit2 re-reads every object a new tree or commit points at, to check it exists. talkgit
# only points at objects it has just written or read, and fsck in the tests checks the
# result, so the check (a lookup per tree entry and parent) is skipped.
pygit2.option(pygit2.enums.Option.ENABLE_STRICT_OBJECT_CREATION, 0)
TREE_CACHE_LIMIT = 1 << 20  # bytes
# libgit2 caches parsed trees of at most 4 KiB. A directory of a few hundred entries is
# larger, so every step writing under it re-read and re-parsed it (0.2 ms for the 1,000-entry
# directory of a 100k-file tree). Trees up to 1 MiB are cached; the cache stays capped at
# libgit2's 256 MiB in total.
pygit2.option(
    pygit2.enums.Option.SET_CACHE_OBJECT_LIMIT, pygit2.enums.ObjectType.TREE, TREE_CACHE_LIMIT
)

FALLBACK_NAME = "talkgit"
FALLBACK_EMAIL = "talkgit@localhost"


@contextmanager
def translate_git_errors(
    action: str, *, room: Path | None = None, needed: int = 0
) -> Iterator[None]:
    """Turn libgit2's errors into one-line RepositoryErrors that say what we were doing;
    a full disk into a NoSpaceError.

    pygit2 raises OSError for libgit2's file errors (a lock file another process took or
    removed), ValueError for invalid input, GitError for the rest. libgit2 reports ENOSPC
    as an OSError or GitError quoting it, but not always: a loose object whose deflated
    stream cannot be written fails with "no error", or with a stale message from an
    earlier lookup. So a write (``room``: the directory it goes to) that fails where fewer
    than ``needed`` bytes and some slack are free counts as a full disk.
    """
    try:
        yield
    except (pygit2.GitError, ValueError, OSError) as exc:
        if is_no_space(exc) or (room is not None and nearly_full(room, needed)):
            raise no_space("writing to the git repository") from exc
        raise RepositoryError(f"{action}: {exc}") from exc


@contextmanager
def _pack_errors() -> Iterator[None]:
    """Pack files are written with plain file I/O: its errors become RepositoryErrors too."""
    try:
        yield
    except OSError as exc:
        if is_no_space(exc):
            raise no_space("writing a pack of git objects") from exc
        raise RepositoryError(f"cannot write a pack: {exc}") from exc


class GitRepo:
    """A repository opened for talkgit: reads, and the lock that serialises its writes.

    libgit2 objects must not be used from two threads at once, so parallel lanes share
    one GitRepo and take ``lock`` around every write (reads of immutable objects are safe).

    Objects are written to, and read back from, ``objects``: ``raw`` itself, or inside a
    ``batch`` the in-memory staging repository, whose objects reach the disk as one pack.
    """

    def __init__(self, raw: pygit2.Repository) -> None:
        self.raw = raw
        self.lock = threading.RLock()
        self._staging: ObjectStaging | None = None
        self._batch_thread: int | None = None

    @property
    def objects(self) -> pygit2.Repository:
        """Where objects are written and read: the open batch's staging (its thread), or raw."""
        staging = self._open_staging
        return staging.repository if staging is not None else self.raw

    @property
    def _open_staging(self) -> ObjectStaging | None:
        """The staging of the batch this thread has open, if it has one."""
        return self._staging if self._batch_thread == threading.get_ident() else None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Write the objects made inside in memory, and store them as one pack.

        A Transaction stores them (``publish_objects``) before it moves any ref, and the
        batch's end stores whatever is left (held from `git gc` until ``compact_objects``:
        a ref may name it later), then merges packs once no ref is locked. If
        the block raises, what is still staged is dropped: no ref can name it. The batch
        holds ``lock``; an inner batch joins the outer one.
        """
        with self.lock:
            if self._batch_thread is not None:
                yield
                return
            if self._staging is None:
                from talkgit.git.staging import ObjectStaging  # only writers need it

                self._staging = ObjectStaging(self.raw, self.common_dir / "objects")
            staging = self._staging
            self._batch_thread = threading.get_ident()
            try:
                yield
                self.publish_objects()
                with _pack_errors():
                    staging.tidy()
            except BaseException:
                staging.discard()
                raise
            finally:
                self._batch_thread = None

    def write_object(self, kind: int, data: bytes) -> pygit2.Oid:
        """Store one object from its raw bytes where ``objects`` points; return its id."""
        staging = self._open_staging
        if staging is not None:
            return staging.add(kind, data)
        with self.writing("cannot write object", len(data)):
            return self.raw.odb.write(kind, data)

    def writing(self, action: str, size: int = 0) -> AbstractContextManager[None]:
        """Translate the errors of a write of about ``size`` bytes into the repository."""
        return translate_git_errors(action, room=self.common_dir, needed=size)

    def publish_objects(self) -> Pack | None:
        """Store the staged objects on disk. Must run before a ref may point at one of them.

        The pack is held from `git gc` until ``release_objects``, after the refs moved.
        """
        staging = self._open_staging
        if staging is None:
            return None
        with _pack_errors():
            return staging.flush()

    def release_objects(self, pack: Pack | None) -> None:
        """The refs naming ``pack``'s objects have moved (or failed to): gc may repack it."""
        if pack is not None and self._staging is not None:
            with self.lock, _pack_errors():
                self._staging.release(pack)

    def compact_objects(self) -> None:
        """Merge the packs this process's batches wrote into one: a run leaves one pack."""
        with self.lock, _pack_errors():
            if self._staging is not None:
                self._staging.compact()

    @classmethod
    def discover(cls, start: Path) -> GitRepo:
        """Open the repository containing ``start``; refuse bare and empty ones."""
        found = pygit2.discover_repository(str(start.resolve()))
        if found is None:
            raise RepositoryError(f"not a git repository: {start}")
        with translate_git_errors("cannot open repository"):
            raw = pygit2.Repository(found)
        if raw.is_bare:
            raise RepositoryError(f"bare repository at {raw.path}: talkgit needs a working tree")
        if raw.head_is_unborn:
            raise RepositoryError(
                "HEAD has no commit yet (empty repository or unborn branch): commit first"
            )
        return cls(raw)

    @property
    def workdir(self) -> Path:
        return Path(self.raw.workdir)

    @property
    def common_dir(self) -> Path:
        """The shared .git directory (differs from ``raw.path`` inside a linked worktree)."""
        git_dir = Path(self.raw.path)
        pointer = git_dir / "commondir"
        if pointer.is_file():
            return (git_dir / pointer.read_text().strip()).resolve()
        return git_dir

    @property
    def private_dir(self) -> Path:
        """``.git/talkgit``: talkgit's own files (caches, locks; worktrees live elsewhere,
        see ``talkgit.git.worktrees``)."""
        return self.common_dir / "talkgit"

    @property
    def is_shallow(self) -> bool:
        return bool(self.raw.is_shallow)

    def require_history(self, purpose: str) -> None:
        """Say clearly, instead of giving a wrong answer, when a shallow clone lacks history."""
        if self.is_shallow:
            raise RepositoryError(
                f"{purpose} needs full history, but this is a shallow clone: "
                "run `git fetch --unshallow` first"
            )

    def resolve(self, revision: str) -> str:
        """The commit sha ``revision`` names (any form git accepts)."""
        try:
            obj = self.raw.revparse_single(revision)
            commit = obj.peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
            raise NotFoundError(f"unknown revision: {revision}") from exc
        return str(commit.id)

    def head(self) -> str:
        """The commit HEAD points at (a detached HEAD works the same)."""
        with translate_git_errors("cannot read HEAD"):
            return str(self.raw.head.target)

    def ref_target(self, name: str) -> str | None:
        """The sha ``name`` points at, or None when the ref does not exist."""
        ref = self.raw.references.get(name)
        return None if ref is None else str(ref.resolve().target)

    def refs_under(self, prefix: str) -> dict[str, str]:
        """Every ref whose name starts with ``prefix``, mapped to its target sha."""
        return {
            name: str(self.raw.references[name].resolve().target)
            for name in self.raw.references
            if name.startswith(prefix)
        }

    def commit(self, sha: str) -> pygit2.Commit:
        try:
            return self.objects[sha].peel(pygit2.Commit)
        except (KeyError, ValueError) as exc:
            raise NotFoundError(f"no commit {sha}") from exc

    def tree_of(self, commit_sha: str) -> str:
        """The id of the tree ``commit_sha`` records."""
        return str(self.commit(commit_sha).tree_id)

    def read_file(self, commit_sha: str, path: str) -> bytes | None:
        """A file's bytes at a commit, or None when absent (or not a regular file)."""
        tree = self.commit(commit_sha).tree
        try:
            obj = tree[path]
        except KeyError:
            return None
        return obj.data if isinstance(obj, pygit2.Blob) else None

    def links(self, commit_sha: str, paths: Iterable[str]) -> frozenset[str]:
        """Those of ``paths`` that are symbolic links at a commit (a private worktree holds
        each as a file of the link's text)."""
        tree = self.commit(commit_sha).tree
        found = set()
        for path in paths:
            try:
                mode = tree[path].filemode
            except KeyError:
                continue
            if mode == pygit2.enums.FileMode.LINK:
                found.add(path)
        return frozenset(found)

    def signature(self, when: datetime | None = None) -> pygit2.Signature:
        """Who talkgit commits as: GIT_COMMITTER_* like git, then config, then a fallback.

        ``when`` pins the time (tests, reproducible ledgers); GIT_COMMITTER_DATE is not parsed.
        """
        name = os.environ.get("GIT_COMMITTER_NAME") or self._config("user.name") or FALLBACK_NAME
        email = (
            os.environ.get("GIT_COMMITTER_EMAIL") or self._config("user.email") or FALLBACK_EMAIL
        )
        if when is None:
            return pygit2.Signature(name, email)
        offset = when.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        return pygit2.Signature(name, email, int(when.timestamp()), minutes)

    def _config(self, key: str) -> str | None:
        try:
            return str(self.raw.config[key])
        except (KeyError, pygit2.GitError):
            return None


def library_versions() -> str:
    """pygit2's and libgit2's versions, for `talkgit doctor`."""
    from importlib.metadata import version

    return f"pygit2 {version('pygit2')}, libgit2 {pygit2.LIBGIT2_VERSION}"
