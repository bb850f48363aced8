"""Answering a whole run from a local OpenAI-protocol server: replies chosen per agent and step.

Parallel steps call the model in any order, so a reply queue cannot say which step gets
which answer; this router reads the request (the agent's system prompt, the step id in
the user message) and answers from that step's own list of replies.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence

from tests.support.openai_server import Action, RecordedRequest

_STEP = re.compile(r"^Step ([a-z0-9._-]+):", re.MULTILINE)


class RunRouter:
    """Fallback for OpenAIServer: the plan for the planner, per-step replies for the coder."""

    def __init__(
        self, plan: str, steps: dict[str, Sequence[str]], hold: float | dict[str, float] = 0.0
    ) -> None:
        self.plan = plan
        self.steps = {step: list(replies) for step, replies in steps.items()}
        # Seconds each coder answer takes (per step, or for all): makes lanes overlap, or
        # decides which of two parallel steps finishes first.
        self.hold = hold
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Action:
        messages = request.messages
        if "planner of talkgit" in str(messages[0]["content"]):
            return self.plan
        step = _STEP.search(str(messages[1]["content"]))
        assert step is not None, "coder request without a step id"
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            reply = self.steps[step.group(1)].pop(0)
        time.sleep(self.hold if isinstance(self.hold, float) else self.hold.get(step.group(1), 0.0))
        with self._lock:
            self.in_flight -= 1
        return reply
