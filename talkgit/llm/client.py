"""The one door to model providers: litellm behind retries, accounting and a response cache.

litellm is imported on the first real call, never at module level: importing it costs
seconds, and hooks, ``check`` and cache hits never need it. Before that import the
environment is set so litellm reads its bundled price map (no network), stays quiet,
and does not load a ``.env`` file from the working directory.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from types import ModuleType
from typing import Any

from talkgit.errors import ModelError, TalkgitError
from talkgit.llm import scripted
from talkgit.llm.cache import decode_reply, encode_reply, request_key, sha256_text
from talkgit.llm.errors import CallContext, classify, missing_key, translate, unknown_model
from talkgit.llm.types import CallPolicy, Message, Reply, ResponseCache, Usage
from talkgit.redaction import Redactor, redactor, remember, secret_values

_log = logging.getLogger(__name__)

_LITELLM_ENVIRONMENT = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # the bundled price map: no fetch at import
    "LITELLM_MODE": "PRODUCTION",  # "DEV" loads a .env found near the cwd or the install
    "LITELLM_LOG": "ERROR",  # its own stderr handler; talkgit reports errors itself
}
# Loggers that may see provider error text; a filter on each redacts secrets.
_THIRD_PARTY_LOGGERS = (
    "LiteLLM",
    "LiteLLM Router",
    "LiteLLM Proxy",
    "openai",
    "openai._base_client",
    "httpx",
    "httpcore.http11",
    "httpcore.connection",
)
# Providers whose key variable is not <PROVIDER>_API_KEY.
_KEY_VARIABLES = {"together_ai": "TOGETHERAI_API_KEY"}

DEFAULT_POLICY = CallPolicy()

_setup_lock = threading.Lock()
_litellm: ModuleType | None = None


def load_litellm() -> ModuleType:
    """litellm, imported and configured once per process."""
    global _litellm
    with _setup_lock:
        if _litellm is None:
            for name, value in _LITELLM_ENVIRONMENT.items():
                os.environ.setdefault(name, value)
            # importlib keeps mypy from type-checking all of litellm (a minute per cold
            # run); its objects are Any here and become talkgit types at once.
            module: Any = importlib.import_module("litellm")
            module.suppress_debug_info = True
            module.telemetry = False  # older releases phone home unless told not to
            module.num_retries = 0  # we own retries (and pass 0 per call as well)
            scripted.register(module)
            _install_log_redaction()
            _litellm = module
        return _litellm


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        redact = redactor()
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            # Formatted now, so the handler prints this redacted text, not the raw traceback.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _install_log_redaction() -> None:
    for name in _THIRD_PARTY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactingFilter) for f in logger.filters):
            logger.addFilter(_RedactingFilter())


def key_variable(provider: str) -> str:
    """The environment variable that holds ``provider``'s API key, by litellm's convention."""
    return _KEY_VARIABLES.get(provider) or re.sub(r"\W", "_", provider).upper() + "_API_KEY"


@dataclass(frozen=True)
class _Route:
    """How one ``complete`` call reaches litellm."""

    litellm_model: str
    api_base: str | None
    api_key: str | None
    key_variable: str | None
    script: str | None


class LLM:
    """Calls models by litellm model string (or ``scripted:PATH``), with retries and a cache.

    ``sleep`` and ``rng`` drive the back-off (inject them to test without waiting);
    ``environ`` is where API keys are looked up and whose secret values are redacted
    from every message (default: ``os.environ``). One LLM may serve many threads.

    Replies are redacted (``talkgit.redaction``) before anything sees them: a fresh reply
    and its replay from the cache are the same redacted text, and the request hash (the
    cache key) is computed over the redacted request, so both hashes can be checked
    against what talkgit stores.
    """

    def __init__(
        self,
        *,
        cache: ResponseCache | None = None,
        policy: CallPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
        environ: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._cache = cache
        self._policy = policy
        self._sleep = sleep
        self._environ: Mapping[str, str] = environ if environ is not None else os.environ
        if environ is not None:  # so whatever stores or logs this LLM's text redacts them too
            remember(secret_values(environ))
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._rng_lock = threading.Lock()
        self.scripts = scripted.ScriptBook()

    def complete(
        self,
        *,
        agent: str,
        model: str,
        messages: Sequence[Message],
        api_base: str | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Ask ``model`` for the next message after ``messages``, on behalf of ``agent``.

        A cached reply is returned without a call (``cached=True``). Rate limits, server
        errors, time-outs and connection failures are retried per the policy; every
        failure that remains is a one-line ModelError with no secret in it.
        """
        messages = tuple(messages)
        redact = redactor(self._environ)
        key = request_key(
            model,
            None if api_base is None else redact(api_base),
            [Message(m.role, redact(m.content)) for m in messages],
        )
        cached = self._cached(key)
        if cached is not None:
            self.note_answered(agent=agent, model=model)
            return _redacted(cached, redact)  # stored before a key it holds was known
        reply = self._call(agent, model, messages, api_base, timeout or self._policy.timeout, key)
        reply = _redacted(reply, redact)
        if self._cache is not None:
            self._cache.put(key, encode_reply(reply))
        return reply

    def note_answered(self, *, agent: str, model: str) -> None:
        """Count a reply ``agent`` already has (a resumed run's earlier step) as drawn.

        A resumed run that skips finished steps makes no call for them, so a scripted
        model's position would fall behind; this moves it past one reply, as a cache hit
        does. For any other model it does nothing.
        """
        script = scripted.script_path(model)
        if script is not None:
            self.scripts.skip_reply(script, agent)

    def _cached(self, key: str) -> Reply | None:
        record = self._cache.get(key) if self._cache is not None else None
        return decode_reply(record, key) if record is not None else None

    def _call(
        self,
        agent: str,
        model: str,
        messages: tuple[Message, ...],
        api_base: str | None,
        timeout: float,
        key: str,
    ) -> Reply:
        litellm = load_litellm()
        route = self._route(litellm, model, api_base)
        if route.api_key is not None:
            remember([route.api_key])
        redact = redactor(self._environ, extra=[route.api_key or ""])
        context = CallContext(model, api_base, route.key_variable, timeout)
        attempt = 0
        while True:
            try:
                response = self._attempt(litellm, route, agent, messages, timeout)
            except TalkgitError:
                raise
            except Exception as exc:  # litellm's, or a provider's it did not map
                fault = classify(exc, litellm, redact, time.time())
                if not fault.retryable or attempt >= self._policy.retries:
                    raise translate(fault, context, attempt) from None
                wait = self._backoff(attempt, fault.retry_after)
                _log.info("%s: %s, retry %d in %.2f s", model, fault.kind.value, attempt + 1, wait)
                self._sleep(wait)
                attempt += 1
            else:
                return _reply(litellm, model, response, key)

    def _route(self, litellm: ModuleType, model: str, api_base: str | None) -> _Route:
        script = scripted.script_path(model)
        if script is not None:
            self.scripts.script(script)  # a missing or malformed file fails before any call
            return _Route(scripted.LITELLM_MODEL, None, None, None, script)
        try:
            provider = litellm.get_llm_provider(model=model, api_base=api_base)[1]
        except Exception:
            raise unknown_model(model) from None
        variable = key_variable(str(provider))
        api_key = self._environ.get(variable, "").strip() or None
        if api_key is None and variable in self._environ:
            # litellm counts a set variable as a key, and the provider's refusal of an
            # empty one looks like an outage worth retrying: it is a missing key.
            raise missing_key(model, variable, empty=True)
        missing = [
            name
            for name in litellm.validate_environment(
                model=model, api_key=api_key, api_base=api_base
            )["missing_keys"]
            if name.endswith(("_API_KEY", "_TOKEN"))  # not AWS_ACCESS_KEY_ID: roles work too
        ]
        if missing and api_key is None:
            raise missing_key(model, variable if variable in missing else missing[0])
        return _Route(model, api_base, api_key, variable, None)

    def _attempt(
        self,
        litellm: ModuleType,
        route: _Route,
        agent: str,
        messages: tuple[Message, ...],
        timeout: float,
    ) -> Any:
        options: dict[str, Any] = {"timeout": timeout, "num_retries": 0, "max_retries": 0}
        if route.api_base is not None:
            options["api_base"] = route.api_base
        if route.api_key is not None:
            options["api_key"] = route.api_key
        if route.script is not None:
            options["metadata"] = scripted.metadata(self.scripts.take(route.script, agent))
        return litellm.completion(
            model=route.litellm_model,
            messages=[{"role": m.role, "content": m.content} for m in messages],
            **options,
        )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self._policy.backoff_max * 4)
        ceiling = min(self._policy.backoff_max, self._policy.backoff_base * 2 ** min(attempt, 32))
        with self._rng_lock:
            return self._rng.uniform(0, ceiling)


