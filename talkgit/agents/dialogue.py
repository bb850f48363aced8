"""A conversation with a model that may look things up before it answers, within a budget.

The budget is counted in the model's own tokens (litellm's counter): the model's context
window, from litellm's map or the configuration, less room for its answer, and less any
cap the configuration sets. A prompt that does not fit is trimmed (older lookup answers
first) or refused with one clear error; it is never sent too long.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from talkgit.agents.base import Completer
from talkgit.agents.lookup import (
    READ_FILE,
    TOOLS,
    Lookup,
    Request,
    native_requests,
    text_requests,
)
from talkgit.config import PromptSettings
from talkgit.errors import ModelError
from talkgit.llm.types import Message, Reply

DEFAULT_CONTEXT_WINDOW = 8192  # for a model neither litellm's map nor the configuration sizes
DEFAULT_ANSWER_TOKENS = 2048  # room kept for the model's answer when its map has no figure
DROPPED = "(this answer was dropped to fit the context window: look it up again if you need it)"


@dataclass(frozen=True)
class PromptBudget:
    """How many tokens a prompt may hold, and how the agent may ask for more context."""

    limit: int
    map_tokens: int
    lookups: int
    native_tools: bool

    @property
    def opening(self) -> int:
        """The first message's share: the rest is kept for answers, lookups and retries."""
        return self.limit * 2 // 3

    @property
    def per_lookup(self) -> int:
        return max(self.limit // 6, 256)


def prompt_budget(llm: Completer, model: str, settings: PromptSettings) -> PromptBudget:
    """The budget of one agent's prompts to ``model``."""
    info = llm.model_info(model)
    window = settings.context_window or info.context_window or DEFAULT_CONTEXT_WINDOW
    answer = min(info.max_output_tokens or DEFAULT_ANSWER_TOKENS, window // 4)
    limit = window - answer
    if settings.prompt_tokens is not None:
        limit = min(limit, settings.prompt_tokens)
    native = settings.tool_calls == "native" or (
        settings.tool_calls == "auto" and info.native_tools
    )
    return PromptBudget(limit, min(settings.map_tokens, limit // 3), settings.lookups, native)


class TokenCounter:
    """Counts text in ``model``'s tokens, and cuts text to a number of them."""

    def __init__(self, llm: Completer, model: str) -> None:
        self.llm = llm
        self.model = model

    def messages(self, messages: Sequence[Message], *, tools: bool = False) -> int:
        return self.llm.count_tokens(self.model, messages, TOOLS if tools else ())

    def text(self, text: str) -> int:
        return self.llm.count_tokens(self.model, [Message("user", text)])

    def cut(self, text: str, tokens: int) -> str:
        """``text`` if it fits in ``tokens``, else its longest head of whole lines that does,
        with a line saying how much was left out (a handful of counts, not one per line)."""
        if self.text(text) <= tokens:
            return text
        lines = text.splitlines(keepends=True)
        low, high = 0, len(lines)
        while low < high:
            middle = (low + high + 1) // 2
            if self.text("".join(lines[:middle])) + 24 <= tokens:
                low = middle
            else:
                high = middle - 1
        return "".join(lines[:low]) + f"\n... {len(lines) - low} more lines left out to fit\n"


class Dialogue:
    """The messages of one agent's conversation, and the loop that answers its lookups.

    ``is_answer(text)`` says whether a reply is the agent's answer (edits, a plan); any
    other reply with lookups in it is answered and the model asked again, as long as
    lookups are left. Every message, lookups and their answers too, is in ``messages``.
    """

    def __init__(
        self,
        llm: Completer,
        *,
        agent: str,
        model: str,
        api_base: str | None,
        budget: PromptBudget,
        lookup: Lookup | None,
        messages: Sequence[Message],
        is_answer: Callable[[str], bool],
        answer_form: str = "your answer",
    ) -> None:
        self.llm, self.agent, self.model, self.api_base = llm, agent, model, api_base
        self.budget = budget
        self.counter = TokenCounter(llm, model)
        self.lookup = lookup
        self.lookups_left = budget.lookups if lookup is not None else 0
        self.messages = list(messages)
        self.replies: list[Reply] = []
        self.is_answer = is_answer
        self.answer_form = answer_form
        self._answers: list[int] = []  # indices of lookup answers, oldest first
        self._seen: dict[str, int | None] = {}  # a lookup's key: its answer's index, or
        # None for a file the opening message showed

    def ask(self) -> str:
        """The model's next answer, after the lookups it makes on the way.

        At most ``lookups + 1`` calls: once no lookups are left, the next reply is the
        answer, whatever it holds.
        """
        for calls in itertools.count(1):
            reply = self._call()
            native = native_requests(reply.tool_calls)
            if native:
                # Every native call needs its answer before another request can be sent.
                self._answer(native, native=True)
                if calls <= self.budget.lookups + 1:
                    continue
                return reply.text
            if self.lookups_left == 0 or self.is_answer(reply.text):
                return reply.text
            requests = text_requests(reply.text)
            if not requests:
                return reply.text
            self._answer(requests, native=False)
        raise AssertionError("unreachable: the loop returns")

    def tell(self, text: str) -> None:
        self.messages.append(Message("user", text))

    def _call(self) -> Reply:
        offer = self.budget.native_tools and self.lookups_left > 0 and self.lookup is not None
        self._fit(offer)
        reply = self.llm.complete(
            agent=self.agent,
            model=self.model,
            messages=self.messages,
            api_base=self.api_base,
            tools=TOOLS if offer else (),
        )
        self.replies.append(reply)
        self.messages.append(Message("assistant", reply.text, tool_calls=reply.tool_calls))
        return reply

    def shown_in_full(self, paths: Iterable[str]) -> None:
        """Files the opening message shows whole: reading them again is answered with that."""
        for path in paths:
            self._seen[Request(READ_FILE, {"path": path}).key] = None

    def _answer(self, requests: list[Request], *, native: bool) -> None:
        answers = [(r, self.counter.cut(self._found(r), self.budget.per_lookup)) for r in requests]
        if native:
            for request, found in answers:
                self._seen[request.key] = len(self.messages)
                self._answer_message(Message("tool", found, tool_call_id=request.call_id))
        else:
            text = "\n\n".join(f"{r.describe()}:\n{found}" for r, found in answers)
            left = f"\n\n({self.lookups_left} lookups left.)"
            if self.lookups_left == 0:
                left = f"\n\nNo lookups are left: reply now with {self.answer_form}."
            self._seen.update((request.key, len(self.messages)) for request, _ in answers)
            self._answer_message(Message("user", f"Lookup results:\n\n{text}{left}"))

    def _found(self, request: Request) -> str:
        if self.lookup is None or self.lookups_left <= 0:
            return "no lookups left for this step: answer with what you have now"
        self.lookups_left -= 1  # a repeat counts too: small models loop on them
        if request.key in self._seen:
            where = self._seen[request.key]
            if where is None:
                return "this file is shown in full in the first message: use it from there"
            if self.messages[where].content != DROPPED:
                return "you asked this before: the answer is above, unchanged"
        return self.lookup.answer(request)

    def _answer_message(self, message: Message) -> None:
        self._answers.append(len(self.messages))
        self.messages.append(message)

    def _fit(self, tools: bool) -> None:
        """Drop the oldest lookup answers until the prompt fits; ModelError if it cannot."""
        size = self.counter.messages(self.messages, tools=tools)
        while size > self.budget.limit and self._answers:
            index = self._answers.pop(0)
            self.messages[index] = replace(self.messages[index], content=DROPPED)
            size = self.counter.messages(self.messages, tools=tools)
        if size > self.budget.limit:
            raise ModelError(
                f"{self.model}: the {self.agent}'s prompt is {size} tokens, more than its "
                f"budget of {self.budget.limit}; shorten the task or raise the model's "
                "context_window / prompt_tokens in the configuration"
            )
