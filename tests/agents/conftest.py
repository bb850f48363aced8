"""Agents talk to a real local server speaking the OpenAI protocol, through real litellm."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.openai_server import OpenAIServer


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        yield running


@pytest.fixture
def openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake key for the local server (litellm wants one for ``openai/`` models)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-local")
