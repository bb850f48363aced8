"""The tester agent: runs the test command on a step's commit in a private worktree."""

from __future__ import annotations

from pathlib import Path

from talkgit.agents.base import StepContext, StepOutcome
from talkgit.errors import ToolError
from talkgit.git import worktrees
from talkgit.junit import TestReport, read_junit
from talkgit.proc import cmd_output, without_secrets

NO_TESTS_COLLECTED = 5  # pytest's exit code when it found nothing to run
OUTPUT_TAIL_LINES = 40


class TesterAgent:
    """Runs tests; failing tests become the feedback of a fix step for the coder."""

    name = "tester"
    needs_model = False

    def run(self, context: StepContext) -> StepOutcome:
        path = worktrees.materialize(context.repo, context.worktree_name, context.base)
        junit = context.repo.private_dir / "junit" / f"{context.worktree_name}.xml"
        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.unlink(missing_ok=True)
        command = _with_junit(list(context.settings.test_command), junit)
        try:
            done = cmd_output(
                *command,
                cwd=path,
                env=without_secrets(),
                timeout=context.settings.test_timeout,
                check=False,
            )
        except ToolError as exc:
            return StepOutcome(ok=False, summary="tests could not run", detail=str(exc))
        report = read_junit(junit)
        if done.returncode in (0, NO_TESTS_COLLECTED):
            return StepOutcome(ok=True, summary=f"tests passed: {_counts(report, 'ok')}")
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-OUTPUT_TAIL_LINES:])
        return StepOutcome(
            ok=False,
            summary=f"tests failed: {_counts(report, f'exit {done.returncode}')}",
            detail=_failure_detail(report, tail),
        )


def _with_junit(command: list[str], junit: Path) -> list[str]:
    runs_pytest = Path(command[0]).name == "pytest" or command[1:3] == ["-m", "pytest"]
    return (
        [*command, f"--junitxml={junit}", "-o", "junit_family=xunit1"] if runs_pytest else command
    )


def _counts(report: TestReport | None, fallback: str) -> str:
    return report.summary() if report is not None else fallback


def _failure_detail(report: TestReport | None, tail: str) -> str:
    lines = ["The test command failed."]
    if report is not None and report.failures:
        lines.append("Failing tests:")
        lines += [
            f"- {case.id}: {case.message.splitlines()[0] if case.message else case.outcome}"
            for case in report.failures
        ]
    lines += ["", "End of the output:", tail]
    return "\n".join(lines)
