"""One attempt of a step, and what it writes: commit message, step note, transcript, budgets.

Pure functions over the run's records; the runner decides when, these decide what.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Literal

from talkgit.agents.base import StepOutcome
from talkgit.engine.state import AttemptKind, RunRecord, now
from talkgit.filenames import shown
from talkgit.gates.evaluate import GateReport
from talkgit.git.ledger import dump_json
from talkgit.llm.types import Message, Reply
from talkgit.plan import PlanStep
from talkgit.provenance.schema import (
    NO_MODEL,
    EditRecord,
    GateRecord,
    GitRecord,
    StepNote,
    StepRef,
    UsageRecord,
)

if TYPE_CHECKING:
    from talkgit.engine.council import CouncilVerdict


@dataclass(frozen=True)
class Job:
    """One step attempt, scheduled: what runs, on which base, as attempt number ``index``."""

    step: PlanStep
    attempt: int
    kind: AttemptKind
    index: int
    base: str
    feedback: str = ""
    for_step: str | None = None
    judge_base: str = ""  # what the gates compare with (the base, unless fixing a rejection)
    lane: int = 0  # which lane runs it: names its private worktrees and gate caches
    started: datetime = field(default_factory=now)


@dataclass(frozen=True)
class Attempted:
    """What a lane hands back: the agent's outcome and, for a change, how it was judged.

    ``probe`` is the commit the change was judged as (None when nothing judged it).
    """

    outcome: StepOutcome
    report: GateReport | None = None
    council: CouncilVerdict | None = None
    probe: str | None = None
    skills: tuple[str, ...] = ()

    @property
    def approved(self) -> bool:
        """The gates let it through and, in strict mode, so did the council."""
        report, council = self.report, self.council
        gates_ok = report is None or report.lets_through
        return gates_ok and (council is None or council.approved)


def usage_of(replies: tuple[Reply, ...]) -> UsageRecord:
    """Tokens and cost actually paid: cached replies count as calls but cost nothing."""
    total = UsageRecord()
    for reply in replies:
        paid = not reply.cached
        total += UsageRecord(
            input_tokens=reply.usage.input_tokens if paid else 0,
            output_tokens=reply.usage.output_tokens if paid else 0,
            cost=reply.usage.cost_usd if paid else Decimal(0),
            calls=1,
            cached_calls=0 if paid else 1,
        )
    return total


def step_note(
    run_id: str,
    job: Job,
    model: str | None,
    attempted: Attempted,
    commit: str,
    tree: str,
    finished: datetime,
) -> StepNote:
    """The ``talkgit.step/v1`` note on the commit an attempt made; ``model`` is the model's
    label (``model_label``), None for an agent that uses none."""
    outcome, council = attempted.outcome, attempted.council
    last = outcome.replies[-1] if outcome.replies else None
    return StepNote(
        run=run_id,
        step=StepRef(
            index=job.index, id=job.step.id, attempt=job.attempt, parents=job.step.depends_on
        ),
        agent=job.step.agent,
        model=model or NO_MODEL,
        prompt_sha256=last.request_sha256 if last else "",
        response_sha256=last.response_sha256 if last else "",
        usage=usage_of(outcome.replies),
        git=GitRecord(commit=commit, tree=tree, base=job.base),
        gates=gate_records(attempted.report),
        skills=attempted.skills,
        edits=tuple(EditRecord(path=e.path, how=e.how) for e in outcome.edits),
        council=council.record if council is not None else None,
        started=job.started,
        finished=finished,
    )


Budget = Literal["steps", "tokens", "cost", "time"]
# What a resume hint adds at least, so that a budget of zero (or nearly) still lets a run on.
MORE_USD_AT_LEAST = Decimal("0.10")
MORE_SECONDS_AT_LEAST = 300.0


def exhausted_budget(record: RunRecord, elapsed: float) -> Budget | None:
    """The budget the run has used up, or None while all have room."""
    budgets, usage = record.budgets, record.usage
    if record.attempts >= budgets.max_steps:
        return "steps"
    if budgets.max_tokens is not None and _tokens(usage) >= budgets.max_tokens:
        return "tokens"
    if budgets.budget_usd is not None and usage.cost >= budgets.budget_usd:
        return "cost"
    return "time" if elapsed >= budgets.timeout_s else None


def budget_reached(record: RunRecord, elapsed: float) -> str | None:
    """Which budget the run has used up, in words, or None while all have room."""
    budgets, usage = record.budgets, record.usage
    match exhausted_budget(record, elapsed):
        case "steps":
            return f"step budget reached ({budgets.max_steps} attempts)"
        case "tokens":
            return f"token budget reached ({_tokens(usage)} of {budgets.max_tokens})"
        case "cost":
            return f"cost budget reached (${usage.cost} of ${budgets.budget_usd})"
        case "time":
            return f"time budget reached ({budgets.timeout_s:g} s)"
    return None


def more_budget(record: RunRecord) -> str | None:
    """The `resume` option that lets a run stopped on a budget go on, e.g. ``--max-steps 40``.

    It gives as much again as the run was given, counted from what it has spent: resuming
    with the old budget would stop again at once.
    """
    budgets, usage = record.budgets, record.usage
    match exhausted_budget(record, record.elapsed_s):
        case "steps":
            return f"--max-steps {record.attempts + budgets.max_steps}"
        case "tokens":
            return f"--max-tokens {_tokens(usage) + (budgets.max_tokens or 0)}"
        case "cost":
            more = max(budgets.budget_usd or Decimal(0), MORE_USD_AT_LEAST)
            return f"--budget-usd {(usage.cost + more).quantize(Decimal('0.01'), ROUND_CEILING)}"
        case "time":
            more_s = max(budgets.timeout_s, MORE_SECONDS_AT_LEAST)
            return f"--timeout {math.ceil((record.elapsed_s + more_s) / 60)}m"
    return None


def _tokens(usage: UsageRecord) -> int:
    return usage.input_tokens + usage.output_tokens


def loose_matches(outcome: StepOutcome) -> list[str]:
    """A line per edit block that did not match its file exactly: worth a person's look."""
    return [
        f"edit of {shown(edit.path)} matched {edit.how.replace('fuzzy', 'fuzzily, similarity')}"
        for edit in outcome.edits
        if edit.how.startswith(("fuzzy", "whitespace", "elided"))
    ]


def commit_message(job: Job, outcome: StepOutcome) -> str:
    subject = job.step.goal.strip().splitlines()[0]
    subject = subject if len(subject) <= 72 else subject[:71] + "…"
    what = f"step {job.step.id} ({job.kind} {job.attempt})"
    body = f"talkgit {job.step.agent}, {what}: {' '.join(outcome.summary.split())}"
    # A line of "---" would end the message for `git interpret-trailers` but not for `git log`.
    return f"{subject.replace('---', '- - -')}\n\n{body}\n"


def gate_records(report: GateReport | None) -> tuple[GateRecord, ...]:
    if report is None:
        return ()
    return tuple(
        GateRecord(
            tool=result.tool,
            version=result.version,
            verdict=result.verdict,
            counts=result.counts,
            duration_s=round(result.duration_s, 3),
        )
        for result in report.gates
    )


def merge_message(job: Job) -> str:
    return f"Merge step {job.index:02d}-{job.step.id} into the integration branch\n"


def transcript_path(job: Job) -> str:
    return f"transcripts/{job.index:02d}-{job.step.id}.json"


def transcript(messages: tuple[Message, ...]) -> bytes:
    """Every message of an agent's conversation, lookups and their answers too."""
    return dump_json([m.as_dict() for m in messages])
