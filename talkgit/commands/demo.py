"""`talkgit demo`: a whole run, offline, on a small repository with a real bug.

It makes a repository with a buggy Fibonacci and failing tests, runs the full pipeline
with the bundled scripted model (planner, coder, the gates rejecting an attempt that breaks
a test, the coder's fix, the tester), leaves the
repository in place and prints the plain git commands that show what was recorded.
"""

from __future__ import annotations

import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import TextIO

from talkgit.engine.report import Reporter
from talkgit.engine.session import RunOptions, start_run
from talkgit.errors import UsageError
from talkgit.git.command import git
from talkgit.git.ledger import list_runs
from talkgit.git.repo import GitRepo

DEMO_FILES = {
    "fib.py": "demo_fib.py.txt",
    "test_fib.py": "demo_test_fib.py.txt",
    "README.md": None,
}
DEMO_TASK = "Fix fib() in fib.py so that the tests in test_fib.py pass."
DEMO_IDENTITY = ("-c", "user.name=talkgit demo", "-c", "user.email=demo@talkgit.invalid")


def demo(
    directory: Path | None,
    *,
    out: TextIO | None = None,
    reporter: Reporter | None = None,
) -> int:
    out = out or sys.stdout
    root = _prepare(directory)
    out.write(f"demo repository: {root}\n")
    with resources.as_file(resources.files("talkgit.data") / "demo_script.yaml") as script:
        options = RunOptions(model=f"scripted:{script}", parallel=1)
        code = start_run(root, DEMO_TASK, options, out=out, reporter=reporter)
    run_id = list_runs(GitRepo.discover(root))[0]
    out.write(_walkthrough(root, run_id))
    return code


def _prepare(directory: Path | None) -> Path:
    if directory is None:
        root = Path(tempfile.mkdtemp(prefix="talkgit-demo-"))
    else:
        root = directory.resolve()
        if root.exists() and any(root.iterdir()):
            raise UsageError(f"{root} is not empty: give a new or empty directory for the demo")
        root.mkdir(parents=True, exist_ok=True)
    data = resources.files("talkgit.data")
    for name, source in DEMO_FILES.items():
        text = (
            data.joinpath(source).read_text()
            if source
            else "# talkgit demo\n\nA small bug to fix.\n"
        )
        (root / name).write_text(text)
    git("init", "-q", "-b", "main", cwd=root)
    git("add", "-A", cwd=root)
    git(*DEMO_IDENTITY, "commit", "-q", "-m", "A Fibonacci with a bug", cwd=root)
    return root


def _walkthrough(root: Path, run_id: str) -> str:
    branch = f"talkgit/{run_id}/integration"
    return f"""
What happened is all in git. Try, in {root}:
  git branch --list 'talkgit/*'
      a branch per step attempt that changed files, and the integration branch
  git log --format='%h %s%n%(trailers)' main..{branch}
      each step's commit, with its trailers: run, step, agent, model
  git notes --ref=talkgit/steps show {branch}
      the last step's JSON note: model, prompt hash, tokens, cost, timings
  git diff main {branch}
      what the agents changed
  talkgit show {run_id}
      the plan and every attempt, including the one the pytest gate rejected
Your branch (main) is untouched; the work waits on {branch}.
"""
