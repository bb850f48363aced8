"""The tester agent: runs the test command on a step's commit and on the run's base.

Only what the run broke goes back to the coder: a test already failing where the run
started is reported, and sent for fixing only when ``preexisting_tests = "fix"``. Both
runs go through ``talkgit.testing.runs``, so a tree the pytest gate already tested (the
step's head, the run's base) is not tested again.
"""

from __future__ import annotations

from talkgit.agents.base import StepContext, StepOutcome
from talkgit.git import worktrees
from talkgit.testing.junit import TestCase
from talkgit.testing.location import repository_cache
from talkgit.testing.runs import run_for_tree
from talkgit.testing.suite import SuiteRun
from talkgit.testing.verdict import TestVerdict, compare

MAX_LISTED = 20  # failing tests named in a summary or a fix step's feedback


class TesterAgent:
    """Runs tests; what the run broke becomes the feedback of a fix step for the coder."""

    name = "tester"
    needs_model = False

    def run(self, context: StepContext) -> StepOutcome:
        head = _tested(context, context.base, context.worktree_name)
        if head.error is not None:
            return StepOutcome(ok=False, summary="tests could not run", detail=head.error)
        base = _base_run(context)
        if base is not None and base.error is not None:
            return StepOutcome(
                ok=False, summary="tests could not run at the run's base", detail=base.error
            )
        verdict = compare(head, base)
        fix_old = context.settings.preexisting_tests == "fix"
        if verdict.broke_something or (fix_old and verdict.was_broken):
            return _failed(head, verdict, include_old=fix_old)
        return StepOutcome(ok=True, summary=_passed_summary(head, verdict))


def _tested(context: StepContext, commit: str, worktree: str) -> SuiteRun:
    repo = context.repo
    root = worktrees.materialize(repo, worktree, commit)
    run, _ = run_for_tree(
        root,
        repo.tree_of(commit),
        context.settings.test_command,
        cache=repository_cache(repo.private_dir),
        scratch=repo.private_dir / "cache" / "gates" / worktree,
        timeout=context.settings.test_timeout,
    )
    return run


def _base_run(context: StepContext) -> SuiteRun | None:
    base = context.run_base
    if base is None or context.repo.tree_of(base) == context.repo.tree_of(context.base):
        return None
    return _tested(context, base, f"{context.worktree_name}-base")


def _passed_summary(head: SuiteRun, verdict: TestVerdict) -> str:
    counts = head.report.summary() if head.report is not None else "exit 0"
    if not verdict.was_broken:
        return f"tests passed: {counts}"
    if verdict.command_was_broken:
        return f"tests fail as they did at the run's base ({counts}); nothing new broke"
    return f"no test broke: {counts}; already failing at the run's base: " + _names(
        verdict.preexisting
    )


def _failed(head: SuiteRun, verdict: TestVerdict, *, include_old: bool) -> StepOutcome:
    counts = head.report.summary() if head.report is not None else f"exit {head.returncode}"
    to_fix = verdict.regressions + (verdict.preexisting if include_old else ())
    if to_fix:
        summary = f"tests failed: {counts}; to fix: {_names(to_fix)}"
    else:
        summary = f"tests failed: {counts}"
    return StepOutcome(ok=False, summary=summary, detail=_detail(head, verdict, to_fix))


def _detail(head: SuiteRun, verdict: TestVerdict, to_fix: tuple[TestCase, ...]) -> str:
    lines = ["The test command failed."]
    if to_fix:
        lines.append("Failing tests to fix:")
        lines += [f"- {case.id}: {_first_line(case)}" for case in to_fix[:MAX_LISTED]]
    left = [case for case in verdict.preexisting if case not in to_fix]
    if left:
        lines.append("Already failing before this run (leave them unless the task is about them):")
        lines += [f"- {case.id}" for case in left[:MAX_LISTED]]
    lines += ["", "End of the output:", head.output_tail]
    return "\n".join(lines)


def _names(cases: tuple[TestCase, ...]) -> str:
    shown = ", ".join(case.id for case in cases[:MAX_LISTED])
    more = len(cases) - MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


def _first_line(case: TestCase) -> str:
    return case.message.splitlines()[0] if case.message else case.outcome
