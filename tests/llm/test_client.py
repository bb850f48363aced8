"""LLM.complete through real litellm against a local OpenAI-protocol server."""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from email.utils import formatdate
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.errors import ModelError
from talkgit.llm import LLM, CallPolicy, DirectoryCache, MemoryCache, Message
from talkgit.llm import Reply as LLMReply
from talkgit.llm.cache import request_key, sha256_text
from tests.llm.conftest import FAKE_KEY, HELLO, MODEL
from tests.support.gitrepo import make_repo
from tests.support.openai_server import Delay, Fault, Malformed, OpenAIServer, Reply, error_body


def ask(llm: LLM, server: OpenAIServer, timeout: float | None = None) -> LLMReply:
    return llm.complete(
        agent="coder", model=MODEL, messages=HELLO, api_base=server.base_url, timeout=timeout
    )


def test_success_reports_text_usage_and_a_positive_cost(llm, openai_server):
    openai_server.push(Reply("Hello there, friend.", prompt_tokens=120, completion_tokens=30))

    reply = llm.complete(
        agent="coder", model=MODEL, messages=HELLO, api_base=openai_server.base_url
    )

    assert reply.text == "Hello there, friend."
    assert reply.model == MODEL
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (120, 30)
    assert isinstance(reply.usage.cost_usd, Decimal)
    assert reply.usage.cost_usd > 0
    assert reply.cached is False
    assert reply.request_sha256 == request_key(MODEL, openai_server.base_url, HELLO)
    assert reply.response_sha256 == sha256_text("Hello there, friend.")


def test_the_request_carries_the_messages_model_and_key(llm, openai_server):
    openai_server.push("ok")

    ask(llm, openai_server)

    (request,) = openai_server.requests
    assert request.body["model"] == "gpt-4o-mini"
    assert request.messages == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Say hello."},
    ]
    assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"


def test_an_unpriced_model_costs_zero_not_an_error(llm, openai_server):
    openai_server.push(Reply("fine", model="my-local-finetune"))

    reply = llm.complete(
        agent="coder",
        model="openai/my-local-finetune",
        messages=HELLO,
        api_base=openai_server.base_url,
    )

    assert reply.text == "fine"
    assert reply.usage.cost_usd == Decimal(0)


def test_a_cache_hit_makes_no_second_request(llm, openai_server, cache_dir):
    openai_server.push("first answer", "second answer")

    first = ask(llm, openai_server)
    again = ask(llm, openai_server)

    assert openai_server.calls == 1
    assert again.cached is True
    assert again.text == first.text == "first answer"
    assert again.usage == first.usage
    assert again.response_sha256 == first.response_sha256
    assert [p.name for p in cache_dir.iterdir()] == [f"{first.request_sha256}.json"]


def test_a_new_llm_on_the_same_directory_reuses_the_cache(openai_server, cache_dir, sleeps):
    openai_server.push("paid once")
    LLM(cache=DirectoryCache(cache_dir), sleep=sleeps).complete(
        agent="coder", model=MODEL, messages=HELLO, api_base=openai_server.base_url
    )

    resumed = LLM(cache=DirectoryCache(cache_dir), sleep=sleeps).complete(
        agent="coder", model=MODEL, messages=HELLO, api_base=openai_server.base_url
    )

    assert (resumed.text, resumed.cached, openai_server.calls) == ("paid once", True, 1)


def test_a_reply_that_echoes_a_key_is_redacted_in_the_reply_and_the_cache(
    llm, openai_server, cache_dir
):
    openai_server.push(f"Your key is {FAKE_KEY}; mine is ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6.")

    first = ask(llm, openai_server)
    again = ask(llm, openai_server)

    assert first.text == "Your key is [REDACTED]; mine is [REDACTED]."
    assert first.response_sha256 == sha256_text(first.text)
    assert (again.text, again.response_sha256, again.cached) == (
        first.text,
        first.response_sha256,
        True,
    )
    assert openai_server.calls == 1
    (entry,) = cache_dir.iterdir()
    assert json.loads(entry.read_text())["text"] == first.text


def test_the_request_hash_is_of_the_redacted_request(llm, openai_server):
    openai_server.push("ok")
    messages = (Message("user", f"config.py holds {FAKE_KEY}"),)

    reply = llm.complete(
        agent="coder", model=MODEL, messages=messages, api_base=openai_server.base_url
    )

    assert FAKE_KEY in openai_server.requests[0].messages[0]["content"]  # sent as it is
    redacted = (Message("user", "config.py holds [REDACTED]"),)
    assert reply.request_sha256 == request_key(MODEL, openai_server.base_url, redacted)


