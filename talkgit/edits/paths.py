"""What an edit may touch: regular text files inside the repository, reached without links."""

from __future__ import annotations

import re

from talkgit.edits.model import EntryKind, TreeView
from talkgit.errors import EditError

# git itself looks for NUL in the first 8000 bytes to call a blob binary.
BINARY_SNIFF_BYTES = 8000

_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafePathError(EditError):
    """An edit names a path outside the repository, inside .git, or through a link."""


class BinaryFileError(EditError):
    """An edit targets a file that is not UTF-8 text."""


def check_path(path: str, tree: TreeView) -> str:
    """Return ``path`` normalised ("./a//b" -> "a/b") or raise UnsafePathError.

    Refused: empty, absolute or drive paths, ``..``, a ``.git`` component, NUL bytes,
    backslashes, a symlink or submodule on the way, a directory or file where the other is
    needed. The path need not exist: new files are checked the same way.
    """
    parts = _parts(path)
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        entry = tree.entry(prefix)
        if entry is None:
            break
        if entry.kind in (EntryKind.SYMLINK, EntryKind.SUBMODULE):
            raise UnsafePathError(f"unsafe path {path!r}: {prefix!r} is a {entry.kind.value}")
        is_last = depth == len(parts)
        if is_last and entry.kind is EntryKind.DIRECTORY:
            raise UnsafePathError(f"path {path!r} is a directory, not a file")
        if not is_last and entry.kind is not EntryKind.DIRECTORY:
            raise UnsafePathError(f"path {path!r} goes through {prefix!r}, which is a file")
    return "/".join(parts)


def _parts(path: str) -> list[str]:
    if not path.strip():
        raise UnsafePathError("empty path: name a file relative to the repository root")
    if "\0" in path:
        raise UnsafePathError(f"unsafe path {path!r}: it contains a NUL byte")
    if "\\" in path:
        raise UnsafePathError(f"unsafe path {path!r}: use '/' between directories, not '\\'")
    if path.startswith("/") or _DRIVE.match(path):
        raise UnsafePathError(f"unsafe path {path!r}: use a path relative to the repository root")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts:
        raise UnsafePathError(f"path {path!r} names no file")
    for part in parts:
        if part == "..":
            raise UnsafePathError(f"unsafe path {path!r}: '..' would leave the repository")
        if _is_git_dir(part):
            raise UnsafePathError(f"unsafe path {path!r}: files under .git cannot be edited")
    return parts


def _is_git_dir(part: str) -> bool:
    # Windows drops trailing dots and spaces and knows .git by its short name git~1; git
    # refuses these spellings too.
    lowered = part.lower()
    return lowered.rstrip(". ") == ".git" or lowered == "git~1" or lowered.startswith(".git:")


def decode_text(path: str, data: bytes) -> str:
    """The text of a file, or BinaryFileError: NUL in the first 8000 bytes, or not UTF-8."""
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        raise BinaryFileError(
            f"{path} is a binary file (it contains NUL bytes); it cannot be edited"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BinaryFileError(f"{path} is not UTF-8 text; it cannot be edited") from exc
