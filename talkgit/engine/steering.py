"""What a person decides during an interactive run (`talkgit run -i`), as the runner asks it.

The runner asks after planning and before each step's result goes into the integration
branch; a ``Steering`` answers. Without one, every plan and every step is approved.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal, Protocol

from talkgit.engine.records import Attempted, Job
from talkgit.plan import Plan


class RunStopped(Exception):
    """A person chose to stop; the run is saved as stopped and can be resumed."""


@dataclass(frozen=True)
class PlanDecision:
    choice: Literal["approve", "stop"]
    plan: Plan | None = None  # the plan to run, when the person edited it


@dataclass(frozen=True)
class StepDecision:
    choice: Literal["approve", "skip", "retry", "stop"]
    note: str = ""  # for retry: what the agent should do differently
    plan: Plan | None = None  # the remaining steps, when the person edited them


@dataclass(frozen=True)
class StepReview:
    """What the person sees about one attempt before its result is merged."""

    job: Job
    attempted: Attempted
    diff: str
    remaining: Plan  # the steps not yet done, which an edit replaces
    done: frozenset[str]  # ids of the steps done (an edited plan may depend on them)


class Steering(Protocol):
    def review_plan(self, plan: Plan, done: Collection[str]) -> PlanDecision: ...

    def review_step(self, review: StepReview) -> StepDecision: ...
