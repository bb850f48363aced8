"""Judging a change in a real repository, with the head's tools started before judging."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from talkgit.gates.base import Change
from talkgit.gates.change import HeadStart, judge, start_head
from talkgit.gates.commands import command_for
from talkgit.gates.evaluate import GateReport
from talkgit.git.repo import GitRepo
from tests.support.gitrepo import commit_file, git, make_repo

SHELL = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


def _change(tmp_path: Path) -> tuple[GitRepo, Change]:
    path = make_repo(tmp_path / "r", {"app.py": "X = 1\n", "README.md": "# r\n"})
    base = git(path, "rev-parse", "HEAD").strip()
    head = commit_file(path, "app.py", SHELL + "\nY: int = 'no'\n")
    return GitRepo.discover(path), Change(head, base, ("app.py",))


def _judge(
    repo: GitRepo,
    change: Change,
    gates: list[str],
    lane: str = "check",
    head_start: HeadStart | None = None,
) -> GateReport:
    today = date.today()
    return judge(
        repo,
        change,
        gates=gates,
        policies={},
        waivers=(),
        today=today,
        lane=lane,
        head_start=head_start,
    )


def _outcome(report: GateReport) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(g.tool, g.verdict, tuple(f.fingerprint for f in g.new)) for g in report.gates]


def test_judge_takes_over_the_tools_started_early_and_reports_the_same(tmp_path: Path) -> None:
    repo, change = _change(tmp_path)
    plain = _judge(repo, change, ["ruff", "mypy", "bandit"])
    head_start = start_head(repo, change, ["ruff", "mypy", "bandit"], lane="early")
    assert head_start.target.started is not None
    assert len(head_start.target.started.pending()) == 3
    try:
        early = _judge(
            repo, change, ["ruff", "mypy", "bandit"], lane="early", head_start=head_start
        )
        assert head_start.target.started.pending() == ()  # every gate took its running tool
    finally:
        head_start.close()
    assert _outcome(early) == _outcome(plain)
    assert [g.verdict for g in early.gates] == ["pass", "fail", "fail"]


def test_a_tool_no_gate_wants_is_killed_and_changes_nothing(tmp_path: Path) -> None:
    repo, change = _change(tmp_path)
    head_start = start_head(repo, change, ["mypy", "bandit", "placeholder", "no-such"])
    assert head_start.target.started is not None
    mypy_command = command_for("mypy", head_start.target)
    try:
        report = _judge(repo, change, ["bandit"], head_start=head_start)
        (unwanted,) = head_start.target.started.pending()
        assert list(unwanted.cmd) == mypy_command
    finally:
        head_start.close()
    assert unwanted.process is not None and unwanted.process.returncode is not None  # killed
    assert [(g.tool, g.verdict) for g in report.gates] == [("bandit", "fail")]


def test_a_head_start_serves_only_its_own_change_and_lane(tmp_path: Path) -> None:
    repo, change = _change(tmp_path)
    head_start = start_head(repo, change, ["ruff"])
    try:
        with pytest.raises(ValueError, match="another change or lane"):
            _judge(repo, change, ["ruff"], lane="other", head_start=head_start)
    finally:
        head_start.close()


def test_mypy_starts_early_on_the_files_its_gate_checks(tmp_path: Path) -> None:
    # more.py is checked as its stub, and tests/ is outside the configured files: the
    # early command must be the gate's own, or the gate starts mypy again.
    files = {
        "pyproject.toml": '[tool.mypy]\nfiles = ["pkg"]\n',
        "pkg/__init__.py": "",
        "pkg/more.py": "X = 1\n",
        "pkg/more.pyi": "X: int\n",
        "tests/test_more.py": "X = 1\n",
    }
    path = make_repo(tmp_path / "r", files)
    base = git(path, "rev-parse", "HEAD").strip()
    commit_file(path, "tests/test_more.py", "X: int = 'no'\n")
    head = commit_file(path, "pkg/more.py", "X = 2\n")
    repo, change = GitRepo.discover(path), Change(head, base, ("pkg/more.py", "tests/test_more.py"))
    head_start = start_head(repo, change, ["mypy"])
    assert head_start.target.started is not None
    try:
        (started,) = head_start.target.started.pending()
        assert started.cmd[-2:] == ("--", "pkg/more.pyi")
        report = _judge(repo, change, ["mypy"], head_start=head_start)
        assert head_start.target.started.pending() == ()
    finally:
        head_start.close()
    assert [(g.tool, g.verdict, g.new) for g in report.gates] == [("mypy", "pass", ())]
