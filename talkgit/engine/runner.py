"""The runner: carries out a plan, step by step and lane by lane, never on the user's branch.

Agents run in worker threads (they spend their time waiting on models and tests); every
git write happens on the runner's own thread, in dependency order, by compare-and-swap.
All progress is in the ledger, so a stopped run can be picked up where it ended.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait

from talkgit.agents.base import Agent, Completer, StepOutcome
from talkgit.agents.planner import Planned, Workspace, make_plan
from talkgit.agents.step_judge import judge_agent
from talkgit.config import Settings
from talkgit.engine.lane import Lane, lane_name
from talkgit.engine.records import (
    Attempted,
    Job,
    budget_reached,
    commit_message,
    loose_matches,
    merge_message,
    step_note,
    transcript,
    transcript_path,
    usage_of,
)
from talkgit.engine.report import Reporter, describe_plan
from talkgit.engine.state import (
    FINISHED_STATUSES,
    PENDING_FILE,
    AttemptRecord,
    AttemptStatus,
    Pending,
    RunRecord,
    attempt_file,
    now,
    pending_file,
    plan_file,
    run_file,
)
from talkgit.engine.steering import RunStopped, Steering, StepDecision, StepReview
from talkgit.errors import ModelError, NoSpaceError, TalkgitError
from talkgit.gates.policy import Waiver
from talkgit.gates.render import render_text
from talkgit.git import worktrees
from talkgit.git.diff import patch_text
from talkgit.git.ledger import Ledger
from talkgit.git.merge import MergeConflict, merge
from talkgit.git.names import integration_branch, step_branch
from talkgit.git.repo import GitRepo
from talkgit.git.trailers import add_trailers
from talkgit.git.transaction import Transaction
from talkgit.llm.types import Message
from talkgit.plan import Plan, PlanError, PlanStep
from talkgit.provenance.record import stage_step
from talkgit.provenance.schema import StepNote, UsageRecord, model_label
from talkgit.provenance.talkgit_trailers import StepTrailers, verdict_line
from talkgit.skills.library import Skill

MAX_REDOS = 2  # attempts to redo a step whose merge conflicted
MAX_STALLS = 3  # failed attempts in a row before the plan is reconsidered
MAX_REPLANS = 1


def step_model(
    settings: Settings, agent: Agent, step: PlanStep | None = None, override: str | None = None
) -> str | None:
    """The model ``agent`` uses for ``step``, or None when it uses none (``needs_model`` False).

    The one answer to "which model did this step use": the step commit's ``Assisted-by``
    trailer, its note, its attempt record and the run's ``models`` all come from it. A
    step's own ``model`` wins, then ``override`` (the run's ``--model``), then the agent's
    configured one (``Settings.model_for``); None too when none is configured at all.
    """
    if not agent.needs_model:
        return None
    return _configured_model(settings, agent.name, step, override)


def _configured_model(
    settings: Settings, agent: str, step: PlanStep | None, override: str | None
) -> str | None:
    """The model ``agent`` would be given: ``step``'s own, ``override``, or its configured one."""
    chosen = step.model if step is not None and step.model else override
    return settings.model_for(agent, chosen)


