"""Creating a run and opening an existing one: the ledger, its records, and a Runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from talkgit.config import Settings
from talkgit.engine.lock import RunLock
from talkgit.engine.state import (
    AttemptRecord,
    Budgets,
    RunRecord,
    load_attempts,
    load_plan,
    load_run,
    now,
    run_file,
)
from talkgit.errors import NotFoundError
from talkgit.git.ledger import Ledger, list_runs
from talkgit.git.names import integration_branch, new_run_id, resolve_run_id, short_branch
from talkgit.git.repo import GitRepo
from talkgit.git.transaction import Transaction
from talkgit.plan import Plan


@dataclass(frozen=True)
class StoredRun:
    ledger: Ledger
    record: RunRecord
    plan: Plan | None
    attempts: list[AttemptRecord]


def budgets_from(settings: Settings) -> Budgets:
    return Budgets(
        max_steps=settings.max_steps,
        max_tokens=settings.max_tokens,
        budget_usd=Decimal(settings.budget_usd) if settings.budget_usd is not None else None,
        timeout_s=settings.timeout,
    )


def new_record(
    repo: GitRepo,
    task: str,
    settings: Settings,
    models: dict[str, str | None],
    model: str | None = None,
) -> RunRecord:
    """A fresh run record (not yet stored): id, task, base commit, budgets, and ``model``
    (the --model given, if any) and the api_base a resume needs to carry on."""
    created = now()
    return RunRecord(
        run=new_run_id(list_runs(repo)),
        task=task,
        base=repo.head(),
        created=created,
        updated=created,
        models=models,
        model=model,
        api_base=settings.api_base,
        parallel=settings.parallel,
        budgets=budgets_from(settings),
    )


def create_run(repo: GitRepo, record: RunRecord) -> Ledger:
    """Store the run: its ledger and its integration branch at the base, in one CAS."""
    ledger = Ledger(repo, record.run)
    with repo.batch():  # its lock, and a pack `git gc` cannot prune before the refs move
        tx = Transaction(repo, message=f"talkgit run {record.run}")
        tx.set_ref(integration_branch(record.run), record.base, expected=None)
        ledger.tip = ledger.stage(tx, {"run.json": run_file(record)}, message="talkgit: new run")
        tx.commit()
    return ledger


def open_run(repo: GitRepo, prefix: str) -> StoredRun:
    """The run whose id starts with ``prefix``, with its plan and attempts."""
    ledger = Ledger(repo, resolve_run_id(prefix, list_runs(repo)))
    record = load_run(ledger)
    if record is None:
        raise NotFoundError(f"run {ledger.run_id} has no run.json in its ledger")
    return StoredRun(ledger, record, load_plan(ledger), load_attempts(ledger))


@contextmanager
def locked_run(repo: GitRepo, prefix: str, say: Callable[[str], object]) -> Iterator[StoredRun]:
    """The run ``prefix`` names, read once its lock is held: no one else can write it then."""
    run_id = resolve_run_id(prefix, list_runs(repo))
    with RunLock(repo, run_id, say):
        yield open_run(repo, run_id)


def latest_run(repo: GitRepo) -> str:
    """The id of the most recently updated run."""
    runs = [open_run(repo, run_id).record for run_id in list_runs(repo)]
    if not runs:
        raise NotFoundError("no talkgit run in this repository yet (start one with `talkgit run`)")
    return max(runs, key=lambda record: record.updated).run


def run_as_dict(
    record: RunRecord, plan: Plan | None, attempts: list[AttemptRecord]
) -> dict[str, Any]:
    """The run as one JSON document: what `talkgit show --json` and `run --json` print."""
    return {
        "run": record.model_dump(mode="json", by_alias=True),
        "integration_branch": short_branch(integration_branch(record.run)),
        "plan": plan.model_dump(mode="json") if plan is not None else None,
        "attempts": [attempt.model_dump(mode="json") for attempt in attempts],
    }
