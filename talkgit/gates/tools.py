"""What the tool gates share: running a tool on the changed Python files, and reading it."""

from __future__ import annotations

import functools
import importlib.metadata
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from talkgit.errors import ToolError
from talkgit.gates.base import Finding, GateRun, Target
from talkgit.gates.commands import Selection, python_files
from talkgit.proc import Output, cmd_output, find_program

Reader = Callable[[Output], tuple[tuple[Finding, ...], str | None]]


class ToolOutput(BaseModel):
    """The base of the models a gate reads its tool's JSON with.

    Their validators are built on first use, by the thread that reads the tool's output
    while other tools still run, rather than at import on the way to judging.
    """

    model_config = ConfigDict(defer_build=True)


def run_on_python_files(
    tool: str,
    target: Target,
    command: Callable[[list[str]], list[str]],
    read: Reader,
    select: Selection = python_files,
) -> GateRun:
    """Run ``command(files)`` on the target's Python files (``select`` picks them) and
    ``read`` its output.

    No files: an empty pass without running the tool, so with no version either.
    A missing tool or a time-out: a GateRun with ``error``; ``read`` says when the output
    itself is wrong.
    """
    started = time.perf_counter()
    files = select(target)
    if not files:
        return GateRun(tool, "")
    try:
        version = tool_version(tool)
        output = _output(command(files), target)
    except ToolError as exc:
        return GateRun(tool, "", duration_s=time.perf_counter() - started, error=str(exc))
    findings, error = read(output)
    return GateRun(tool, version, findings, duration_s=time.perf_counter() - started, error=error)


def _output(command: list[str], target: Target) -> Output:
    # A command already running on this tree since before the gate was asked (exactly
    # this command, so exactly this output) is waited for rather than started again.
    started = target.started.take(command, target.root) if target.started is not None else None
    if started is not None:
        return started.output(target.timeout)
    return cmd_output(*command, cwd=target.root, timeout=target.timeout, check=False)


def relative_path(reported: str, root: Path) -> str:
    """``reported`` (absolute, or relative to ``root``) as a forward-slash path inside root."""
    path = Path(reported)
    if path.is_absolute():
        for base in (root.resolve(), root.absolute()):
            if path.is_relative_to(base):
                return path.relative_to(base).as_posix()
    return path.as_posix()


@functools.cache
def tool_version(*command: str) -> str:
    """The tool's version ("0.6.9"), once per process.

    A tool installed beside talkgit (the usual case: they are its dependencies) is asked
    through its package metadata, which costs nothing; any other asks ``command --version``
    — a whole extra process start for mypy or bandit, on every `talkgit check`.
    """
    installed = _installed_version(command[0]) if len(command) == 1 else None
    if installed is not None:
        return installed
    words = cmd_output(*command, "--version").stdout.split()
    return words[1] if len(words) > 1 else " ".join(words)


def _installed_version(tool: str) -> str | None:
    found = find_program(tool)
    ours = Path(sysconfig.get_path("scripts")).resolve()
    if found is None or Path(found).resolve().parent != ours:
        return None
    try:
        return importlib.metadata.version(tool)
    except importlib.metadata.PackageNotFoundError:
        return None


def last_line(output: Output) -> str:
    """The line of a failed tool's output that most likely says why (stderr first)."""
    lines = (output.stderr or output.stdout).strip().splitlines()
    return lines[-1].strip() if lines else "no output"


def schema_error(exc: ValidationError) -> str:
    """The first thing wrong with a tool's JSON, on one line."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{error['msg']} at {where}" if where else str(error["msg"])
