"""The planner: a task and a view of the repository in, a validated plan DAG out."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from talkgit.agents import prompts
from talkgit.agents.base import Completer
from talkgit.agents.dialogue import Dialogue, TokenCounter, prompt_budget
from talkgit.agents.lookup import Lookup
from talkgit.agents.repository import repository_view
from talkgit.config import PromptSettings
from talkgit.edits.missing import did_you_mean, looks_like_placeholder
from talkgit.git.repo import GitRepo
from talkgit.git.treeview import CommitTree
from talkgit.llm.types import Message, Reply
from talkgit.plan import Plan, PlanError, parse_plan

PLANNER = "planner"


@dataclass(frozen=True)
class Planned:
    plan: Plan
    replies: tuple[Reply, ...]
    transcript: tuple[Message, ...]


@dataclass(frozen=True)
class Workspace:
    """The commit a plan is made for, in its repository."""

    repo: GitRepo
    commit: str


def make_plan(
    llm: Completer,
    *,
    model: str,
    task: str,
    workspace: Workspace,
    agents: Mapping[str, object],
    settings: PromptSettings,
    api_base: str | None = None,
    attempts: int = 3,
    context: str = "",
    satisfied: Collection[str] = (),
) -> Planned:
    """Ask for a plan; a malformed one gets a repair prompt with the error, ``attempts`` in all.

    The model sees the repository map ranked for the task and may look up more. Never
    falls back to a guessed plan: after the last attempt the PlanError is raised.
    """
    tree = CommitTree(workspace.repo, workspace.commit)
    dialogue = _dialogue(llm, model, task, workspace, tree, agents, settings, api_base, context)
    paths = frozenset(tree.paths())
    for attempt in range(1, attempts + 1):
        text = dialogue.ask()
        try:
            plan = parse_plan(text, agents, satisfied)
            _check_files(plan, paths)
        except PlanError as exc:
            if attempt == attempts:
                raise PlanError(f"no valid plan after {attempts} tries: {exc}") from exc
            dialogue.tell(prompts.PLANNER_REPAIR.format(error=exc))
            continue
        return Planned(plan, tuple(dialogue.replies), tuple(dialogue.messages))
    raise AssertionError("unreachable: the loop returns or raises")


def _dialogue(
    llm: Completer,
    model: str,
    task: str,
    workspace: Workspace,
    tree: CommitTree,
    agents: Mapping[str, object],
    settings: PromptSettings,
    api_base: str | None,
    context: str,
) -> Dialogue:
    budget = prompt_budget(llm, model, settings)
    counter = TokenCounter(llm, model)
    system = prompts.PLANNER_SYSTEM.format(agents=prompts.agents_list(agents))
    system += prompts.lookups_help(budget.lookups, native=budget.native_tools)
    head = f"Task: {task}\n\n{context}"
    room = budget.opening - counter.text(system) - counter.text(head)
    view = repository_view(
        workspace.repo,
        workspace.commit,
        text=task,
        focus=(),
        tokens=min(max(budget.map_tokens, room // 2), room),
        counter=counter,
    )
    return Dialogue(
        llm,
        agent=PLANNER,
        model=model,
        api_base=api_base,
        budget=budget,
        lookup=Lookup(tree, lambda text: counter.cut(text, budget.per_lookup)),
        messages=[Message("system", system), Message("user", f"{head}{view.text}")],
        is_answer=lambda text: '"steps"' in text,
        answer_form="the plan as one JSON object",
    )


def _check_files(plan: Plan, paths: Collection[str]) -> None:
    """PlanError for what a model copied from an example: a goal, or a file that is not in
    the repository and reads like a placeholder (``path/to/stats.py``) or is the prompt's
    example, naming the files it may have meant."""
    problems = [
        f"step {step.id!r}: the goal is the example's; write what this step must achieve"
        for step in plan.steps
        if step.goal.strip() in prompts.PLANNER_EXAMPLE_GOALS
    ]
    for step in plan.steps:
        for path in step.files:
            copied = looks_like_placeholder(path) or path in prompts.PLANNER_EXAMPLE_FILES
            if path not in paths and copied:
                near = did_you_mean(path, paths)
                problems.append(f"step {step.id!r} names {path!r}, which is not a real path{near}")
    if problems:
        raise PlanError("; ".join(problems))
