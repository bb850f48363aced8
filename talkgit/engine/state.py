"""A run's state as stored in its ledger: run.json, plan.json and one record per attempt."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from talkgit.git.ledger import Ledger, dump_json
from talkgit.plan import Plan, PlanStep
from talkgit.provenance.schema import UsageRecord

RunStatus = Literal["planning", "running", "done", "failed", "stopped", "interrupted"]
# skipped: a person chose to leave the step's change out; declined: a person sent it back.
AttemptStatus = Literal["merged", "passed", "failed", "conflict", "rejected", "skipped", "declined"]
AttemptKind = Literal["step", "fix", "redo"]
RunMode = Literal["auto", "strict"]
FINISHED_STATUSES = ("merged", "passed", "skipped")


def now() -> datetime:
    return datetime.now(timezone.utc)


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Budgets(_State):
    max_steps: int
    max_tokens: int | None = None
    budget_usd: Decimal | None = None
    timeout_s: float


class RunRecord(_State):
    """``run.json``: what the run is, where it stands, and its totals."""

    schema_: Literal["talkgit.ledger/v1"] = Field(default="talkgit.ledger/v1", alias="schema")
    run: str
    task: str
    base: str  # the commit the run started from
    created: datetime
    updated: datetime
    status: RunStatus = "planning"
    reason: str = ""
    mode: RunMode = "auto"  # strict: the reviewer council must approve every merge
    models: dict[str, str | None] = Field(default_factory=dict)  # agent -> model
    # What the run was started with, so that `resume` carries on with it wherever the run
    # stopped, planning included: the --model given (None: each agent's configured one)
    # and the api_base in effect.
    model: str | None = None
    api_base: str | None = None
    parallel: int = 1
    budgets: Budgets
    usage: UsageRecord = UsageRecord()
    attempts: int = 0  # step attempts started; the NN of the next branch is attempts + 1
    stalls: int = 0  # attempts in a row that made no progress
    replans: int = 0
    elapsed_s: float = 0.0  # wall time spent in earlier sessions of this run (before a resume)


class AttemptRecord(_State):
    """``steps/<NN>-<id>.json``: one attempt of one step, whatever became of it."""

    index: int
    step: str
    attempt: int
    kind: AttemptKind
    for_step: str | None = None  # a fix attempt: the step whose failure it fixes
    agent: str
    model: str | None
    status: AttemptStatus
    summary: str
    detail: str = ""
    base: str
    commit: str | None = None
    branch: str | None = None
    integration: str | None = None  # the integration head after this attempt merged
    gates: dict[str, str] = Field(default_factory=dict)  # gate -> verdict, for coder attempts
    council: dict[str, str] = Field(default_factory=dict)  # judge -> verdict (strict mode)
    skills: tuple[str, ...] = ()  # the skills put into the agent's prompt
    usage: UsageRecord = UsageRecord()  # the agent's model calls
    council_usage: UsageRecord = UsageRecord()  # the LLM judges' calls
    started: datetime
    finished: datetime

    @property
    def path(self) -> str:
        return attempt_path(self.index, self.step)


@dataclass(frozen=True)
class Pending:
    """A fix or redo waiting for a free lane (its base is taken when it starts).

    Kept in the ledger (``pending.json``) so a resumed run asks the model exactly what the
    interrupted one would have asked — the same request, served from the cache if paid.
    """

    step: PlanStep
    attempt: int
    kind: AttemptKind
    feedback: str
    for_step: str | None = None
    base: str | None = None  # start here instead of the integration head (a rejected commit)
    judge_base: str | None = None  # what the gates compare with, when not ``base``


PENDING_FILE = "pending.json"


def pending_file(queue: list[Pending]) -> bytes:
    return dump_json(
        [{**asdict(item), "step": item.step.model_dump(mode="json")} for item in queue]
    )


def load_pending(ledger: Ledger) -> list[Pending]:
    data = ledger.read(PENDING_FILE)
    items = json.loads(data) if data else []
    return [Pending(**{**item, "step": PlanStep.model_validate(item["step"])}) for item in items]


def attempt_path(index: int, step: str) -> str:
    return f"steps/{index:02d}-{step}.json"


def run_file(record: RunRecord) -> bytes:
    return (record.model_dump_json(by_alias=True, indent=2) + "\n").encode()


def plan_file(plan: Plan) -> bytes:
    return dump_json(plan.model_dump(mode="json"))


def attempt_file(record: AttemptRecord) -> bytes:
    return (record.model_dump_json(indent=2) + "\n").encode()


def load_run(ledger: Ledger) -> RunRecord | None:
    data = ledger.read("run.json")
    return None if data is None else RunRecord.model_validate_json(data)


def load_plan(ledger: Ledger) -> Plan | None:
    data = ledger.read("plan.json")
    return None if data is None else Plan.model_validate(json.loads(data))


def load_attempts(ledger: Ledger) -> list[AttemptRecord]:
    records = []
    for name in ledger.list("steps"):
        data = ledger.read(f"steps/{name}")
        if data is not None:
            records.append(AttemptRecord.model_validate_json(data))
    return sorted(records, key=lambda record: record.index)
