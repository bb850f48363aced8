"""Kill a run at many points of its life with SIGKILL; resume must finish it without paying twice.

A multi-step run (two coder steps in parallel lanes, a tester whose failure sends a fix step
back to the coder, then the tester again) runs in a subprocess against a local
OpenAI-protocol server. It is killed at 24 distinct points — before its first model call,
and spread over the rest of its life by the reference run's timeline — then resumed in
this process. Every resumed run must end with the reference run's integration tree, and
no request whose answer the killed run had already stored may reach the server again.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.run import RunOptions, resume
from talkgit.engine.report import PlainReporter
from talkgit.llm.cache import request_key
from talkgit.llm.types import Message
from tests.support.gitrepo import fsck, git, make_repo
from tests.support.openai_server import OpenAIServer, RecordedRequest
from tests.support.scripts import NO_GATES, edit, plan_reply

MODEL = "openai/gpt-4o-mini"
KEY = "sk-test-kill-resume"
FILES = {
    "a.py": "A = 0\n",
    "b.py": "B = 0\n",
    "test_ab.py": (
        # Passes at the base too: the tester sends back only what the run broke.
        "from a import A\nfrom b import B\n\n\ndef test_values():\n"
        "    assert A in (0, 1) and B in (0, 2)\n"
    ),
}
REPLIES = {
    "edit-a": edit("a.py", "A = 0\n", "A = 1\n"),
    "edit-b": edit("b.py", "B = 0\n", "B = 3\n"),  # wrong: the tests send a fix back
    "test-fix1": edit("b.py", "B = 3\n", "B = 2\n"),
}
PLAN = plan_reply(
    ("edit-a", "coder", []),
    ("edit-b", "coder", []),
    ("test", "tester", ["edit-a", "edit-b"]),
    files={"edit-a": ["a.py"], "edit-b": ["b.py"], "test": ["a.py", "b.py", "test_ab.py"]},
)


def answer(request: RecordedRequest) -> str:
    """The same answer for the same step, however often it is asked (after a kill too)."""
    messages = request.messages
    if "planner of talkgit" in str(messages[0]["content"]):
        return PLAN
    user = str(messages[1]["content"])
    step = next(
        line.split()[1].rstrip(":") for line in user.splitlines() if line.startswith("Step ")
    )
    return REPLIES[step]


def key_of(request: RecordedRequest, api_base: str) -> str:
    messages = [Message(m["role"], m["content"]) for m in request.messages]
    return request_key(MODEL, api_base, messages)


@dataclass
class Killed:
    run_id: str
    stored_keys: set[str]  # requests whose answers the ledger held at the kill
    sent: list[RecordedRequest]


def _ledger_ref(repo: Path) -> str | None:
    refs = git(repo, "for-each-ref", "--format=%(refname)", "refs/talkgit/runs").split()
    return refs[0] if refs else None


def _ledger_exists(repo: Path) -> bool:
    """Polled every few milliseconds, so a file check rather than a git process."""
    # A `<id>.lock` alone is a ref being created, not yet a ledger: a kill then leaves none.
    runs = (repo / ".git" / "refs" / "talkgit" / "runs").glob("*")
    return any(path.suffix != ".lock" for path in runs)


def _start(repo: Path, server: OpenAIServer) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENAI_API_KEY": KEY, "TALKGIT_API_BASE": server.base_url, **NO_GATES}
    command = [
        sys.executable,
        "-m",
        "talkgit",
        "run",
        "-p",
        "2",
        "--model",
        MODEL,
        "make the test pass",
    ]
    return subprocess.Popen(
        command, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait(condition: Callable[[], bool], limit: float = 600.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.005)


def _kill(repo: Path, server: OpenAIServer, trigger: Callable[[], bool], delay: float) -> Killed:
    proc = _start(repo, server)
    try:
        _wait(lambda: trigger() or proc.poll() is not None)
        time.sleep(delay)
    finally:  # a failed wait must not leave a running process for a later test to trip on
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    ref = _ledger_ref(repo)
    assert ref is not None
    cache = (
        git(repo, "ls-tree", "--name-only", f"{ref}:cache").split() if _has_cache(repo, ref) else []
    )
    return Killed(
        ref.rsplit("/", 1)[1], {name.removesuffix(".json") for name in cache}, server.requests
    )


def _has_cache(repo: Path, ref: str) -> bool:
    return "cache" in git(repo, "ls-tree", "--name-only", ref).split()


def _resume(repo: Path, server: OpenAIServer) -> int:
    environ = {"OPENAI_API_KEY": KEY, "TALKGIT_API_BASE": server.base_url, **NO_GATES}
    options = RunOptions(model=MODEL, parallel=2)
    return resume(
        repo,
        None,
        options,
        out=io.StringIO(),
        reporter=PlainReporter(io.StringIO()),
        environ=environ,
    )


def _integration_tree(repo: Path, run_id: str) -> str:
    return git(repo, "rev-parse", f"talkgit/{run_id}/integration^{{tree}}").strip()


# 26 runs, two at a time: minutes on a quiet machine, many more with both cores busy.
@pytest.mark.timeout(3600)
def test_a_run_killed_anywhere_resumes_to_the_same_tree_without_paying_twice(
    tmp_path: Path,
) -> None:
    # The reference: one run, undisturbed, and its timeline from the first model call to
    # its last ledger write (the run saved as done), not to the process's exit.
    reference = make_repo(tmp_path / "reference", FILES)
    server = OpenAIServer(fallback=answer, delay=0.1)
    with server, _start(reference, server) as proc:  # the process is waited for, whatever fails
        _wait(lambda: server.calls >= 1)
        first_call = time.time()
        assert proc.wait(timeout=900) == exit_codes.OK  # generous: a loaded machine is slow
    ledger = _ledger_ref(reference)
    assert ledger is not None
    life = (reference / ".git" / ledger).stat().st_mtime - first_call
    run_id = ledger.rsplit("/", 1)[1]
    expected = _integration_tree(reference, run_id)
    assert git(reference, "show", f"talkgit/{run_id}/integration:b.py") == "B = 2\n"

    # Two points before the first model call, 22 spread over the rest of the run's life.
    points: list[tuple[str, float]] = [("ledger", 0.0), ("ledger", 0.3)]
    points += [("call", 0.9 * life * i / 21) for i in range(22)]
    with ThreadPoolExecutor(max_workers=2) as pool:  # two at a time: the machine has 2 cores
        outcomes = list(pool.map(lambda p: _kill_and_resume(tmp_path, *p), enumerate(points)))
    for number, outcome in enumerate(outcomes):
        assert outcome.tree == expected, f"kill point {number} ended with another tree"
    resumed = sum(o.resumed for o in outcomes)
    repeated_stored = sum(o.repeated_stored for o in outcomes)
    repeated_any = sum(o.repeated_any for o in outcomes)
    print(
        f"kill points: {len(points)}, resumed: {resumed}, repeated calls: {repeated_any} "
        f"(answered and stored before the kill: {repeated_stored})"
    )
    assert resumed >= 20
    assert repeated_stored == 0


@dataclass
class Outcome:
    tree: str
    resumed: bool
    repeated_stored: int
    repeated_any: int


def _kill_and_resume(tmp_path: Path, number: int, point: tuple[str, float]) -> Outcome:
    kind, delay = point
    repo = make_repo(tmp_path / f"kill{number:02d}", FILES)
    with OpenAIServer(fallback=answer, delay=0.1) as server:
        trigger = (
            (lambda: _ledger_exists(repo)) if kind == "ledger" else (lambda: server.calls >= 1)
        )
        killed = _kill(repo, server, trigger, delay)
        status = json.loads(git(repo, "show", f"refs/talkgit/runs/{killed.run_id}:run.json"))[
            "status"
        ]
        resumed = status != "done"
        if resumed:
            assert _resume(repo, server) == exit_codes.OK
        after = [key_of(r, server.base_url) for r in server.requests[len(killed.sent) :]]
        before = {key_of(r, server.base_url) for r in killed.sent}
    fsck(repo)
    return Outcome(
        tree=_integration_tree(repo, killed.run_id),
        resumed=resumed,
        repeated_stored=sum(1 for key in after if key in killed.stored_keys),
        repeated_any=sum(1 for key in after if key in before),
    )
