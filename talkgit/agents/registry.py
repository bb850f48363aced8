"""Step agents by name. The planner is not here: it makes plans, it is not a step of one."""

from __future__ import annotations

from talkgit.agents.base import Agent
from talkgit.agents.coder import CoderAgent
from talkgit.agents.tester import TesterAgent


def builtin_agents() -> dict[str, Agent]:
    return {"coder": CoderAgent(), "tester": TesterAgent()}


def all_agents() -> dict[str, Agent]:
    """The built-in agents and the working plug-in agents; broken plug-ins are reported
    on stderr (once per process) and left out. A built-in keeps its name."""
    from talkgit import plugins  # not at the top: commands that need no agent never scan

    found = plugins.agent_plugins()
    plugins.report(found.problems)
    return {**found.by_name(), **builtin_agents()}
