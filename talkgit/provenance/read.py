"""Reading provenance back: a commit's talkgit trailers and step note, or "human"."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import ValidationError

from talkgit.git.history import CommitInfo, walk
from talkgit.git.names import STEP_NOTES_REF
from talkgit.git.notes import read_json_note
from talkgit.git.repo import GitRepo
from talkgit.git.trailers import parse_trailers
from talkgit.provenance.schema import StepNote
from talkgit.provenance.talkgit_trailers import (
    ProvenanceError,
    RunTrailers,
    StepTrailers,
    read_talkgit_trailers,
)


@dataclass(frozen=True)
class CommitProvenance:
    commit: CommitInfo
    trailers: StepTrailers | None
    note: StepNote | None
    problem: str | None = None  # why the trailers or the note could not be read
    run: RunTrailers | None = None  # a run brought in by `talkgit finish` (squash or merge)

    @property
    def is_agent(self) -> bool:
        return self.trailers is not None or self.note is not None or self.run is not None


def provenance_of(repo: GitRepo, commit: CommitInfo) -> CommitProvenance:
    """What talkgit recorded about ``commit``; malformed records are reported, not fatal."""
    problems: list[str] = []
    trailers: StepTrailers | None = None
    run: RunTrailers | None = None
    try:
        # divider=False: read trailers as `git log --format=%(trailers)` does.
        claim = read_talkgit_trailers(parse_trailers(commit.message, divider=False))
    except ProvenanceError as exc:
        claim, problems = None, [f"trailers: {exc}"]
    if isinstance(claim, StepTrailers):
        trailers = claim
    elif isinstance(claim, RunTrailers):
        run = claim
    note = None
    raw = read_json_note(repo, STEP_NOTES_REF, commit.sha)
    if raw is not None:
        try:
            note = StepNote.model_validate(raw)
        except ValidationError as exc:
            problems.append(f"note: {exc.error_count()} invalid field(s)")
    return CommitProvenance(commit, trailers, note, "; ".join(problems) or None, run)


def history(
    repo: GitRepo, revision_range: str, max_count: int | None = None
) -> Iterator[CommitProvenance]:
    for commit in walk(repo, revision_range, max_count):
        yield provenance_of(repo, commit)