def test_different_messages_are_different_cache_entries(openai_server, sleeps):
    llm = LLM(cache=MemoryCache(), sleep=sleeps)
    openai_server.push("one", "two")

    first = llm.complete(agent="a", model=MODEL, messages=HELLO, api_base=openai_server.base_url)
    other = llm.complete(
        agent="a", model=MODEL, messages=[Message("user", "Other")], api_base=openai_server.base_url
    )

    assert (first.text, other.text, other.cached, openai_server.calls) == ("one", "two", False, 2)


def test_rate_limit_retry_after_seconds_is_honoured(llm, openai_server, sleeps):
    openai_server.push(Fault(429, retry_after="3"), "after the wait")

    reply = ask(llm, openai_server)

    assert reply.text == "after the wait"
    assert sleeps == [3.0]
    assert openai_server.calls == 2


def test_retry_after_as_an_http_date_is_honoured(llm, openai_server, sleeps):
    openai_server.push(Fault(429, retry_after=formatdate(time.time() + 5, usegmt=True)), "ok")

    ask(llm, openai_server)

    (waited,) = sleeps
    assert 3.0 <= waited <= 5.0


def test_retry_after_is_capped_at_four_times_backoff_max(llm, openai_server, sleeps):
    openai_server.push(Fault(429, retry_after="3600"), "ok")

    ask(llm, openai_server)

    assert sleeps == [8.0 * 4]


def test_server_errors_are_retried_with_full_jitter(openai_server, sleeps):
    policy = CallPolicy(retries=3, backoff_base=2.0, backoff_max=5.0)
    llm = LLM(policy=policy, sleep=sleeps, rng=random.Random(42))
    openai_server.push(Fault(500), Fault(503), Fault(502), "recovered")

    reply = ask(llm, openai_server)

    expected = random.Random(42)
    assert sleeps == [expected.uniform(0, c) for c in (2.0, 4.0, 5.0)]
    assert reply.text == "recovered"
    assert openai_server.calls == 4


def test_a_malformed_body_is_a_server_error_and_retried(llm, openai_server, sleeps):
    openai_server.push(Malformed(), "well formed")

    assert ask(llm, openai_server).text == "well formed"
    assert len(sleeps) == 1


def test_exhausted_rate_limit_names_the_cause_and_the_count(llm, openai_server, sleeps, cache_dir):
    openai_server.push(*[Fault(429, retry_after="1")] * 3)

    with pytest.raises(ModelError) as caught:
        ask(llm, openai_server)

    assert str(caught.value).startswith(f"{MODEL}: rate limit still exceeded after 2 retries")
    assert "\n" not in str(caught.value)
    assert sleeps == [1.0, 1.0]
    assert openai_server.calls == 3
    assert not cache_dir.exists() or not any(cache_dir.iterdir())


def test_exhausted_server_errors(llm, openai_server):
    openai_server.push(*[Fault(500)] * 3)

    with pytest.raises(ModelError, match=r"provider kept failing after 2 retries"):
        ask(llm, openai_server)


def test_a_slow_server_times_out_and_is_retried(openai_server, sleeps):
    llm = LLM(policy=CallPolicy(retries=1, timeout=30), sleep=sleeps)
    openai_server.push(Delay(10), Delay(10))

    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        ask(llm, openai_server, timeout=0.3)

    assert str(caught.value) == f"{MODEL}: no answer within 0.3 s, time-out after 1 retry"
    assert openai_server.calls == 2
    assert time.monotonic() - started < 5


def test_a_time_out_then_success(openai_server, sleeps):
    llm = LLM(policy=CallPolicy(retries=1), sleep=sleeps)
    openai_server.push(Delay(10), "in time")

    assert ask(llm, openai_server, timeout=0.3).text == "in time"


def test_cannot_connect_names_the_api_base(sleeps):
    with OpenAIServer() as gone:
        base = gone.base_url  # the port is free again once the server has closed
    llm = LLM(policy=CallPolicy(retries=1), sleep=sleeps)

    with pytest.raises(ModelError) as caught:
        llm.complete(agent="coder", model=MODEL, messages=HELLO, api_base=base)

    assert str(caught.value) == f"{MODEL}: cannot connect to {base} after 1 retry"
    assert len(sleeps) == 1


