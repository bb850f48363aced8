"""The offline model ``scripted:PATH``: replies replayed from a file, through litellm.

PATH (YAML or JSON) maps each agent name to the replies it receives, in order::

    planner:
      - '{"steps": []}'
    coder:
      - {fail: rate_limit}      # this attempt fails with a 429; the retry gets the next entry
      - "the edit"

The replies are served by a litellm custom provider, so retries, usage and cost
accounting and the cache take exactly the path a real provider's answers take. Each
attempt uses one entry; the position is kept per agent by the LLM that owns the
:class:`ScriptBook`.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, StrictStr, TypeAdapter, ValidationError

from talkgit.errors import ModelError

PREFIX = "scripted:"
PROVIDER = "talkgit-scripted"
LITELLM_MODEL = f"{PROVIDER}/script"
METADATA_KEY = "talkgit_scripted"

FailKind = Literal["rate_limit", "server_error", "timeout"]
# The HTTP status a real provider would answer with; litellm maps each onto the same
# exception class (RateLimitError, InternalServerError, Timeout) as a real provider's.
FAULT_STATUS: Mapping[str, int] = {"rate_limit": 429, "server_error": 500, "timeout": 408}


@dataclass(frozen=True)
class Fail:
    """A scripted provider fault: the attempt that draws it fails with ``kind``."""

    kind: FailKind


Entry = str | Fail


class _FailEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fail: FailKind


_SCRIPT = TypeAdapter(dict[StrictStr, list[StrictStr | _FailEntry]])


def script_path(model: str) -> str | None:
    """PATH for a ``scripted:PATH`` model string, else None."""
    return model[len(PREFIX) :] if model.startswith(PREFIX) else None


def load_script(path: str) -> dict[str, tuple[Entry, ...]]:
    """Read and validate a script; every problem is a one-line ModelError naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ModelError(f"script {path} cannot be read: {reason}") from None
    data = _parse(path, text)
    try:
        raw = _SCRIPT.validate_python(data)
    except ValidationError as exc:
        raise ModelError(f"script {path} is malformed: {_first_problem(exc)}") from None
    return {agent: tuple(_entry(item) for item in items) for agent, items in raw.items()}


def _parse(path: str, text: str) -> Any:
    try:
        if path.endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"script {path} is not valid JSON: line {exc.lineno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise ModelError(f"script {path} is not valid YAML: {where}{problem}") from None


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"] if part not in ("str", "_FailEntry"))
    expected = "a mapping from agent name to a list of replies (text or {fail: KIND})"
    return f"{location or 'top level'}: {error['msg']}; expected {expected}"


def _entry(item: str | _FailEntry) -> Entry:
    return item if isinstance(item, str) else Fail(item.fail)


class ScriptBook:
    """The scripts one LLM uses and, per script and agent, how many entries are used.

    Safe to share between threads: parallel lanes of one run draw from the same book.
    """

    def __init__(self) -> None:
        self._scripts: dict[str, dict[str, tuple[Entry, ...]]] = {}
        self._used: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def script(self, path: str) -> Mapping[str, tuple[Entry, ...]]:
        """The script at ``path``, read once per book."""
        with self._lock:
            if path not in self._scripts:
                self._scripts[path] = load_script(path)
            return self._scripts[path]

    def take(self, path: str, agent: str) -> Entry:
        """The next entry for ``agent``; it counts as used."""
        entries = self._entries(path, agent)
        with self._lock:
            used = self._used.get((path, agent), 0)
            if used >= len(entries):
                raise ModelError(
                    f"script {path} has no reply left for agent {agent!r} (used {used})"
                )
            self._used[(path, agent)] = used + 1
            return entries[used]

    def skip_reply(self, path: str, agent: str) -> None:
        """Move ``agent`` past its next reply (and any faults before it), as a cache hit did.

        A cached call once drew those entries; skipping them keeps a resumed run in step.
        """
        entries = self.script(path).get(agent, ())
        with self._lock:
            used = self._used.get((path, agent), 0)
            while used < len(entries) and isinstance(entries[used], Fail):
                used += 1
            self._used[(path, agent)] = min(used + 1, len(entries))

    def used(self, path: str, agent: str) -> int:
        """How many entries ``agent`` has used so far."""
        with self._lock:
            return self._used.get((path, agent), 0)

    def _entries(self, path: str, agent: str) -> tuple[Entry, ...]:
        script = self.script(path)
        if agent not in script:
            known = ", ".join(sorted(script)) or "none"
            raise ModelError(f"script {path} has no replies for agent {agent!r} (agents: {known})")
        return script[agent]


def metadata(entry: Entry) -> dict[str, Any]:
    """What the client passes to litellm so the provider knows what to answer."""
    drawn = {"fail": entry.kind} if isinstance(entry, Fail) else {"reply": entry}
    return {METADATA_KEY: drawn}


def count_tokens(text: str) -> int:
    """Scripted token usage: whitespace-separated words, deterministic and provider-free."""
    return len(text.split())


def register(litellm: Any) -> None:
    """Add the scripted provider to litellm's ``custom_provider_map`` (once)."""
    if any(item.get("provider") == PROVIDER for item in litellm.custom_provider_map):
        return
    litellm.custom_provider_map = [
        *litellm.custom_provider_map,
        {"provider": PROVIDER, "custom_handler": _provider(litellm)},
    ]


def _provider(litellm: ModuleType) -> Any:
    custom_llm = importlib.import_module("litellm.llms.custom_llm")

    def completion(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _answer(litellm, custom_llm.CustomLLMError, kwargs)

    # Built at run time: CustomLLM only exists once litellm is imported.
    provider_class = type(
        "ScriptedProvider",
        (custom_llm.CustomLLM,),
        {"completion": completion, "__doc__": "litellm provider replaying a talkgit script."},
    )
    return provider_class()


def _answer(litellm: ModuleType, provider_error: type[Exception], call: Mapping[str, Any]) -> Any:
    params = call.get("litellm_params") or {}
    drawn = (params.get("metadata") or {}).get(METADATA_KEY)
    if not isinstance(drawn, dict):
        raise provider_error(400, "the scripted provider is driven by talkgit.llm.LLM only")
    if "fail" in drawn:
        kind = drawn["fail"]
        raise provider_error(FAULT_STATUS[kind], f"scripted {kind}")
    text = str(drawn["reply"])
    response = call["model_response"]
    response.model = LITELLM_MODEL
    response.choices[0].message.content = text
    prompt = sum(count_tokens(str(m.get("content") or "")) for m in _messages(call))
    completion = count_tokens(text)
    response.usage = litellm.Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )
    return response


def _messages(call: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    messages = call.get("messages") or []
    return [m for m in messages if isinstance(m, Mapping)]
