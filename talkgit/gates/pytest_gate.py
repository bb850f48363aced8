"""The pytest gate: run the repository's whole test suite and read pytest's JUnit XML.

Every failing or erroring test is one Finding whose ``anchor`` (and the start of whose
message) is the test's id, so its fingerprint follows the test, not its source line:
comparing base and head tells a test that was already failing from one that now fails.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from talkgit.errors import ToolError
from talkgit.gates.base import Finding, GateRun, Severity, Target
from talkgit.gates.tools import tool_version
from talkgit.testing.junit import TestCase
from talkgit.testing.runs import run_for_tree
from talkgit.testing.suite import NO_TESTS_COLLECTED, SuiteRun, runs_pytest

TESTS_RAN = (0, 1, 2)  # passed, some failed, interrupted (e.g. a test file that cannot import)


@dataclass(frozen=True)
class _Outcome:
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    extra: dict[str, int] = field(default_factory=dict)


class PytestGate:
    """Runs the project's tests on the target's tree, without the caller's secrets.

    The command is the target's ``test_command`` when that runs pytest, else
    ``python -m pytest -q``, where ``python`` is the interpreter whose environment has the
    repository's dependencies (the one on PATH by default). ``environ`` is the environment
    to start from (``os.environ`` when None), minus every variable named like a key or a
    token. The tests import the tree's own code (``talkgit.testing.guard``), and a tree
    with a known id is tested once, whoever asks (``talkgit.testing.runs``).
    """

    name = "pytest"

    def __init__(self, python: str = "python", environ: Mapping[str, str] | None = None) -> None:
        self.python = python
        self.environ = environ

    def run(self, target: Target) -> GateRun:
        started = time.perf_counter()
        command = self.command(target)
        try:
            version = tool_version(self.python, "-m", "pytest")
        except (ToolError, OSError) as exc:
            return GateRun(self.name, "", duration_s=time.perf_counter() - started, error=str(exc))
        suite, _ = run_for_tree(
            target.root,
            target.tree,
            command,
            cache=target.suite_cache,
            scratch=target.cache_dir,
            timeout=target.timeout,
            environ=self.environ,
        )
        outcome = _read(suite)
        return GateRun(
            self.name,
            version,
            outcome.findings,
            duration_s=time.perf_counter() - started,
            error=outcome.error,
            extra=outcome.extra,
        )

    def command(self, target: Target) -> tuple[str, ...]:
        """What runs the target's tests: the project's own pytest command when it has one."""
        if target.test_command is not None and runs_pytest(target.test_command):
            return target.test_command
        return (self.python, "-m", "pytest", "-q")


def _read(suite: SuiteRun) -> _Outcome:
    code, report = suite.returncode, suite.report
    if suite.error is not None:
        return _Outcome(error=suite.error)
    if code == NO_TESTS_COLLECTED:
        return _Outcome(extra={"tests": 0, "failed": 0})
    if code not in TESTS_RAN:
        return _Outcome(error=f"pytest exited {code}: {_last_line(suite)}")
    if report is None:
        return _Outcome(
            error=f"pytest exited {code} and wrote no JUnit report: {_last_line(suite)}"
        )
    if code != 0 and not report.failures:
        return _Outcome(error=f"pytest exited {code} but no test failed: {_last_line(suite)}")
    findings = tuple(_finding(case) for case in report.failures)
    return _Outcome(findings, extra={"tests": len(report.cases), "failed": len(findings)})


def _last_line(suite: SuiteRun) -> str:
    lines = suite.output_tail.strip().splitlines()
    return lines[-1].strip() if lines else "no output"


def _finding(case: TestCase) -> Finding:
    first_line = case.message.splitlines()[0] if case.message else case.outcome
    return Finding(
        tool="pytest",
        rule="pytest:failed" if case.outcome == "failed" else "pytest:error",
        severity=Severity.HIGH,
        path=case.path,
        line=case.line,
        column=0,
        message=f"{case.id}: {first_line}",
        anchor=case.id,
    )
