from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
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


def _taken_over(opened: GitRepo) -> None:
    """A run lock whose writer died while writing it."""
    lock_file = opened.private_dir / "locks" / "ab12cd34.lock"
    lock_file.parent.mkdir(parents=True)
    lock_file.write_text("{}")


def _ref_lock(repo: Path, ref: str) -> Path:
    lock = repo / ".git" / f"{ref}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    return lock


def test_a_fresh_lock_on_the_shared_notes_is_waited_for_not_broken(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    _taken_over(opened)
    fresh = _ref_lock(repo, "refs/notes/talkgit/steps")  # another run's writer at work
    writer = threading.Timer(0.3, fresh.unlink)  # ... which lets go when it is done
    writer.start()
    said: list[str] = []
    RunLock(opened, "ab12cd34", said.append).acquire()
    writer.join()
    assert not fresh.exists()
    assert not any("stale git lock" in line for line in said)


def test_a_young_lock_no_writer_releases_is_cleared_once_stale(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    _taken_over(opened)
    notes = _ref_lock(repo, "refs/notes/talkgit/steps")  # the dead driver's, just now
    said: list[str] = []
    RunLock(opened, "ab12cd34", said.append).acquire()
    assert not notes.exists()
    assert any("stale git lock on refs/notes/talkgit/steps" in line for line in said)


def test_the_dead_drivers_locks_on_its_own_refs_go_at_once(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    _taken_over(opened)
    own = [
        _ref_lock(repo, "refs/heads/talkgit/ab12cd34/integration"),
        _ref_lock(repo, "refs/talkgit/runs/ab12cd34"),
    ]
    other_run = _ref_lock(repo, "refs/heads/talkgit/ef56ab78/integration")
    said: list[str] = []
    RunLock(opened, "ab12cd34", said.append).acquire()
    assert not any(lock.exists() for lock in own)
    assert other_run.exists()  # another run's branch is not this run's to free
    assert any("stale git lock on refs/talkgit/runs/ab12cd34" in line for line in said)
