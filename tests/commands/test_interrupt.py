"""Ctrl-C during a run: exit 130 at once, state saved, and resume finishes the job."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from talkgit import exit_codes
from talkgit.commands.run import RunOptions, resume
from talkgit.engine.report import PlainReporter
from tests.support.gitrepo import git, make_repo
from tests.support.openai_server import OpenAIServer
from tests.support.routing import RunRouter
from tests.support.scripts import NO_GATES, edit, plan_reply

MODEL = "openai/gpt-4o-mini"


# The coder's answer never comes while the test looks (the server's threads are daemons):
# exiting before it proves Ctrl-C did not wait, on however slow or busy a machine.
HOLD = 600.0
PATIENCE = 300.0  # for a loaded machine: generous, and only ever waited out on a failure


def _wait_for(condition: Callable[[], bool], seconds: float = PATIENCE) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_ctrl_c_stops_at_once_and_resume_finishes_without_replanning(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    reply = edit("one.py", "", "ONE = 1\n")
    router = RunRouter(plan_reply(("one", "coder", [])), {"one": [reply, reply]}, hold=HOLD)
    with OpenAIServer(fallback=router) as server:
        env = {
            **os.environ,
            "OPENAI_API_KEY": "sk-test-interrupt",
            "TALKGIT_API_BASE": server.base_url,
            **NO_GATES,
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "talkgit", "run", "--model", MODEL, "add one.py"],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_for(lambda: server.calls == 2)  # planned; the coder's call is in flight
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=PATIENCE)
        assert time.monotonic() - started < HOLD  # did not wait for the answer
        assert proc.returncode == exit_codes.INTERRUPTED, err
        (run_id,) = git(
            repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs"
        ).split()
        assert f"talkgit resume {run_id}" in err and "Traceback" not in err
        record = json.loads(git(repo, "show", f"refs/talkgit/runs/{run_id}:run.json"))
        assert record["status"] == "interrupted"
        assert not list((repo / ".git").rglob("*.lock"))

        router.hold = 0.0
        environ = {
            "OPENAI_API_KEY": "sk-test-interrupt",
            "TALKGIT_API_BASE": server.base_url,
            **NO_GATES,
        }
        code = resume(
            repo,
            run_id,
            RunOptions(model=MODEL),
            out=io.StringIO(),
            reporter=PlainReporter(io.StringIO()),
            environ=environ,
        )
        assert code == exit_codes.OK
        assert server.calls == 3  # the plan came from the ledger: only the coder asked again
    assert git(repo, "show", f"talkgit/{run_id}/integration:one.py") == "ONE = 1\n"
