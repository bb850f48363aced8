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
from talkgit.llm.types import Message, Reply, Usage

RECORD_VERSION = 1  # bump with _Record.version when the format changes
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


def encode_reply(reply: Reply) -> str:
    """The cache record for ``reply``."""
    record = {
        "version": RECORD_VERSION,
        "text": reply.text,
        "model": reply.model,
        "usage": {
            "input_tokens": str(reply.usage.input_tokens),
            "output_tokens": str(reply.usage.output_tokens),
            "cost_usd": str(reply.usage.cost_usd),
        },
    }
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


class _UsageRecord(BaseModel):
    input_tokens: NonNegativeInt
    output_tokens: NonNegativeInt
    cost_usd: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class _Record(BaseModel):
    version: Literal[1]
    text: StrictStr
    model: StrictStr
    usage: _UsageRecord


def decode_reply(record: str, request_sha256: str) -> Reply | None:
    """The Reply a cache record stands for, or None when the record is unreadable."""
    try:
        data = _Record.model_validate_json(record)
    except ValidationError:
        return None
    return Reply(
        text=data.text,
        model=data.model,
        usage=Usage(data.usage.input_tokens, data.usage.output_tokens, data.usage.cost_usd),
        request_sha256=request_sha256,
        response_sha256=sha256_text(data.text),
        cached=True,
    )


def request_key(model: str, api_base: str | None, messages: Sequence[Message]) -> str:
    """The sha256 of the canonical JSON of what was asked: model, api_base and messages."""
    request = {
        "model": model,
        "api_base": api_base,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
    }
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256_text(canonical)
