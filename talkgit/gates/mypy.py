"""The mypy gate: type-check the changed files (mypy follows their imports) from mypy's JSON.

Only the changed files the project's own ``mypy`` checks, as it checks them: see
``talkgit.gates.mypy_scope``.

mypy keeps an incremental cache under the target's cache directory, so a second run on a
tree that barely changed re-checks only what did.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import ValidationError

from talkgit.gates import commands
from talkgit.gates.base import Finding, GateRun, Severity, Target
from talkgit.gates.mypy_scope import CONFIG_FILES
from talkgit.gates.tools import (
    ToolOutput,
    last_line,
    relative_path,
    run_on_python_files,
    schema_error,
)
from talkgit.proc import Output

STOPPED = 2  # mypy's exit code when it could not check everything (a "blocking" error)


class _Message(ToolOutput):
    """One line of ``mypy -O json``."""

    file: str
    line: int
    column: int
    message: str
    code: str | None
    severity: str


class MypyGate:
    """Runs mypy with the repository's own configuration on the changed files it checks."""

    name = "mypy"

    def run(self, target: Target) -> GateRun:
        return run_on_python_files(
            self.name,
            target,
            functools.partial(commands.mypy, target),
            functools.partial(_read, root=target.root),
            select=commands.mypy_files,
        )


def _read(output: Output, root: Path) -> tuple[tuple[Finding, ...], str | None]:
    # mypy reads a broken configuration file with a complaint on stderr and goes on with
    # its defaults: a run on the wrong settings cannot be trusted.
    config_problem = _config_problem(output.stderr)
    if config_problem:
        return (), f"mypy could not read its configuration: {config_problem}"
    try:
        messages = [
            _Message.model_validate_json(line)
            for line in output.stdout.splitlines()
            if line.strip()
        ]
    except ValidationError as exc:
        return (), f"mypy printed something other than its JSON lines: {schema_error(exc)}"
    errors = [m for m in messages if m.severity == "error"]
    problem = _stopped(output, errors)
    if problem:
        return (), problem
    return tuple(_finding(m, root) for m in errors), None


def _config_problem(stderr: str) -> str:
    lines = (line.strip() for line in stderr.splitlines())
    # An option this mypy does not know is a warning on every run, in the repository's CI
    # too; a value it cannot read or a file it cannot parse drops settings the user set.
    problems = (
        line
        for line in lines
        if line.startswith(CONFIG_FILES) and "Unrecognized option" not in line
    )
    return next(problems, "")


def _stopped(output: Output, errors: list[_Message]) -> str:
    """Why this run cannot be trusted, or "" when it can.

    Exit 2 with nothing but syntax errors is the code's fault, and those are findings;
    exit 2 for anything else (a plugin that fails to import, a module found twice, a
    crash) means mypy did not check the code.
    """
    code = output.returncode
    if code == 0 or (code == 1 and errors):
        return ""
    if code == STOPPED and errors and all(e.code == "syntax" for e in errors):
        return ""
    # Errors in the configuration itself (a plugin that fails to import) come on stderr.
    first = errors[0] if errors else _json_line(last_line(output))
    if first is not None:
        return f"mypy stopped at {first.file}:{first.line}: {first.message}"
    return f"mypy exited {code}: {last_line(output)}"


def _json_line(line: str) -> _Message | None:
    try:
        return _Message.model_validate_json(line)
    except ValidationError:
        return None


def _finding(message: _Message, root: Path) -> Finding:
    rule = message.code or "misc"
    return Finding(
        tool="mypy",
        rule=rule,
        severity=Severity.HIGH,
        path=relative_path(message.file, root),
        line=max(message.line, 0),
        column=message.column + 1 if message.column >= 0 else 0,  # mypy's JSON counts from 0
        message=message.message,
    )
