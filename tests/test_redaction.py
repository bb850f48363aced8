"""The one redaction rule: known secret values, pieces a provider echoes, key shapes."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from talkgit.redaction import REDACTED, Redactor, redactor, remember

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


@given(secret=secrets, text=surrounding)
def test_a_json_document_stays_json_without_the_secret(secret, text):
    redact = Redactor([secret])
    document = json.dumps({"text": f"{text}\n{secret}", "n": 1}, ensure_ascii=False)

    cleaned = redact.document(document)

    assert json.loads(cleaned)["n"] == 1
    assert secret not in json.loads(cleaned)["text"]


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "GITHUB_TOKEN", "AWS_SECRET", "my_api_key"])
def test_secret_variables_are_chosen_by_name(name):
    redact = Redactor.from_environ({name: "value-of-the-variable", "PATH": "/usr/bin:/bin"})

    assert (
        redact("got value-of-the-variable and /usr/bin:/bin") == f"got {REDACTED} and /usr/bin:/bin"
    )


@pytest.mark.parametrize(
    "key",
    [
        "sk-proj-abcDEF1234567890abcdef",
        "sk-ant-api03-abcdefghijklmnop-0123",
        "sk_live_abcdefgh12345678",
        "ghp_abcdefghijklmnopqrstuvwxyz0123",
        "gho_abcdefghijklmnopqrstuvwxyz0123",
        "ghs_abcdefghijklmnopqrstuvwxyz0123",
        "github_pat_11ABCDEFG0123456789_abcdefghij",
        "glpat-abcdefghij0123456789",
        "AKIAIOSFODNN7EXAMPLE",
        "AIzaSyA1234567890abcdef",
        "xoxb-1234567890-abcdefghij",
        "hf_abcdefghijklmnopqrstuv",
        "gsk_abcdefghijklmnopqrstuv",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop",
    ],
)
def test_key_shaped_words_are_redacted_without_any_environment(key):
    assert Redactor([])(f"the key {key}, again") == f"the key {REDACTED}, again"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Authorization: Bearer abcdef1234567890XYZ", f"Authorization: Bearer {REDACTED}"),
        (
            '{"authorization": "Basic dXNlcjpwYXNzd29yZA=="}',
            f'{{"authorization": "Basic {REDACTED}"}}',
        ),
        ("x-api-key: zzzz1234567890abcdefgh", f"x-api-key: {REDACTED}"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nafter",
            f"{REDACTED}\nafter",
        ),
    ],
)
def test_credentials_in_headers_and_private_keys_are_redacted(text, redacted):
    assert Redactor([])(text) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "task-list and desk-lamp stay; sklearn stays",
        'headers = {"Authorization": f"Bearer {token}"}',
        'headers["x-api-key"] = settings.anthropic_key',
        "bearer tokens are documented in RFC 6750",
    ],
)
def test_code_and_prose_that_only_mention_keys_stay(text):
    assert Redactor(["sk-test-TALKGIT-FAKE-runner-0987654321"])(text) == text


def test_ordinary_words_inside_a_known_key_stay():
    redact = Redactor(["sk-test-TALKGIT-FAKE-runner-0987654321"])

    assert redact("the runner runs") == "the runner runs"
    assert redact("echoed sk-test-****4321 and TALKGIT-FAKE-runner") == (
        f"echoed {REDACTED} and {REDACTED}"
    )


def test_empty_and_short_values_do_not_shred_messages():
    redact = Redactor.from_environ({"EMPTY_TOKEN": "", "TINY_SECRET": "a", "FLAG_TOKEN": "true"})

    assert redact("a plain message, true") == "a plain message, true"


def test_redaction_is_idempotent():
    redact = Redactor(["zz-custom-secret-value-42"])
    once = redact(
        "Authorization: Bearer abcdef1234567890XYZ zz-custom-secret-value-42 sk-abcdefgh1"
    )

    assert redact(once) == once


def test_the_process_redactor_knows_the_environment_and_remembered_secrets(monkeypatch):
    monkeypatch.setenv("VENDOR_TOKEN", "vendor-token-value-0001")
    remember(["remembered-secret-value-0002"])

    redact = redactor({"OTHER_SECRET": "injected-secret-value-0003"}, extra=["extra-value-0004"])

    text = "vendor-token-value-0001 remembered-secret-value-0002 injected-secret-value-0003"
    assert redact(text + " extra-value-0004") == " ".join([REDACTED] * 4)
