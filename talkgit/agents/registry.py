"""Step agents by name. The planner is not here: it makes plans, it is not a step of one.

Plug-in agents (the ``talkgit.agents`` entry points, see ``talkgit.plugins``) are checked
against the Agent protocol here, and run guarded: a plug-in's bug fails its step, not the run.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import EntryPoint
from typing import cast

from talkgit import plugins
from talkgit.agents.base import Agent, StepContext, StepOutcome
from talkgit.agents.coder import CoderAgent
from talkgit.agents.tester import TesterAgent
from talkgit.errors import TalkgitError, ToolError
from talkgit.plugins import Found, Unfit, check_common, describe_error, description, made


def builtin_agents() -> dict[str, Agent]:
    return {"coder": CoderAgent(), "tester": TesterAgent()}


def all_agents() -> dict[str, Agent]:
    """The built-in agents and the working plug-in agents; broken plug-ins are reported
    on stderr (once per process) and left out. A built-in keeps its name."""
    found = agent_plugins()
    plugins.report(found.problems)
    return {**found.by_name(), **builtin_agents()}


@cache
def agent_plugins() -> Found[Agent]:
    """The installed agent plug-ins (scanned once per process)."""
    return plugins.scan(plugins.AGENTS_GROUP, frozenset(builtin_agents()), _agent)


def load_agents(points: Iterable[EntryPoint]) -> Found[Agent]:
    """Load and check the agents ``points`` name (uncached: ``agent_plugins`` is the scan)."""
    return plugins.load(plugins.AGENTS_GROUP, points, frozenset(builtin_agents()), _agent)


def _agent(name: str, factory: object) -> Agent:
    agent = made(factory)
    check_common(name, agent)
    if not isinstance(getattr(agent, "needs_model", None), bool):
        raise Unfit("needs_model must be True or False")
    text = getattr(agent, "description", None)
    if text is not None and not isinstance(text, str):
        raise Unfit("description, when there is one, must be a string")
    return _GuardedAgent(cast("Agent", agent))


class _GuardedAgent:
    """A plug-in agent whose bugs fail its step instead of the run.

    The runner turns a TalkgitError into a failed step; any other exception would stop
    the whole run, so it becomes a ToolError naming the plug-in.
    """

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.name = agent.name
        self.needs_model = agent.needs_model
        self.description = description(agent)

    def run(self, context: StepContext) -> StepOutcome:
        try:
            outcome = self.agent.run(context)
        except TalkgitError:
            raise
        except Exception as exc:
            raise ToolError(f"plug-in agent {self.name!r} raised {describe_error(exc)}") from exc
        if not isinstance(outcome, StepOutcome):
            kind = type(outcome).__name__
            raise ToolError(f"plug-in agent {self.name!r} returned a {kind}, not a StepOutcome")
        return outcome
