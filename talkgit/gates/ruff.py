"""The ruff gate: lint the changed Python files and read ruff's JSON into Findings."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, TypeAdapter, ValidationError

from talkgit.errors import ToolError
from talkgit.gates.base import Finding, GateRun, Severity, Target
from talkgit.proc import Output, cmd_output

PYTHON_SUFFIXES = (".py", ".pyi")
# Older ruff reports a syntax error with no code or as E999, newer ones as invalid-syntax.
SYNTAX_RULES = frozenset({"invalid-syntax", "E999"})


class _Location(BaseModel):
    row: int
    column: int


class _Diagnostic(BaseModel):
    """The part of one entry of ``ruff check --output-format json`` that a Finding needs."""

    code: str | None
    filename: str
    location: _Location
    message: str


_DIAGNOSTICS = TypeAdapter(list[_Diagnostic])


class RuffGate:
    """Runs ``ruff check`` with the repository's own configuration on the target's files."""

    name = "ruff"

    def run(self, target: Target) -> GateRun:
        return run_on_python_files(
            self.name,
            target,
            functools.partial(_command, target),
            functools.partial(_read, root=target.root),
        )


def _command(target: Target, files: list[str]) -> list[str]:
    # --force-exclude: the repository's `exclude` settings apply to files named explicitly too,
    # as in ruff's own pre-commit hook; the cache lives under .git/talkgit/, not in the tree.
    return [
        *("ruff", "check", "--output-format", "json", "--no-fix", "--exit-zero"),
        *("--force-exclude", "--cache-dir", str(target.cache_dir / "ruff"), "--", *files),
    ]


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


# The helpers below are shared by every tool gate. They belong in a module of their own
# (talkgit/gates/tools.py); until it exists, the other gates import them from here.


Reader = Callable[[Output], tuple[tuple[Finding, ...], str | None]]


def run_on_python_files(
    tool: str, target: Target, command: Callable[[list[str]], list[str]], read: Reader
) -> GateRun:
    """Run ``command(files)`` on the target's Python files and ``read`` its output.

    No Python files: an empty pass without running the tool, so with no version either.
    A missing tool or a time-out: a GateRun with ``error``; ``read`` says when the output
    itself is wrong.
    """
    started = time.perf_counter()
    files = python_files(target)
    if not files:
        return GateRun(tool, "")
    try:
        version = tool_version(tool)
        output = cmd_output(*command(files), cwd=target.root, timeout=target.timeout, check=False)
    except ToolError as exc:
        return GateRun(tool, "", duration_s=time.perf_counter() - started, error=str(exc))
    findings, error = read(output)
    return GateRun(tool, version, findings, duration_s=time.perf_counter() - started, error=error)


def python_files(target: Target) -> list[str]:
    """The target's Python files that still exist (a change may delete some)."""
    return [f for f in target.files if f.endswith(PYTHON_SUFFIXES) and (target.root / f).is_file()]


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
    """The version ``command --version`` reports ("ruff 0.6.9" → "0.6.9"), once per process."""
    words = cmd_output(*command, "--version").stdout.split()
    return words[1] if len(words) > 1 else " ".join(words)


def last_line(output: Output) -> str:
    """The line of a failed tool's output that most likely says why (stderr first)."""
    lines = (output.stderr or output.stdout).strip().splitlines()
    return lines[-1].strip() if lines else "no output"


def schema_error(exc: ValidationError) -> str:
    """The first thing wrong with a tool's JSON, on one line."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{error['msg']} at {where}" if where else str(error["msg"])
