"""`talkgit run` and `talkgit resume`: plan a task and carry it out on branches.

The work is ``talkgit.engine.session``'s; here the command's own arguments are checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from talkgit.engine.interactive import Terminal
from talkgit.engine.report import Reporter
from talkgit.engine.session import Mode, RunOptions, resume_run, start_run
from talkgit.errors import UsageError

# RunOptions is part of the command's interface: its callers make one.
__all__ = ["RunOptions", "resume", "run"]


def run(
    directory: Path,
    task: str,
    options: RunOptions,
    *,
    mode: Mode = "auto",
    finish: bool = False,
    as_json: bool = False,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    reporter: Reporter | None = None,
    terminal: Terminal | None = None,
) -> int:
    """Plan ``task`` and carry it out (``auto``, ``strict``), or only plan it (``dry-run``).

    ``terminal`` is where an interactive run (``options.interactive``) asks its questions.
    """
    task = task.strip()
    if not task:
        raise UsageError("the task is empty: say what the agents should do")
    if finish and mode != "auto":
        raise UsageError(f"--finish works in auto mode only: {mode} mode leaves finish to you")
    if options.interactive and mode == "dry-run":
        raise UsageError("a dry run asks nothing: drop -i, or choose --mode auto or strict")
    return start_run(
        directory,
        task,
        options,
        mode=mode,
        finish=finish,
        as_json=as_json,
        environ=environ,
        out=out,
        reporter=reporter,
        terminal=terminal,
    )


def resume(
    directory: Path,
    run_prefix: str | None,
    options: RunOptions,
    *,
    as_json: bool = False,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    reporter: Reporter | None = None,
    terminal: Terminal | None = None,
) -> int:
    """Carry on a stopped, interrupted or failed run; answered model calls are not paid again."""
    return resume_run(
        directory,
        run_prefix,
        options,
        as_json=as_json,
        environ=environ,
        out=out,
        reporter=reporter,
        terminal=terminal,
    )
