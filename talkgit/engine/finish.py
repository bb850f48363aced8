"""Finishing a run: bring a done run's integration branch into the user's branch.

One new commit on the target branch — a squash (one parent) or a merge (two) — whose
message ends with the run's trailers, and a run note on it (``talkgit.run/v1`` in
``refs/notes/talkgit/runs``); the branch move, the note and the ledger's record of the
finish are one compare-and-swap. When the target is checked out here, the index and
working tree follow for the paths the commit changes only (see ``talkgit.git.checkout``).
`talkgit finish RUN` and `talkgit run --finish` both come here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from talkgit.engine.runs import StoredRun, locked_run
from talkgit.engine.state import FINISHED_STATUSES, AttemptRecord, RunRecord, now
from talkgit.errors import NotFoundError, TalkgitError, UsageError
from talkgit.git.checkout import advance_branch, finish_commit, head_branch, repair_finishes
from talkgit.git.ledger import Ledger
from talkgit.git.merge import MergeConflict
from talkgit.git.names import (
    BRANCH_PREFIX,
    RUN_NOTES_REF,
    STEP_NOTES_REF,
    integration_branch,
    short_branch,
)
from talkgit.git.notes import read_json_note
from talkgit.git.repo import GitRepo
from talkgit.git.trailers import add_trailers
from talkgit.git.transaction import Transaction
from talkgit.provenance.schema import RunNote, StepNote, Verdict, model_label
from talkgit.provenance.talkgit_trailers import RunTrailers

Mode = Literal["squash", "merge"]
FINISHED_FILE = "finished.json"
SUBJECT_LIMIT = 72
SUMMARY_LIMIT = 100
# The verdict a run note shows for a gate is the worst any brought-in step got.
_VERDICT_RANK: dict[str, int] = {"fail": 0, "error": 1, "warn": 2, "pass": 3, "skip": 4}


class Finished(BaseModel):
    """One finish of a run, kept in its ledger (``finished.json``, a list, oldest first)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    branch: str  # refs/heads/…
    commit: str  # the commit finish made
    mode: Mode
    integration: str  # the integration head it brought in
    at: datetime


_FINISHES = TypeAdapter(list[Finished])


def load_finished(ledger: Ledger) -> list[Finished]:
    """Where and when the run was finished; empty when it never was."""
    data = ledger.read(FINISHED_FILE)
    return [] if data is None else _FINISHES.validate_json(data)


def finish_run(
    repo: GitRepo,
    run_prefix: str,
    *,
    say: Callable[[str], object],
    mode: Mode = "squash",
    into: str | None = None,
    clock: Callable[[], datetime] = now,
) -> str:
    """Bring run ``run_prefix`` into ``into`` (default: the branch HEAD is on); the text for
    a person of what was done and how to undo it. ``say`` tells of waits and repairs."""
    with locked_run(repo, run_prefix, say) as stored:
        repair_finishes(repo, say)
        _require_done(stored.record)
        target, old = _target_branch(repo, into)
        integration = _integration_head(repo, stored.record.run)
        new = _make_commit(repo, stored, target, old, integration, mode)
        entry = Finished(branch=target, commit=new, mode=mode, integration=integration, at=clock())
        here = head_branch(repo) == target
        updated = _publish(repo, stored, entry, old)
    return _report(stored, entry, old, updated, here=here)


def _require_done(record: RunRecord) -> None:
    if record.status == "done":
        return
    if record.status in ("planning", "running"):
        advice = "wait for it to end"
    else:
        advice = f"carry it on with `talkgit resume {record.run}`"
    raise UsageError(
        f"run {record.run} is {record.status}, and only a done run can be finished: {advice}"
    )


