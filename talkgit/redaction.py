"""The one rule for secrets in text that talkgit stores or shows.

A provider's error, a model's reply, a prompt built from the repository's files: any of
them may carry a key. Every such text passes a Redactor before it is stored (the response
cache, the run ledger, notes, commit messages) or shown (log lines, `talkgit show`, a pull
request's comments). It replaces with ``[REDACTED]``:

- the value of every environment variable named like a secret (``*_API_KEY``, ``*_TOKEN``,
  ``*_SECRET``, ``*_PASSWORD``…: ``talkgit.secret_env.is_secret_name``, the rule that also
  keeps them from child processes) of this process and of every environment handed to
  talkgit, and every key talkgit
  handed a provider or GitHub — and a piece of one that a provider echoes (``sk-pr…7890``);
- anything shaped like a well-known key (``_KEY_SHAPES``), whoever's it is;
- the credentials of an ``Authorization`` or ``x-api-key`` header and of a ``Bearer`` or
  ``Basic`` scheme, and a PEM private-key block.

``redactor()`` is the Redactor for this process: call it where the text is written, so a
key learnt meanwhile counts too.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Mapping

from talkgit.secret_env import is_secret_name

REDACTED = "[REDACTED]"
# Shorter values are not real keys ("true", "none"), and replacing them would shred every
# reply and prompt they occur in.
_MIN_SECRET_LENGTH = 8
# A provider masks the key it echoes ("sk-test-****7890"): each visible piece this long is
# matched. An unmasked word must be longer to count, or ordinary words inside a known key
# ("runner" in "sk-test-runner-0987") would vanish from every text.
_MIN_MASKED_PIECE = 6
_MIN_UNMASKED_PIECE = 12
_KEY_SHAPES = re.compile(
    r"""
      \b(?:sk|pk|rk)-[A-Za-z0-9_\-*.]{8,}           # OpenAI, Anthropic (sk-ant-), OpenRouter
    | \b[spr]k_(?:live|test)_[A-Za-z0-9]{8,}        # Stripe
    | \bgh[pousr]_[A-Za-z0-9]{16,}                  # GitHub: ghp_ gho_ ghu_ ghs_ ghr_
    | \bgithub_pat_[A-Za-z0-9_]{16,}                # GitHub fine-grained tokens
    | \bglpat-[A-Za-z0-9_\-]{16,}                   # GitLab
    | \b(?:AKIA|ASIA)[0-9A-Z]{16}\b                 # AWS access key ids
    | \bAIza[0-9A-Za-z_\-]{8,}                      # Google
    | \bxox[abposr]-[A-Za-z0-9\-]{8,}               # Slack
    | \bhf_[A-Za-z0-9]{16,}                         # Hugging Face
    | \bgsk_[A-Za-z0-9]{16,}                        # Groq
    | \bxai-[A-Za-z0-9]{16,}                        # xAI
    | \beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}  # JSON web tokens
    """,
    re.VERBOSE,
)
# A credential is long and has a digit: `f"Bearer {token}"` or `headers["x-api-key"] =
# settings.anthropic_key` in a model's code is not one.
_CREDENTIAL = r"(?=[A-Za-z0-9._~+/=\-]*\d)[A-Za-z0-9._~+/=\-]{16,}"
_SCHEME = re.compile(rf"(?i)\b(bearer|basic)(\s+){_CREDENTIAL}")
_HEADER = re.compile(
    rf"""(?ix)\b((?:proxy-)?authorization|x-api-key)(["']?\s*[:=]\s*["']?)
    ((?:bearer|basic|token)\s+)?{_CREDENTIAL}"""
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
    re.DOTALL,
)
_TOKEN = re.compile(rf"[A-Za-z0-9_\-*.+/=:]{{{_MIN_MASKED_PIECE},}}")
_MASK = re.compile(r"\*+|\.{3,}|…")


class Redactor:
    """Removes secret values (and pieces of them) and key-shaped words from text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        kept = {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}
        self._secrets = sorted(kept, key=len, reverse=True)

    @classmethod
    def from_environ(cls, *environs: Mapping[str, str], extra: Iterable[str] = ()) -> Redactor:
        """Every value of a variable named like a secret, plus ``extra``."""
        return cls([*(v for environ in environs for v in secret_values(environ)), *extra])

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _PRIVATE_KEY.sub(REDACTED, text)
        text = _KEY_SHAPES.sub(REDACTED, text)
        text = _SCHEME.sub(rf"\1\2{REDACTED}", text)
        text = _HEADER.sub(lambda m: f"{m[1]}{m[2]}{m[3] or ''}{REDACTED}", text)
        return _TOKEN.sub(self._piece, text) if self._secrets else text

    def value(self, value: object) -> object:
        """A JSON value with every string in it redacted (keys of objects too)."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self(str(key)): self.value(item) for key, item in value.items()}
        return value

    def document(self, text: str) -> str:
        """``text`` redacted; a JSON document string by string, so it stays valid JSON.

        (On the raw text a key after an escaped newline, ``\\nsk-…``, would not start a
        word, and a replaced piece could split an escape.) Unchanged text is returned as is.
        """
        try:
            document = json.loads(text)
        except ValueError:
            return self(text)
        cleaned = self.value(document)
        if cleaned == document:
            return text
        return json.dumps(cleaned, indent=2, ensure_ascii=False) + "\n"

    def _piece(self, match: re.Match[str]) -> str:
        pieces = _MASK.split(match.group(0))
        least = _MIN_MASKED_PIECE if len(pieces) > 1 else _MIN_UNMASKED_PIECE
        for piece in pieces:
            if len(piece) >= least and any(piece in secret for secret in self._secrets):
                return REDACTED
        return match.group(0)


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """The values of ``environ``'s variables whose names say they hold a secret."""
    return [value for name, value in environ.items() if is_secret_name(name)]


_lock = threading.Lock()
_remembered: frozenset[str] = frozenset()


def remember(secrets: Iterable[str]) -> None:
    """Count ``secrets`` (keys from an injected environment, a token) as known from now on."""
    global _remembered
    with _lock:
        _remembered = _remembered | {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}


def redactor(*environs: Mapping[str, str], extra: Iterable[str] = ()) -> Redactor:
    """The Redactor for this process: the secrets of ``os.environ`` and of ``environs``,
    every remembered secret, and ``extra``."""
    return Redactor.from_environ(os.environ, *environs, extra=[*_remembered, *extra])
