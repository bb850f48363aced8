"""Writing git pack files (version 2, with a version 2 index) from objects held in memory.

A step writes about fifteen small objects. As loose objects that is fifteen files created,
linked and unlinked; as one pack it is two files. Objects are stored whole (no deltas):
``git gc`` delta-compresses them later, as it does any pack.

Packs merge by copying each object's stored bytes as they are, so merging never inflates
and re-deflates anything. Stdlib only: the format is a few dozen lines, and libgit2's pack
builder would first need every object to exist somewhere it can read.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

PACK_SIGNATURE = b"PACK"
INDEX_SIGNATURE = b"\377tOc"
VERSION = 2
# How hard each kind of object is deflated. A tree is mostly 20-byte ids, which do not
# compress: level 1 makes a 1,000-entry tree (32 KB) only a quarter smaller, at 0.4 ms, most
# of a step's time. Trees are stored, and `git gc` later deltas them against their previous
# versions, which is where their real saving is. Blobs and commits are text: level 1.
TREE = 2
COMPRESSION_LEVEL = 1
TREE_COMPRESSION_LEVEL = 0
CHECKSUM_SIZE = 20  # a SHA-1 ends the pack and the index
_LARGE_OFFSET = 0x80000000  # offsets from here on go to the index's 64-bit table
KEEP_REASON = b"talkgit %d: objects no ref names yet\n"  # as `git index-pack --keep=MSG`
PACK_FILE_MODE = 0o444  # as git: pack files are never written again once named
TEMPORARY_PREFIX = ".talkgit-tmp-"
STALE_TEMPORARY_S = 3600.0  # a live writer renames its temporary within seconds


@dataclass(frozen=True)
class PackEntry:
    """One object in a pack: its id, where its stored bytes start, and their CRC-32."""

    oid: bytes
    offset: int
    crc: int


@dataclass(frozen=True)
class Pack:
    """A pack file on disk and what it holds (kept in memory by whoever wrote it)."""

    path: Path  # the .pack file; the .idx is beside it
    entries: tuple[PackEntry, ...]

    @property
    def index_path(self) -> Path:
        return self.path.with_suffix(".idx")

    @property
    def keep_path(self) -> Path:
        return self.path.with_suffix(".keep")

    @property
    def exists(self) -> bool:
        """Still there: `git gc` replaces the packs it repacks."""
        return self.path.exists() and self.index_path.exists()

    def remove(self) -> None:
        """Delete the pack, its index first so no reader finds an index without its pack."""
        for path in (self.index_path, self.path, self.keep_path):
            path.unlink(missing_ok=True)

    def release(self) -> None:
        """Let `git gc` repack it: a ref names its objects now (see ``write_pack``)."""
        self.keep_path.unlink(missing_ok=True)


# An object as it goes into a pack: its raw id, its stored bytes, and their CRC-32.
_Stored = tuple[bytes, bytes, int]


def write_pack(
    pack_dir: Path, objects: Mapping[bytes, tuple[int, bytes]], *, keep: bool = False
) -> Pack:
    """Write ``objects`` (raw 20-byte id -> (git object type, content)) as a new pack.

    ``keep`` writes a ``.keep`` file first, so the pack is never seen without it: until
    ``Pack.release``, `git gc` and `git repack -a -d` leave the pack alone. They would
    otherwise delete it whole when no ref names its objects yet, ``--prune=now`` or not.
    """
    stored = (_stored_object(oid, kind, data) for oid, (kind, data) in objects.items())
    return _write(pack_dir, stored, keep=keep)


def merge_packs(pack_dir: Path, packs: Iterable[Pack]) -> Pack:
    """One pack holding every object of ``packs``, their stored bytes copied unchanged.

    The old packs stay until the caller removes them, so no reader ever misses an object.
    """
    seen: set[bytes] = set()

    def stored() -> Iterable[_Stored]:
        for pack in packs:
            try:
                data = pack.path.read_bytes()
            except FileNotFoundError:
                continue  # a `git gc` repacked it just now: its objects are in git's pack
            for entry, chunk in _stored_chunks(pack, data):
                if entry.oid not in seen:
                    seen.add(entry.oid)
                    yield entry.oid, chunk, entry.crc

    return _write(pack_dir, stored())


def _stored_object(oid: bytes, kind: int, data: bytes) -> _Stored:
    """An object's bytes in a pack: type and size in a varint header, then deflated content."""
    size = len(data)
    header = bytearray()
    byte = (kind << 4) | (size & 0x0F)
    size >>= 4
    while size:
        header.append(byte | 0x80)
        byte, size = size & 0x7F, size >> 7
    header.append(byte)
    level = TREE_COMPRESSION_LEVEL if kind == TREE else COMPRESSION_LEVEL
    chunk = bytes(header) + zlib.compress(data, level)
    return oid, chunk, zlib.crc32(chunk)


