"""`talkgit run -i`: a person approves, edits, skips, retries or stops, at a terminal.

The runner asks after planning and before each step's result is merged
(talkgit/engine/steering.py); this module asks the person and reads the answer through a
``Terminal``, which the command line gives (``talkgit.cli.ClickTerminal``: only cli.py
imports click). The plan is edited as JSON in ``$VISUAL`` or ``$EDITOR``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection
from typing import Literal, Protocol, TextIO

from talkgit.engine.report import describe_plan
from talkgit.engine.steering import PlanDecision, StepDecision, StepReview
from talkgit.errors import UsageError
from talkgit.plan import Plan, PlanError, parse_plan
from talkgit.provenance.talkgit_trailers import verdict_line

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


class Terminal(Protocol):
    """Where a person reads and answers: the command line's prompts and editor."""

    def say(self, text: str) -> None:
        """Show a line on stdout."""

    def warn(self, text: str) -> None:
        """Show a line on stderr."""

    def ask(self, question: str) -> str:
        """Free text, after ``question``."""

    def choose(self, question: str, letters: str) -> str:
        """One of ``letters`` (the first is the default), after ``question``."""

    def confirm(self, question: str, *, default: bool) -> bool:
        """Yes or no."""

    def edit(self, text: str, *, extension: str) -> str | None:
        """``text`` as the person saved it in their editor; None when they did not save."""


def require_terminal(stdin: TextIO | None = None) -> None:
    if not (stdin or sys.stdin).isatty():
        raise UsageError("an interactive run (-i) needs a terminal to ask its questions")


class TerminalSteering:
    """Asks on ``terminal``; ``agents`` are the names an edited plan may use."""

    def __init__(self, agents: Collection[str], terminal: Terminal) -> None:
        self.agents = tuple(agents)
        self.terminal = terminal

    def review_plan(self, plan: Plan, done: Collection[str]) -> PlanDecision:
        edited: Plan | None = None
        while True:
            _show_plan(self.terminal, edited or plan)
            choice = self.terminal.choose(PLAN_CHOICES, "aeq")
            if choice == "e":
                edited = self._edit(edited or plan, done) or edited
                continue
            return PlanDecision("approve" if choice == "a" else "stop", edited)

    def review_step(self, review: StepReview) -> StepDecision:
        _show_step(self.terminal, review)
        edited: Plan | None = None
        while True:
            choice = self.terminal.choose(STEP_CHOICES, "asreq")
            if choice == "e":
                edited = self._edit(edited or review.remaining, review.done) or edited
                if edited is not None:
                    _show_plan(self.terminal, edited)
                continue
            if choice == "r":
                note = self.terminal.ask("note to the agent").strip()
                return StepDecision("retry", note=note, plan=edited)
            return StepDecision(STEP_ANSWERS[choice], plan=edited)

    def _edit(self, plan: Plan, done: Collection[str]) -> Plan | None:
        """The plan as the person saved it, or None when they left it unchanged."""
        text = _plan_json(plan)
        header = EDIT_HEADER.format(done=", ".join(sorted(done)) or "none")
        while True:
            saved = self.terminal.edit(header + text, extension=".json")
            if saved is None:
                return None
            try:
                return parse_plan(saved.removeprefix(header), self.agents, done, allow_empty=True)
            except PlanError as exc:
                self.terminal.warn(f"that plan cannot be used: {exc}")
                if not self.terminal.confirm("edit it again?", default=True):
                    return None
                text = saved.removeprefix(header)


def _plan_json(plan: Plan) -> str:
    steps = [step.model_dump(mode="json", exclude_defaults=True) for step in plan.steps]
    return json.dumps({"steps": steps}, indent=2) + "\n"


def _show_plan(terminal: Terminal, plan: Plan) -> None:
    terminal.say(f"plan ({len(plan.steps)} steps to run):")
    terminal.say("\n".join(describe_plan(plan)) or "  (none)")


def _show_step(terminal: Terminal, review: StepReview) -> None:
    job, attempted = review.job, review.attempted
    terminal.say(f"[{job.index:02d}] {job.step.id} ({job.step.agent}): {attempted.outcome.summary}")
    if attempted.report is not None and attempted.report.gates:
        terminal.say(f"  gates: {verdict_line(attempted.report.verdicts())}")
    if attempted.council is not None:
        for judge in attempted.council.record.judges:
            terminal.say(f"  council: {judge.name} {judge.verdict}: {judge.reason}")
    lines = review.diff.splitlines()
    for line in lines[:DIFF_LINES]:
        terminal.say(f"  {line}")
    if len(lines) > DIFF_LINES:
        terminal.say(f"  … {len(lines) - DIFF_LINES} more lines (the step's branch has them all)")