def _target_branch(repo: GitRepo, into: str | None) -> tuple[str, str]:
    """The branch to finish into (``refs/heads/…``) and the commit it points at."""
    if into is None:
        branch = head_branch(repo)
        if branch is None:
            raise UsageError("HEAD is detached: name the branch to finish into with --into BRANCH")
    else:
        branch = into if into.startswith("refs/heads/") else f"refs/heads/{into}"
    if branch.startswith(BRANCH_PREFIX):
        raise UsageError(
            f"{short_branch(branch)} is a talkgit branch: finish into a branch of your own"
        )
    tip = repo.ref_target(branch)
    if tip is None:
        raise NotFoundError(f"no branch {short_branch(branch)} to finish into")
    return branch, tip


def _integration_head(repo: GitRepo, run_id: str) -> str:
    head = repo.ref_target(integration_branch(run_id))
    if head is None:
        raise NotFoundError(f"run {run_id} has no integration branch any more (was it discarded?)")
    return head


def _make_commit(
    repo: GitRepo, stored: StoredRun, target: str, old: str, integration: str, mode: Mode
) -> str:
    record = stored.record
    brought = brought_in(stored.attempts)
    trailers = run_trailers(record, brought)
    message = commit_message(record, brought, trailers, mode=mode, integration=integration)
    try:
        return finish_commit(repo, old, integration, message, squash=mode == "squash")
    except MergeConflict as conflict:
        raise TalkgitError(
            f"run {record.run} conflicts with {short_branch(target)} in "
            f"{', '.join(conflict.paths)}; nothing was changed — merge "
            f"{short_branch(integration_branch(record.run))} yourself, "
            "or finish --into another branch"
        ) from conflict


def _publish(repo: GitRepo, stored: StoredRun, entry: Finished, old: str) -> int:
    """Move the branch, add the run note and record the finish in the ledger: one CAS."""
    record = stored.record
    tx = Transaction(repo, message=f"talkgit finish {record.run} ({entry.mode})")
    note = run_note(repo, record, brought_in(stored.attempts), entry.integration, entry.at)
    tx.add_note(RUN_NOTES_REF, entry.commit, note.to_json())
    finishes = [*load_finished(stored.ledger), entry]
    tip = stored.ledger.stage(
        tx,
        {FINISHED_FILE: _FINISHES.dump_json(finishes, indent=2) + b"\n"},
        message=f"talkgit: finished into {short_branch(entry.branch)}",
    )
    updated = advance_branch(repo, tx, entry.branch, old=old, new=entry.commit, run=record.run)
    stored.ledger.tip = tip
    return updated


# -- what the new commit says -------------------------------------------------------------


def brought_in(attempts: Sequence[AttemptRecord]) -> list[AttemptRecord]:
    """The attempts whose work the integration branch holds (merged, or passed with no edit)."""
    return [attempt for attempt in attempts if attempt.status in FINISHED_STATUSES]


def assistants(record: RunRecord, brought: Sequence[AttemptRecord]) -> tuple[tuple[str, str], ...]:
    """Each distinct (agent, ``provider/model``) that helped: the planner, then the steps'."""
    planner = record.models.get("planner")
    pairs = [("planner", planner)] if planner else []
    pairs += [(a.agent, model_label(a.model)) for a in brought if a.model is not None]
    return tuple(dict.fromkeys(pairs))


def run_trailers(record: RunRecord, brought: Sequence[AttemptRecord]) -> RunTrailers:
    """The run's trailers: who assisted, how many steps, and what the whole run paid."""
    usage = record.usage
    return RunTrailers(
        run_id=record.run,
        steps=len(brought),
        tokens=usage.input_tokens + usage.output_tokens,
        cost=usage.cost,
        assisted=assistants(record, brought),
    )