def _reply(litellm: ModuleType, model: str, response: Any, key: str) -> Reply:
    try:
        text = response.choices[0].message.content or ""
    except (AttributeError, IndexError, TypeError):
        raise ModelError(f"{model}: the provider's answer has no message") from None
    usage = getattr(response, "usage", None)
    return Reply(
        text=str(text),
        model=model,
        usage=Usage(
            input_tokens=_count(getattr(usage, "prompt_tokens", 0)),
            output_tokens=_count(getattr(usage, "completion_tokens", 0)),
            cost_usd=_cost(litellm, response),
        ),
        request_sha256=key,
        response_sha256=sha256_text(str(text)),
        cached=False,
    )


def _redacted(reply: Reply, redact: Redactor) -> Reply:
    """``reply`` with its text redacted, and the response hash of that text."""
    text = redact(reply.text)
    if text == reply.text:
        return reply
    return replace(reply, text=text, response_sha256=sha256_text(text))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _cost(litellm: ModuleType, response: Any) -> Decimal:
    """The call's price from litellm's map; a model it cannot price costs 0."""
    try:
        cost = float(litellm.completion_cost(completion_response=response))
    except Exception:
        return Decimal(0)
    return Decimal(str(cost)) if math.isfinite(cost) and cost > 0 else Decimal(0)
