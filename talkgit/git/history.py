"""Walking history: revision ranges as `git log` takes them, newest first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pygit2

from talkgit.errors import NotFoundError
from talkgit.git.repo import GitRepo


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    author: str
    email: str
    date: datetime
    message: str

    @property
    def summary(self) -> str:
        return self.message.split("\n", 1)[0]


def walk(repo: GitRepo, revision_range: str, max_count: int | None = None) -> Iterator[CommitInfo]:
    """Commits in ``revision_range`` (``REV``, ``A..B`` or ``A...B``), newest first."""
    try:
        spec = repo.raw.revparse(revision_range)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
        raise NotFoundError(f"unknown revision or range: {revision_range}") from exc
    walker = repo.raw.walk(None, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME)
    if spec.flags & pygit2.enums.RevSpecFlag.SINGLE:
        walker.push(spec.from_object.id)
    else:
        walker.push(spec.to_object.id)
        if spec.flags & pygit2.enums.RevSpecFlag.MERGE_BASE:
            walker.push(spec.from_object.id)
            base = repo.raw.merge_base(spec.from_object.id, spec.to_object.id)
            if base is not None:
                walker.hide(base)
        else:
            walker.hide(spec.from_object.id)
    for count, commit in enumerate(walker):
        if max_count is not None and count >= max_count:
            return
        yield commit_info(commit)


def commit_info(commit: pygit2.Commit) -> CommitInfo:
    zone = timezone(timedelta(minutes=commit.author.offset))
    return CommitInfo(
        sha=str(commit.id),
        author=commit.author.name,
        email=commit.author.email,
        date=datetime.fromtimestamp(commit.author.time, zone),
        message=commit.message,
    )
