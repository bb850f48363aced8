"""`talkgit blame FILE`: for each line, the step, agent and model that wrote it — or a human."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import ValidationError

from talkgit import exit_codes
from talkgit.git.blame import BlamedLine, blame_file, repository_path
from talkgit.git.history import CommitInfo, commit_info
from talkgit.git.names import RUN_NOTES_REF
from talkgit.git.notes import read_json_note
from talkgit.git.repo import GitRepo
from talkgit.provenance.read import CommitProvenance, provenance_of
from talkgit.provenance.schema import RunNote

Origin = Literal["agent", "run", "human"]


@dataclass(frozen=True)
class Attribution:
    """Who wrote a commit's lines: one agent step, a whole run squashed by finish, or a human."""

    commit: CommitInfo
    origin: Origin
    run: str | None = None
    step: str | None = None  # "NN/step-id", for an agent step only
    agents: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    problem: str | None = None  # provenance that is present but could not be read


def blame(
    directory: Path,
    path: str,
    *,
    revision: str = "HEAD",
    as_json: bool = False,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    repo = GitRepo.discover(directory)
    lines = blame_file(repo, repository_path(repo, directory, path), revision)
    attributions = attribute_commits(repo, {line.commit for line in lines})
    if as_json:
        records = [as_dict(line, attributions[line.commit]) for line in lines]
        out.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    else:
        out.writelines(text + "\n" for text in as_lines(lines, attributions))
    return exit_codes.OK


def attribute_commits(repo: GitRepo, commits: set[str]) -> dict[str, Attribution]:
    """Each commit's attribution, read once per commit however many lines it owns."""
    return {sha: attribute(repo, sha) for sha in sorted(commits)}


def attribute(repo: GitRepo, sha: str) -> Attribution:
    """A step commit by its trailers and note; a squash by its run note; anything else is human."""
    info = commit_info(repo.commit(sha))
    record = provenance_of(repo, info)
    if record.trailers is not None or record.note is not None:
        return _from_step(record)
    run_note = _run_note(repo, sha)
    if run_note is not None:
        return Attribution(info, "run", run_note.run, None, run_note.agents, run_note.models)
    if record.run is not None:  # a finished run whose note did not travel: its trailers
        agents = tuple(dict.fromkeys(agent for agent, _ in record.run.assisted))
        models = tuple(dict.fromkeys(model for _, model in record.run.assisted))
        return Attribution(info, "run", record.run.run_id, None, agents, models)
    return Attribution(info, "human", problem=record.problem)


def _from_step(record: CommitProvenance) -> Attribution:
    """Trailers are part of the commit, so they win; the note names the exact model."""
    run: str | None = None
    step: str | None = None
    agents: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    if record.trailers is not None:
        found = record.trailers
        run, step, agents = found.run_id, _step(found.step_index, found.step_id), (found.agent,)
        models = found.models
    if record.note is not None:
        note = record.note
        run, step = run or note.run, step or _step(note.step.index, note.step.id)
        agents = agents or (note.agent,)
        models = (note.model,) if note.model else ()  # "": the agent uses no model
    return Attribution(record.commit, "agent", run, step, agents, models, record.problem)


def _step(index: int, step_id: str) -> str:
    return f"{index:02d}/{step_id}"


def _run_note(repo: GitRepo, sha: str) -> RunNote | None:
    raw = read_json_note(repo, RUN_NOTES_REF, sha)
    if raw is None:
        return None
    try:
        return RunNote.model_validate(raw)
    except ValidationError:
        return None


def as_lines(lines: list[BlamedLine], attributions: dict[str, Attribution]) -> list[str]:
    """``git blame``-like text: short sha, who, model, run/step and line number, aligned."""
    columns = {sha: _columns(found) for sha, found in attributions.items()}
    widths = [max((len(row[i]) for row in columns.values()), default=0) for i in range(3)]
    labels = {
        sha: " ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True) if width)
        for sha, row in columns.items()
    }
    number_width = len(str(len(lines)))
    return [
        f"{line.commit[:10]} ({labels[line.commit]} {line.number:>{number_width}}) {line.text}"
        for line in lines
    ]


def _columns(found: Attribution) -> tuple[str, str, str]:
    """(who, model, where): an agent and its model at a run's step, or a human by name."""
    if found.origin == "human":
        return "human", found.commit.author, ""
    where = f"run {found.run} step {found.step}" if found.step else f"run {found.run} squash"
    return ",".join(found.agents), ",".join(found.models), where


def as_dict(line: BlamedLine, found: Attribution) -> dict[str, Any]:
    """One JSON line record; the same keys for every origin, None where they do not apply."""
    is_step = found.origin == "agent"
    return {
        "line": line.number,
        "text": line.text,
        "commit": line.commit,
        "origin": found.origin,
        "author": found.commit.author,
        "summary": found.commit.summary,
        "run": found.run,
        "step": found.step,
        "agent": found.agents[0] if is_step and found.agents else None,
        "model": found.models[0] if is_step and found.models else None,
        "agents": list(found.agents),
        "models": list(found.models),
        "problem": found.problem,
    }
