"""Translate litellm's exceptions into one-line ModelErrors, with every secret redacted.

This is the only place that knows how litellm reports failures (read from its source):
each provider error is mapped onto an ``openai``-derived class with a ``status_code``;
the provider's response headers (``Retry-After``) ride on ``litellm_response_headers``,
not on ``exc.response``; a refused connection arrives as an InternalServerError (500)
whose ``__cause__`` chain holds ``openai.APIConnectionError`` and ``httpx.ConnectError``.
litellm is never imported here: the caller passes the module in.
"""

from __future__ import annotations

import enum
import math
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import ModuleType
from typing import Any

from talkgit.errors import ModelError
from talkgit.redaction import Redactor

_LITELLM_PREFIX = re.compile(r"^(?:litellm\.\w+:\s*|\w+Error:\s*|[\w-]+Exception\s*-\s*)+")
_MAX_DETAIL = 200


class FaultKind(enum.Enum):
    RATE_LIMIT = "rate limit"
    SERVER = "server error"
    TIMEOUT = "time-out"
    CONNECTION = "cannot connect"
    CONNECTION_LOST = "connection lost"
    AUTH = "authentication"
    NOT_FOUND = "unknown model"
    CONTEXT = "context too long"
    BAD_REQUEST = "bad request"
    OTHER = "other"


RETRYABLE = frozenset(
    {
        FaultKind.RATE_LIMIT,
        FaultKind.SERVER,
        FaultKind.TIMEOUT,
        FaultKind.CONNECTION,
        FaultKind.CONNECTION_LOST,
    }
)


@dataclass(frozen=True)
class ProviderFault:
    """What went wrong with one attempt, in talkgit's terms; ``detail`` is already redacted."""

    kind: FaultKind
    detail: str
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


@dataclass(frozen=True)
class CallContext:
    """What an error message needs to name: the model, where it was called, which key."""

    model: str
    api_base: str | None
    key_variable: str | None
    timeout: float


def classify(
    exc: BaseException, litellm: ModuleType, redact: Redactor, now: float
) -> ProviderFault:
    """Map an exception raised by ``litellm.completion`` onto a ProviderFault."""
    kind = _kind(exc, litellm)
    retry_after = _retry_after(exc, now) if kind in RETRYABLE else None
    # litellm says only "Connection error."; the transport's own words say what broke.
    source = _deepest_transport_error(exc) if kind is FaultKind.CONNECTION_LOST else None
    return ProviderFault(kind, _detail(source or exc, redact), retry_after)


def _kind(exc: BaseException, litellm: ModuleType) -> FaultKind:
    import httpx
    import openai

    chain = list(_chain(exc))
    if isinstance(exc, litellm.ContextWindowExceededError):
        return FaultKind.CONTEXT
    if isinstance(exc, (litellm.AuthenticationError, litellm.PermissionDeniedError)):
        return FaultKind.AUTH
    if isinstance(exc, litellm.NotFoundError):
        return FaultKind.NOT_FOUND
    if isinstance(exc, litellm.RateLimitError):
        return FaultKind.RATE_LIMIT
    if any(isinstance(e, (openai.APITimeoutError, httpx.TimeoutException)) for e in chain):
        return FaultKind.TIMEOUT
    if any(
        isinstance(e, (httpx.ConnectError, ConnectionRefusedError, socket.gaierror)) for e in chain
    ):
        return FaultKind.CONNECTION
    if any(_is_transport_failure(e, litellm) for e in chain):
        return FaultKind.CONNECTION_LOST
    if _status(exc) >= 500 and not isinstance(exc, litellm.APIConnectionError):
        return FaultKind.SERVER
    if isinstance(exc, litellm.BadRequestError):
        return FaultKind.BAD_REQUEST
    return FaultKind.OTHER


