"""Compare-and-swap ref updates, several refs at once, with git-compatible locks.

Every ref talkgit moves goes through a Transaction: the refs are locked the way git locks
them (``<ref>.lock``), their current values are checked against what the caller read,
and only then are they moved. Of two writers that read the same value, exactly one wins;
the other gets a ConcurrentUpdateError and nothing of its update is applied.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from talkgit.edits.model import FileChange
from talkgit.errors import ConcurrentUpdateError, RepositoryError, is_no_space, no_space
from talkgit.git.packs import Pack
from talkgit.git.repo import GitRepo
from talkgit.git.trees import MODE_TREE, commit_tree, write_tree
from talkgit.redaction import redactor


@dataclass(frozen=True)
class _RefUpdate:
    name: str
    new: str | None  # None deletes the ref
    expected: str | None  # None: the ref must not exist yet


@dataclass
class Transaction:
    """Queued ref moves and notes, applied together by ``commit``."""

    repo: GitRepo
    message: str = "talkgit"
    _updates: list[_RefUpdate] = field(default_factory=list)
    _notes: dict[str, dict[str, bytes]] = field(default_factory=dict)

    def set_ref(self, name: str, new: str, *, expected: str | None) -> None:
        """Point ``name`` at ``new`` if it still points at ``expected`` (None: does not exist)."""
        self._updates.append(_RefUpdate(name, new, expected))

    def delete_ref(self, name: str, *, expected: str) -> None:
        self._updates.append(_RefUpdate(name, None, expected))

    def add_note(self, notes_ref: str, target: str, text: str) -> None:
        """Attach (or replace) the note on commit ``target`` in ``notes_ref``.

        Notes are merged onto whatever the notes ref holds at commit time, under its lock,
        so concurrent writers of different notes never lose each other's work. Notes are
        shared (``talkgit sync``), so ``text`` is redacted first.
        """
        # backslashreplace: a surrogate-escaped file name in a JSON note becomes a JSON escape
        cleaned = redactor().document(text).encode("utf-8", "backslashreplace")
        self._notes.setdefault(notes_ref, {})[target] = cleaned

    def commit(self) -> None:
        """Move every ref, or none if one moved underneath us (ConcurrentUpdateError).

        libgit2 moves the refs one by one once all are locked, and deleting a packed ref
        needs ``packed-refs.lock`` too, which `git pack-refs` (run by `git gc`) takes
        meanwhile. Such a collision is retried: refs already at their new value count as
        moved, and the objects stay held from `git gc` until the last attempt ends.
        """
        published: list[Pack | None] = []
        deadline = time.monotonic() + LOCK_WAIT_S
        try:
            while True:
                try:
                    self._apply(published, retrying=bool(published))
                    return
                except RepositoryError as exc:
                    if not _lock_collision(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(LOCK_POLL_S)
        finally:
            for pack in published:
                self.repo.release_objects(pack)

    def _apply(self, published: list[Pack | None], *, retrying: bool) -> None:
        names = sorted({u.name for u in self._updates} | set(self._notes))
        with (
            self.repo.lock,
            self.repo.writing("cannot update refs"),
            _locked(self.repo, names) as txn,
        ):
            for update in self._pending(retrying=retrying):
                if update.new is None:
                    txn.remove(update.name)
                else:
                    txn.set_target(update.name, update.new, message=self.message)
            for notes_ref, notes in self._notes.items():
                tip = self.repo.ref_target(notes_ref)
                txn.set_target(
                    notes_ref, _notes_commit(self.repo, tip, notes), message=self.message
                )
            # on disk, held from `git gc`, before any ref names them (on leaving `with`)
            published.append(self.repo.publish_objects())

    def _pending(self, *, retrying: bool) -> list[_RefUpdate]:
        """The updates still to apply; any ref found elsewhere than expected raises."""
        pending = []
        for update in self._updates:
            current = self.repo.ref_target(update.name)
            if retrying and current == update.new:
                continue  # moved by the attempt that collided with a lock
            if current != update.expected:
                raise ConcurrentUpdateError(
                    f"{update.name} moved underneath us "
                    f"(expected {update.expected or 'no ref'}, found {current or 'no ref'}); "
                    "another talkgit process may be writing the same run"
                )
            pending.append(update)
        return pending


def _lock_collision(exc: RepositoryError) -> bool:
    """libgit2 failed to take or rename a lock file another process (git) held or took."""
    cause = exc.__cause__
    return isinstance(cause, (pygit2.GitError, OSError)) and "lock" in str(cause)


HEX_OID_LENGTH = 40
LOCK_WAIT_S = 2.0  # other writers hold a ref lock for milliseconds; wait that long at most
LOCK_POLL_S = 0.02


@contextmanager
def _locked(repo: GitRepo, names: list[str]) -> Iterator[pygit2.ReferenceTransaction]:
    txn = repo.raw.transaction()
    try:
        for name in names:
            _lock_ref(txn, name)
        yield txn
        txn.commit()
    finally:
        # Free it now, and the locks of refs a failed commit did not reach with it: pygit2
        # frees a transaction only after a commit that succeeded, or once collected.
        txn.__exit__(RepositoryError, None, None)


def _lock_ref(txn: pygit2.ReferenceTransaction, name: str) -> None:
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            txn.lock_ref(name)
            return
        except (pygit2.GitError, OSError) as exc:  # pygit2 raises OSError for some lock errors
            if is_no_space(exc):  # no lock file could be made: waiting will not help
                raise no_space(f"locking {name}") from exc
            if time.monotonic() >= deadline:
                raise ConcurrentUpdateError(f"{name} is locked by another writer: {exc}") from exc
            time.sleep(LOCK_POLL_S)


def clear_stale_locks(repo: GitRepo, refs: Iterable[str], older_than_s: float) -> list[str]:
    """Remove git lock files left by a writer that died mid-update; return the refs freed.

    Only for refs whose owner is known to be dead (a run lock taken over from a dead
    process). A lock younger than ``older_than_s`` may still be a live writer's, which lets
    go within milliseconds: it is waited for until it goes or reaches that age (0: removed
    at once, for refs no other process writes).
    """
    return [ref for ref in refs if clear_stale_lock(repo.common_dir / f"{ref}.lock", older_than_s)]


def clear_stale_lock(lock: Path, older_than_s: float) -> bool:
    """``clear_stale_locks`` for one lock file of any kind (``index.lock`` too)."""
    while (age := _age(lock)) is not None and age < older_than_s:
        time.sleep(min(LOCK_POLL_S, older_than_s - age))
    if age is None:
        return False
    lock.unlink(missing_ok=True)
    return True


def _age(path: Path) -> float | None:
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None


# A flat notes tree is rewritten whole by every note added, so a repository's thousandth
# step would pay for the 999 before it (15 ms a step instead of 3.5 at 2,000 notes). Past this
# many entries the notes move to git's 2/38 fan-out, as git itself does (sooner), and a note
# rewrites only its own 1/256th of them.
FANOUT_AT = 256


def _notes_commit(repo: GitRepo, tip: str | None, notes: dict[str, bytes]) -> str:
    """A new notes commit: ``tip``'s notes plus ``notes``, keeping git's fan-out layout."""
    tree = repo.commit(tip).tree if tip else None
    fanned = tree is not None and _is_fanned(tree)
    if tree is not None and not fanned and len(tree) >= FANOUT_AT:
        tree, fanned = _fan_out(repo.objects, tree), True
    changes: list[FileChange] = []
    for target, data in notes.items():
        changes += [FileChange(path, None) for path in _note_paths(target) if tree and path in tree]
        changes.append(FileChange(_note_paths(target)[1 if fanned else 0], data))
    tree_id = write_tree(repo, tree.id if tree is not None else None, changes)
    return commit_tree(repo, tree_id, "Notes added by talkgit\n", [tip] if tip else [])


def _is_fanned(tree: pygit2.Tree) -> bool:
    return any(entry.type_str == "tree" and len(entry.name or "") == 2 for entry in tree)


def _fan_out(raw: pygit2.Repository, tree: pygit2.Tree) -> pygit2.Tree:
    """The same notes, each flat ``<sha>`` entry moved to ``<sha[:2]>/<sha[2:]>``."""
    buckets: dict[str, list[tuple[str, pygit2.Object]]] = {}
    for entry in tree:
        name = entry.name or ""
        if len(name) == HEX_OID_LENGTH and entry.type_str == "blob":
            buckets.setdefault(name[:2], []).append((name, entry))
    root = raw.TreeBuilder(tree)
    for prefix, entries in buckets.items():
        sub = raw.TreeBuilder()
        for name, entry in entries:
            root.remove(name)
            sub.insert(name[2:], entry.id, entry.filemode)
        root.insert(prefix, sub.write(), MODE_TREE)
    return raw[root.write()].peel(pygit2.Tree)


def _note_paths(target: str) -> list[str]:
    """Where git may keep the note for ``target``: flat, or fanned out by 2 or 2/2 characters."""
    return [target, f"{target[:2]}/{target[2:]}", f"{target[:2]}/{target[2:4]}/{target[4:]}"]