def _stored_chunks(pack: Pack, data: bytes) -> Iterable[tuple[PackEntry, bytes]]:
    """Each object's stored bytes, cut from ``data`` at the offsets the pack was written with."""
    ordered = sorted(pack.entries, key=lambda entry: entry.offset)
    ends = [entry.offset for entry in ordered[1:]] + [len(data) - CHECKSUM_SIZE]
    for entry, end in zip(ordered, ends, strict=True):
        yield entry, data[entry.offset : end]


def _write(pack_dir: Path, stored: Iterable[_Stored], *, keep: bool = False) -> Pack:
    """Write the pack, then its index: a pack becomes visible to git only with its index."""
    chunks = list(stored)  # the header, and so the checksum, begins with the object count
    header = PACK_SIGNATURE + struct.pack(">II", VERSION, len(chunks))
    checksum = _sha1(header)
    entries: list[PackEntry] = []
    offset = len(header)
    for oid, chunk, crc in chunks:
        entries.append(PackEntry(oid, offset, crc))
        checksum.update(chunk)
        offset += len(chunk)
    digest = checksum.digest()
    pack = Pack(pack_dir / f"pack-{digest.hex()}.pack", tuple(entries))
    files = (pack.index_path, pack.path, pack.keep_path)
    existed = {path for path in files if path.exists()}  # the same objects, written before
    try:
        if keep:
            _write_file(pack.keep_path, [KEEP_REASON % os.getpid()])
        _write_file(pack.path, [header, *(chunk for _, chunk, _ in chunks), digest])
        _write_file(pack.index_path, [pack_index(entries, digest)])
    except BaseException:
        # A pack without its index is invisible to git and never cleaned by it: on a full
        # disk it would hold on to the very space a retry needs.
        for path in files:
            if path not in existed:
                path.unlink(missing_ok=True)
        raise
    return pack


def pack_index(entries: list[PackEntry], pack_checksum: bytes) -> bytes:
    """A version 2 pack index: fan-out table, sorted ids, CRCs, offsets, checksums."""
    ordered = sorted(entries, key=lambda entry: entry.oid)
    counts = [0] * 256
    for entry in ordered:
        counts[entry.oid[0]] += 1
    fanout, total = [], 0
    for count in counts:
        total += count
        fanout.append(total)
    small: list[int] = []
    large: list[int] = []
    for entry in ordered:
        if entry.offset < _LARGE_OFFSET:
            small.append(entry.offset)
        else:
            small.append(_LARGE_OFFSET | len(large))
            large.append(entry.offset)
    parts = [
        INDEX_SIGNATURE,
        struct.pack(">I", VERSION),
        struct.pack(">256I", *fanout),
        *(entry.oid for entry in ordered),
        struct.pack(f">{len(ordered)}I", *(entry.crc for entry in ordered)),
        struct.pack(f">{len(small)}I", *small),
        struct.pack(f">{len(large)}Q", *large),
        pack_checksum,
    ]
    body = b"".join(parts)
    return body + _sha1(body).digest()


def _sha1(data: bytes) -> hashlib._Hash:
    """SHA-1 as git's pack format requires: a checksum and object name, not a security claim."""
    return hashlib.sha1(data, usedforsecurity=False)


def clear_stale_temporaries(pack_dir: Path, older_than_s: float = STALE_TEMPORARY_S) -> None:
    """Remove what a crashed writer left: its temporaries (git's gc does not know our
    prefix), and the ``.keep`` files it held packs with (its process is gone)."""
    cutoff = time.time() - older_than_s
    for leftover in [*pack_dir.glob(f"{TEMPORARY_PREFIX}*"), *pack_dir.glob("pack-*.keep")]:
        with contextlib.suppress(OSError, ValueError):  # gone already, or not ours
            if leftover.stat().st_mtime < cutoff and _writer_is_gone(leftover):
                leftover.unlink()


def _writer_is_gone(path: Path) -> bool:
    """A temporary, or a ``.keep`` with talkgit's reason, whose writing process is gone."""
    if path.name.startswith(TEMPORARY_PREFIX):
        return True  # renamed within seconds by a live writer: its age says enough
    words = path.read_bytes().split()
    if words[:1] != [b"talkgit"]:
        return False  # a user's or git's own .keep
    try:
        os.kill(int(words[1].rstrip(b":")), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def _write_file(path: Path, parts: list[bytes]) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not git's "tmp_" prefix: `git gc --prune=now` deletes those at once, mid-write.
    temporary = path.parent / f"{TEMPORARY_PREFIX}{os.getpid()}-{os.urandom(6).hex()}"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PACK_FILE_MODE)
    try:
        with os.fdopen(handle, "wb") as out:
            out.writelines(parts)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
