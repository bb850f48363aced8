"""`talkgit run -i`: a person approves, edits, skips, retries or stops, at a terminal.

The runner asks after planning and before each step's result is merged
(talkgit/engine/steering.py); this module asks the person and reads the answer. The plan
is edited as JSON in ``$VISUAL`` or ``$EDITOR``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection
from typing import Literal, TextIO

import click

from talkgit.engine.plan import Plan, PlanError, parse_plan
from talkgit.engine.report import describe_plan
from talkgit.engine.steering import PlanDecision, StepDecision, StepReview
from talkgit.errors import UsageError
from talkgit.provenance.trailers import verdict_line

DIFF_LINES = 80  # longer diffs are cut here; the full one is on the step's branch

PLAN_CHOICES = "[a]pprove, [e]dit the plan, [q]uit (resume later)"
STEP_CHOICES = "[a]pprove, [s]kip it, [r]etry with a note, [e]dit the plan, [q]uit (resume later)"
STEP_ANSWERS: dict[str, Literal["approve", "skip", "stop"]] = {
    "a": "approve",
    "s": "skip",
    "q": "stop",
}
EDIT_HEADER = (
    "The steps still to run, as JSON. Change, add or remove steps and save; "
    'steps may depend on the ones done: {done}. An empty "steps" list ends the run '
    "after this step.\n"
)


def require_terminal(stdin: TextIO | None = None) -> None:
    if not (stdin or sys.stdin).isatty():
        raise UsageError("an interactive run (-i) needs a terminal to ask its questions")


class TerminalSteering:
    """Asks on the terminal; ``agents`` are the names an edited plan may use."""

    def __init__(self, agents: Collection[str]) -> None:
        self.agents = tuple(agents)

    def review_plan(self, plan: Plan, done: Collection[str]) -> PlanDecision:
        edited: Plan | None = None
        while True:
            _show_plan(edited or plan)
            choice = _ask(PLAN_CHOICES, "aeq")
            if choice == "e":
                edited = self._edit(edited or plan, done) or edited
                continue
            return PlanDecision("approve" if choice == "a" else "stop", edited)

    def review_step(self, review: StepReview) -> StepDecision:
        _show_step(review)
        edited: Plan | None = None
        while True:
            choice = _ask(STEP_CHOICES, "asreq")
            if choice == "e":
                edited = self._edit(edited or review.remaining, review.done) or edited
                if edited is not None:
                    _show_plan(edited)
                continue
            if choice == "r":
                note = click.prompt("note to the agent", type=str).strip()
                return StepDecision("retry", note=note, plan=edited)
            return StepDecision(STEP_ANSWERS[choice], plan=edited)

    def _edit(self, plan: Plan, done: Collection[str]) -> Plan | None:
        """The plan as the person saved it, or None when they left it unchanged."""
        text = _plan_json(plan)
        header = EDIT_HEADER.format(done=", ".join(sorted(done)) or "none")
        while True:
            saved = click.edit(header + text, extension=".json", require_save=True)
            if saved is None:
                return None
            try:
                return parse_plan(saved.removeprefix(header), self.agents, done, allow_empty=True)
            except PlanError as exc:
                click.echo(f"that plan cannot be used: {exc}", err=True)
                if not click.confirm("edit it again?", default=True):
                    return None
                text = saved.removeprefix(header)


def _plan_json(plan: Plan) -> str:
    steps = [step.model_dump(mode="json", exclude_defaults=True) for step in plan.steps]
    return json.dumps({"steps": steps}, indent=2) + "\n"


def _ask(question: str, letters: str) -> str:
    answer: str = click.prompt(
        question, type=click.Choice(list(letters)), show_choices=False, default=letters[0]
    )
    return answer


def _show_plan(plan: Plan) -> None:
    click.echo(f"plan ({len(plan.steps)} steps to run):")
    click.echo("\n".join(describe_plan(plan)) or "  (none)")


def _show_step(review: StepReview) -> None:
    job, attempted = review.job, review.attempted
    click.echo(f"[{job.index:02d}] {job.step.id} ({job.step.agent}): {attempted.outcome.summary}")
    if attempted.report is not None and attempted.report.gates:
        click.echo(f"  gates: {verdict_line(attempted.report.verdicts())}")
    if attempted.council is not None:
        for judge in attempted.council.record.judges:
            click.echo(f"  council: {judge.name} {judge.verdict}: {judge.reason}")
    lines = review.diff.splitlines()
    for line in lines[:DIFF_LINES]:
        click.echo(f"  {line}")
    if len(lines) > DIFF_LINES:
        click.echo(f"  … {len(lines) - DIFF_LINES} more lines (the step's branch has them all)")
