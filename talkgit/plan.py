"""The plan: a DAG of steps, parsed robustly from model text and validated before use.

A domain type shared by layers that must not import each other: the planner (agents) makes
it, the runner (engine) carries it out and stores it in the ledger, `run -i` edits it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator
from typing import Any

import json5
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from talkgit.errors import TalkgitError

STEP_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL)


class PlanError(TalkgitError):
    """The planner's reply is not a usable plan; the message lists every problem."""


class PlanStep(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=STEP_ID_PATTERN)
    agent: str
    goal: str = Field(min_length=1)
    files: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    model: str | None = None  # a per-step model override


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    steps: tuple[PlanStep, ...]

    def step(self, step_id: str) -> PlanStep:
        return next(step for step in self.steps if step.id == step_id)


def parse_plan(
    text: str,
    known_agents: Collection[str],
    satisfied: Collection[str] = (),
    *,
    allow_empty: bool = False,
) -> Plan:
    """The plan in a model's reply: bare JSON, a fenced block, or an object amid prose.

    ``satisfied`` are ids of steps already done (when replanning): steps may depend on them.
    ``allow_empty``: no steps at all is a plan (a person ending a run may say so; a model may not).
    """
    document = _find_json_object(text)
    if document is None:
        raise PlanError('no JSON object with a "steps" list found in the reply')
    try:
        plan = Plan.model_validate(_as_written_by_models(document))
    except ValidationError as exc:
        raise PlanError("; ".join(_describe(error) for error in exc.errors())) from exc
    return validate_plan(plan, known_agents, satisfied, allow_empty=allow_empty)


def validate_plan(
    plan: Plan,
    known_agents: Collection[str],
    satisfied: Collection[str] = (),
    *,
    allow_empty: bool = False,
) -> Plan:
    """Check the DAG: agents exist, ids are unique, dependencies exist, no cycles, not empty."""
    problems = list(_problems(plan, known_agents, set(satisfied)))
    if allow_empty and not plan.steps:
        return plan
    if not problems:
        cycle = _find_cycle(plan)
        if cycle:
            problems.append(f"dependency cycle: {' -> '.join(cycle)}")
    if problems:
        raise PlanError("; ".join(problems))
    return plan


def _problems(plan: Plan, known_agents: Collection[str], satisfied: set[str]) -> Iterator[str]:
    if not plan.steps:
        yield "the plan has no steps"
    seen: set[str] = set()
    for step in plan.steps:
        if step.id in seen:
            yield f"duplicate step id {step.id!r}"
        if step.id in satisfied:
            yield f"step id {step.id!r} is already done: choose a new id"
        seen.add(step.id)
        if step.agent not in known_agents:
            known = ", ".join(sorted(known_agents))
            yield f"step {step.id!r}: unknown agent {step.agent!r} (known: {known})"
    ids = {step.id for step in plan.steps} | satisfied
    for step in plan.steps:
        for dependency in step.depends_on:
            if dependency not in ids:
                yield f"step {step.id!r} depends on missing step {dependency!r}"


def _find_cycle(plan: Plan) -> list[str]:
    ids = {step.id for step in plan.steps}  # dependencies on satisfied steps cannot cycle
    edges = {step.id: tuple(d for d in step.depends_on if d in ids) for step in plan.steps}
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = "open"
        for dependency in edges[node]:
            if state.get(dependency) == "open":
                return [*path[path.index(dependency) :], dependency]
            if dependency not in state and (found := visit(dependency, [*path, dependency])):
                return found
        state[node] = "done"
        return []

    for node in edges:
        if node not in state and (found := visit(node, [node])):
            return found
    return []


def topological_order(plan: Plan, satisfied: Collection[str] = ()) -> list[str]:
    """Step ids so that every step comes after its dependencies (plan order breaks ties)."""
    done: list[str] = list(satisfied)
    remaining = list(plan.steps)
    while remaining:
        ready = [s for s in remaining if set(s.depends_on) <= set(done)]
        done += [s.id for s in ready]
        remaining = [s for s in remaining if s not in ready]
    return done[len(satisfied) :]


def _find_json_object(text: str) -> dict[str, Any] | None:
    """The plan object in ``text``: JSON, else JSON5 (comments, trailing commas, single
    quotes), bare, in a code fence, or amid prose."""
    candidates = [text.strip(), *(m.group(1) for m in _FENCE.finditer(text))]
    for candidate in candidates:
        found = _plan_object(candidate)
        if found is not None:
            return found
    return _object_in_prose(text)


def _plan_object(candidate: str) -> dict[str, Any] | None:
    for load in (json.loads, json5.loads):
        try:
            value = load(candidate)
        except ValueError:  # json's and json5's decode errors are ValueErrors
            continue
        if isinstance(value, dict) and "steps" in value:
            return value
    return None


def _object_in_prose(text: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and "steps" in value:
            return value
    first, last = text.find("{"), text.rfind("}")
    return _plan_object(text[first : last + 1]) if 0 <= first < last else None


def _as_written_by_models(document: dict[str, Any]) -> dict[str, Any]:
    """The plan with what models commonly get almost right made right: step ids as words
    ("Add Mode" -> "add-mode", in ``depends_on`` too), a dependency spelled with '_' for
    '-' ("get_flag" for "get-flag") when that names one step only, and a single path or
    dependency given as a string instead of a list. The rest is left for validation."""
    steps = document.get("steps")
    if not isinstance(steps, list):
        return document
    written = [s["id"] for s in steps if isinstance(s, dict) and isinstance(s.get("id"), str)]
    ids = {step_id: _slug(step_id) for step_id in written}
    by_spelling: dict[str, set[str]] = {}
    for slug in ids.values():
        by_spelling.setdefault(_spelling(slug), set()).add(slug)

    def dependency(name: object) -> object:
        if not isinstance(name, str) or name in ids:
            return ids.get(name, name) if isinstance(name, str) else name
        found = by_spelling.get(_spelling(name), set())
        return next(iter(found)) if len(found) == 1 else name

    return {**document, "steps": [_step_as_written(step, ids, dependency) for step in steps]}


def _spelling(step_id: str) -> str:
    return re.sub(r"[-_. ]+", "-", step_id.strip().lower())


def _step_as_written(
    step: object, ids: dict[str, str], dependency: Callable[[object], object]
) -> object:
    if not isinstance(step, dict):
        return step
    fixed = dict(step)
    for key in ("files", "depends_on"):
        if isinstance(fixed.get(key), str):
            fixed[key] = [fixed[key]] if fixed[key].strip() else []
    if isinstance(fixed.get("id"), str):
        fixed["id"] = ids[fixed["id"]]
    if isinstance(fixed.get("depends_on"), list):
        fixed["depends_on"] = [dependency(name) for name in fixed["depends_on"]]
    return fixed


def _slug(step_id: str) -> str:
    if re.match(STEP_ID_PATTERN, step_id):
        return step_id
    slug = re.sub(r"[^a-z0-9._-]+", "-", step_id.strip().lower()).strip("-._")
    return slug[:63] or step_id


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}"
