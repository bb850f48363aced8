"""The pytest gate: run the repository's whole test suite and read pytest's JUnit XML.

Every failing or erroring test is one Finding whose ``anchor`` (and the start of whose
message) is the test's id, so its fingerprint follows the test, not its source line:
comparing base and head tells a test that was already failing from one that now fails.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from xml.etree.ElementTree import Element  # the type only; parsing goes through defusedxml

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

from talkgit.errors import ToolError
from talkgit.gates.base import Finding, GateRun, Severity, Target
from talkgit.gates.tools import last_line, relative_path, tool_version
from talkgit.junit import TestCase, TestReport, node_id, read_junit
from talkgit.proc import Output, cmd_output, without_secrets

NO_TESTS_COLLECTED = 5  # pytest's exit code when there is nothing to run: a pass
TESTS_RAN = (0, 1, 2)  # passed, some failed, interrupted (e.g. a test file that cannot import)


class _Location(NamedTuple):
    """Where one <testcase> of the report lives: pytest's node id, its file, its line."""

    test_id: str
    path: str
    line: int


@dataclass(frozen=True)
class _Outcome:
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    extra: dict[str, int] = field(default_factory=dict)


class PytestGate:
    """Runs ``python -m pytest`` in the target's root, without the caller's secrets.

    ``python`` is the interpreter whose environment has the repository's dependencies
    (the one on PATH by default); ``environ`` is the environment to start from
    (``os.environ`` when None), minus every variable named like a key or a token.
    """

    name = "pytest"

    def __init__(self, python: str = "python", environ: Mapping[str, str] | None = None) -> None:
        self.python = python
        self.environ = environ

    def run(self, target: Target) -> GateRun:
        started = time.perf_counter()
        try:
            version = tool_version(self.python, "-m", "pytest")
            output, report, locations = self._run_suite(target)
        except (ToolError, OSError) as exc:
            return GateRun(self.name, "", duration_s=time.perf_counter() - started, error=str(exc))
        outcome = _read(output, report, locations)
        return GateRun(
            self.name,
            version,
            outcome.findings,
            duration_s=time.perf_counter() - started,
            error=outcome.error,
            extra=outcome.extra,
        )

    def _run_suite(self, target: Target) -> tuple[Output, TestReport | None, list[_Location]]:
        target.cache_dir.mkdir(parents=True, exist_ok=True)
        # A directory of its own per run: a base and a head may be tested at the same time.
        with tempfile.TemporaryDirectory(prefix="pytest-", dir=target.cache_dir) as scratch:
            junit = Path(scratch) / "junit.xml"
            output = cmd_output(
                *self._command(junit),
                cwd=target.root,
                env=self._environment(target),
                timeout=target.timeout,
                check=False,
            )
            return output, read_junit(junit), _locations(junit, target.root)

    def _command(self, junit: Path) -> list[str]:
        # --rootdir: test ids and file names are relative to the repository root, whatever
        # configuration pytest finds above it.
        return [
            *(self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir=."),
            *(f"--junitxml={junit}", "-o", "junit_family=xunit1"),
        ]

    def _environment(self, target: Target) -> dict[str, str]:
        environment = without_secrets(self.environ)
        # Byte code goes to the cache, so running the tests leaves the tree as it was. Not
        # when none is written anyway: with an empty prefix every module, the standard
        # library's too, would be compiled again on every run.
        if not environment.get("PYTHONDONTWRITEBYTECODE"):
            environment["PYTHONPYCACHEPREFIX"] = str(target.cache_dir / "pycache")
        return environment


def _read(output: Output, report: TestReport | None, locations: list[_Location]) -> _Outcome:
    code = output.returncode
    if code == NO_TESTS_COLLECTED:
        return _Outcome(extra={"tests": 0, "failed": 0})
    if code not in TESTS_RAN:
        return _Outcome(error=f"pytest exited {code}: {last_line(output)}")
    if report is None:
        return _Outcome(
            error=f"pytest exited {code} and wrote no JUnit report: {last_line(output)}"
        )
    if code != 0 and not report.failures:
        return _Outcome(error=f"pytest exited {code} but no test failed: {last_line(output)}")
    if len(locations) != len(report.cases):  # cannot happen for one file read twice
        locations = [_Location(case.id, "", 0) for case in report.cases]
    findings = tuple(
        _finding(case, where)
        for case, where in zip(report.cases, locations, strict=True)
        if case.outcome in ("failed", "error")
    )
    return _Outcome(findings, extra={"tests": len(report.cases), "failed": len(findings)})


def _finding(case: TestCase, where: _Location) -> Finding:
    first_line = case.message.splitlines()[0] if case.message else case.outcome
    return Finding(
        tool="pytest",
        rule="pytest:failed" if case.outcome == "failed" else "pytest:error",
        severity=Severity.HIGH,
        path=where.path,
        line=where.line,
        column=0,
        message=f"{where.test_id}: {first_line}",
        anchor=where.test_id,
    )


def _locations(junit: Path, root: Path) -> list[_Location]:
    """Each <testcase>'s pytest node id, file and line, in the report's order.

    read_junit gives outcomes and messages; its ids are rebuilt from the class name alone,
    which loses the module of a plain test function, so the ids come from here.
    """
    try:
        tree = SafeTree.parse(junit).getroot()
    except (OSError, SafeTree.ParseError, DefusedXmlException):
        return []
    return [] if tree is None else [_location(case, root) for case in tree.iter("testcase")]


def _location(case: Element, root: Path) -> _Location:
    file, line = case.get("file", ""), case.get("line", "")
    path = relative_path(file, root) if file else ""
    test_id = node_id(path, case.get("classname", ""), case.get("name", ""))
    return _Location(test_id, path, int(line) + 1 if line.isdigit() else 0)  # pytest's are 0-based
