"""The mypy gate: type-check the changed files (mypy follows their imports) from mypy's JSON.

Only the changed files the project's own ``mypy`` checks, as it checks them: see
``talkgit.gates.mypy_scope``. mypy also reports errors in the modules it follows imports
into; those are the imported modules' own (a module cannot break what it imports), so
only findings in the files checked are kept: otherwise a change that adds an import
would be blamed for every old error of the module it imports.

mypy keeps an incremental cache under the target's cache directory, so a second run on a
tree that barely changed re-checks only what did.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError

from talkgit.gates import commands
from talkgit.gates.base import Finding, GateRun, Severity, Target
from talkgit.gates.mypy_scope import CONFIG_FILES
from talkgit.gates.tools import ToolOutput, relative_path, run_on_python_files, schema_error
from talkgit.proc import Output

STOPPED = 2  # mypy's exit code when it could not check everything (a "blocking" error)
# mypy's text for an error: "file:line: error: ...", "mypy: error: ...", "error: ...".
TEXT_ERROR = re.compile(r"(^|: )error: ")
# What a failed run's message is made of: error lines, a traceback's last line.
FAILURE_WORDS = re.compile(r"\berror\b|^\w*(Error|Exception)\b", re.IGNORECASE)
QUOTED_LINES = 3


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
        checked = frozenset(commands.mypy_files(target))
        return run_on_python_files(
            self.name,
            target,
            functools.partial(commands.mypy, target),
            functools.partial(_read, root=target.root, checked=checked),
            select=commands.mypy_files,
        )


class _Printed(NamedTuple):
    """What mypy printed: its JSON lines (stdout, then stderr), and all its other lines."""

    messages: list[_Message]
    text: list[str]


def _read(
    output: Output, root: Path, checked: frozenset[str]
) -> tuple[tuple[Finding, ...], str | None]:
    # mypy reads a broken configuration file with a complaint on stderr and goes on with
    # its defaults: a run on the wrong settings cannot be trusted.
    config_problem = _config_problem(output.stderr)
    if config_problem:
        return (), f"mypy could not read its configuration: {config_problem}"
    try:
        printed = _printed(output)
    except ValidationError as exc:
        return (), f"mypy printed a JSON line talkgit cannot read: {schema_error(exc)}"
    errors = [m for m in printed.messages if m.severity == "error"]
    problem = _stopped(output.returncode, errors, printed.text)
    if problem:
        return (), problem
    findings = (_finding(message, root) for message in errors)
    return tuple(finding for finding in findings if finding.path in checked), None


def _printed(output: Output) -> _Printed:
    lines = [line.strip() for line in (output.stdout + "\n" + output.stderr).splitlines()]
    return _Printed(
        [_Message.model_validate_json(line) for line in lines if line.startswith("{")],
        [line for line in lines if line and not line.startswith("{")],
    )


def _config_problem(stderr: str) -> str:
    lines = (line.strip() for line in stderr.splitlines())
    # An option this mypy does not know, or a python_version older than it supports (it
    # then checks for the oldest it does: flask 3.1 says 3.9), is a warning on every run,
    # in the repository's CI too; a value it cannot read or a file it cannot parse drops
    # settings the user set.
    problems = (
        line
        for line in lines
        if line.startswith(CONFIG_FILES)
        and "Unrecognized option" not in line
        and "is not supported (must be" not in line
        and ": note:" not in line
    )
    return next(problems, "")


def _stopped(code: int, errors: list[_Message], text: list[str]) -> str:
    """Why this run cannot be trusted, or "" when it can.

    Exit 2 with nothing but syntax errors is the code's fault, and those are findings;
    exit 2 for anything else (a plugin that fails to import, a module found twice, a
    crash) means mypy did not check the code. Lines that are not JSON are notes (an
    unused section of the configuration) unless mypy calls them errors: then it said
    something the findings do not hold.
    """
    syntax_only = bool(errors) and all(e.code == "syntax" for e in errors)
    checked = code == 0 or (code == 1 and errors) or (code == STOPPED and syntax_only)
    said = [line for line in text if TEXT_ERROR.search(line)]
    if checked:
        return f"mypy printed an error outside its JSON lines: {_quote(said)}" if said else ""
    first = next((e for e in errors if e.code != "syntax"), None)
    if code == STOPPED and first is not None:
        return f"mypy stopped at {first.file}:{first.line}: {first.message}"
    return f"mypy exited {code}: {_quote(_relevant(text))}"


def _relevant(text: list[str]) -> list[str]:
    """The lines of a failed run that say why: those naming an error or an exception."""
    return [line for line in text if FAILURE_WORDS.search(line)] or text[-1:]


def _quote(lines: list[str]) -> str:
    """mypy's own words, on one line."""
    return " | ".join(lines[:QUOTED_LINES]) if lines else "no output"


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
