"""Objects written in memory and stored as one pack before any ref names them.

``ObjectStaging.repository`` is a libgit2 repository with no files of its own: new objects
go to a dict, and everything else is read through from the real repository's object
database. Building a step there touches the disk once, in ``flush``, which writes every
staged object as one pack. Written loose, the same step created some fifteen files, and
before each new object libgit2 rescanned the pack directory to make sure it was new.

The packs a process writes are merged in tiers (``TIER`` packs of one size make one of the
next), so a long run keeps a handful of packs, not one per step, and each object is copied
only a few times; ``compact`` makes them one when the run ends. Packs written by git or by
another process are never touched, and a `git gc` may take ours at any time.

Until the refs that name its objects have moved, a new pack is held with a ``.keep``
file: a concurrent `git gc --prune=now` would otherwise delete it as unreachable, and
the refs would then name missing objects.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pygit2

from talkgit.git.packs import Pack, clear_stale_temporaries, merge_packs, write_pack

HEX_ID_LENGTH = 40
TIER = 4  # packs of one tier merged into one of the next; at most TIER - 1 wait per tier


class _Memory(pygit2.OdbBackend):
    """The staged objects (raw id -> (object type, content)), and the last pack's.

    The next step reads the ledger and notes tips the last one wrote; keeping them here
    saves inflating them back out of the pack.
    """

    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[bytes, tuple[int, bytes]] = {}
        self.flushed: dict[bytes, tuple[int, bytes]] = {}

    def _get(self, oid: pygit2.Oid) -> tuple[int, bytes]:
        found = self.objects.get(oid.raw) or self.flushed.get(oid.raw)
        if found is None:
            raise KeyError(oid)
        return found

    def read_cb(self, oid: pygit2.Oid) -> tuple[int, bytes]:
        return self._get(oid)

    def read_prefix_cb(self, prefix: pygit2.Oid | str) -> tuple[int, bytes, pygit2.Oid]:
        oid = _whole(prefix)
        kind, data = self._get(oid)
        return kind, data, oid

    def read_header_cb(self, oid: pygit2.Oid) -> tuple[int, int]:
        kind, data = self._get(oid)
        return kind, len(data)

    def exists_cb(self, oid: pygit2.Oid) -> bool:
        return oid.raw in self.objects

    def exists_prefix_cb(self, oid: pygit2.Oid) -> pygit2.Oid:
        raise KeyError(oid)

    def write_cb(self, oid: pygit2.Oid, data: bytes, kind: int) -> None:
        self.objects[oid.raw] = (kind, data)

    def refresh_cb(self) -> None:
        return None


class _ReadThrough(pygit2.OdbBackend):
    """Reads from the real repository's object database; never claims to hold an object.

    Saying "no" to ``exists`` is what keeps libgit2 from rescanning the pack directory
    before every write: an object that is already on disk is simply staged again, and a
    duplicate in a pack is harmless.
    """

    def __init__(self, odb: pygit2.Odb) -> None:
        super().__init__()
        self.odb = odb

    def read_cb(self, oid: pygit2.Oid) -> tuple[int, bytes]:
        kind, data = self.odb.read(oid)
        return kind, data

    def read_prefix_cb(self, prefix: pygit2.Oid | str) -> tuple[int, bytes, pygit2.Oid]:
        oid = _whole(prefix)
        kind, data = self.odb.read(oid)
        return kind, data, oid

    def read_header_cb(self, oid: pygit2.Oid) -> tuple[int, int]:
        kind, size = self.odb.read_header(oid)
        return kind, size

    def exists_cb(self, oid: pygit2.Oid) -> bool:
        return False

    def exists_prefix_cb(self, oid: pygit2.Oid) -> pygit2.Oid:
        raise KeyError(oid)

    def refresh_cb(self) -> None:
        return None


def _whole(prefix: pygit2.Oid | str) -> pygit2.Oid:
    """The id a prefix lookup names. talkgit looks objects up by whole id (libgit2 passes
    some of those as hex); a shorter prefix is not found here."""
    if isinstance(prefix, pygit2.Oid):
        return prefix
    if len(prefix) != HEX_ID_LENGTH:
        raise KeyError(prefix)
    return pygit2.Oid(hex=prefix)


class ObjectStaging:
    """An in-memory repository whose new objects reach the disk as one pack per ``flush``."""

    def __init__(self, raw: pygit2.Repository, objects_dir: Path) -> None:
        self.pack_dir = objects_dir / "pack"
        clear_stale_temporaries(self.pack_dir)
        self._memory = _Memory()
        odb = pygit2.Odb()
        odb.add_backend(self._memory, 2)  # tried first, for reads and for writes
        odb.add_backend(_ReadThrough(raw.odb), 1)
        self.repository = pygit2.Repository()
        self.repository.set_odb(odb)
        self.tiers: list[list[Pack]] = []  # packs written by this process, smallest first
        self.held: list[Pack] = []  # flushed, with a .keep: no ref may name them yet

    @property
    def staged(self) -> int:
        return len(self._memory.objects)

    def add(self, kind: int, data: bytes) -> pygit2.Oid:
        """Stage one object from its raw bytes, bypassing libgit2.

        Its id is hashlib's SHA-1 of git's header and the bytes: the same id libgit2 gives,
        whose collision-detecting SHA-1 takes four times as long (0.13 ms for 32 KB).
        """
        name = pygit2.enums.ObjectType(kind).name.lower().encode()  # "tree", as in git's header
        digest = hashlib.sha1(b"%s %d\0" % (name, len(data)), usedforsecurity=False)
        digest.update(data)
        oid = digest.digest()
        self._memory.objects[oid] = (kind, data)
        return pygit2.Oid(raw=oid)

    def flush(self) -> Pack | None:
        """Store every staged object in a new, held pack. None: nothing was staged.

        Only the pack is written: a flush happens while refs are locked, and merging
        waits for ``tidy``, after they are released. The pack stays held until
        ``release``, once the refs naming its objects have moved.
        """
        if not self._memory.objects:
            return None
        pack = write_pack(self.pack_dir, self._memory.objects, keep=True)
        self._memory.flushed, self._memory.objects = self._memory.objects, {}
        self.held.append(pack)
        return pack

    def release(self, pack: Pack) -> None:
        """Let `git gc` have ``pack``: refs name its objects now, or never will."""
        pack.release()
        self.held.remove(pack)
        self._add(pack, tier=0)

    def tidy(self) -> None:
        """Merge every full tier into one pack of the next, smallest tier first."""
        for tier in range(len(self.tiers)):
            if len(self.tiers[tier]) >= TIER:
                full, self.tiers[tier] = self.tiers[tier], []
                merged = self._merge(full)
                if merged is not None:
                    self._add(merged, tier + 1)

    def compact(self) -> Pack | None:
        """Merge every pack this process wrote into one (at the end of a run)."""
        for pack in list(self.held):  # objects a ref may name later (a probe): no longer
            self.release(pack)
        merged = self._merge([pack for tier in self.tiers for pack in tier])
        self.tiers = [[] for _ in self.tiers[:-1]] + [[merged]] if merged is not None else []
        return merged

    def _merge(self, packs: list[Pack]) -> Pack | None:
        """One pack for ``packs``. A `git gc` may have repacked some meanwhile: those are
        left out (their objects are in git's pack now), and None means it took them all."""
        present = [pack for pack in packs if pack.exists]
        if len(present) < 2:
            return present[0] if present else None
        merged = merge_packs(self.pack_dir, present)
        for old in present:
            if old.path != merged.path:  # the same objects in the same order: the same pack
                old.remove()
        return merged

    def discard(self) -> None:
        """Drop what is staged: nothing outside this process can know of it."""
        self._memory.objects = {}

    def _add(self, pack: Pack, tier: int) -> None:
        while len(self.tiers) <= tier:
            self.tiers.append([])
        self.tiers[tier].append(pack)