class Runner:
    """Drives one run: its ledger is the truth, this object only caches it."""

    def __init__(
        self,
        *,
        repo: GitRepo,
        ledger: Ledger,
        record: RunRecord,
        settings: Settings,
        llm: Completer | None,
        agents: Mapping[str, Agent],
        reporter: Reporter,
        plan: Plan | None = None,
        attempts: list[AttemptRecord] | None = None,
        model_override: str | None = None,
        waivers: Sequence[Waiver] = (),
        skills: Sequence[Skill] = (),
        steering: Steering | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo, self.ledger, self.record = repo, ledger, record
        self.settings, self.llm, self.agents = settings, llm, agents
        self.reporter, self.model_override, self.clock = reporter, model_override, clock
        self.plan = plan or Plan(steps=())  # empty until planned
        self.attempts = list(attempts or [])
        self.queue: list[Pending] = []
        self.busy: set[str] = set()
        self.failed: set[str] = set()
        self.steering = steering
        self.lane = Lane(
            repo,
            settings,
            llm,
            record.run,
            record.task,
            strict=record.mode == "strict",
            waivers=tuple(waivers),
            skills=tuple(skills),
            run_base=record.base,
        )
        self._free_lanes = set(range(record.parallel))
        self._conflicts: dict[int, tuple[str, ...]] = {}
        self._unsaved_plan: dict[str, bytes | None] = {}
        self._started = clock()

    def restore_queue(self, pending: list[Pending]) -> None:
        """On resume: the fixes and redos that were waiting, exactly as they were."""
        self.queue = list(pending)
        self.busy = {p.for_step or p.step.id for p in pending} | {p.step.id for p in pending}

    # -- state ---------------------------------------------------------------------------

    @property
    def integration(self) -> str:
        head = self.repo.ref_target(integration_branch(self.record.run))
        return head or self.record.base

    @property
    def completed(self) -> set[str]:
        done = {a.step for a in self.attempts if a.status in FINISHED_STATUSES and a.kind != "fix"}
        # A person who skips a fix leaves out the step it was fixing too.
        skipped = {a.for_step for a in self.attempts if a.status == "skipped" and a.for_step}
        return done | {step for step in skipped if step is not None}

    def remaining_plan(self, *also_done: str) -> Plan:
        done = self.completed | set(also_done)
        return Plan(steps=tuple(step for step in self.plan.steps if step.id not in done))

    def model_for(self, agent: str, step: PlanStep | None = None) -> str | None:
        """The planner's model, or an agent's whether or not it uses one (see ``step_model``)."""
        return _configured_model(self.settings, agent, step, self.model_override)

    def elapsed(self) -> float:
        return self.record.elapsed_s + (self.clock() - self._started)

    def save_run(self, **changes: object) -> None:
        update = {**changes, "updated": now(), "elapsed_s": self.elapsed()}
        self.record = self.record.model_copy(update=update)
        self._started = self.clock()
        message = f"talkgit: run {self.record.status}"
        self.ledger.write({"run.json": run_file(self.record)}, message=message)

    def catch_up(self) -> None:
        """On resume: tell the model layer about every reply earlier sessions received.

        Finished steps are not asked again, so a scripted model would otherwise serve
        their replies a second time; real models ignore this.
        """
        if self.llm is None:
            return
        planner = self.model_for("planner")
        for name in self.ledger.list("transcripts"):
            if name.startswith("plan-") and planner is not None:
                transcript = json.loads(self.ledger.read(f"transcripts/{name}") or b"[]")
                for _ in (m for m in transcript if m["role"] == "assistant"):
                    self.llm.note_answered(agent="planner", model=planner)
        judges = {reviewer.name: reviewer.model for reviewer in self.settings.council.reviewers}
        for attempt in self.attempts:
            model = self.model_for(attempt.agent, self.plan_step(attempt.step))
            for _ in range(attempt.usage.calls if model else 0):
                self.llm.note_answered(agent=attempt.agent, model=model or "")
            for name in attempt.council.keys() & judges.keys():
                self.llm.note_answered(agent=judge_agent(name), model=judges[name])

    def plan_step(self, step_id: str) -> PlanStep | None:
        return next((step for step in self.plan.steps if step.id == step_id), None)

    # -- planning ------------------------------------------------------------------------

    def make_plan(self, task: str, context: str = "") -> Planned:
        model = self.model_for("planner")
        if self.llm is None or model is None:
            raise ModelError(
                "the planner needs a model: pass --model or set `model` in the configuration"
            )
        planned = make_plan(
            self.llm,
            model=model,
            task=task,
            workspace=Workspace(self.repo, self.integration),
            agents=self.agents,
            settings=self.settings.prompt("planner"),
            api_base=self.settings.api_base_for("planner"),
            context=context,
            satisfied=self.completed,
        )
        usage = self.record.usage + usage_of(planned.replies)
        self.record = self.record.model_copy(update={"usage": usage})
        return planned

    def store_plan(self, plan: Plan, messages: tuple[Message, ...] = ()) -> None:
        self.plan = plan
        files = {"run.json": run_file(self.record), **self._plan_files(messages)}
        self.ledger.write(files, message="talkgit: plan")
        self._report_plan()

    def review_plan(self) -> bool:
        """Let the person approve or edit the plan; False when they chose to stop."""
        if self.steering is None:
            return True
        decision = self.steering.review_plan(self.remaining_plan(), frozenset(self.completed))
        if decision.plan is not None:
            self._replace_remaining(decision.plan)
            self.ledger.write({"plan.json": plan_file(self.plan)}, message="talkgit: plan edited")
            self._report_plan()
        if decision.choice == "stop":
            self.save_run(status="stopped", reason="stopped by the user")
            return False
        return True

    def _replace_remaining(self, remaining: Plan) -> None:
        """A person's edit: the steps not yet done become ``remaining``."""
        done = self.completed
        kept = tuple(step for step in self.plan.steps if step.id in done)
        self.plan = Plan(steps=(*kept, *remaining.steps))
        ids = {step.id for step in self.plan.steps}
        self.queue = [p for p in self.queue if (p.for_step or p.step.id) in ids]

    def _plan_files(self, messages: tuple[Message, ...]) -> dict[str, bytes | None]:
        return {
            "plan.json": plan_file(self.plan),
            f"transcripts/plan-{self.record.replans}.json": transcript(messages),
        }

    def _report_plan(self) -> None:
        self.reporter.line(f"plan ({len(self.plan.steps)} steps):", "bold")
        for line in describe_plan(self.plan):
            self.reporter.line(line)

    # -- executing -----------------------------------------------------------------------

    def execute(self) -> RunRecord:
        """Run every remaining step of the plan; returns the final run record (also saved)."""
        self.save_run(status="running", reason="")
        running: dict[Future[Attempted], Job] = {}
        try:
            self._loop(running)
        except KeyboardInterrupt:
            # Lanes still waiting on a model must not write once we are gone: take the
            # repository's lock for good (after any write in progress), save, and leave.
            # The lanes are daemon threads, so they do not keep the process alive.
            self.repo.lock.acquire()
            self.save_run(status="interrupted", reason="interrupted (Ctrl-C)")
            raise
        except ModelError as exc:
            self.save_run(status="failed", reason=str(exc))
            raise
        except RunStopped:
            self.remove_worktrees()
            self.save_run(status="stopped", reason="stopped by the user")
            self.repo.compact_objects()
            return self.record
        return self._conclude()

    def _loop(self, running: dict[Future[Attempted], Job]) -> None:
        self._fill(running)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                self._settle(running.pop(future), future)
                # Refill after each settled lane, not after the whole batch: a new job
                # then runs while the other finished lanes are being merged.
                self._fill(running)

    def _fill(self, running: dict[Future[Attempted], Job]) -> None:
        if self._stop_reason() is None and not self.failed:
            for job in self._next_jobs(self.record.parallel - len(running)):
                running[self._launch(job)] = job

    def _launch(self, job: Job) -> Future[Attempted]:
        """Run ``job`` in its own lane: a daemon thread, so Ctrl-C is never kept waiting."""
        future: Future[Attempted] = Future()

        def lane() -> None:
            try:
                future.set_result(self._run_job(job))
            except BaseException as exc:  # handed to the runner's thread, which decides
                future.set_exception(exc)

        threading.Thread(target=lane, name=f"lane-{job.index:02d}", daemon=True).start()
        return future

    def _next_jobs(self, slots: int) -> list[Job]:
        chosen: list[Pending] = []
        while slots > len(chosen) and self.queue:
            chosen.append(self.queue.pop(0))
        for step in self.plan.steps:
            if len(chosen) >= slots:
                break
            if self._ready(step):
                chosen.append(Pending(step, self._attempt_number(step.id), "step", ""))
                self.busy.add(step.id)
        return [self._start(pending) for pending in chosen]

    def _ready(self, step: PlanStep) -> bool:
        done = self.completed
        blocked = step.id in done or step.id in self.busy or step.id in self.failed
        return not blocked and set(step.depends_on) <= done

    def _attempt_number(self, step_id: str) -> int:
        return 1 + sum(1 for a in self.attempts if a.step == step_id)

    def _start(self, pending: Pending) -> Job:
        index = self.record.attempts + 1
        # Kept in memory until the attempt is settled: an attempt that dies before then
        # made no branch, so a resumed run may reuse its number.
        self.record = self.record.model_copy(update={"attempts": index})
        base = pending.base or self.integration
        job = Job(
            pending.step,
            pending.attempt,
            pending.kind,
            index,
            base,
            pending.feedback,
            pending.for_step,
            judge_base=pending.judge_base or base,
            lane=self._free_lanes.pop(),
        )
        model = self._agent_model(job.step)
        who = job.step.agent + (f", {model_label(model)}" if model else "")
        self.reporter.line(f"[{index:02d}] {job.step.id} ({who}): {job.kind} {job.attempt}")
        return job

    def _agent_model(self, step: PlanStep) -> str | None:
        """The model a step's agent will use, or None for agents that use none (tester)."""
        return step_model(self.settings, self.agents[step.agent], step, self.model_override)

    def _run_job(self, job: Job) -> Attempted:
        return self.lane.attempt(job, self.agents[job.step.agent], self._agent_model(job.step))

    def remove_worktrees(self) -> None:
        """The lanes' private worktrees go with the run (their caches stay for the next)."""
        for lane in range(self.record.parallel):
            name = lane_name(self.record.run, lane)
            for worktree in (name, f"{name}-head", f"{name}-base"):
                worktrees.remove(self.repo, worktree)

    # -- settling a finished attempt -----------------------------------------------------

    def _settle(self, job: Job, future: Future[Attempted]) -> None:
        """Record a finished attempt and decide what follows, in one transaction.

        The step's branch and note, the integration branch, the attempt record, the run
        record and the queue of pending fixes move together: a crash at any instant
        leaves either all of it or none of it, and a resumed run continues from there.
        """
        self._free_lanes.add(job.lane)
        try:
            attempted = future.result()
        except (ModelError, NoSpaceError):  # the run's failure, not the step's
            raise
        except TalkgitError as exc:
            failed = StepOutcome(ok=False, summary="the agent failed", detail=str(exc))
            attempted = Attempted(failed)
        outcome, report = attempted.outcome, attempted.report
        decision = self._steer(job, attempted)
        tx = Transaction(self.repo, message=f"talkgit settle {job.index:02d}-{job.step.id}")
        with self.repo.batch():  # holds the repo's lock; the objects go to disk as one pack
            commit, status, merged = self._integrate(tx, job, attempted, decision)
            record = self._remember(job, attempted, status, commit, merged)
            self._follow_up(job, attempted, status, commit, decision)
            if decision is not None and decision.plan is not None:
                self._replace_remaining(decision.plan)
                self._unsaved_plan["plan.json"] = plan_file(self.plan)
            self._persist(tx, job, outcome, record)
        summary = outcome.summary
        if report is not None and report.gates:
            summary += " — gates " + verdict_line(report.verdicts())
        if attempted.council is not None:
            summary += f" — council {attempted.council.record.decision}"
        style = {"merged": "green", "passed": "green", "failed": "red"}.get(status, "yellow")
        self.reporter.line(f"[{job.index:02d}] {job.step.id}: {status} - {summary}", style)
        for line in loose_matches(outcome):
            self.reporter.line(f"[{job.index:02d}] {job.step.id}: {line}", "yellow")

    def _steer(self, job: Job, attempted: Attempted) -> StepDecision | None:
        """Ask the person (interactive runs) about an attempt that would merge."""
        if self.steering is None or not (attempted.outcome.ok and attempted.approved):
            return None
        probe = attempted.probe
        review = StepReview(
            job=job,
            attempted=attempted,
            diff=patch_text(self.repo, job.base, probe) if probe else "",
            remaining=self.remaining_plan(job.step.id),
            done=frozenset(self.completed | {job.step.id}),
        )
        decision = self.steering.review_step(review)
        if decision.choice == "stop":
            raise RunStopped
        return decision

    def _integrate(
        self, tx: Transaction, job: Job, attempted: Attempted, decision: StepDecision | None
    ) -> tuple[str | None, AttemptStatus, str | None]:
        """Stage the step's commit and, when it is approved, its merge (in ``tx``)."""
        outcome = attempted.outcome
        if not outcome.ok:
            return None, "failed", None
        commit = self._stage_commit(tx, job, attempted) if outcome.changes else None
        if decision is not None and decision.choice in ("skip", "retry"):
            return commit, "skipped" if decision.choice == "skip" else "declined", None
        if commit is None:
            return None, "passed", None
        if not attempted.approved:
            return commit, "rejected", None
        head = self.integration
        try:
            merged = merge(self.repo, head, commit, merge_message(job))
        except MergeConflict as conflict:
            self._conflicts[job.index] = conflict.paths
            return commit, "conflict", None
        tx.set_ref(integration_branch(self.record.run), merged, expected=head)
        return commit, "merged", merged

    def _follow_up(
        self,
        job: Job,
        attempted: Attempted,
        status: AttemptStatus,
        commit: str | None,
        decision: StepDecision | None,
    ) -> None:
        """Update the queue, the busy and failed sets after an attempt: what runs next."""
        if status == "passed" or (status == "merged" and job.kind != "fix"):
            self.busy.discard(job.step.id)
        elif status == "skipped":
            self.busy.difference_update({job.step.id, job.for_step})
        elif status == "declined" and decision is not None:
            note = f"A person reviewed your change and asked for another attempt: {decision.note}"
            self._again(job, commit, note)
        elif status == "merged" and job.for_step is not None:
            target = self.plan.step(job.for_step)
            self.queue.append(Pending(target, self._attempt_number(target.id), "redo", ""))
        elif status == "conflict":
            self._after_conflict(job, self._conflicts.pop(job.index, ()))
        elif status == "rejected" and commit is not None:
            self._after_rejection(job, commit, attempted)
        elif status == "failed":
            self._after_failure(job, attempted.outcome)

    def _after_rejection(self, job: Job, commit: str, attempted: Attempted) -> None:
        """The gates or the council said no: the coder fixes its own commit, as a new attempt."""
        rejections = sum(
            1 for a in self.attempts if a.step == job.step.id and a.status == "rejected"
        )
        if rejections > self.settings.max_fix_attempts:
            who = "council" if attempted.council is not None else "gates"
            self._give_up(job, f"the {who} rejected it {rejections} times")
            return
        report, council = attempted.report, attempted.council
        if council is not None and not council.approved:
            feedback = council.feedback()
        else:
            feedback = "The gates rejected your change; fix these findings:\n"
            feedback += render_text(report) if report is not None else ""
        self._again(job, commit, feedback)

    def _again(self, job: Job, commit: str | None, feedback: str) -> None:
        """A new attempt of the step that builds on this attempt's own commit."""
        self.queue.append(
            Pending(
                job.step,
                job.attempt + 1,
                job.kind,
                feedback,
                job.for_step,
                base=commit,
                judge_base=job.judge_base if commit else None,
            )
        )

    def _after_conflict(self, job: Job, paths: tuple[str, ...]) -> None:
        if job.attempt > MAX_REDOS:
            self._give_up(job, f"merge conflict in {', '.join(paths)}")
            return
        feedback = (
            f"Your earlier edits conflicted with other work in {', '.join(paths)}"
            "; redo them on the current files."
        )
        self.queue.append(Pending(job.step, job.attempt + 1, "redo", feedback, job.for_step))

    def _after_failure(self, job: Job, outcome: StepOutcome) -> None:
        fixes = Counter(a.for_step for a in self.attempts if a.kind == "fix")
        if job.step.agent == "tester" and fixes[job.step.id] < self.settings.max_fix_attempts:
            fix = PlanStep(
                id=f"{job.step.id}-fix{fixes[job.step.id] + 1}",
                agent="coder",
                goal=f"Make the failing tests pass (found by step {job.step.id})",
                files=job.step.files,
            )
            self.queue.append(Pending(fix, 1, "fix", outcome.detail, for_step=job.step.id))
        elif self.record.stalls >= MAX_STALLS or job.kind != "redo":
            self._give_up(job, outcome.detail or outcome.summary)
        else:
            self.queue.append(
                Pending(job.step, job.attempt + 1, "redo", outcome.detail, job.for_step)
            )

    def _give_up(self, job: Job, why: str) -> None:
        step_id = job.for_step or job.step.id
        if self.record.replans < MAX_REPLANS and self.llm is not None:
            self.reporter.line(
                f"step {step_id} is stuck; asking the planner for a new plan", "yellow"
            )
            try:
                self._replan(step_id, why)
                return
            except PlanError as exc:  # the stuck step fails; its attempt is still recorded
                why = f"the planner could not make a new plan: {exc}"
        self.failed.add(step_id)
        self.busy.discard(step_id)
        self.reporter.line(f"step {step_id} failed: {why.splitlines()[0] if why else ''}", "red")

    def _replan(self, step_id: str, why: str) -> None:
        done = sorted(self.completed)
        context = (
            f"Progress so far: steps done: {', '.join(done) or 'none'}. "
            f"Step {step_id} failed:\n{why}\n\nPlan only the remaining work, with new step ids.\n\n"
        )
        self.record = self.record.model_copy(
            update={"replans": self.record.replans + 1, "stalls": 0}
        )
        planned = self.make_plan(self.record.task, context)
        kept = [s for s in self.plan.steps if s.id in done]
        self.busy.discard(step_id)
        self.queue = [p for p in self.queue if step_id not in (p.for_step, p.step.id)]
        self.plan = Plan(steps=(*kept, *planned.plan.steps))
        self._unsaved_plan = self._plan_files(planned.transcript)  # saved with the attempt
        self._report_plan()

    # -- writing -------------------------------------------------------------------------

    def _stage_commit(self, tx: Transaction, job: Job, attempted: Attempted) -> str:
        outcome, report = attempted.outcome, attempted.report
        agent = job.step.agent
        used = self._agent_model(job.step)
        model = model_label(used) if used else None
        verdicts = tuple(report.verdicts().items()) if report is not None else ()
        models = (model,) if model else ()  # a step without a model has no Assisted-by
        trailers = StepTrailers(self.record.run, job.index, job.step.id, agent, models, verdicts)
        message = add_trailers(commit_message(job, outcome), trailers.to_trailers())
        finished = now()

        def note(commit: str, tree: str) -> StepNote:
            return step_note(self.record.run, job, model, attempted, commit, tree, finished)

        commit, _ = stage_step(
            self.repo,
            tx,
            branch=step_branch(self.record.run, job.index, job.step.id),
            base=job.base,
            changes=outcome.changes,
            message=message,
            note=note,
        )
        return commit

    def _remember(
        self,
        job: Job,
        attempted: Attempted,
        status: AttemptStatus,
        commit: str | None,
        merged: str | None,
    ) -> AttemptRecord:
        """Add the attempt to the in-memory state: attempts, usage, stalls."""
        outcome, report, council = attempted.outcome, attempted.report, attempted.council
        usage = usage_of(outcome.replies)
        council_usage = council.record.usage if council is not None else UsageRecord()
        record = AttemptRecord(
            index=job.index,
            step=job.step.id,
            attempt=job.attempt,
            kind=job.kind,
            for_step=job.for_step,
            agent=job.step.agent,
            model=self._agent_model(job.step),
            status=status,
            summary=outcome.summary,
            detail=outcome.detail,
            base=job.base,
            commit=commit,
            branch=step_branch(self.record.run, job.index, job.step.id) if commit else None,
            integration=merged,
            gates=dict(report.verdicts()) if report is not None else {},
            council={j.name: j.verdict for j in council.record.judges} if council else {},
            skills=attempted.skills,
            usage=usage,
            council_usage=council_usage,
            started=job.started,
            finished=now(),
        )
        self.attempts.append(record)
        progress = status in FINISHED_STATUSES
        self.record = self.record.model_copy(
            update={
                "usage": self.record.usage + usage + council_usage,
                "stalls": 0 if progress else self.record.stalls + 1,
                "updated": now(),
                "elapsed_s": self.elapsed(),
            }
        )
        self._started = self.clock()
        return record

    def _persist(
        self, tx: Transaction, job: Job, outcome: StepOutcome, record: AttemptRecord
    ) -> None:
        files: dict[str, bytes | None] = {
            record.path: attempt_file(record),
            "run.json": run_file(self.record),
            PENDING_FILE: pending_file(self.queue),
            transcript_path(job): transcript(outcome.transcript),
        }
        files.update(self._unsaved_plan)
        keep = [record.commit] if record.commit else []
        self.ledger.tip = self.ledger.stage(tx, files, keep=keep, message=f"talkgit: {record.path}")
        tx.commit()
        self._unsaved_plan = {}

    # -- ending --------------------------------------------------------------------------

    def _stop_reason(self) -> str | None:
        return budget_reached(self.record, self.elapsed())

    def _conclude(self) -> RunRecord:
        self.remove_worktrees()
        remaining = [s.id for s in self.plan.steps if s.id not in self.completed]
        if not remaining:
            self.save_run(status="done", reason="")
        elif self.failed:
            self.save_run(status="failed", reason=f"step {', '.join(sorted(self.failed))} failed")
        else:
            self.save_run(status="stopped", reason=self._stop_reason() or "stopped")
        self.repo.compact_objects()
        return self.record
