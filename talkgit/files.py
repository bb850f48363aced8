"""Writing a file whole or not at all: a temporary file beside it, renamed into place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from talkgit.errors import translate_no_space


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
