"""Writing a file whole or not at all: a temporary file beside it, renamed into place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Final

from talkgit.errors import translate_no_space

# A write that failed with less than this free (beyond what it needed) met a full disk.
ROOM_SLACK: Final = 64 * 1024


def nearly_full(directory: Path, needed: int = 0) -> bool:
    """Whether ``directory``'s disk has less than ``needed`` bytes and some slack free.

    For errors that lose ENOSPC on the way (libgit2's "no error", git's "unable to write
    file"): a failed write where there is no room left was most likely for want of room.
    """
    try:
        stats = os.statvfs(directory)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < needed + ROOM_SLACK


def write_atomically(target: Path, text: str, *, sync: bool = False) -> None:
    """Write ``text`` to ``target`` so a reader sees the old file or the new one, never half.

    The parent directory is made when missing. ``sync`` flushes the data to disk before the
    rename, for records that must survive a power cut, not only a crash.
    """
    with translate_no_space(f"writing {target.name}"):
        _write(target, text, sync=sync)


def _write(target: Path, text: str, *, sync: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(
        prefix=f".{target.name[:16]}-", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
            if sync:
                stream.flush()
                os.fsync(stream.fileno())
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
