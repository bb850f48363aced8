"""`talkgit log`: commits with their provenance — which agent and model, or human."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from talkgit import exit_codes
from talkgit.git.repo import GitRepo
from talkgit.provenance.read import CommitProvenance, history
from talkgit.provenance.talkgit_trailers import verdict_line


def log(
    directory: Path,
    revision_range: str = "HEAD",
    *,
    max_count: int | None = None,
    as_json: bool = False,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    records = list(history(GitRepo.discover(directory), revision_range, max_count))
    if as_json:
        json.dump([as_dict(record) for record in records], out, indent=2)
        out.write("\n")
    else:
        for record in records:
            out.write(as_line(record) + "\n")
    return exit_codes.OK


def as_line(record: CommitProvenance) -> str:
    """One line: short sha, who (agent + model, or human), run/step, gates, cost, subject."""
    commit = record.commit
    head = f"{commit.sha[:10]}  "
    if not record.is_agent:
        unreadable = f"  [unreadable {record.problem}]" if record.problem else ""
        return f"{head}human    {commit.author:<20.20}  {commit.summary}{unreadable}"
    if record.run is not None:
        run = record.run
        who = ", ".join(f"{agent}:{model}" for agent, model in run.assisted)
        return (
            f"{head}run      {run.run_id:<20}  {run.steps} steps {run.tokens} tok "
            f"${run.cost} ({who})  {commit.summary}"
        )
    parts = [f"{head}{_agent(record):<8} {_model(record):<20.20}"]
    if record.trailers is not None:
        step = record.trailers
        parts.append(f"run {step.run_id} step {step.step_index:02d}/{step.step_id}")
        if step.gates:
            parts.append(verdict_line(step.gates))
    if record.note is not None:
        usage = record.note.usage
        parts.append(f"{usage.input_tokens + usage.output_tokens} tok ${usage.cost}")
    if record.problem:
        parts.append(f"[unreadable {record.problem}]")
    return "  ".join(parts) + f"  {commit.summary}"


def _agent(record: CommitProvenance) -> str:
    if record.trailers is not None:
        return record.trailers.agent
    return record.note.agent if record.note is not None else "?"


def _model(record: CommitProvenance) -> str:
    """The note's model, else the trailers'; a step without one used none (a scripted agent)."""
    if record.note is not None:
        return record.note.model or "no model"
    if record.trailers is not None:
        return ",".join(record.trailers.models) or "no model"
    return "?"


def as_dict(record: CommitProvenance) -> dict[str, Any]:
    commit = record.commit
    result: dict[str, Any] = {
        "commit": commit.sha,
        "author": commit.author,
        "date": commit.date.isoformat(),
        "summary": commit.summary,
        "origin": "agent" if record.is_agent else "human",
        "trailers": None,
        "note": None,
        "run": None,
        "problem": record.problem,
    }
    if record.trailers is not None:
        step = record.trailers
        result["trailers"] = {
            "run": step.run_id,
            "step": f"{step.step_index:02d}/{step.step_id}",
            "agent": step.agent,
            "models": list(step.models),
            "gates": dict(step.gates),
        }
    if record.note is not None:
        result["note"] = record.note.model_dump(mode="json", by_alias=True)
    if record.run is not None:
        run = record.run
        result["run"] = {
            "run": run.run_id,
            "steps": run.steps,
            "tokens": run.tokens,
            "cost": str(run.cost),
            "assisted": [{"agent": a, "model": m} for a, m in run.assisted],
        }
    return result
