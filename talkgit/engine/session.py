"""Starting and resuming a run: plan a task and carry it out on branches.

What `talkgit run`, `talkgit resume` and `talkgit demo` share: the session (repository,
settings, agents, waivers, skills, reporter), the runner built from it, the dry run, the
summary a person reads after a run, and `--finish`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Literal, TextIO

from talkgit import exit_codes
from talkgit.agents.base import Agent
from talkgit.agents.registry import all_agents
from talkgit.config import (
    ReadFile,
    Settings,
    load_settings,
    read_from_directory,
    repository_endpoints,
)
from talkgit.engine.cache import LedgerCache
from talkgit.engine.finish import finish_run
from talkgit.engine.interactive import Terminal, TerminalSteering, require_terminal
from talkgit.engine.lock import RunLock
from talkgit.engine.records import more_budget
from talkgit.engine.report import Reporter, describe_plan, reporter_for
from talkgit.engine.runner import Runner, step_model
from talkgit.engine.runs import (
    StoredRun,
    create_run,
    latest_run,
    locked_run,
    new_record,
    run_as_dict,
)
from talkgit.engine.state import RunRecord, load_pending
from talkgit.errors import ConfigError, ModelError, NoSpaceError, TalkgitError, UsageError
from talkgit.gates.policy import Waiver, load_waivers
from talkgit.git.ledger import Ledger
from talkgit.git.names import integration_branch, short_branch
from talkgit.git.repo import GitRepo
from talkgit.llm.cache import MemoryCache
from talkgit.llm.client import LLM
from talkgit.llm.types import CallPolicy, ResponseCache
from talkgit.provenance.schema import model_label
from talkgit.skills.library import Skill, load_skills

NO_MODEL = (
    "no model configured: pass --model (e.g. openai/gpt-4o-mini), set TALKGIT_MODEL, or add "
    '`model = "…"` under [tool.talkgit] in pyproject.toml; `talkgit demo` runs offline'
)


Mode = Literal["auto", "strict", "dry-run"]


@dataclass(frozen=True)
class RunOptions:
    """What the command line may override; None means "as configured"."""

    model: str | None = None
    parallel: int | None = None
    max_steps: int | None = None
    budget_usd: Decimal | None = None
    timeout: float | None = None
    interactive: bool = False  # ask a person after planning and before each merge
    max_tokens: int | None = None

    def overrides(self) -> dict[str, object]:
        values = {
            "parallel": self.parallel,
            "max_steps": self.max_steps,
            "max_tokens": self.max_tokens,
            "budget_usd": self.budget_usd,
            "timeout": self.timeout,
        }
        return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class Session:
    """What one `run` or `resume` command works with, besides the run itself."""

    repo: GitRepo
    settings: Settings
    agents: dict[str, Agent]
    options: RunOptions
    reporter: Reporter
    environ: Mapping[str, str] | None
    waivers: tuple[Waiver, ...]
    skills: tuple[Skill, ...]
    terminal: Terminal | None = None  # where a person answers: only in an interactive run

    def runner(self, ledger: Ledger, record: RunRecord, cache: ResponseCache) -> Runner:
        settings = self.settings
        steering = None if self.terminal is None else TerminalSteering(self.agents, self.terminal)
        return Runner(
            repo=self.repo,
            ledger=ledger,
            record=record,
            settings=settings,
            llm=LLM(
                cache=cache,
                policy=CallPolicy(timeout=settings.call_timeout, retries=settings.retries),
                environ=self.environ,
            ),
            agents=self.agents,
            reporter=self.reporter,
            model_override=self.options.model,
            waivers=self.waivers,
            skills=self.skills,
            steering=steering,
        )


def _session(
    directory: Path,
    options: RunOptions,
    as_json: bool,
    reporter: Reporter | None,
    environ: Mapping[str, str] | None,
    terminal: Terminal | None = None,
) -> Session:
    repo = GitRepo.discover(directory)
    if options.interactive:
        if as_json:  # nothing may be printed but the JSON document
            raise UsageError("-i asks questions on the terminal: it cannot go with --json")
        require_terminal()
        if terminal is None:  # a caller that is not the command line gave none
            raise UsageError("an interactive run (-i) needs a terminal to ask its questions")
        # One step at a time: a person reviews each result before the next one starts.
        options = replace(options, parallel=1)
    read = read_from_directory(repo.workdir)
    settings = load_settings(read, environ=environ, overrides=options.overrides())
    _refuse_repository_endpoints(read, settings, environ)
    # Read before anything is written: a broken waiver or skill file stops the run here.
    waivers = load_waivers(read_from_directory(repo.workdir))
    skills = load_skills(repo.workdir)
    agents = all_agents()
    reporter = reporter or reporter_for(as_json)
    asks = terminal if options.interactive else None
    return Session(repo, settings, agents, options, reporter, environ, waivers, skills, asks)


def _refuse_repository_endpoints(
    read: ReadFile, settings: Settings, environ: Mapping[str, str] | None
) -> None:
    """A model endpoint the repository chose would receive your key: not without your word."""
    found = repository_endpoints(read, settings, environ)
    if found:
        raise ConfigError(
            f"{found[0]}: an endpoint set by the repository's files would receive your API "
            "key; set the endpoint yourself (TALKGIT_API_BASE), or trust the repository's "
            "with TALKGIT_TRUST_REPOSITORY_API_BASE=1"
        )


def start_run(
    directory: Path,
    task: str,
    options: RunOptions,
    *,
    mode: Mode = "auto",
    finish: bool = False,
    as_json: bool = False,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    reporter: Reporter | None = None,
    terminal: Terminal | None = None,
) -> int:
    """Plan ``task`` and carry it out (``auto``, ``strict``), or only plan it (``dry-run``).

    ``task`` is stripped and not empty, and the options go together (`talkgit run` checks).
    """
    session = _session(directory, options, as_json, reporter, environ, terminal)
    if session.settings.model_for("planner", options.model) is None:
        raise ModelError(NO_MODEL)
    labels = _model_labels(session.settings, session.agents, options)
    record = new_record(session.repo, task, session.settings, labels, options.model)
    if mode == "dry-run":
        return _dry_run(session, record, as_json, out)
    record = record.model_copy(update={"mode": mode})
    # Locked before the run's refs are written: a kill while git holds their lock files
    # leaves a dead driver's run lock, and `resume` then clears those lock files too.
    with RunLock(session.repo, record.run, session.reporter.line):
        ledger = create_run(session.repo, record)
        runner = session.runner(ledger, record, LedgerCache(ledger))
        session.reporter.line(f"run {record.run} ({mode} mode): {task}", "bold")
        with _resumable(record.run):
            _plan(runner)
            code = _execute(runner, as_json, out) if runner.review_plan() else _stopped(runner, out)
    if finish and runner.record.status == "done":
        return _finish(session.repo, record.run, sys.stderr if as_json else out)
    return code


def _finish(repo: GitRepo, run_id: str, out: TextIO | None) -> int:
    """`talkgit run --finish`: what `talkgit finish RUN` does, once the run is done."""
    out = out or sys.stdout
    say = lambda line: out.write(line + "\n")  # noqa: E731
    out.write(finish_run(repo, run_id, say=say))
    return exit_codes.OK


def _plan(runner: Runner) -> None:
    """Plan and store the plan; a run that cannot be planned is recorded as failed."""
    try:
        planned = runner.make_plan(runner.record.task)
    except NoSpaceError:  # recording a failure would need the space that is missing
        raise
    except TalkgitError as exc:
        runner.save_run(status="failed", reason=str(exc))
        raise
    runner.store_plan(planned.plan, planned.transcript)


def _model_labels(
    settings: Settings, agents: Mapping[str, Agent], options: RunOptions
) -> dict[str, str | None]:
    """Which model the planner and each agent that uses one will use, as provenance names it
    (no local paths); an agent that uses no model is left out, as its steps name none."""
    models = {"planner": settings.model_for("planner", options.model)}
    for name, agent in agents.items():
        if agent.needs_model:
            models[name] = step_model(settings, agent, override=options.model)
    return {name: model_label(model) if model else None for name, model in models.items()}


def resume_run(
    directory: Path,
    run_prefix: str | None,
    options: RunOptions,
    *,
    as_json: bool = False,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    reporter: Reporter | None = None,
    terminal: Terminal | None = None,
) -> int:
    """Carry on a stopped, interrupted or failed run; answered model calls are not paid again."""
    session = _session(directory, options, as_json, reporter, environ, terminal)
    repo = session.repo
    with locked_run(
        repo, latest_run(repo) if run_prefix is None else run_prefix, session.reporter.line
    ) as stored:
        run_id = stored.record.run
        if stored.record.status == "done":
            raise UsageError(f"run {run_id} is already done: see `talkgit show {run_id}`")
        record = _with_budgets(stored.record, session.options)
        started_with = _as_started(session, record)
        runner = started_with.runner(stored.ledger, record, LedgerCache(stored.ledger))
        _restore(runner, stored)
        session.reporter.line(
            f"resuming run {run_id} ({stored.record.status}, {record.mode} mode): "
            f"{stored.record.task}",
            "bold",
        )
        with _resumable(run_id):
            if stored.plan is None:
                _plan(runner)
            return _execute(runner, as_json, out) if runner.review_plan() else _stopped(runner, out)


@contextmanager
def _resumable(run_id: str) -> Iterator[None]:
    """A full disk stops the run where it stands: its last saved state is whole, so say how
    to carry on once there is room."""
    try:
        yield
    except NoSpaceError as exc:
        raise exc.then(f"`talkgit resume {run_id}`") from exc


def _as_started(session: Session, record: RunRecord) -> Session:
    """The session with the model and api_base the run was started with, where the command
    line (or, for api_base, the configuration) does not name others."""
    options = replace(session.options, model=session.options.model or record.model)
    settings = session.settings
    if settings.api_base is None and record.api_base is not None:
        settings = settings.model_copy(update={"api_base": record.api_base})
    return replace(session, options=options, settings=settings)


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
                "max_tokens": options.max_tokens,
                "budget_usd": options.budget_usd,
                "timeout_s": options.timeout,
            }.items()
            if value is not None
        }
    )
    return record.model_copy(
        update={"budgets": budgets, "parallel": options.parallel or record.parallel}
    )


def _dry_run(session: Session, record: RunRecord, as_json: bool, out: TextIO | None) -> int:
    """Plan and show; nothing is written (the ledger object is never asked to write)."""
    runner = session.runner(Ledger(session.repo, record.run), record, MemoryCache())
    plan = runner.make_plan(record.task).plan
    out = out or sys.stdout
    if as_json:
        document = {"dry_run": True, "task": record.task, "plan": plan.model_dump(mode="json")}
        out.write(json.dumps(document, indent=2) + "\n")
    else:
        out.write(f"dry run — would run {len(plan.steps)} step(s); nothing was written:\n")
        out.write("\n".join(describe_plan(plan)) + "\n")
    return exit_codes.OK


def _stopped(runner: Runner, out: TextIO | None) -> int:
    """A person stopped the run at the plan: say how to carry on."""
    (out or sys.stdout).write(summary(runner.record))
    return exit_codes.FAILURE


def _execute(runner: Runner, as_json: bool, out: TextIO | None) -> int:
    out = out or sys.stdout
    try:
        record = runner.execute()
    except KeyboardInterrupt:
        sys.stderr.write(
            f"talkgit: interrupted; resume with `talkgit resume {runner.record.run}`\n"
        )
        raise
    if as_json:
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
        more = more_budget(record) if record.status == "stopped" else None
        lines.append(f"  continue: talkgit resume {record.run}{' ' + more if more else ''}")
    elif record.mode == "strict":
        lines.append("  strict mode: the council approved each merge; you decide the rest")
        lines.append(f"  bring it in: talkgit finish {record.run}")
    else:
        lines.append(f"  bring it in: talkgit finish {record.run}")
    return "\n".join(lines) + "\n"
