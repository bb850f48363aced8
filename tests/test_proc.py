"""The subprocess helper's two halves: a command started now and waited for later."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

import pytest

from talkgit.errors import ToolError
from talkgit.proc import (
    IN_PROCESS,
    Output,
    Started,
    StartedCommands,
    cmd_output,
    find_program,
)
from tests.support.tools import git_only_path

SLEEP = (sys.executable, "-c", "import time; time.sleep(60)")
PRINT = (sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); exit(3)")


def test_a_started_command_gives_what_cmd_output_gives(tmp_path: Path) -> None:
    started = Started(*PRINT, cwd=tmp_path)
    assert started.output(timeout=60) == cmd_output(*PRINT, cwd=tmp_path, check=False)


def test_more_output_than_a_pipe_holds_arrives_whole() -> None:
    started = Started(sys.executable, "-c", "print('x' * 300_000)")
    assert started.output(timeout=60).stdout == "x" * 300_000 + "\n"
    started.kill()  # a finished command: nothing to do


def test_a_started_command_that_overruns_is_killed() -> None:
    started = Started(*SLEEP)
    with pytest.raises(ToolError, match=r"did not finish within 0\.2 s"):
        started.output(timeout=0.2)
    assert started.process is not None and started.process.returncode is not None


def test_a_missing_program_is_a_tool_error_or_nothing_started() -> None:
    with pytest.raises(ToolError, match="not installed"):
        Started("talkgit-no-such-program")
    commands = StartedCommands()
    assert commands.start("talkgit-no-such-program", cwd=".") is None
    assert commands.pending() == ()


def test_the_same_command_in_the_same_place_is_taken_once(tmp_path: Path) -> None:
    commands = StartedCommands()
    started = commands.start(*PRINT, cwd=tmp_path)
    assert commands.start(*PRINT, cwd=tmp_path) is started  # not a second process
    assert commands.take(PRINT, tmp_path.parent) is None  # elsewhere: not the same run
    assert commands.take(PRINT[:-1], tmp_path) is None
    taken = commands.take(list(PRINT), tmp_path)
    assert taken is not None and taken is started
    assert commands.take(PRINT, tmp_path) is None
    assert taken.output(timeout=60).stdout == "out\n"
    commands.close()


def test_close_kills_what_nobody_took(tmp_path: Path) -> None:
    commands = StartedCommands()
    unwanted = commands.start(*SLEEP, cwd=tmp_path)
    assert unwanted is not None and commands.pending() == (unwanted,)
    commands.close()
    assert unwanted.process is not None and unwanted.process.returncode is not None  # reaped
    assert commands.pending() == ()


def test_a_program_registered_in_process_runs_here_and_may_decline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[tuple[str, ...], Path]] = []

    def here(args: Sequence[str], cwd: Path) -> Output | None:
        seen.append((tuple(args), cwd))
        return None if "decline" in args else Output(0, "in-process\n", "")

    monkeypatch.setitem(IN_PROCESS, "tool-here", here)
    assert Started("tool-here", "a", cwd=tmp_path).output(timeout=10).stdout == "in-process\n"
    assert cmd_output("tool-here", "b", cwd=tmp_path).stdout == "in-process\n"
    assert seen == [(("a",), tmp_path), (("b",), tmp_path)]
    # Declined: the program is started after all (here it does not exist).
    with pytest.raises(ToolError, match="`tool-here` is not installed"):
        cmd_output("tool-here", "decline", cwd=tmp_path)
    with pytest.raises(ToolError, match="`tool-here` is not installed"):
        Started("tool-here", "decline", cwd=tmp_path).output(timeout=10)


def test_a_tool_off_path_is_found_beside_talkgits_python(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", git_only_path())
    assert shutil.which("ruff") is None
    assert cmd_output("ruff", "--version").stdout.startswith("ruff ")
    assert Started("ruff", "--version", cwd=tmp_path).output(timeout=60).returncode == 0
    found = find_program("ruff")
    assert found is not None and Path(found).parent in {
        Path(sysconfig.get_path("scripts")),
        Path(sys.executable).parent,
    }


def test_path_comes_first_and_a_relative_program_runs_from_its_cwd(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    own = tmp_path / "bin"
    own.mkdir()
    (own / "ruff").write_text("#!/bin/sh\necho project ruff\n")
    (own / "ruff").chmod(0o755)
    monkeypatch.setenv("PATH", f"{own}{os.pathsep}{os.environ['PATH']}")
    assert cmd_output("ruff").stdout == "project ruff\n"
    assert cmd_output("./bin/ruff", cwd=tmp_path).stdout == "project ruff\n"
    with pytest.raises(ToolError, match="`talkgit-no-such-program` is not installed"):
        cmd_output("talkgit-no-such-program")
