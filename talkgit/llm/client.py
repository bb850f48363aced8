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
from talkgit.llm.cache import decode_reply, encode_reply, request_key, response_digest
from talkgit.llm.errors import CallContext, classify, missing_key, translate, unknown_model
from talkgit.llm.types import (
    CallPolicy,
    Message,
    ModelInfo,
    Reply,
    ResponseCache,
    Tool,
    ToolCall,
    Usage,
)
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
class _Call:
    """One ``complete`` request that the cache could not answer."""

    agent: str
    model: str
    messages: tuple[Message, ...]
    api_base: str | None
    timeout: float
    tools: tuple[Tool, ...]


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
        tools: Sequence[Tool] = (),
    ) -> Reply:
        """Ask ``model`` for the next message after ``messages``, on behalf of ``agent``.

        ``tools`` are offered through the provider's function calling; the reply's
        ``tool_calls`` are the ones the model made. A cached reply is returned without a
        call (``cached=True``). Rate limits, server errors, time-outs and connection
        failures are retried per the policy; every failure that remains is a one-line
        ModelError with no secret in it.
        """
        messages = tuple(messages)
        redact = redactor(self._environ)
        key = request_key(
            model,
            None if api_base is None else redact(api_base),
            [replace(m, content=redact(m.content)) for m in messages],
            tools,
        )
        cached = self._cached(key)
        if cached is not None:
            self.note_answered(agent=agent, model=model)
            return _redacted(cached, redact)  # stored before a key it holds was known
        call = _Call(
            agent, model, messages, api_base, timeout or self._policy.timeout, tuple(tools)
        )
        reply = self._call(call, key)
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

    def model_info(self, model: str) -> ModelInfo:
        """What litellm's bundled model map says of ``model`` (nothing, for models it lacks)."""
        if scripted.script_path(model) is not None:
            return ModelInfo()
        litellm = load_litellm()
        try:
            info = litellm.get_model_info(model)
        except Exception:  # litellm raises its own errors for models it has not mapped
            return ModelInfo()
        return ModelInfo(
            context_window=_positive(info.get("max_input_tokens") or info.get("max_tokens")),
            max_output_tokens=_positive(info.get("max_output_tokens")),
            native_tools=bool(info.get("supports_function_calling")),
        )

    def count_tokens(
        self, model: str, messages: Sequence[Message], tools: Sequence[Tool] = ()
    ) -> int:
        """The prompt's size in ``model``'s tokens, by litellm's counter (its tokenizer for
        the model, or a general one for models it does not know)."""
        litellm = load_litellm()
        counted = scripted.LITELLM_MODEL if scripted.script_path(model) else model
        try:
            return int(
                litellm.token_counter(
                    model=counted,
                    messages=[m.as_dict() for m in messages],
                    tools=[tool.as_dict() for tool in tools] or None,
                )
            )
        except Exception as exc:  # a tokenizer that cannot load is not worth a failed run
            _log.info("%s: token counter failed (%s); estimating", model, type(exc).__name__)
            return sum(len(m.content) for m in messages) // 3 + 4 * len(messages)

    def _check_fits(self, call: _Call) -> None:
        """A ModelError, before any call, for a prompt larger than the model's window.

        Agents fit their prompts to a budget; this is the last guard, for the models
        litellm's map knows (others are held to the window set in the configuration).
        """
        window = self.model_info(call.model).context_window
        if window is None:
            return
        size = self.count_tokens(call.model, call.messages, call.tools)
        if size > window:
            raise ModelError(
                f"{call.model}: the {call.agent}'s prompt is {size} tokens, more than the "
                f"{window} the model accepts; name fewer files or lower the agent's budget"
            )

    def _cached(self, key: str) -> Reply | None:
        record = self._cache.get(key) if self._cache is not None else None
        return decode_reply(record, key) if record is not None else None

    def _call(self, call: _Call, key: str) -> Reply:
        self._check_fits(call)
        litellm = load_litellm()
        route = self._route(litellm, call.model, call.api_base)
        if route.api_key is not None:
            remember([route.api_key])
        redact = redactor(self._environ, extra=[route.api_key or ""])
        context = CallContext(call.model, call.api_base, route.key_variable, call.timeout)
        model = call.model
        attempt = 0
        while True:
            try:
                response = self._attempt(litellm, route, call)
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

    def _attempt(self, litellm: ModuleType, route: _Route, call: _Call) -> Any:
        options: dict[str, Any] = {"timeout": call.timeout, "num_retries": 0, "max_retries": 0}
        if route.api_base is not None:
            options["api_base"] = route.api_base
        if route.api_key is not None:
            options["api_key"] = route.api_key
        if route.script is not None:
            options["metadata"] = scripted.metadata(self.scripts.take(route.script, call.agent))
        if call.tools:
            options["tools"] = [tool.as_dict() for tool in call.tools]
        return litellm.completion(
            model=route.litellm_model,
            messages=[m.as_dict() for m in call.messages],
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
        message = response.choices[0].message
        text = message.content or ""
    except (AttributeError, IndexError, TypeError):
        raise ModelError(f"{model}: the provider's answer has no message") from None
    calls = _tool_calls(getattr(message, "tool_calls", None))
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
        response_sha256=response_digest(str(text), calls),
        cached=False,
        tool_calls=calls,
    )


def _tool_calls(raw: Any) -> tuple[ToolCall, ...]:
    """The provider's tool calls as talkgit's; one without a function name is dropped."""
    calls = []
    for number, call in enumerate(raw or (), 1):
        function = getattr(call, "function", None)
        name = getattr(function, "name", None)
        if not isinstance(name, str) or not name:
            continue
        arguments = getattr(function, "arguments", None)
        call_id = getattr(call, "id", None)
        calls.append(
            ToolCall(
                id=call_id if isinstance(call_id, str) and call_id else f"call_{number}",
                name=name,
                arguments=arguments if isinstance(arguments, str) else "{}",
            )
        )
    return tuple(calls)


def _redacted(reply: Reply, redact: Redactor) -> Reply:
    """``reply`` with its text and tool arguments redacted, and the response hash of them."""
    text = redact(reply.text)
    calls = tuple(replace(c, arguments=redact(c.arguments)) for c in reply.tool_calls)
    if text == reply.text and calls == reply.tool_calls:
        return reply
    return replace(reply, text=text, tool_calls=calls, response_sha256=response_digest(text, calls))


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _cost(litellm: ModuleType, response: Any) -> Decimal:
    """The call's price from litellm's map; a model it cannot price costs 0."""
    try:
        cost = float(litellm.completion_cost(completion_response=response))
    except Exception:
        return Decimal(0)
    return Decimal(str(cost)) if math.isfinite(cost) and cost > 0 else Decimal(0)
