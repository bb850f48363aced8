"""`talkgit runs` and `talkgit show RUN`: what runs exist, and everything about one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from talkgit import exit_codes
from talkgit.engine.runs import latest_run, open_run, run_as_dict
from talkgit.engine.state import AttemptRecord, RunRecord
from talkgit.git.checkout import repair_finishes
from talkgit.git.ledger import list_runs
from talkgit.git.names import integration_branch, short_branch
from talkgit.git.repo import GitRepo
from talkgit.plan import Plan
from talkgit.redaction import redactor


def runs(directory: Path, *, as_json: bool = False, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    repo = _opened(directory)
    records = sorted(
        (open_run(repo, run_id).record for run_id in list_runs(repo)),
        key=lambda record: record.created,
        reverse=True,
    )
    redact = redactor()  # a ledger written before redaction, or a key learnt since
    if as_json:
        rows = [record.model_dump(mode="json", by_alias=True) for record in records]
        out.write(json.dumps(redact.value(rows), indent=2) + "\n")
        return exit_codes.OK
    if not records:
        out.write('no runs yet — start one with `talkgit run "TASK"` or try `talkgit demo`\n')
    for record in records:
        when = record.created.strftime("%Y-%m-%d %H:%M")
        out.write(
            f"{record.run}  {when}  {record.status:<11} {record.attempts:>3} steps  "
            f"${record.usage.cost:<10} {redact(record.task)[:60]}\n"
        )
    return exit_codes.OK


def show(
    directory: Path, run_prefix: str | None, *, as_json: bool = False, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    repo = _opened(directory)
    stored = open_run(repo, latest_run(repo) if run_prefix is None else run_prefix)
    redact = redactor()  # a ledger written before redaction, or a key learnt since
    if as_json:
        document = run_as_dict(stored.record, stored.plan, stored.attempts)
        out.write(json.dumps(redact.value(document), indent=2) + "\n")
    else:
        out.write(redact(describe(stored.record, stored.plan, stored.attempts)))
    return exit_codes.OK


def _opened(directory: Path) -> GitRepo:
    """The repository, with a killed `talkgit finish` repaired first (said on stderr: stdout
    may be JSON)."""
    repo = GitRepo.discover(directory)
    repair_finishes(repo, lambda line: sys.stderr.write(line + "\n"))
    return repo


def describe(record: RunRecord, plan: Plan | None, attempts: list[AttemptRecord]) -> str:
    usage = record.usage
    lines = [
        f"run {record.run}: {record.status}{' — ' + record.reason if record.reason else ''}",
        f"task: {record.task}",
        f"mode: {record.mode}",
        f"base: {record.base[:10]}   integration: {short_branch(integration_branch(record.run))}",
        f"models: {', '.join(f'{a}={m}' for a, m in record.models.items() if m)}",
        f"usage: {usage.calls} calls ({usage.cached_calls} cached), "
        f"{usage.input_tokens} in + {usage.output_tokens} out tokens, ${usage.cost}; "
        f"{record.elapsed_s:.1f} s",
        "",
        "plan:",
    ]
    for step in plan.steps if plan is not None else ():
        after = f" <- {', '.join(step.depends_on)}" if step.depends_on else ""
        lines.append(f"  {step.id} [{step.agent}]{after}: {step.goal}")
    lines += ["", "attempts:"]
    for attempt in attempts:
        seconds = (attempt.finished - attempt.started).total_seconds()
        branch = short_branch(attempt.branch) if attempt.branch else "(no commit)"
        usage = attempt.usage + attempt.council_usage
        lines.append(
            f"  {attempt.index:02d} {attempt.step:<16} {attempt.kind} {attempt.attempt}  "
            f"{attempt.status:<8} {branch}  "
            f"{usage.input_tokens + usage.output_tokens} tok ${usage.cost} "
            f"{seconds:.1f}s — {attempt.summary}"
        )
        if attempt.council:
            votes = " ".join(f"{judge}={verdict}" for judge, verdict in attempt.council.items())
            lines.append(f"      council: {votes}")
        if attempt.skills:
            lines.append(f"      skills: {', '.join(attempt.skills)}")
    return "\n".join(lines) + "\n"
