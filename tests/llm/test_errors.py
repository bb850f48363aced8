"""Redaction, Retry-After parsing and the wording of translated errors (no litellm needed)."""

from __future__ import annotations

import string
from email.utils import formatdate

import pytest
from hypothesis import given
from hypothesis import strategies as st

from talkgit.llm.errors import (
    REDACTED,
    CallContext,
    FaultKind,
    ProviderFault,
    Redactor,
    retry_after_seconds,
    translate,
)

KEY_ALPHABET = string.ascii_letters + string.digits + "-_"
secrets = st.text(KEY_ALPHABET, min_size=12, max_size=60)
surrounding = st.text(st.characters(codec="utf-8"), max_size=80)


@given(secret=secrets, before=surrounding, after=surrounding)
def test_a_secret_value_never_survives_redaction(secret, before, after):
    redact = Redactor.from_environ({"SOME_API_KEY": secret})

    assert secret not in redact(before + secret + after)


@given(secret=secrets, before=surrounding, after=surrounding)
def test_an_echoed_prefix_and_suffix_is_redacted(secret, before, after):
    redact = Redactor([secret])
    echoed = f"{secret[:8]}****{secret[-4:]}"

    assert echoed not in redact(f"{before} {echoed} {after}")


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "GITHUB_TOKEN", "AWS_SECRET", "my_api_key"])
def test_secret_variables_are_chosen_by_name(name):
    redact = Redactor.from_environ({name: "value-of-the-variable", "PATH": "/usr/bin:/bin"})

    assert (
        redact("got value-of-the-variable and /usr/bin:/bin") == f"got {REDACTED} and /usr/bin:/bin"
    )


def test_key_shaped_words_are_redacted_without_any_environment():
    redact = Redactor([])

    assert redact("key sk-proj-abcDEF123456 rejected") == f"key {REDACTED} rejected"
    assert redact("gemini AIzaSyA1234567890abcdef") == f"gemini {REDACTED}"
    assert redact("task-list and desk-lamp stay") == "task-list and desk-lamp stay"


def test_empty_and_tiny_values_do_not_shred_messages():
    redact = Redactor.from_environ({"EMPTY_TOKEN": "", "TINY_SECRET": "a"})

    assert redact("a plain message") == "a plain message"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), ("0.5", 0.5), (" 12 ", 12.0), ("-3", 0.0)],
)
def test_retry_after_in_seconds(value, seconds):
    assert retry_after_seconds(value, now=1_000_000.0) == seconds


def test_retry_after_as_an_http_date():
    now = 1_800_000_000.0
    assert retry_after_seconds(formatdate(now + 42, usegmt=True), now) == pytest.approx(42)
    assert retry_after_seconds(formatdate(now - 42, usegmt=True), now) == 0.0


@pytest.mark.parametrize("value", ["soon", "", "nan", "inf", "Someday, 99 Foo 20xx"])
def test_retry_after_that_means_nothing(value):
    assert retry_after_seconds(value, now=0.0) is None


@given(delta=st.integers(min_value=0, max_value=10**6))
def test_retry_after_round_trips_whole_seconds(delta):
    assert retry_after_seconds(str(delta), now=0.0) == delta


CALL = CallContext(
    model="openai/gpt-4o-mini",
    api_base="http://127.0.0.1:9/v1",
    key_variable="OPENAI_API_KEY",
    timeout=2.5,
)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (FaultKind.RATE_LIMIT, "openai/gpt-4o-mini: rate limit still exceeded after 3 retries (d)"),
        (FaultKind.SERVER, "openai/gpt-4o-mini: the provider kept failing after 3 retries (d)"),
        (FaultKind.TIMEOUT, "openai/gpt-4o-mini: no answer within 2.5 s, time-out after 3 retries"),
        (
            FaultKind.CONNECTION_LOST,
            "openai/gpt-4o-mini: the connection to http://127.0.0.1:9/v1 broke after 3 retries (d)",
        ),
        (
            FaultKind.CONNECTION,
            "openai/gpt-4o-mini: cannot connect to http://127.0.0.1:9/v1 after 3 retries",
        ),
        (
            FaultKind.AUTH,
            "openai/gpt-4o-mini: the provider rejected the API key; "
            "set OPENAI_API_KEY to a valid key (d)",
        ),
        (FaultKind.NOT_FOUND, "openai/gpt-4o-mini: unknown model (d)"),
        (
            FaultKind.CONTEXT,
            "openai/gpt-4o-mini: the prompt is too long for the model's context window (d)",
        ),
        (FaultKind.BAD_REQUEST, "openai/gpt-4o-mini: the provider rejected the request (d)"),
        (FaultKind.OTHER, "openai/gpt-4o-mini: the call failed (d)"),
    ],
)
def test_each_fault_reads_as_one_line_naming_the_model(kind, expected):
    assert str(translate(ProviderFault(kind, "d"), CALL, retries=3)) == expected


def test_one_retry_is_singular():
    fault = ProviderFault(FaultKind.SERVER, "d")

    assert "after 1 retry " in str(translate(fault, CALL, retries=1))


def test_only_transient_faults_are_retryable():
    retryable = {kind for kind in FaultKind if ProviderFault(kind, "").retryable}

    assert retryable == {
        FaultKind.RATE_LIMIT,
        FaultKind.SERVER,
        FaultKind.TIMEOUT,
        FaultKind.CONNECTION,
        FaultKind.CONNECTION_LOST,
    }
