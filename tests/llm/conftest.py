from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from talkgit.llm import LLM, CallPolicy, DirectoryCache, Message
from tests.support.openai_server import OpenAIServer

FAKE_KEY = "sk-test-TALKGIT-FAKE-1234567890"
MODEL = "openai/gpt-4o-mini"
HELLO = (Message("system", "You are terse."), Message("user", "Say hello."))


class Sleeps(list[float]):
    """An injected ``sleep``: records every wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(autouse=True)
def fake_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A recognisable fake OpenAI key, so tests can prove it never leaks."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    return FAKE_KEY


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A running local OpenAI-protocol server with an empty queue; ``push`` answers."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def llm(sleeps: Sleeps, cache_dir: Path) -> LLM:
    """An LLM with a directory cache, instant back-off waits and a seeded jitter."""
    import random

    policy = CallPolicy(timeout=10.0, retries=2, backoff_base=1.0, backoff_max=8.0)
    return LLM(cache=DirectoryCache(cache_dir), policy=policy, sleep=sleeps, rng=random.Random(7))
