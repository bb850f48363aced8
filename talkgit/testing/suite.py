"""One run of a project's test command on one tree, with the tree's own code imported.

The pytest gate and the tester agent both come here, so a step's head is tested once:
see ``talkgit.testing.runs`` for the cache that shares a run between them.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from talkgit.errors import ToolError
from talkgit.proc import cmd_output, without_secrets
from talkgit.testing import guard
from talkgit.testing.junit import TestReport, read_junit

NO_TESTS_COLLECTED = 5  # pytest's exit code when there is nothing to run: a pass
OUTPUT_TAIL_LINES = 40


@dataclass(frozen=True)
class SuiteRun:
    """What one test command said about one tree.

    ``report`` is pytest's JUnit report (None for a command that is not pytest, or that
    wrote none); ``error`` says why the run cannot be trusted at all: it did not start,
    timed out, or imported the project from outside the tree.
    """

    command: tuple[str, ...]
    returncode: int
    report: TestReport | None
    output_tail: str
    duration_s: float
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.returncode in (0, NO_TESTS_COLLECTED)


def runs_pytest(command: Sequence[str]) -> bool:
    """``pytest …``, ``py.test …`` or ``<python> -m pytest …``."""
    if not command:
        return False
    program = Path(command[0]).name
    return program in ("pytest", "py.test") or list(command[1:3]) == ["-m", "pytest"]


def run_suite(
    root: Path,
    command: Sequence[str],
    *,
    scratch: Path,
    timeout: float,
    environ: Mapping[str, str] | None = None,
) -> SuiteRun:
    """Run ``command`` in ``root`` without the caller's secrets and read what it said.

    For pytest, talkgit adds a JUnit report, the tree guard (``talkgit.testing.guard``),
    no cache provider (the tree stays as it was) and ``--rootdir=.`` (test ids relative
    to the tree, whatever configuration pytest finds above it). ``scratch`` holds the
    run's own files and the byte-code cache.
    """
    started = time.perf_counter()
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="suite-", dir=scratch) as own:
        files = Path(own)
        env = _environment(root, files, scratch, environ)
        full = _full_command(command, files / "junit.xml")
        try:
            output = cmd_output(*full, cwd=root, env=env, timeout=timeout, check=False)
        except ToolError as exc:
            return SuiteRun(tuple(command), -1, None, "", _since(started), str(exc))
        tail = "\n".join((output.stdout + output.stderr).strip().splitlines()[-OUTPUT_TAIL_LINES:])
        report = read_junit(files / "junit.xml", root)
        error = _foreign_error(guard.foreign_imports(files / "guard"))
        return SuiteRun(tuple(command), output.returncode, report, tail, _since(started), error)


def _full_command(command: Sequence[str], junit: Path) -> list[str]:
    if not runs_pytest(command):
        return list(command)
    return [
        *command,
        *("-p", guard.MODULE, "-p", "no:cacheprovider", "--rootdir=."),
        *(f"--junitxml={junit}", "-o", "junit_family=xunit1"),
    ]


def _environment(
    root: Path, files: Path, scratch: Path, environ: Mapping[str, str] | None
) -> dict[str, str]:
    environment = without_secrets(environ)
    guard.install(files)
    environment = guard.environment(root, files, files / "guard", environment)
    # Byte code goes to the scratch directory, so testing leaves the tree as it was. Not
    # when none is written anyway: with an empty prefix every module, the standard
    # library's too, would be compiled again on every run.
    if not environment.get("PYTHONDONTWRITEBYTECODE"):
        environment["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    return environment


def _foreign_error(outside: dict[str, str]) -> str | None:
    if not outside:
        return None
    name, where = next(iter(sorted(outside.items())))
    return (
        f"the tests imported {name} from {where}, not from the tree under test: "
        "its results say nothing about this change"
    )


def _since(started: float) -> float:
    return time.perf_counter() - started
