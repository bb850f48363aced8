"""One attempt of a step, and what it writes: commit message, step note, transcript, budgets.

Pure functions over the run's records; the runner decides when, these decide what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from talkgit.agents.base import StepOutcome
from talkgit.engine.plan import PlanStep
from talkgit.engine.state import AttemptKind, RunRecord, now
from talkgit.gates.evaluate import GateReport
from talkgit.git.ledger import dump_json
from talkgit.llm.types import Message, Reply
from talkgit.provenance.schema import GateRecord, GitRecord, StepNote, StepRef, UsageRecord

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
    model: str,
    attempted: Attempted,
    commit: str,
    tree: str,
    finished: datetime,
) -> StepNote:
    """The ``talkgit.step/v1`` note on the commit an attempt made."""
    outcome, council = attempted.outcome, attempted.council
    last = outcome.replies[-1] if outcome.replies else None
    return StepNote(
        run=run_id,
        step=StepRef(
            index=job.index, id=job.step.id, attempt=job.attempt, parents=job.step.depends_on
        ),
        agent=job.step.agent,
        model=model,
        prompt_sha256=last.request_sha256 if last else "",
        response_sha256=last.response_sha256 if last else "",
        usage=usage_of(outcome.replies),
        git=GitRecord(commit=commit, tree=tree, base=job.base),
        gates=gate_records(attempted.report),
        skills=attempted.skills,
        council=council.record if council is not None else None,
        started=job.started,
        finished=finished,
    )


def budget_reached(record: RunRecord, elapsed: float) -> str | None:
    """Which budget the run has used up, in words, or None while all have room."""
    budgets, usage = record.budgets, record.usage
    if record.attempts >= budgets.max_steps:
        return f"step budget reached ({budgets.max_steps} attempts)"
    tokens = usage.input_tokens + usage.output_tokens
    if budgets.max_tokens is not None and tokens >= budgets.max_tokens:
        return f"token budget reached ({tokens} of {budgets.max_tokens})"
    if budgets.budget_usd is not None and usage.cost >= budgets.budget_usd:
        return f"cost budget reached (${usage.cost} of ${budgets.budget_usd})"
    if elapsed >= budgets.timeout_s:
        return f"time budget reached ({budgets.timeout_s:g} s)"
    return None


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
    return dump_json([{"role": m.role, "content": m.content} for m in messages])
