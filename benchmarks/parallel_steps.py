"""Do independent steps really run in parallel lanes?

A plan of 8 independent coder steps runs against a local OpenAI-protocol server that
answers every call (the planner's too) after 1 s; no tester steps, so no tests run.
Sequential is about 9 s (one planner call, then eight steps). Target (issue 3): with
``--parallel 4`` the wall time is <= 3.5 s (ideal 3 s: the planner, then two waves of
four). It prints both figures and their ratio.

    python benchmarks/parallel_steps.py [--steps 8] [--parallel 4] [--delay 1.0]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from talkgit.commands.run import RunOptions, run
from talkgit.engine.report import PlainReporter
from tests.support.openai_server import OpenAIServer
from tests.support.routing import RunRouter
from tests.support.scripts import edit, plan_reply


def make_repository(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "README.md").write_text("# bench\n")
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    for command in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        [*identity, "commit", "-qm", "seed"],
    ):
        subprocess.run(["git", *command], cwd=root, check=True)
    return root


def timed_run(steps: int, parallel: int, delay: float) -> float:
    names = [f"s{i}" for i in range(steps)]
    router = RunRouter(
        plan_reply(*((name, "coder", []) for name in names)),
        {name: [edit(f"{name}.py", "", f"NAME = {name!r}\n")] for name in names},
    )
    with (
        tempfile.TemporaryDirectory() as scratch,
        OpenAIServer(fallback=router, delay=delay) as server,
    ):
        repo = make_repository(Path(scratch) / "repo")
        environ = {
            "OPENAI_API_KEY": "sk-bench",
            "TALKGIT_API_BASE": server.base_url,
            "TALKGIT_RUN_GATES": "[]",  # the issue measures lanes, with tests and gates off
        }
        options = RunOptions(model="openai/gpt-4o-mini", parallel=parallel, max_steps=steps + 1)
        started = time.perf_counter()
        code = run(
            repo,
            "bench",
            options,
            out=io.StringIO(),
            reporter=PlainReporter(io.StringIO()),
            environ=environ,
        )
        elapsed = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"the run failed with exit code {code}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()
    timed_run(1, 1, 0.0)  # warm up: litellm's import is paid once, outside the figures
    sequential = timed_run(args.steps, 1, args.delay)
    parallel = timed_run(args.steps, args.parallel, args.delay)
    ideal = args.delay * (1 + -(-args.steps // args.parallel))
    print(f"steps: {args.steps}, model answer delay: {args.delay:g} s")
    print(f"sequential (--parallel 1): {sequential:.2f} s")
    print(f"parallel (--parallel {args.parallel}): {parallel:.2f} s (ideal {ideal:.1f} s)")
    print(f"speed-up: {sequential / parallel:.2f}x")
    verdict = "met" if parallel <= 3.5 else "MISSED"
    print(
        f"target --parallel 4 <= 3.5 s: {verdict}" if args.parallel == 4 and args.steps == 8 else ""
    )


if __name__ == "__main__":
    main()