def _is_transport_failure(exc: BaseException, litellm: ModuleType) -> bool:
    import httpx
    import openai

    # litellm wraps *any* unexpected provider exception (a ValueError, say) in its own
    # APIConnectionError, so only a real transport failure in the chain counts.
    if isinstance(exc, litellm.APIConnectionError):
        return False
    return isinstance(exc, (openai.APIConnectionError, httpx.TransportError, ConnectionError))


def _deepest_transport_error(exc: BaseException) -> BaseException | None:
    import httpx

    transport = [e for e in _chain(exc) if isinstance(e, httpx.TransportError) and str(e)]
    return transport[-1] if transport else None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _status(exc: BaseException) -> int:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else 0


def _detail(exc: BaseException, redact: Redactor) -> str:
    lines = str(exc).strip().splitlines()
    first = _LITELLM_PREFIX.sub("", lines[0]).strip() if lines else ""
    text = redact(first or type(exc).__name__)
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _retry_after(exc: BaseException, now: float) -> float | None:
    for headers in _header_sources(exc):
        milliseconds = _header(headers, "retry-after-ms")
        if milliseconds is not None and _finite(milliseconds):
            return max(float(milliseconds) / 1000, 0.0)
        value = _header(headers, "retry-after")
        if value is not None:
            return retry_after_seconds(value, now)
    return None


def _header_sources(exc: BaseException) -> Iterator[Any]:
    yield getattr(exc, "litellm_response_headers", None)
    yield getattr(getattr(exc, "response", None), "headers", None)
    yield getattr(exc, "headers", None)


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    try:
        for key, value in headers.items():
            if str(key).lower() == name:
                return str(value)
    except (AttributeError, TypeError):
        return None
    return None


def _finite(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def retry_after_seconds(value: str, now: float) -> float | None:
    """Seconds to wait for a ``Retry-After`` value (delta-seconds or HTTP date) at time ``now``.

    None when the value is neither; a date in the past means 0.
    """
    text = value.strip()
    if _finite(text):
        return max(float(text), 0.0)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(moment.timestamp() - now, 0.0)


def translate(fault: ProviderFault, call: CallContext, retries: int) -> ModelError:
    """The one-line ModelError for ``fault`` after ``retries`` retries."""
    after = f"after {retries} {'retry' if retries == 1 else 'retries'}"
    model, detail, where = call.model, fault.detail, call.api_base or "the provider"
    messages = {
        FaultKind.RATE_LIMIT: f"{model}: rate limit still exceeded {after} ({detail})",
        FaultKind.SERVER: f"{model}: the provider kept failing {after} ({detail})",
        FaultKind.TIMEOUT: f"{model}: no answer within {call.timeout:g} s, time-out {after}",
        FaultKind.CONNECTION: f"{model}: cannot connect to {where} {after}",
        FaultKind.CONNECTION_LOST: f"{model}: the connection to {where} broke {after} ({detail})",
        FaultKind.AUTH: f"{model}: the provider rejected the API key; set "
        f"{call.key_variable or 'its API key variable'} to a valid key ({detail})",
        FaultKind.NOT_FOUND: f"{model}: unknown model ({detail})",
        FaultKind.CONTEXT: f"{model}: the prompt is too long for the model's context window "
        f"({detail})",
        FaultKind.BAD_REQUEST: f"{model}: the provider rejected the request ({detail})",
        FaultKind.OTHER: f"{model}: the call failed ({detail})",
    }
    return ModelError(messages[fault.kind])


def missing_key(model: str, variable: str, *, empty: bool = False) -> ModelError:
    """No key was found for a provider that needs one (``empty``: its variable is blank)."""
    if empty:
        return ModelError(f"{model}: {variable} is set but empty; set it to your API key")
    return ModelError(f"{model}: no API key found; set {variable}")


def unknown_model(model: str) -> ModelError:
    """litellm does not know which provider serves ``model``."""
    return ModelError(
        f"{model}: unknown model; name a provider as litellm does (openai/gpt-4o-mini, "
        "anthropic/..., gemini/..., ollama_chat/...) or use scripted:PATH"
    )
