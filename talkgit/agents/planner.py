"""The planner: a task and a view of the repository in, a validated plan DAG out."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from talkgit.agents import prompts
from talkgit.agents.base import Completer
from talkgit.engine.plan import Plan, PlanError, parse_plan
from talkgit.llm.types import Message, Reply

PLANNER = "planner"


@dataclass(frozen=True)
class Planned:
    plan: Plan
    replies: tuple[Reply, ...]
    transcript: tuple[Message, ...]


def make_plan(
    llm: Completer,
    *,
    model: str,
    task: str,
    repository: str,
    agents: Mapping[str, object],
    api_base: str | None = None,
    attempts: int = 3,
    context: str = "",
    satisfied: Collection[str] = (),
) -> Planned:
    """Ask for a plan; a malformed one gets a repair prompt with the error, ``attempts`` in all.

    Never falls back to a guessed plan: after the last attempt the PlanError is raised.
    """
    system = prompts.PLANNER_SYSTEM.format(agents=prompts.agents_list(agents))
    request = f"Task: {task}\n\n{context}Repository files:\n{repository}"
    messages = [Message("system", system), Message("user", request)]
    replies: list[Reply] = []
    for attempt in range(1, attempts + 1):
        reply = llm.complete(agent=PLANNER, model=model, messages=messages, api_base=api_base)
        replies.append(reply)
        messages.append(Message("assistant", reply.text))
        try:
            plan = parse_plan(reply.text, agents, satisfied)
        except PlanError as exc:
            if attempt == attempts:
                raise PlanError(f"no valid plan after {attempts} tries: {exc}") from exc
            messages.append(Message("user", prompts.PLANNER_REPAIR.format(error=exc)))
            continue
        return Planned(plan, tuple(replies), tuple(messages))
    raise AssertionError("unreachable: the loop returns or raises")
