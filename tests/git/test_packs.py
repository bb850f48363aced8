"""Pack files written by talkgit, read back by the real git CLI and by libgit2."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pygit2

from talkgit.git.packs import (
    STALE_TEMPORARY_S,
    PackEntry,
    clear_stale_temporaries,
    merge_packs,
    pack_index,
    write_pack,
)
from tests.support.gitrepo import fsck, git

COMMIT, TREE, BLOB = 1, 2, 3  # git's object type numbers


def _object(kind: int, data: bytes) -> tuple[bytes, tuple[int, bytes]]:
    name = {1: b"commit", 2: b"tree", 3: b"blob"}[kind]
    oid = hashlib.sha1(b"%s %d\0" % (name, len(data)) + data, usedforsecurity=False).digest()
    return oid, (kind, data)


def _blobs(count: int, salt: str = "") -> dict[bytes, tuple[int, bytes]]:
    # sizes around the varint boundaries of the pack's object header (15, 2047, ...)
    sizes = [0, 1, 15, 16, 2047, 2048, 70000]
    return dict(
        _object(BLOB, f"{salt}{index}\n".encode() * (sizes[index % len(sizes)] // 8 + 1))
        for index in range(count)
    )


def _pack_dir(repo: Path) -> Path:
    return repo / ".git" / "objects" / "pack"


def _packed_ids(repo: Path, index: Path) -> set[str]:
    listing = git(repo, "verify-pack", "-v", str(index))
    return {line.split()[0] for line in listing.splitlines() if line[:40].isalnum()}


def test_git_verifies_the_pack_and_reads_every_object(repo: Path) -> None:
    objects = _blobs(300)  # enough ids to fill most of the index's fan-out table
    pack = write_pack(_pack_dir(repo), objects)
    assert pack.path.name == f"pack-{pack.path.read_bytes()[-20:].hex()}.pack"
    assert _packed_ids(repo, pack.index_path) >= {oid.hex() for oid in objects}
    raw = pygit2.Repository(str(repo))
    for oid, (_, data) in objects.items():
        assert git(repo, "cat-file", "-t", oid.hex()).strip() == "blob"
        assert raw[oid.hex()].read_raw() == data
    assert oct(pack.path.stat().st_mode & 0o777) == "0o444"
    assert not list(_pack_dir(repo).glob("tmp_*"))
    fsck(repo)


def test_trees_and_commits_in_a_pack_make_history_git_can_walk(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    blob_id, blob = _object(BLOB, b"print('hi')\n")
    tree_id, tree = _object(
        TREE,
        b"40000 pkg\0"
        + bytes.fromhex(git(repo, "rev-parse", "HEAD:pkg").strip())
        + b"100644 run.py\0"
        + blob_id,
    )
    body = f"tree {tree_id.hex()}\nparent {head}\nauthor A <a@b> 0 +0000\n"
    body += "committer A <a@b> 0 +0000\n\nadd run.py\n"
    commit_id, commit = _object(COMMIT, body.encode())
    write_pack(_pack_dir(repo), {blob_id: blob, tree_id: tree, commit_id: commit})
    git(repo, "update-ref", "refs/heads/packed", commit_id.hex())
    assert git(repo, "show", "packed:run.py") == "print('hi')\n"
    assert git(repo, "log", "--format=%s", "packed") == "add run.py\ninitial\n"
    fsck(repo)


def test_merged_packs_hold_each_object_once_and_the_old_ones_can_go(repo: Path) -> None:
    first, second = _blobs(20, "a"), _blobs(20, "b")
    shared = dict(list(first.items())[:5])
    packs = [
        write_pack(_pack_dir(repo), first),
        write_pack(_pack_dir(repo), {**second, **shared}),
    ]
    merged = merge_packs(_pack_dir(repo), packs)
    assert len(merged.entries) == len({**first, **second})
    for pack in packs:
        pack.remove()
        assert not pack.path.exists() and not pack.index_path.exists()
    assert _packed_ids(repo, merged.index_path) == {oid.hex() for oid in {**first, **second}}
    for oid, (_, data) in {**first, **second}.items():
        assert git(repo, "cat-file", "blob", oid.hex()).encode() == data
    fsck(repo)


def test_offsets_past_2_gib_go_to_the_64_bit_table(tmp_path: Path) -> None:
    offsets = [12, 2**31 - 1, 2**31, 2**32 + 7]
    entries = [PackEntry(os.urandom(20), offset, index) for index, offset in enumerate(offsets)]
    index = pack_index(entries, os.urandom(20))
    shown = subprocess.run(
        ["git", "show-index"], input=index, capture_output=True, check=True
    ).stdout.decode()
    listed = {line.split()[1]: int(line.split()[0]) for line in shown.splitlines()}
    assert listed == {entry.oid.hex(): entry.offset for entry in entries}


def test_what_a_crashed_writer_left_is_cleared_and_nothing_else(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    leftovers = {
        ".talkgit-tmp-1-ab": b"",
        "pack-1.keep": b"talkgit %s: objects no ref names yet\n" % dead.stdout.strip().encode(),
    }
    kept = {
        "pack-2.keep": b"talkgit %d: objects no ref names yet\n" % os.getpid(),  # alive
        "pack-3.keep": b"",  # the user's
        "pack-4.keep": b"receive-pack 123 on host\n",  # git's
    }
    for name, data in {**leftovers, **kept}.items():
        (tmp_path / name).write_bytes(data)
        old = time.time() - STALE_TEMPORARY_S - 1
        os.utime(tmp_path / name, (old, old))
    (tmp_path / ".talkgit-tmp-2-cd").write_bytes(b"")  # young: still being written
    clear_stale_temporaries(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([*kept, ".talkgit-tmp-2-cd"])