def test_a_rejected_key_is_named_never_shown(llm, openai_server, cache_dir, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    echoed = f"Incorrect API key provided: {FAKE_KEY}. Also {FAKE_KEY[:8]}****{FAKE_KEY[-4:]}."
    openai_server.push(Fault(401, body=error_body(echoed, code="invalid_api_key")))

    with pytest.raises(ModelError) as caught:
        ask(llm, openai_server)

    message = str(caught.value)
    assert message.startswith(f"{MODEL}: the provider rejected the API key; set OPENAI_API_KEY")
    assert openai_server.calls == 1  # not retried
    out, err = capfd.readouterr()
    files = (
        [p.read_text() for p in cache_dir.rglob("*") if p.is_file()] if cache_dir.exists() else []
    )
    for text in [message, repr(caught.value), caplog.text, out, err, *files]:
        assert FAKE_KEY not in text
        assert "1234567890" not in text
        assert "FAKE-1" not in text


def test_the_traceback_does_not_chain_the_provider_error(llm, openai_server):
    openai_server.push(Fault(401, body=error_body(f"bad key {FAKE_KEY}")))

    with pytest.raises(ModelError) as caught:
        ask(llm, openai_server)

    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_secrets_of_other_variables_are_redacted_too(llm, openai_server, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secretvalue_0987654321")
    openai_server.push(Fault(400, body=error_body("token ghp_secretvalue_0987654321 is odd")))

    with pytest.raises(ModelError) as caught:
        ask(llm, openai_server)

    assert "ghp_secretvalue" not in str(caught.value)
    assert "the provider rejected the request" in str(caught.value)


def test_a_missing_key_names_the_variable_before_any_call(llm, openai_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")

    with pytest.raises(ModelError) as caught:
        ask(llm, openai_server)

    assert str(caught.value) == f"{MODEL}: no API key found; set OPENAI_API_KEY"
    assert openai_server.calls == 0


@pytest.mark.parametrize(
    ("model", "variable"),
    [
        ("anthropic/claude-3-5-haiku-latest", "ANTHROPIC_API_KEY"),
        ("gemini/gemini-2.0-flash", "GEMINI_API_KEY"),
    ],
)
def test_missing_keys_of_other_providers(llm, monkeypatch, model, variable):
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(ModelError, match=rf"^{model}: no API key found; set {variable}$"):
        llm.complete(agent="coder", model=model, messages=HELLO)


def test_an_injected_environment_supplies_the_key(openai_server, sleeps, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    llm = LLM(sleep=sleeps, environ={"OPENAI_API_KEY": "sk-injected-0000000000"})
    openai_server.push("ok")

    ask(llm, openai_server)

    assert openai_server.requests[0].headers["authorization"] == "Bearer sk-injected-0000000000"


def test_an_unknown_provider_is_an_unknown_model(llm):
    with pytest.raises(ModelError, match=r"^nosuchprovider/model-x: unknown model; "):
        llm.complete(agent="coder", model="nosuchprovider/model-x", messages=HELLO)


def test_a_model_the_server_does_not_have_is_an_unknown_model(llm, openai_server):
    body = error_body("The model `gpt-9` does not exist", code="model_not_found")
    openai_server.push(Fault(404, body=body))

    with pytest.raises(ModelError) as caught:
        llm.complete(
            agent="coder", model="openai/gpt-9", messages=HELLO, api_base=openai_server.base_url
        )

    assert str(caught.value) == "openai/gpt-9: unknown model (The model `gpt-9` does not exist)"


def test_a_prompt_too_long_for_the_context_window(llm, openai_server):
    body = error_body(
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 200000 tokens.",
        code="context_length_exceeded",
    )
    openai_server.push(Fault(400, body=body))

    with pytest.raises(ModelError, match=r"the prompt is too long for the model's context window"):
        ask(llm, openai_server)
    assert openai_server.calls == 1


def test_parallel_calls_from_threads_all_succeed(openai_server, sleeps):
    from concurrent.futures import ThreadPoolExecutor

    llm = LLM(cache=MemoryCache(), sleep=sleeps)
    openai_server.fallback = lambda request: f"echo {request.messages[-1]['content']}"
    openai_server.delay = 0.3

    def one(i: int) -> str:
        return llm.complete(
            agent=f"lane{i}",
            model=MODEL,
            messages=[Message("user", f"task {i}")],
            api_base=openai_server.base_url,
        ).text

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(one, range(4)))

    assert texts == [f"echo task {i}" for i in range(4)]
    assert time.monotonic() - started < 4 * 0.3  # the calls overlapped


def test_cache_records_hold_usage_as_strings_and_no_key(llm, openai_server, cache_dir):
    openai_server.push(Reply("cached text", prompt_tokens=7, completion_tokens=3))

    reply = ask(llm, openai_server)

    record = json.loads((cache_dir / f"{reply.request_sha256}.json").read_text())
    assert record["text"] == "cached text"
    assert record["model"] == MODEL
    assert record["usage"]["input_tokens"] == "7"
    assert record["usage"]["output_tokens"] == "3"
    assert Decimal(record["usage"]["cost_usd"]) == reply.usage.cost_usd
    assert FAKE_KEY not in json.dumps(record)


def test_a_corrupt_cache_entry_is_a_miss_and_is_rewritten(llm, openai_server, cache_dir):
    key = request_key(MODEL, openai_server.base_url, HELLO)
    cache_dir.mkdir()
    (cache_dir / f"{key}.json").write_text("{not json")
    openai_server.push("fresh")

    assert ask(llm, openai_server).text == "fresh"
    assert json.loads((cache_dir / f"{key}.json").read_text())["text"] == "fresh"


def test_a_reply_records_the_requested_model_string_not_the_served_one(llm, openai_server):
    openai_server.push(Reply("x", model="gpt-4o-mini-2024-07-18"))

    assert ask(llm, openai_server).model == MODEL


def test_cache_path_for_keys_is_confined(tmp_path: Path):
    cache = DirectoryCache(tmp_path)
    from talkgit.errors import ConfigError

    with pytest.raises(ConfigError):
        cache.put("../escape", "{}")


def test_log_lines_never_carry_secret_values(llm, openai_server, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    planted = "zz-custom-secret-value-42"
    monkeypatch.setenv("MY_SERVICE_SECRET", planted)
    openai_server.push(Fault(400, body=error_body(f"cannot use {planted} here")))

    with pytest.raises(ModelError) as caught:
        ask(llm, openai_server)

    assert "openai error" in caplog.text  # litellm did log the provider's answer...
    assert planted not in caplog.text  # ...with the secret taken out
    assert planted not in str(caught.value)


def test_tracebacks_in_third_party_log_lines_are_redacted(caplog, monkeypatch):
    from talkgit.llm.client import load_litellm

    load_litellm()
    planted = "tok-abcdef-123456"
    monkeypatch.setenv("VENDOR_TOKEN", planted)
    try:
        raise ValueError(f"boom {planted}")
    except ValueError:
        logging.getLogger("openai._base_client").error("failed: %s", planted, exc_info=True)

    assert "boom" in caplog.text
    assert planted not in caplog.text


def _read_request(connection: socket.socket) -> None:
    """Read one HTTP request whole: its headers, then as many body bytes as they announce."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return  # the client gave up first
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    length = int(lengths[0].split(b":", 1)[1]) if lengths else 0
    while len(body) < length and (chunk := connection.recv(65536)):
        body += chunk


def test_a_dropped_connection_is_retried_and_reported_as_broken(sleeps):
    # A raw socket server that accepts and hangs up at once, as a crashing proxy would.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def hang_up() -> None:
        for _ in range(2):
            connection, _ = listener.accept()
            _read_request(connection)  # all of it: closing on unread bytes would be a reset
            connection.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}/v1"
    llm = LLM(policy=CallPolicy(retries=1), sleep=sleeps)
    try:
        with pytest.raises(ModelError) as caught:
            llm.complete(agent="coder", model=MODEL, messages=HELLO, api_base=base)
    finally:
        thread.join(timeout=5)
        listener.close()

    assert str(caught.value).startswith(f"{MODEL}: the connection to {base} broke after 1 retry (")
    assert "disconnected" in str(caught.value).lower()
    assert len(sleeps) == 1


@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_key_is_a_missing_key_at_once(llm, openai_server, sleeps, monkeypatch, blank):
    monkeypatch.setenv("OPENAI_API_KEY", blank)

    with pytest.raises(ModelError) as caught:
        ask(llm, openai_server)

    assert str(caught.value) == f"{MODEL}: OPENAI_API_KEY is set but empty; set it to your API key"
    assert openai_server.calls == 0 and sleeps == []


def test_an_empty_key_stops_a_run_at_once_in_one_line(openai_server, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    env = {**os.environ, "OPENAI_API_KEY": "", "TALKGIT_API_BASE": openai_server.base_url}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "talkgit", "run", "--model", MODEL, "fix it"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == exit_codes.MODEL, done.stderr
    assert time.monotonic() - started < 15  # no retries: they waited 18 s
    (error,) = [line for line in done.stderr.splitlines() if "error" in line]
    assert (
        error == f"talkgit: error: {MODEL}: OPENAI_API_KEY is set but empty; set it to your API key"
    )
    assert "Traceback" not in done.stderr
    assert openai_server.calls == 0
