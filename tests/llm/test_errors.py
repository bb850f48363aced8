"""Retry-After parsing and the wording of translated errors (no litellm needed)."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from hypothesis import given
from hypothesis import strategies as st

from talkgit.llm.errors import (
    CallContext,
    FaultKind,
    ProviderFault,
    retry_after_seconds,
    translate,
)


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
