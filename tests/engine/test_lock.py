from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from talkgit.engine.lock import RunLock
from talkgit.errors import ConcurrentUpdateError
from talkgit.git.repo import GitRepo


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_a_second_driver_is_refused_while_the_first_lives(repo: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from talkgit.engine.lock import RunLock\n"
            "from talkgit.git.repo import GitRepo\n"
            "lock = RunLock(GitRepo.discover(Path(sys.argv[1])), 'ab12cd34', print)\n"
            "lock.acquire(); print('held', flush=True); time.sleep(30)\n",
            str(repo),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ConcurrentUpdateError, match=f"driven by process {holder.pid}"):
            RunLock(GitRepo.discover(repo), "ab12cd34", print).acquire()
    finally:
        holder.kill()
        holder.communicate()


def test_a_dead_holder_is_taken_over_with_a_message_and_its_ref_locks_cleared(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    lock_file = opened.private_dir / "locks" / "ab12cd34.lock"
    lock_file.parent.mkdir(parents=True)
    lock_file.write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname()}))
    stale = repo / ".git" / "refs" / "notes" / "talkgit" / "steps.lock"
    stale.parent.mkdir(parents=True)
    stale.write_text("")
    past = time.time() - 60
    os.utime(stale, (past, past))
    said: list[str] = []
    with RunLock(opened, "ab12cd34", said.append):
        assert json.loads(lock_file.read_text())["pid"] == os.getpid()
    assert any("taking over run ab12cd34" in line for line in said)
    assert any("stale git lock on refs/notes/talkgit/steps" in line for line in said)
    assert not stale.exists() and not lock_file.exists()


def test_a_fresh_ref_lock_is_left_alone(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    lock_file = opened.private_dir / "locks" / "ab12cd34.lock"
    lock_file.parent.mkdir(parents=True)
    lock_file.write_text("{}")  # unreadable: its writer died while writing it
    fresh = repo / ".git" / "refs" / "notes" / "talkgit" / "steps.lock"
    fresh.parent.mkdir(parents=True)
    fresh.write_text("")
    RunLock(opened, "ab12cd34", lambda _: None).acquire()
    assert fresh.exists()  # could be another run's writer at work
