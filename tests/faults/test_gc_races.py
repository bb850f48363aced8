"""`git gc --prune=now` and friends running the whole time a run writes: nothing is lost.

A run keeps its new objects unreachable for a moment, between writing them and moving the
refs that name them; `--prune=now` deletes unreachable loose objects and `repack -a -d`
drops unreachable packed ones, whatever their age. Each trial runs a multi-step scripted
run while git's housekeeping commands loop in other threads, then checks the run finished
with the expected tree and that git and talkgit can still read every ref.
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from talkgit import exit_codes
from tests.support.cli import talkgit_process
from tests.support.gitrepo import fsck, git, make_repo
from tests.support.scripts import NO_GATES, edit, plan_reply, run_scripted, scripted_model

TRIALS = 10
STEPS = 6
HOUSEKEEPING = (
    ("gc", "--quiet", "--prune=now"),
    ("gc", "--quiet", "--aggressive", "--prune=now"),
    ("repack", "-adq"),
    ("pack-refs", "--all"),
)
FILES = {f"m{n}.py": f"V{n} = 0\n" for n in range(STEPS)}


class Housekeeping:
    """git's housekeeping commands, each in a loop in its own thread, until ``stop``."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.rounds = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(command,)) for command in HOUSEKEEPING
        ]

    def __enter__(self) -> Housekeeping:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _loop(self, command: tuple[str, ...]) -> None:
        while not self._stop.is_set():
            done = subprocess.run(
                ["git", *command], cwd=self.repo, capture_output=True, text=True, check=False
            )
            self.rounds += 1
            # Two housekeepers at once may meet each other's locks; that is git's business.
            # A missing or bad object is ours.
            if "bad object" in done.stderr or "invalid sha1" in done.stderr:
                self.failures.append(f"git {' '.join(command)}: {done.stderr.strip()}")


def _model(directory: Path) -> str:
    steps = [(f"s{n}", "coder", [f"s{n - 1}"] if n % 2 else []) for n in range(STEPS)]
    files = {f"s{n}": [f"m{n}.py"] for n in range(STEPS)}
    edits = [edit(f"m{n}.py", f"V{n} = 0\n", f"V{n} = {n + 1}\n") for n in range(STEPS)]
    replies: dict[str, list[object]] = {"planner": [plan_reply(*steps, files=files)]}
    replies["coder"] = list(edits)
    return scripted_model(directory, replies)


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_run_survives_gc_prune_now_running_throughout(tmp_path: Path, trial: int) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    model = _model(tmp_path)
    with Housekeeping(repo) as housekeeping:
        code, progress = run_scripted(repo, model, "bump every value", {**NO_GATES})
    assert code == exit_codes.OK, progress
    assert housekeeping.rounds >= len(HOUSEKEEPING), "git gc never ran during the run"
    assert housekeeping.failures == []

    (run_id,) = git(
        repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs"
    ).split()
    assert '"status": "done"' in git(repo, "show", f"refs/talkgit/runs/{run_id}:run.json")
    integration = f"talkgit/{run_id}/integration"
    for n in range(STEPS):
        assert git(repo, "show", f"{integration}:m{n}.py") == f"V{n} = {n + 1}\n"
    fsck(repo)
    for args in (("runs",), ("show", run_id)):
        done = talkgit_process(*args, cwd=repo)
        assert done.returncode == 0, done.stderr
    git(repo, "gc", "--quiet", "--prune=now")
    fsck(repo)