def commit_message(
    record: RunRecord,
    brought: Sequence[AttemptRecord],
    trailers: RunTrailers,
    *,
    mode: Mode,
    integration: str,
) -> str:
    """Subject (the task), the task in full if it did not fit, the steps, then the trailers."""
    task = record.task.strip()
    first_line = " ".join(task.splitlines()[0].split()) if task else f"talkgit run {record.run}"
    title = first_line if mode == "squash" else f"Merge talkgit run {record.run}: {first_line}"
    subject = _shorten(title.replace("---", "- - -"), SUBJECT_LIMIT)
    paragraphs = [subject]
    if len(task.splitlines()) > 1 or subject != title:
        # Indented, the task's lines can be neither trailers nor a `---` divider.
        paragraphs.append("Task:\n" + "\n".join(f"    {line}" for line in task.splitlines()))
    how = "squashed" if mode == "squash" else "merged"
    branch = short_branch(integration_branch(record.run))
    steps = [f"talkgit run {record.run}, {how} from {branch} ({integration[:10]}):"]
    steps += [_step_line(attempt) for attempt in brought]
    paragraphs.append("\n".join(steps))
    return add_trailers("\n\n".join(paragraphs) + "\n", trailers.to_trailers())


def _step_line(attempt: AttemptRecord) -> str:
    who = attempt.agent + (f", {model_label(attempt.model)}" if attempt.model else "")
    summary = _shorten(" ".join(attempt.summary.split()), SUMMARY_LIMIT)
    return f"- {attempt.index:02d} {attempt.step} ({who})" + (f": {summary}" if summary else "")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_note(
    repo: GitRepo,
    record: RunRecord,
    brought: Sequence[AttemptRecord],
    integration: str,
    at: datetime,
) -> RunNote:
    """The ``talkgit.run/v1`` summary that goes on the finish commit."""
    pairs = assistants(record, brought)
    return RunNote(
        run=record.run,
        task=record.task,
        steps=len(brought),
        models=tuple(dict.fromkeys(model for _, model in pairs)),
        agents=tuple(dict.fromkeys([*(agent for agent, _ in pairs), *(a.agent for a in brought)])),
        usage=record.usage,
        gates=gate_verdicts(repo, brought),
        integration=integration,
        finished=at,
    )


def gate_verdicts(repo: GitRepo, brought: Sequence[AttemptRecord]) -> dict[str, Verdict]:
    """Each gate's worst verdict over the brought-in steps, from their step notes."""
    worst: dict[str, Verdict] = {}
    for attempt in brought:
        note = _step_note(repo, attempt.commit) if attempt.commit else None
        for gate in note.gates if note is not None else ():
            current = worst.get(gate.tool)
            if current is None or _VERDICT_RANK[gate.verdict] < _VERDICT_RANK[current]:
                worst[gate.tool] = gate.verdict
    return worst


def _step_note(repo: GitRepo, commit: str) -> StepNote | None:
    raw = read_json_note(repo, STEP_NOTES_REF, commit)
    try:
        return None if raw is None else StepNote.model_validate(raw)
    except ValidationError:
        return None  # an unreadable note is `talkgit doctor`'s to report, not finish's


def _report(stored: StoredRun, entry: Finished, old: str, updated: int, *, here: bool) -> str:
    record, steps = stored.record, len(brought_in(stored.attempts))
    branch = short_branch(entry.branch)
    lines = [
        f"finished run {record.run} into {branch}: {entry.commit[:10]} "
        f"({entry.mode} of {steps} step{'s' if steps != 1 else ''})",
    ]
    if here:
        lines.append(
            f"  working tree: {updated} path(s) updated; your other changes are as they were"
        )
        lines.append(f"  undo:         git reset --keep {old[:10]}")
    else:
        lines.append(f"  {branch} is not checked out here: your working tree was not touched")
        lines.append(f"  undo:         git branch -f {branch} {old[:10]}")
    lines += [
        f"  provenance:   git log -1 --format='%(trailers)' {branch}",
        f"                git notes --ref=talkgit/runs show {branch}",
        f"  clean up:     talkgit discard {record.run}   (the run's branches; its ledger stays)",
    ]
    return "\n".join(lines) + "\n"
