"""The step-agent protocol and what a step gives an agent and gets back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from talkgit.edits.model import BlockOutcome, FileChange
from talkgit.plan import PlanStep

if TYPE_CHECKING:
    from talkgit.config import Settings
    from talkgit.git.repo import GitRepo
    from talkgit.llm.types import Message, ModelInfo, Reply, Tool
    from talkgit.skills.library import Skill


class Completer(Protocol):
    """What agents need of the LLM layer (talkgit.llm.client.LLM implements it)."""

    def complete(
        self,
        *,
        agent: str,
        model: str,
        messages: Sequence[Message],
        api_base: str | None = None,
        timeout: float | None = None,
        tools: Sequence[Tool] = (),
    ) -> Reply: ...

    def note_answered(self, *, agent: str, model: str) -> None:
        """Count a reply an earlier session already received (keeps scripted models in step)."""

    def model_info(self, model: str) -> ModelInfo:
        """The model's context window and abilities, as far as they are known."""

    def count_tokens(
        self, model: str, messages: Sequence[Message], tools: Sequence[Tool] = ()
    ) -> int:
        """The size of a prompt in the model's tokens."""


@dataclass(frozen=True)
class StepContext:
    """Everything one step attempt may use. ``base`` is the commit it starts from."""

    run_id: str
    task: str
    step: PlanStep
    base: str
    repo: GitRepo
    settings: Settings
    llm: Completer | None
    model: str | None
    api_base: str | None = None
    feedback: str = ""  # why this attempt exists: failing tests, a conflict, gate findings
    worktree_name: str = "step"
    skills: tuple[Skill, ...] = ()  # the team's playbooks that match this step (put in prompts)
    run_base: str | None = None  # the commit the run started from: what "already broken" means


@dataclass(frozen=True)
class StepOutcome:
    """What a step attempt produced. No ``changes`` means no commit."""

    ok: bool
    summary: str
    changes: tuple[FileChange, ...] = ()
    detail: str = ""  # what the next attempt (or a fix step) needs to know
    replies: tuple[Reply, ...] = ()
    transcript: tuple[Message, ...] = field(default=(), repr=False)
    edits: tuple[BlockOutcome, ...] = ()  # how each applied edit block matched its file


class Agent(Protocol):
    """A step agent: registered by name, run once per step attempt (possibly in parallel)."""

    name: str
    needs_model: bool

    def run(self, context: StepContext) -> StepOutcome: ...
