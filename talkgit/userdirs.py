"""Directories of this user's alone, for files other users must not reach or replace.

Only ``os``: the check client imports it before anything else is loaded.
"""

from __future__ import annotations

import errno
import os
import stat


def private_directory(parent: str, name: str) -> str | None:
    """``parent/name``, made with mode 0700 when missing; None unless only this user can
    open it (someone else made it first, or it cannot be made)."""
    directory = os.path.join(parent, name)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        status = os.lstat(directory)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:  # a full disk, not someone else's folder: say so
            raise
        return None
    # lstat: a symlink someone left in the way is not a directory of ours.
    mine = status.st_uid == os.getuid() and not status.st_mode & 0o077
    return directory if mine and stat.S_ISDIR(status.st_mode) else None


def private_temp_directory() -> str | None:
    """``talkgit-<uid>`` in the system's temporary directory, this user's alone."""
    import tempfile

    return private_directory(tempfile.gettempdir(), f"talkgit-{os.getuid()}")
