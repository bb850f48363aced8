"""The LLM layer's value types and the cache protocol. Importing this never loads litellm."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from talkgit.errors import ConfigError

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """A model's request to run one of the tools it was offered; ``arguments`` is JSON text."""

    id: str
    name: str
    arguments: str

    def as_dict(self) -> dict[str, Any]:
        function = {"name": self.name, "arguments": self.arguments}
        return {"id": self.id, "type": "function", "function": function}


@dataclass(frozen=True)
class Message:
    """One chat message sent to a model.

    An assistant message may carry the ``tool_calls`` it made; a ``tool`` message answers
    the call ``tool_call_id`` names (the provider's native tool calling).
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The message as the OpenAI chat protocol (and litellm) spells it."""
        message: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [call.as_dict() for call in self.tool_calls]
        if self.tool_call_id is not None:
            message["tool_call_id"] = self.tool_call_id
        return message


@dataclass(frozen=True)
class Tool:
    """A function a model may call: its name, what it does, and its JSON-schema parameters."""

    name: str
    description: str
    parameters: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        function = {"name": self.name, "description": self.description}
        return {"type": "function", "function": {**function, "parameters": self.parameters}}


@dataclass(frozen=True)
class ModelInfo:
    """What litellm's model map knows of a model; None where it does not know."""

    context_window: int | None = None  # input tokens the model accepts
    max_output_tokens: int | None = None
    native_tools: bool = False  # the provider's function calling


@dataclass(frozen=True)
class Usage:
    """Tokens spent on one call and what they cost, in US dollars (0 when the price is unknown)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cost_usd + other.cost_usd,
        )


@dataclass(frozen=True)
class Reply:
    """A model's answer, with what it cost and the hashes provenance records.

    ``request_sha256`` is the cache key (model, api_base and messages, redacted; never a
    key); ``response_sha256`` is the sha256 of ``text``, which is redacted too. ``cached``
    says no call was made.
    """

    text: str
    model: str
    usage: Usage
    request_sha256: str
    response_sha256: str
    cached: bool
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class CallPolicy:
    """How long to wait for a model and how to retry transient failures.

    A failed attempt is retried up to ``retries`` times, after a random wait between 0
    and ``min(backoff_max, backoff_base * 2**attempt)`` seconds ("full jitter"), unless
    the provider sent ``Retry-After``, which is obeyed up to ``backoff_max * 4``.
    """

    timeout: float = 120.0
    retries: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 30.0

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ConfigError(f"model time-out must be positive, not {self.timeout:g} s")
        if self.retries < 0:
            raise ConfigError(f"model retries must be 0 or more, not {self.retries}")
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise ConfigError("model back-off times must be 0 or more")


class ResponseCache(Protocol):
    """Where replies are kept by request hash, so a resumed run does not pay twice."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...
