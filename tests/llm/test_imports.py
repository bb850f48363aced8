"""litellm is loaded only by a real call, and loading it touches no network."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    "module", ["talkgit.llm", "talkgit.llm.types", "talkgit.llm.client", "talkgit.llm.scripted"]
)
def test_importing_the_package_does_not_load_litellm(module):
    out = run_python(f"import sys, {module}; print('litellm' in sys.modules)")

    assert out == "False"


def test_a_cache_hit_does_not_load_litellm(tmp_path):
    out = run_python(
        f"""
        import sys
        from decimal import Decimal
        from talkgit.llm import LLM, DirectoryCache, Message, Reply, Usage
        from talkgit.llm.cache import encode_reply, request_key
        cache = DirectoryCache({str(tmp_path)!r})
        messages = [Message("user", "hi")]
        key = request_key("openai/gpt-4o-mini", None, messages)
        stored = Reply("cached", "openai/gpt-4o-mini", Usage(1, 1, Decimal(0)), key, "", False)
        cache.put(key, encode_reply(stored))
        reply = LLM(cache=cache).complete(agent="a", model="openai/gpt-4o-mini", messages=messages)
        print(reply.text, reply.cached, "litellm" in sys.modules)
        """
    )

    assert out == "cached True False"


def test_loading_litellm_is_offline_quiet_and_without_retries(tmp_path):
    # A .env in the working directory must not be read (litellm's DEV mode would load it).
    (tmp_path / ".env").write_text("TALKGIT_DOTENV_PROBE=loaded\n")
    out = run_python(
        f"""
        import os, sys
        os.chdir({str(tmp_path)!r})
        attempts = []
        def audit(event, args):
            if event in ("socket.connect", "socket.getaddrinfo"):
                attempts.append(event)
        sys.addaudithook(audit)
        from talkgit.llm.client import load_litellm
        litellm = load_litellm()
        print(attempts, litellm.suppress_debug_info, litellm.num_retries,
              os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP"),
              os.environ.get("TALKGIT_DOTENV_PROBE"),
              any(p["provider"] == "talkgit-scripted" for p in litellm.custom_provider_map))
        """
    )

    assert out == "[] True 0 True None True"
