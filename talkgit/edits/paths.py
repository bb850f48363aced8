"""What an edit may touch: regular text files inside the repository, reached without links."""

from __future__ import annotations

import re

from talkgit.edits.fsck import blob_problem, name_problem
from talkgit.edits.model import EntryKind, FileChange, TreeView
from talkgit.errors import EditError

# git itself looks for NUL in the first 8000 bytes to call a blob binary.
BINARY_SNIFF_BYTES = 8000

_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafePathError(EditError):
    """An edit names a path outside the repository, inside .git, or through a link."""


class UnsafeContentError(EditError):
    """An edit leaves a .gitmodules or .gitattributes that git refuses (an option as a url...)."""


class BinaryFileError(EditError):
    """An edit targets a file that is not UTF-8 text."""


def check_path(path: str, tree: TreeView) -> str:
    """Return ``path`` normalised ("./a//b" -> "a/b") or raise UnsafePathError.

    Refused: empty, absolute or drive paths, ``..``, NUL bytes, backslashes, a component
    git's fsck refuses (``.git`` as macOS or Windows may spell it, a look-alike of
    ``.gitmodules`` and its kin, a directory called ``.gitmodules``: talkgit.edits.fsck), a
    symlink or submodule on the way, a directory or file where the other is needed. The
    path need not exist: new files are checked the same way.
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
    for depth, part in enumerate(parts, 1):
        if part == "..":
            raise UnsafePathError(f"unsafe path {path!r}: '..' would leave the repository")
        problem = name_problem(part, directory=depth < len(parts))
        if problem is not None:
            raise UnsafePathError(f"unsafe path {path!r}: {problem}")
    return parts


def check_content(change: FileChange) -> None:
    """Raise UnsafeContentError when git's fsck would refuse what ``change`` writes.

    git reads every .gitmodules and .gitattributes it finds: a submodule url that git
    would take for an option, a path that starts with "-", an ``update = !command``, a
    line too long to parse.
    """
    if change.data is None:
        return
    problem = blob_problem(change.path.rsplit("/", 1)[-1], change.data)
    if problem is not None:
        raise UnsafeContentError(f"unsafe {change.path}: {problem}")


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
