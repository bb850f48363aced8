"""The test server itself, spoken to with plain httpx (no litellm)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.openai_server import Delay, Fault, Malformed, OpenAIServer, Reply

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "one two three"}]}


def post(server: OpenAIServer, timeout: float = 5.0) -> httpx.Response:
    return httpx.post(f"{server.base_url}/chat/completions", json=BODY, timeout=timeout)


def test_a_reply_has_the_openai_shape():
    with OpenAIServer(["hello world"]) as server:
        data = post(server).json()

    assert data["id"].startswith("chatcmpl-")
    assert data["object"] == "chat.completion"
    assert isinstance(data["created"], int)
    assert data["model"] == "gpt-4o-mini"
    assert data["choices"][0]["message"] == {"role": "assistant", "content": "hello world"}
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def test_explicit_usage_and_model():
    with OpenAIServer([Reply("x", prompt_tokens=40, completion_tokens=9, model="m-2")]) as server:
        data = post(server).json()

    assert data["model"] == "m-2"
    assert data["usage"]["total_tokens"] == 49


def test_faults_carry_status_retry_after_and_body():
    with OpenAIServer([Fault(429, retry_after="2"), Fault(401, body='{"error": "x"}')]) as server:
        limited, refused = post(server), post(server)

    assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
    assert limited.json()["error"]["type"] == "rate_limit_exceeded"
    assert (refused.status_code, refused.text) == (401, '{"error": "x"}')


def test_malformed_bodies_are_not_json():
    with OpenAIServer([Malformed()]) as server:
        response = post(server)

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_a_delay_outlasts_a_short_client_timeout_and_closing_wakes_it():
    started = time.monotonic()
    with OpenAIServer([Delay(30)]) as server, pytest.raises(httpx.ReadTimeout):
        post(server, timeout=0.2)

    assert time.monotonic() - started < 5


def test_requests_are_recorded_with_headers_and_body():
    with OpenAIServer(["a"]) as server:
        httpx.post(
            f"{server.base_url}/chat/completions", json=BODY, headers={"Authorization": "Bearer t"}
        )
        (request,) = server.requests

    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer t"
    assert request.body == BODY
    assert request.messages == BODY["messages"]


def test_an_empty_queue_uses_the_fallback_or_answers_500():
    with OpenAIServer(fallback=lambda request: f"echo {request.messages[0]['content']}") as server:
        echoed = post(server).json()["choices"][0]["message"]["content"]
    with OpenAIServer() as server:
        empty = post(server)

    assert echoed == "echo one two three"
    assert empty.status_code == 500
    assert "no scripted action left" in empty.json()["error"]["message"]


def test_other_paths_are_404_and_not_counted_as_calls():
    with OpenAIServer(["a"]) as server:
        missing = httpx.post(f"{server.base_url}/embeddings", json={})
        assert (missing.status_code, server.calls, server.pending) == (404, 0, 1)


def test_concurrent_requests_are_answered_in_parallel():
    with OpenAIServer(delay=0.4, fallback=lambda request: "ok") as server:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=5) as pool:
            statuses = list(pool.map(lambda _: post(server).status_code, range(5)))
        elapsed = time.monotonic() - started

        assert statuses == [200] * 5
        assert server.calls == 5
    assert elapsed < 5 * 0.4


def test_the_base_url_needs_a_running_server():
    with pytest.raises(RuntimeError, match="not running"):
        _ = OpenAIServer().base_url


def test_a_fallback_that_raises_answers_500_and_is_recorded():
    def broken(request):
        raise IndexError("pop from empty list")

    with OpenAIServer(fallback=broken) as server:
        response = post(server)
        errors = server.errors

    assert response.status_code == 500
    assert "fallback raised IndexError: pop from empty list" in response.json()["error"]["message"]
    assert errors == ["openai_server: fallback raised IndexError: pop from empty list"]
