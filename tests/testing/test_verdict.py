"""A head's test run against its base's: regressions, failures from before, fixes."""

from __future__ import annotations

from talkgit.testing.junit import TestCase, TestReport
from talkgit.testing.suite import SuiteRun
from talkgit.testing.verdict import compare


def _run(returncode: int, outcomes: dict[str, str] | None) -> SuiteRun:
    report = None
    if outcomes is not None:
        report = TestReport(tuple(TestCase(name, outcome) for name, outcome in outcomes.items()))
    return SuiteRun(("pytest",), returncode, report, "", 0.0)


def _ids(cases: tuple[TestCase, ...]) -> list[str]:
    return [case.id for case in cases]


def test_only_tests_that_passed_at_the_base_are_regressions() -> None:
    base = _run(1, {"t::a": "passed", "t::b": "failed", "t::c": "failed", "t::d": "passed"})
    head = _run(1, {"t::a": "failed", "t::b": "failed", "t::c": "passed", "t::new": "error"})
    verdict = compare(head, base)
    assert _ids(verdict.regressions) == ["t::a", "t::new"]
    assert _ids(verdict.preexisting) == ["t::b"]
    assert verdict.fixed == ("t::c",)
    assert verdict.broke_something and verdict.was_broken


def test_without_a_base_every_failure_is_the_changes() -> None:
    verdict = compare(_run(1, {"t::a": "failed"}), None)
    assert _ids(verdict.regressions) == ["t::a"] and verdict.preexisting == ()


def test_a_command_without_a_report_is_judged_by_its_exit_status() -> None:
    assert compare(_run(2, None), _run(0, None)).command_broke
    both = compare(_run(2, None), _run(3, None))
    assert not both.broke_something and both.command_was_broken
    assert not compare(_run(0, None), _run(3, None)).broke_something


def test_a_base_that_failed_as_a_whole_makes_every_head_failure_old() -> None:
    verdict = compare(_run(1, {"t::a": "failed"}), _run(4, None))
    assert verdict.regressions == () and _ids(verdict.preexisting) == ["t::a"]
