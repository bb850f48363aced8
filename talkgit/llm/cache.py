"""Response caches (in memory, or one JSON file per request hash) and the record they hold.

A record is the JSON form of a Reply without its hashes: the text, the model and the
usage (numbers as strings, so a Decimal cost survives exactly). It never holds a key.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, NonNegativeInt, StrictStr, ValidationError

from talkgit.errors import ConfigError
from talkgit.files import write_atomically
from talkgit.llm.types import Message, Reply, Tool, ToolCall, Usage

RECORD_VERSION = 1  # bump with _Record.version when the format changes
# A record with tool calls is version 2, so a talkgit that predates them treats it as a
# miss instead of replaying the reply without its calls.
TOOL_CALLS_VERSION = 2
_KEY = re.compile(r"[0-9a-f]{64}")


class MemoryCache:
    """A cache that lives as long as the process; safe to share between threads."""

    def __init__(self) -> None:
        self._entries: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, value: str) -> None:
        with self._lock:
            self._entries[key] = value

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class DirectoryCache:
    """One ``<key>.json`` file per entry under ``path``, each written atomically.

    Readers never see half a file: an entry is written to a temporary file in the same
    directory and renamed over the final name.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def get(self, key: str) -> str | None:
        try:
            return self._file(key).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def put(self, key: str, value: str) -> None:
        write_atomically(self._file(key), value, sync=True)

    def _file(self, key: str) -> Path:
        # Keys are our own sha256 hex digests; anything else could name a path outside.
        if not _KEY.fullmatch(key):
            raise ConfigError(f"response cache key must be a sha256 hex digest, not {key!r}")
        return self.path / f"{key}.json"


def sha256_text(text: str) -> str:
    """The hex sha256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def response_digest(text: str, tool_calls: Sequence[ToolCall] = ()) -> str:
    """The response hash: of the text alone, or of the text and the tool calls it made."""
    if not tool_calls:
        return sha256_text(text)
    calls = [_call_dict(call) for call in tool_calls]
    return sha256_text(_canonical({"text": text, "tool_calls": calls}))


def _call_dict(call: ToolCall) -> dict[str, str]:
    return {"id": call.id, "name": call.name, "arguments": call.arguments}


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode_reply(reply: Reply) -> str:
    """The cache record for ``reply``."""
    record: dict[str, object] = {
        "version": TOOL_CALLS_VERSION if reply.tool_calls else RECORD_VERSION,
        "text": reply.text,
        "model": reply.model,
        "usage": {
            "input_tokens": str(reply.usage.input_tokens),
            "output_tokens": str(reply.usage.output_tokens),
            "cost_usd": str(reply.usage.cost_usd),
        },
    }
    if reply.tool_calls:
        record["tool_calls"] = [_call_dict(call) for call in reply.tool_calls]
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


class _UsageRecord(BaseModel):
    input_tokens: NonNegativeInt
    output_tokens: NonNegativeInt
    cost_usd: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class _CallRecord(BaseModel):
    id: StrictStr
    name: StrictStr
    arguments: StrictStr


class _Record(BaseModel):
    version: Literal[1, 2]
    text: StrictStr
    model: StrictStr
    usage: _UsageRecord
    tool_calls: tuple[_CallRecord, ...] = ()


def decode_reply(record: str, request_sha256: str) -> Reply | None:
    """The Reply a cache record stands for, or None when the record is unreadable."""
    try:
        data = _Record.model_validate_json(record)
    except ValidationError:
        return None
    calls = tuple(ToolCall(c.id, c.name, c.arguments) for c in data.tool_calls)
    return Reply(
        text=data.text,
        model=data.model,
        usage=Usage(data.usage.input_tokens, data.usage.output_tokens, data.usage.cost_usd),
        request_sha256=request_sha256,
        response_sha256=response_digest(data.text, calls),
        cached=True,
        tool_calls=calls,
    )


def request_key(
    model: str, api_base: str | None, messages: Sequence[Message], tools: Sequence[Tool] = ()
) -> str:
    """The sha256 of the canonical JSON of what was asked: model, api_base, messages, tools.

    Tools, and the tool fields of messages, count only when present, so a request without
    them hashes as it always has.
    """
    request: dict[str, object] = {
        "model": model,
        "api_base": api_base,
        "messages": [m.as_dict() for m in messages],
    }
    if tools:
        request["tools"] = [tool.as_dict() for tool in tools]
    return sha256_text(_canonical(request))
