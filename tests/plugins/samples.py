"""Plug-in objects, good and broken, that the tests name in entry points."""

from __future__ import annotations

from talkgit.agents.base import StepContext, StepOutcome
from talkgit.gates.base import Finding, GateRun, Severity, Target


class GoodAgent:
    name = "sample"
    needs_model = False
    description = "does   a sample\nthing"

    def run(self, context: StepContext) -> StepOutcome:
        return StepOutcome(ok=True, summary="sampled")


class RaisingAgent:
    name = "raiser"
    needs_model = False

    def run(self, context: StepContext) -> StepOutcome:
        raise ValueError("a bug in the plug-in")


class WrongOutcomeAgent:
    name = "wrong-outcome"
    needs_model = False

    def run(self, context: StepContext) -> str:
        return "done"


class NamelessAgent:
    needs_model = False

    def run(self, context: StepContext) -> StepOutcome:
        return StepOutcome(ok=True, summary="")


class NumberNamedAgent(GoodAgent):
    name = 7  # type: ignore[assignment]


class OtherNameAgent(GoodAgent):
    name = "other"


class VagueAgent(GoodAgent):
    needs_model = "yes"  # type: ignore[assignment]


class RunlessAgent:
    name = "sample"
    needs_model = False


class NoArgumentRunAgent(GoodAgent):
    def run(self) -> StepOutcome:  # type: ignore[override]
        return StepOutcome(ok=True, summary="")


class NumberDescriptionAgent(GoodAgent):
    description = 3  # type: ignore[assignment]


def failing_factory() -> GoodAgent:
    raise RuntimeError("no licence key")


def loud_factory() -> GoodAgent:
    raise RuntimeError("first line\nsecond line " + "x" * 1000)


NOT_A_CLASS = 42


class GoodGate:
    name = "sample-gate"
    made = 0

    def __init__(self) -> None:
        GoodGate.made += 1

    def run(self, target: Target) -> GateRun:
        finding = Finding("sample-gate", "rule", Severity.HIGH, "a.py", 1, 1, "found")
        return GateRun("sample-gate", "1.0", (finding,))


class RaisingGate:
    name = "raising-gate"

    def run(self, target: Target) -> GateRun:
        raise RuntimeError("boom in the plug-in")


class NoneGate:
    name = "none-gate"

    def run(self, target: Target) -> None:
        return None
