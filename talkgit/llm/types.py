"""The LLM layer's value types and the cache protocol. Importing this never loads litellm."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from talkgit.errors import ConfigError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    """One chat message sent to a model."""

    role: Role
    content: str


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
