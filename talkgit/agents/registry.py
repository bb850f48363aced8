"""Step agents by name. The planner is not here: it makes plans, it is not a step of one."""

from __future__ import annotations

from talkgit.agents.base import Agent
from talkgit.agents.coder import CoderAgent
from talkgit.agents.tester import TesterAgent


def builtin_agents() -> dict[str, Agent]:
    return {"coder": CoderAgent(), "tester": TesterAgent()}
