"""Blame in the git store: which commit last changed each line of a committed file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pygit2

from talkgit.errors import NotFoundError, RepositoryError, UsageError
from talkgit.filenames import as_bytes, shown
from talkgit.git.repo import GitRepo, translate_git_errors


@dataclass(frozen=True)
class BlamedLine:
    """One line of a file as committed: its 1-based number, its text and who last changed it."""

    number: int
    commit: str
    text: str


def repository_path(repo: GitRepo, start: Path, path: str) -> str:
    """``path`` as the user typed it (relative to ``start``) as a path inside the repository.

    Only the starting directory is resolved: a symlink inside the repository is a file of
    its own in git, not the file it points at.
    """
    full = Path(os.path.normpath(start.resolve() / path))
    try:
        inside = full.relative_to(repo.workdir.resolve())
    except ValueError:
        raise UsageError(f"{path} is outside the repository at {repo.workdir}") from None
    if inside == Path():
        raise UsageError(f"{path} is the repository itself, not a file in it")
    return inside.as_posix()


def blame_file(repo: GitRepo, path: str, revision: str = "HEAD") -> list[BlamedLine]:
    """Every line of ``path`` at ``revision``, with the commit that last changed it.

    A shallow clone is refused rather than blaming its cut-off commit for everything.
    """
    repo.require_history("blame")
    newest = repo.resolve(revision)
    data = repo.read_file(newest, path)
    if data is None:
        raise NotFoundError(f"{shown(path)} is not a committed file at {revision}")
    with translate_git_errors(f"cannot blame {shown(path)}"):
        # bytes, which pygit2 takes though its stubs say str: it encodes a str strictly,
        # and a name need not be UTF-8
        owners = _line_owners(repo.raw.blame(as_bytes(path), newest_commit=newest))  # type: ignore[arg-type]
    texts = _split_lines(data)
    if len(owners) != len(texts):
        raise RepositoryError(f"cannot blame {shown(path)}: libgit2 counts its lines differently")
    return [
        BlamedLine(n, owner, text)
        for n, (owner, text) in enumerate(zip(owners, texts, strict=True), 1)
    ]


def _line_owners(blame: pygit2.Blame) -> list[str]:
    """The commit of every line, in order: each hunk covers a run of consecutive lines."""
    owners: list[str] = []
    for hunk in blame:
        owners += [str(hunk.final_commit_id)] * hunk.lines_in_hunk
    return owners


def _split_lines(data: bytes) -> list[str]:
    """Lines as git counts them: split at LF only; a missing final newline ends one too."""
    if not data:
        return []
    lines = data.decode("utf-8", errors="replace").split("\n")
    return lines[:-1] if data.endswith(b"\n") else lines
