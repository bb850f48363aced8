"""Writing scripted-model files and plans for tests."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path

import yaml

# Runs in tests that are not about gates skip them: each gate is a real tool run, and
# every coder step would pay for ruff, mypy, bandit and the test suite, twice.
NO_GATES: dict[str, str] = {"TALKGIT_RUN_GATES": "[]"}


def scripted_model(directory: Path, replies: dict[str, list[object]], name: str = "script") -> str:
    """Write ``replies`` as a script file and return the ``scripted:PATH`` model string."""
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(replies, sort_keys=False))
    return f"scripted:{path}"


def plan_reply(
    *steps: tuple[str, str, list[str]], files: dict[str, list[str]] | None = None
) -> str:
    """A planner reply: steps as (id, agent, depends_on)."""
    return json.dumps(
        {
            "steps": [
                {
                    "id": sid,
                    "agent": agent,
                    "goal": f"do {sid}",
                    "files": (files or {}).get(sid, []),
                    "depends_on": deps,
                }
                for sid, agent, deps in steps
            ]
        }
    )


def edit(path: str, search: str, replace: str) -> str:
    """One search/replace block, as a coder model would write it."""
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def run_scripted(repo: Path, model: str, task: str, environ: Mapping[str, str]) -> tuple[int, str]:
    """`talkgit run TASK` in this process with ``model`` (a ``scripted:`` one, usually) and
    the settings in ``environ``: its exit code and its progress lines."""
    from talkgit.commands.run import RunOptions, run
    from talkgit.engine.report import PlainReporter

    progress = io.StringIO()
    code = run(
        repo,
        task,
        RunOptions(model=model),
        out=io.StringIO(),
        reporter=PlainReporter(progress),
        environ=environ,
    )
    return code, progress.getvalue()
