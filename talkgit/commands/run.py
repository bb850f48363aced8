"""`talkgit run` and `talkgit resume`: plan a task and carry it out on branches."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from talkgit import exit_codes
from talkgit.agents.base import Agent
from talkgit.agents.registry import builtin_agents
from talkgit.config import Settings, load_settings, read_from_directory
from talkgit.engine.cache import LedgerCache
from talkgit.engine.lock import RunLock
from talkgit.engine.report import Reporter, describe_plan, reporter_for
from talkgit.engine.runner import Runner
from talkgit.engine.runs import StoredRun, create_run, latest_run, new_record, open_run
from talkgit.engine.state import RunRecord, load_pending
from talkgit.errors import ModelError, TalkgitError, UsageError
from talkgit.gates.policy import load_waivers
from talkgit.git.ledger import Ledger
from talkgit.git.names import integration_branch, short_branch
from talkgit.git.repo import GitRepo
from talkgit.llm.cache import MemoryCache
from talkgit.llm.client import LLM
from talkgit.llm.types import CallPolicy, ResponseCache
from talkgit.provenance.schema import model_label

NO_MODEL = (
    "no model configured: pass --model (e.g. openai/gpt-4o-mini), set TALKGIT_MODEL, or add "
    '`model = "…"` under [tool.talkgit] in pyproject.toml; `talkgit demo` runs offline'
)


@dataclass(frozen=True)
class RunOptions:
    """What the command line may override; None means "as configured"."""

    model: str | None = None
    parallel: int | None = None
    max_steps: int | None = None
    budget_usd: Decimal | None = None
    timeout: float | None = None

    def overrides(self) -> dict[str, object]:
        values = {
            "parallel": self.parallel,
            "max_steps": self.max_steps,
            "budget_usd": self.budget_usd,
            "timeout": self.timeout,
        }
        return {key: value for key, value in values.items() if value is not None}


def run(
    directory: Path,
    task: str,
    options: RunOptions,
    *,
    dry_run: bool = False,
    as_json: bool = False,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    reporter: Reporter | None = None,
) -> int:
    task = task.strip()
    if not task:
        raise UsageError("the task is empty: say what the agents should do")
    repo = GitRepo.discover(directory)
    settings = load_settings(
        read_from_directory(repo.workdir), environ=environ, overrides=options.overrides()
    )
    agents = builtin_agents()
    planner_model = settings.model_for("planner", options.model)
    if planner_model is None:
        raise ModelError(NO_MODEL)
    reporter = reporter or reporter_for(as_json)
    record = new_record(repo, task, settings, _model_labels(settings, agents, options))
    if dry_run:
        return _dry_run(repo, record, settings, agents, options, reporter, as_json, out, environ)
    ledger = create_run(repo, record)
    runner = _runner(
        repo, ledger, record, settings, agents, options, reporter, LedgerCache(ledger), environ
    )
    with RunLock(repo, record.run, reporter.line):
        reporter.line(f"run {record.run}: {task}", "bold")
        _plan(runner)
        return _finish(runner, as_json, out)


def _plan(runner: Runner) -> None:
    """Plan and store the plan; a run that cannot be planned is recorded as failed."""
    try:
        planned = runner.make_plan(runner.record.task)
    except TalkgitError as exc:
        runner.save_run(status="failed", reason=str(exc))
        raise
    runner.store_plan(planned.plan, planned.transcript)


def _model_labels(
    settings: Settings, agents: Mapping[str, Agent], options: RunOptions
) -> dict[str, str | None]:
    """Which model each agent uses, as provenance names it (no local paths)."""
    users = ["planner", *(name for name, agent in agents.items() if agent.needs_model)]
    models = {name: settings.model_for(name, options.model) for name in users}
    return {name: model_label(model) if model else None for name, model in models.items()}


def resume(
    directory: Path,
    run_prefix: str | None,
    options: RunOptions,
    *,
    as_json: bool = False,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    reporter: Reporter | None = None,
) -> int:
    """Carry on a stopped, interrupted or failed run; answered model calls are not paid again."""
    repo = GitRepo.discover(directory)
    run_id = open_run(repo, run_prefix or latest_run(repo)).record.run
    reporter = reporter or reporter_for(as_json)
    with RunLock(repo, run_id, reporter.line):
        stored = open_run(repo, run_id)  # read again, now that no one else can write it
        if stored.record.status == "done":
            raise UsageError(f"run {run_id} is already done: see `talkgit show {run_id}`")
        settings = load_settings(
            read_from_directory(repo.workdir), environ=environ, overrides=options.overrides()
        )
        runner = _runner(
            repo,
            stored.ledger,
            _with_budgets(stored.record, options),
            settings,
            builtin_agents(),
            options,
            reporter,
            LedgerCache(stored.ledger),
            environ,
        )
        _restore(runner, stored)
        reporter.line(
            f"resuming run {run_id} ({stored.record.status}): {stored.record.task}", "bold"
        )
        if stored.plan is None:
            _plan(runner)
        return _finish(runner, as_json, out)


def _restore(runner: Runner, stored: StoredRun) -> None:
    """Give a runner everything an earlier session left in the ledger."""
    runner.attempts = stored.attempts
    runner.restore_queue(load_pending(stored.ledger))
    runner.plan = stored.plan or runner.plan
    runner.catch_up()


def _with_budgets(record: RunRecord, options: RunOptions) -> RunRecord:
    budgets = record.budgets.model_copy(
        update={
            key: value
            for key, value in {
                "max_steps": options.max_steps,
                "budget_usd": options.budget_usd,
                "timeout_s": options.timeout,
            }.items()
            if value is not None
        }
    )
    return record.model_copy(
        update={"budgets": budgets, "parallel": options.parallel or record.parallel}
    )


def _runner(
    repo: GitRepo,
    ledger: Ledger,
    record: RunRecord,
    settings: Settings,
    agents: dict[str, Agent],
    options: RunOptions,
    reporter: Reporter,
    cache: ResponseCache,
    environ: Mapping[str, str] | None,
) -> Runner:
    policy = CallPolicy(timeout=settings.call_timeout, retries=settings.retries)
    return Runner(
        repo=repo,
        ledger=ledger,
        record=record,
        settings=settings,
        llm=LLM(cache=cache, policy=policy, environ=environ),
        agents=agents,
        reporter=reporter,
        model_override=options.model,
        waivers=load_waivers(read_from_directory(repo.workdir)),
    )


def _dry_run(
    repo: GitRepo,
    record: RunRecord,
    settings: Settings,
    agents: dict[str, Agent],
    options: RunOptions,
    reporter: Reporter,
    as_json: bool,
    out: TextIO | None,
    environ: Mapping[str, str] | None,
) -> int:
    """Plan and show; nothing is written (the ledger object is never asked to write)."""
    ledger = Ledger(repo, record.run)
    runner = _runner(
        repo, ledger, record, settings, agents, options, reporter, MemoryCache(), environ
    )
    plan = runner.make_plan(record.task).plan
    out = out or sys.stdout
    if as_json:
        out.write(
            json.dumps(
                {"dry_run": True, "task": record.task, "plan": plan.model_dump(mode="json")},
                indent=2,
            )
            + "\n"
        )
    else:
        out.write(f"dry run — would run {len(plan.steps)} step(s); nothing was written:\n")
        out.write("\n".join(describe_plan(plan)) + "\n")
    return exit_codes.OK


def _finish(runner: Runner, as_json: bool, out: TextIO | None) -> int:
    out = out or sys.stdout
    try:
        record = runner.execute()
    except KeyboardInterrupt:
        sys.stderr.write(
            f"talkgit: interrupted; resume with `talkgit resume {runner.record.run}`\n"
        )
        raise
    if as_json:
        from talkgit.commands.show import run_as_dict

        out.write(json.dumps(run_as_dict(record, runner.plan, runner.attempts), indent=2) + "\n")
    else:
        out.write(summary(record))
    return exit_codes.OK if record.status == "done" else exit_codes.FAILURE


def summary(record: RunRecord) -> str:
    """What a person needs after a run: how it ended, what it cost, where to look next."""
    usage = record.usage
    branch = short_branch(integration_branch(record.run))
    lines = [
        f"run {record.run}: {record.status}{' — ' + record.reason if record.reason else ''}",
        f"  {record.attempts} step attempt(s), {usage.calls} model call(s) "
        f"({usage.cached_calls} cached), {usage.input_tokens + usage.output_tokens} tokens, "
        f"${usage.cost}",
        f"  integration branch: {branch}",
        f"  see it:   git log --format='%h %s%n%(trailers)' {record.base[:10]}..{branch}",
        f"  details:  talkgit show {record.run}",
    ]
    if record.status != "done":
        lines.append(f"  continue: talkgit resume {record.run}")
    return "\n".join(lines) + "\n"
