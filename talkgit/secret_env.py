"""Secrets in the environment: which variables hold one, and keeping them from other processes.

talkgit runs code it did not write (a pull request's tests, a model's edits) in child
processes, and those start without any variable named like a secret. That alone is not
enough on Linux: a child can read ``/proc/<talkgit's pid>/environ``, which shows the
environment talkgit was started with whatever talkgit later removed, and can read
talkgit's memory through ``/proc/<pid>/mem`` or ptrace as the same user. So a talkgit
process that holds a secret overwrites the secrets' values in that original environment
block (its own memory; Python keeps its copy in ``os.environ``) and marks itself not
dumpable, which closes ``/proc/<pid>/environ``, ``/mem`` and ptrace to its own user's
other processes. A process with more privilege (root, or a user with sudo) can still
read any memory: that is why pull requests' tests run in a job with no secret at all
(see docs/security.md).

Only ``os``, ``re`` and ``collections.abc`` at import: `talkgit --help` and the hooks import it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

# A word of the name: OPENAI_API_KEY, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, AWS_ACCESS_KEY_ID,
# NPM_TOKEN, ACTIONS_RUNTIME_TOKEN, DB_PASSWORD, GOOGLE_APPLICATION_CREDENTIALS. Not AUTH:
# SSH_AUTH_SOCK is the path of the user's ssh agent, which git over ssh needs.
_SECRET_WORD = re.compile(
    r"(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIALS?|PAT)(?:_|$)"
)
_PR_SET_DUMPABLE = 4  # prctl(2)
_ENV_START_FIELD = 50  # /proc/<pid>/stat, 1-based (Linux 3.5 and later)


def is_secret_name(name: str) -> bool:
    """Does the variable ``name`` look like it holds a key, a token or a password?"""
    return bool(_SECRET_WORD.search(name.upper()))


def secret_names(environ: Mapping[str, str] | None = None) -> list[str]:
    """The names of the variables in ``environ`` (default: this process's) that hold a
    non-empty secret."""
    source = os.environ if environ is None else environ
    return sorted(name for name, value in source.items() if value and is_secret_name(name))


def protect_process() -> bool:
    """Keep this process's secrets from its children and its user's other processes.

    Returns True when it could (Linux), False elsewhere or when ``/proc`` is not there.
    Python's ``os.environ`` keeps every value; a child started without an explicit
    environment sees the secret variables empty.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        _scrub_original_environment()
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, ValueError, AttributeError):
        return False
    return True


def _scrub_original_environment() -> None:
    """Overwrite, with NUL bytes, the secret values in the block /proc/self/environ shows."""
    import ctypes

    with open("/proc/self/stat", encoding="ascii", errors="replace") as stat:  # noqa: PTH123
        text = stat.read()
    fields = text[text.rindex(")") + 2 :].split()
    start = int(fields[_ENV_START_FIELD - 3])
    with open("/proc/self/environ", "rb") as environ:  # noqa: PTH123
        block = environ.read()
    offset = 0
    for entry in block.split(b"\0"):
        name, equals, value = entry.partition(b"=")
        if equals and value and is_secret_name(name.decode("utf-8", "replace")):
            ctypes.memset(start + offset + len(name) + 1, 0, len(value))
        offset += len(entry) + 1
