"""Kill `talkgit finish` with SIGKILL at many points of its life; nothing may be left half-done.

A done run that changes one file and adds many (so the checkout takes a while to write)
is finished in a subprocess, killed at 32 distinct points — two before it holds the run's
lock, thirty spread over the rest of an unkilled finish's measured life — and then the
next talkgit command (`talkgit runs`) runs. The branch, the index and the working tree
must then all be at the old commit or all at the new one, with the user's own untracked
file untouched, `git fsck --strict` clean, and a finish that was undone must succeed
when tried again.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.finish import finish
from talkgit.commands.run import RunOptions, run
from talkgit.commands.show import runs
from talkgit.engine.finish import load_finished
from talkgit.engine.report import PlainReporter
from talkgit.git.intent import FinishIntent
from talkgit.git.ledger import Ledger
from talkgit.git.repo import GitRepo
from tests.support.gitrepo import fsck, git, make_repo
from tests.support.scripts import NO_GATES, edit, plan_reply, scripted_model

ADDED = 200
PLAN = plan_reply(("many", "coder", []), files={"many": ["app.py"]})
BIG = "big.txt"  # larger than the file-size limit the full-disk test sets
REPLY = (
    edit("app.py", "X = 1\n", "X = 2\n")
    + edit(BIG, "", "0123456789abcdef\n" * 6000)
    + "".join(edit(f"pkg{i % 10}/mod{i}.py", "", f"VALUE = {i}\n" * 20) for i in range(ADDED))
)
MINE = "mine.txt"  # the user's untracked file: it must survive every kill as it was
BEFORE_LOCK = (0.0, 0.15)  # kills timed from the start, before the run's lock is taken
SPREAD = 30


@dataclass(frozen=True)
class Outcome:
    delay: str
    state: str  # "before", "after", or what was wrong
    retried: int | None  # the retried finish's exit code, when the kill undid the finish


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A repository holding one done run, to copy for every kill."""
    base = tmp_path_factory.mktemp("finish-kills")
    repo = make_repo(base / "app", {"app.py": "X = 1\n", "README.md": "# app\n"})
    model = scripted_model(base, {"planner": [PLAN], "coder": [REPLY]})
    out = io.StringIO()
    run(
        repo,
        "add many",
        RunOptions(model=model),
        out=out,
        reporter=PlainReporter(out),
        environ=NO_GATES,
    )
    (repo / MINE).write_text("my own notes\n")
    run_id = git(repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()
    return repo, run_id


def _start_finish(repo: Path, run_id: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "talkgit", "finish", run_id],
        cwd=repo,
        env={**os.environ, **NO_GATES},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _locked(repo: Path, run_id: str) -> Callable[[], bool]:
    lock = repo / ".git" / "talkgit" / "locks" / f"{run_id}.lock"
    return lock.exists


def _wait(condition: Callable[[], bool], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "finish never got there"
        time.sleep(0.002)


def _copy(template: tuple[Path, str], where: Path) -> Path:
    return Path(shutil.copytree(template[0], where, symlinks=True))


def _measure(template: tuple[Path, str], where: Path) -> float:
    """How long an unkilled finish holds the run's lock."""
    repo, run_id = _copy(template, where), template[1]
    proc = _start_finish(repo, run_id)
    _wait(lambda: _locked(repo, run_id)() or proc.poll() is not None)
    started = time.monotonic()
    assert proc.wait() == 0
    return time.monotonic() - started


def _state(repo: Path, old: str, new: str) -> str:
    tip = git(repo, "rev-parse", "main").strip()
    staged = subprocess.run(["git", "diff", "--cached", "--quiet"], cwd=repo, check=False)
    status = git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    if staged.returncode != 0 or status != [f"?? {MINE}"]:
        return f"index or working tree differs from {tip[:10]}: {status[:5]}"
    if (repo / MINE).read_text() != "my own notes\n":
        return "the user's untracked file changed"
    return {old: "before", new: "after"}.get(tip, f"main is at {tip[:10]}")


def _kill_once(
    template: tuple[Path, str], where: Path, delay: float, *, after_lock: bool
) -> Outcome:
    repo, run_id = _copy(template, where), template[1]
    old = git(repo, "rev-parse", "main").strip()
    proc = _start_finish(repo, run_id)
    if after_lock:
        _wait(lambda: _locked(repo, run_id)() or proc.poll() is not None)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert runs(repo, out=io.StringIO()) == exit_codes.OK  # the next command: it repairs
    finished = load_finished(Ledger(GitRepo.discover(repo), run_id))
    new = finished[-1].commit if finished else ""
    state = _state(repo, old, new)
    fsck(repo)
    retried = None
    if state == "before":
        retried = finish(repo, run_id, out=io.StringIO())
        state = _state(repo, old, git(repo, "rev-parse", "main").strip())
        state = "before" if state == "after" else f"the retried finish left: {state}"
        fsck(repo)
    return Outcome(f"{'lock+' if after_lock else ''}{delay:.3f}s", state, retried)


def test_a_killed_finish_is_all_before_or_all_after(
    template: tuple[Path, str], tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    life = _measure(template, tmp_path / "measured")
    points = [(d, False) for d in BEFORE_LOCK]
    points += [(life * i / (SPREAD - 1), True) for i in range(SPREAD)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(
            pool.map(
                lambda item: _kill_once(
                    template, tmp_path / f"kill{item[0]}", item[1][0], after_lock=item[1][1]
                ),
                enumerate(points),
            )
        )
    wrong = [o for o in outcomes if o.state not in ("before", "after")]
    # For benchmarks/faults.py: faults injected, survived, and how many lost something.
    record_property("faults", len(outcomes))
    record_property("survived", len(outcomes) - len(wrong))
    record_property("lost", len(wrong))
    assert not wrong, "\n".join(map(str, wrong))
    assert all(o.retried == 0 for o in outcomes if o.state == "before"), outcomes
    print(
        f"finish lives {life:.2f}s; {len(outcomes)} kills: "
        f"{sum(o.state == 'before' for o in outcomes)} undone, "
        f"{sum(o.state == 'after' for o in outcomes)} done"
    )


def test_a_dead_finishs_lock_is_taken_over_and_its_git_locks_cleared(
    template: tuple[Path, str], tmp_path: Path
) -> None:
    repo, run_id = _copy(template, tmp_path / "app"), template[1]
    old = git(repo, "rev-parse", "main").strip()
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    private = repo / ".git" / "talkgit"
    (private / "locks").mkdir(parents=True, exist_ok=True)
    (private / "locks" / f"{run_id}.lock").write_text(
        json.dumps({"pid": dead.pid, "host": socket.gethostname()})
    )
    # What that process had written when it died: its record, and git's locks on the
    # branch and the index, a few seconds old.
    record = FinishIntent(
        run=run_id,
        workdir=str(repo),
        branch="refs/heads/main",
        old=old,
        new=git(repo, "rev-parse", f"talkgit/{run_id}/integration").strip(),
        paths=(),
        pid=dead.pid,
        host=socket.gethostname(),
    )
    (private / "finish").mkdir()
    (private / "finish" / f"{run_id}.json").write_text(record.model_dump_json())
    for lock in (repo / ".git" / "refs" / "heads" / "main.lock", repo / ".git" / "index.lock"):
        lock.write_text(old + "\n")
        os.utime(lock, (time.time() - 5, time.time() - 5))
    out = io.StringIO()
    assert finish(repo, run_id, out=out) == exit_codes.OK
    lines = out.getvalue().splitlines()
    assert lines[0] == f"taking over run {run_id} from process {dead.pid}, which is gone"
    assert lines[1].startswith(f"talkgit: undid the interrupted finish of run {run_id}")
    assert lines[2].startswith(f"finished run {run_id} into main")
    assert _state(repo, old, git(repo, "rev-parse", "main").strip()) == "after"
    assert not list(private.glob("finish/*")) and not list(private.glob("locks/*"))


def _small_files() -> None:
    """A disk too small for the run's big file: writing it fails as a full disk would."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG for the writer, not a signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_leaves_no_debris_and_a_retry_succeeds(
    template: tuple[Path, str], tmp_path: Path
) -> None:
    repo, run_id = _copy(template, tmp_path / "app"), template[1]
    old = git(repo, "rev-parse", "main").strip()
    failed = subprocess.run(
        [sys.executable, "-m", "talkgit", "finish", run_id],
        cwd=repo,
        env={**os.environ, **NO_GATES},
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_small_files,
    )
    assert failed.returncode != 0
    assert "cannot write the working tree" in failed.stderr, failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    assert _state(repo, old, "") == "before"
    assert not list((repo / ".git" / "talkgit").glob("finish/*"))
    assert finish(repo, run_id, out=io.StringIO()) == exit_codes.OK
    assert _state(repo, old, git(repo, "rev-parse", "main").strip()) == "after"
    fsck(repo)
