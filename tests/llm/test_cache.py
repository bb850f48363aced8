"""Caches, the cache record format and the request hash."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from talkgit.errors import ConfigError
from talkgit.llm import DirectoryCache, MemoryCache, Message, Reply, Usage
from talkgit.llm.cache import decode_reply, encode_reply, request_key, sha256_text

KEY = "a" * 64
texts = st.text(st.characters(codec="utf-8"), max_size=200)
messages = st.lists(
    st.builds(Message, role=st.sampled_from(["system", "user", "assistant"]), content=texts),
    max_size=4,
)
usages = st.builds(
    Usage,
    input_tokens=st.integers(min_value=0, max_value=10**9),
    output_tokens=st.integers(min_value=0, max_value=10**9),
    cost_usd=st.decimals(
        min_value=0, max_value=10**6, allow_nan=False, allow_infinity=False, places=12
    ),
)


def make_reply(text: str, usage: Usage, model: str = "openai/gpt-4o-mini") -> Reply:
    return Reply(text, model, usage, KEY, sha256_text(text), cached=False)


@given(text=texts, usage=usages, model=texts)
def test_a_record_decodes_to_the_same_reply_marked_cached(text, usage, model):
    reply = make_reply(text, usage, model)

    decoded = decode_reply(encode_reply(reply), KEY)

    assert decoded == Reply(text, model, usage, KEY, reply.response_sha256, cached=True)


@pytest.mark.parametrize(
    "record",
    [
        "",
        "{not json",
        "[]",
        '{"version": 99, "text": "t", "model": "m", "usage": {}}',
        '{"version": 1, "text": 3, "model": "m", "usage": {}}',
        '{"version": 1, "text": "t", "model": "m"}',
        '{"version": 1, "text": "t", "model": "m", "usage": {"input_tokens": "x", '
        '"output_tokens": "1", "cost_usd": "0"}}',
        '{"version": 1, "text": "t", "model": "m", "usage": {"input_tokens": "1", '
        '"output_tokens": "1", "cost_usd": "cheap"}}',
    ],
)
def test_an_unreadable_record_is_a_miss(record):
    assert decode_reply(record, KEY) is None


def test_usage_is_stored_as_strings():
    reply = make_reply("t", Usage(12, 3, Decimal("0.0000021")))

    record = json.loads(encode_reply(reply))

    assert record["usage"] == {"input_tokens": "12", "output_tokens": "3", "cost_usd": "0.0000021"}


@given(model=texts, api_base=st.none() | texts, chat=messages)
def test_the_request_key_is_a_stable_sha256(model, api_base, chat):
    key = request_key(model, api_base, chat)

    assert key == request_key(model, api_base, list(chat))
    assert len(key) == 64 and set(key) <= set("0123456789abcdef")


@given(chat=messages, extra=texts)
def test_every_part_of_the_request_changes_the_key(chat, extra):
    key = request_key("m", None, chat)

    assert request_key("m" + extra + "x", None, chat) != key
    assert request_key("m", "http://h" + extra, chat) != key
    assert request_key("m", None, [*chat, Message("user", extra)]) != key


def test_role_and_content_are_not_confused():
    assert request_key("m", None, [Message("user", "a")]) != request_key(
        "m", None, [Message("assistant", "a")]
    )


@pytest.mark.parametrize("cache", [MemoryCache, DirectoryCache])
def test_caches_keep_what_is_put(cache, tmp_path):
    store = cache() if cache is MemoryCache else cache(tmp_path / "c")

    assert store.get(KEY) is None
    store.put(KEY, "first")
    store.put(KEY, "second")
    assert store.get(KEY) == "second"


def test_a_directory_cache_writes_one_file_per_key_and_no_leftovers(tmp_path: Path):
    cache = DirectoryCache(tmp_path / "nested" / "cache")
    other = "b" * 64

    cache.put(KEY, "{}")
    cache.put(other, "{}")

    assert sorted(p.name for p in (tmp_path / "nested" / "cache").iterdir()) == [
        f"{KEY}.json",
        f"{other}.json",
    ]


def test_a_failed_write_leaves_no_file(tmp_path: Path):
    cache = DirectoryCache(tmp_path)

    with pytest.raises(UnicodeEncodeError):
        cache.put(KEY, "\ud800")  # a lone surrogate cannot be written as UTF-8

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("key", ["../escape", "A" * 64, "a" * 63, "a" * 64 + "/x", ""])
def test_a_directory_cache_only_accepts_hex_digests(tmp_path: Path, key: str):
    cache = DirectoryCache(tmp_path)

    with pytest.raises(ConfigError, match="sha256 hex digest"):
        cache.get(key)
