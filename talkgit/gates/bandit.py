"""The bandit gate: security findings in the changed Python files, from bandit's JSON report."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

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

FOUND_ISSUES = 1  # bandit's exit code when it reports findings; not a failure of bandit
SEVERITIES = {
    "UNDEFINED": Severity.INFO,
    "LOW": Severity.LOW,
    "MEDIUM": Severity.MEDIUM,
    "HIGH": Severity.HIGH,
}


class _Issue(ToolOutput):
    filename: str
    line_number: int
    col_offset: int
    test_id: str
    issue_severity: Literal["UNDEFINED", "LOW", "MEDIUM", "HIGH"]
    issue_text: str


class _ScanError(ToolOutput):
    filename: str
    reason: str


class _Report(ToolOutput):
    """The part of ``bandit -f json`` that Findings need."""

    results: list[_Issue]
    errors: list[_ScanError]


class BanditGate:
    """Runs bandit with the repository's own configuration on the target's files."""

    name = "bandit"

    def run(self, target: Target) -> GateRun:
        return run_on_python_files(
            self.name,
            target,
            functools.partial(commands.bandit, target),
            functools.partial(_read, root=target.root),
        )


def _read(output: Output, root: Path) -> tuple[tuple[Finding, ...], str | None]:
    crashed = f"bandit exited {output.returncode}: {last_line(output)}"
    if output.returncode not in (0, FOUND_ISSUES):
        return (), crashed
    try:
        # json, not pydantic's parser: bandit names a file that is not UTF-8 with a
        # surrogate escape (``\udce9``), which pydantic refuses and json reads as talkgit does.
        report = _Report.model_validate(json.loads(output.stdout))
    except ValueError as exc:  # pydantic's ValidationError is one too
        # A Python traceback exits 1 too, which for bandit otherwise means "found issues".
        if output.returncode != 0:
            return (), crashed
        reason = schema_error(exc) if isinstance(exc, ValidationError) else str(exc)
        return (), f"bandit printed something other than its JSON report: {reason}"
    unscanned = [e for e in report.errors if "syntax error" not in e.reason]
    if unscanned:
        first = unscanned[0]
        return (), f"bandit could not scan {relative_path(first.filename, root)}: {first.reason}"
    findings = [_finding(issue, root) for issue in report.results]
    findings += [_syntax_finding(error, root) for error in report.errors]
    return tuple(findings), None


def _finding(issue: _Issue, root: Path) -> Finding:
    return Finding(
        tool="bandit",
        rule=issue.test_id,
        severity=SEVERITIES[issue.issue_severity],
        path=relative_path(issue.filename, root),
        line=issue.line_number,
        column=issue.col_offset + 1,  # bandit counts columns from 0
        message=issue.issue_text,
    )


def _syntax_finding(error: _ScanError, root: Path) -> Finding:
    """A file bandit could not parse was not checked: say so rather than pass it."""
    return Finding(
        tool="bandit",
        rule="invalid-syntax",
        severity=Severity.HIGH,
        path=relative_path(error.filename, root),
        line=0,
        column=0,
        message=f"bandit could not check this file: {error.reason}",
    )
