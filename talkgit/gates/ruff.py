"""The ruff gate: lint the changed Python files and read ruff's JSON into Findings."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import ConfigDict, TypeAdapter, ValidationError

from talkgit.gates import commands
from talkgit.gates.base import Finding, GateRun, Severity, Target
from talkgit.gates.tools import (
    ToolOutput,
    last_line,
    relative_path,
    run_on_python_files,
    schema_error,
)
from talkgit.proc import Output

# Older ruff reports a syntax error with no code or as E999, newer ones as invalid-syntax.
SYNTAX_RULES = frozenset({"invalid-syntax", "E999"})


class _Location(ToolOutput):
    row: int
    column: int


class _Diagnostic(ToolOutput):
    """The part of one entry of ``ruff check --output-format json`` that a Finding needs."""

    code: str | None
    filename: str
    location: _Location
    message: str


_DIAGNOSTICS = TypeAdapter(list[_Diagnostic], config=ConfigDict(defer_build=True))


class RuffGate:
    """Runs ``ruff check`` with the repository's own configuration on the target's files."""

    name = "ruff"

    def run(self, target: Target) -> GateRun:
        return run_on_python_files(
            self.name,
            target,
            functools.partial(commands.ruff, target),
            functools.partial(_read, root=target.root),
            select=commands.ruff_files,
        )


def _read(output: Output, root: Path) -> tuple[tuple[Finding, ...], str | None]:
    if output.returncode != 0:
        return (), f"ruff exited {output.returncode}: {last_line(output)}"
    try:
        diagnostics = _DIAGNOSTICS.validate_json(output.stdout)
    except ValidationError as exc:
        return (), f"ruff printed something other than its JSON report: {schema_error(exc)}"
    return tuple(_finding(d, root) for d in diagnostics), None


def _finding(diagnostic: _Diagnostic, root: Path) -> Finding:
    rule = diagnostic.code or "invalid-syntax"
    return Finding(
        tool="ruff",
        rule=rule,
        severity=Severity.HIGH if rule in SYNTAX_RULES else Severity.MEDIUM,
        path=relative_path(diagnostic.filename, root),
        line=diagnostic.location.row,
        column=diagnostic.location.column,
        message=diagnostic.message,
    )
