"""A test run at a head read against the same suite's run at a base: what the change broke.

A test failing at the head but not at the base is a regression (a new test that fails
counts too); one failing at both was broken before the change, whatever the change did.
A command without a JUnit report (not pytest, or pytest that crashed before writing one)
is judged by its exit status alone, against the base's.
"""

from __future__ import annotations

from dataclasses import dataclass

from talkgit.testing.junit import TestCase
from talkgit.testing.suite import SuiteRun


@dataclass(frozen=True)
class TestVerdict:
    """What a head's test run says once its base's run is taken into account."""

    __test__ = False  # not a pytest test class, whatever its name

    regressions: tuple[TestCase, ...] = ()
    preexisting: tuple[TestCase, ...] = ()
    fixed: tuple[str, ...] = ()  # ids failing at the base, passing at the head
    command_broke: bool = False  # the command failed at the head, as a whole, and not at base
    command_was_broken: bool = False  # it failed as a whole at both

    @property
    def broke_something(self) -> bool:
        return bool(self.regressions) or self.command_broke

    @property
    def was_broken(self) -> bool:
        return bool(self.preexisting) or self.command_was_broken


def compare(head: SuiteRun, base: SuiteRun | None) -> TestVerdict:
    """``head`` judged against ``base`` (None: no base, every failure is the change's)."""
    failing = head.report.failures if head.report is not None else ()
    failed_whole = not head.passed and not failing
    if base is None:
        return TestVerdict(regressions=failing, command_broke=failed_whole)
    base_failing = _ids(base, ("failed", "error"))
    base_failed_whole = not base.passed and not base_failing
    old = [case.id in base_failing or base_failed_whole for case in failing]
    return TestVerdict(
        regressions=tuple(case for case, was in zip(failing, old, strict=True) if not was),
        preexisting=tuple(case for case, was in zip(failing, old, strict=True) if was),
        fixed=tuple(sorted(base_failing & _ids(head, ("passed",)))),
        command_broke=failed_whole and base.passed,
        command_was_broken=failed_whole and not base.passed,
    )


def _ids(run: SuiteRun, outcomes: tuple[str, ...]) -> set[str]:
    cases = run.report.cases if run.report is not None else ()
    return {case.id for case in cases if case.outcome in outcomes}
