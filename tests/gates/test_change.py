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


# --- findings where they are: the change's diff places them -----------------------------------

GUARDED = "def {name}(x):\n    try:\n        return x()\n    except Exception:\n        pass\n"
RUFF = '[tool.ruff.lint]\nselect = ["EXE", "E501"]\n'


def _base(tmp_path: Path, files: dict[str, str]) -> tuple[Path, str]:
    path = make_repo(tmp_path / "r", {"pyproject.toml": RUFF, **files})
    return path, git(path, "rev-parse", "HEAD").strip()


def _new(repo: Path, base: str, gate: str) -> tuple[list[tuple[str, int]], list[str]]:
    """The new findings of ``gate`` from ``base`` to HEAD, as ``talkgit check`` judges them,
    and the rules of the pre-existing ones."""
    head = git(repo, "rev-parse", "HEAD").strip()
    files = tuple(git(repo, "diff", "--name-only", base, head).split())
    report = _judge(GitRepo.discover(repo), Change(head, base, files), [gate])
    (result,) = report.gates
    assert result.error is None
    return [(f.rule, f.line) for f in result.new], [f.rule for f in result.preexisting]


def test_a_guard_added_above_an_identical_one_is_new_where_it_was_added(tmp_path: Path) -> None:
    """requests: the new `except: pass` and `assert` were reported on the old lines below."""
    old = "\n\n".join(GUARDED.format(name=n) for n in ("a", "b")) + "\n\nassert A\n"
    repo, base = _base(tmp_path, {"m.py": old})
    commit_file(repo, "m.py", GUARDED.format(name="n") + "\n\nassert A\n\n\n" + old)
    hunks = [line for line in git(repo, "diff", "-U0", base).splitlines() if line[:2] == "@@"]
    assert hunks == ["@@ -0,0 +1,10 @@"]
    assert _new(repo, base, "bandit") == ([("B110", 4), ("B101", 8)], ["B110", "B110", "B101"])


def test_a_whole_file_finding_on_an_edited_first_line_is_not_new(tmp_path: Path) -> None:
    repo, _ = _base(tmp_path, {"tool.py": "import os\n"})
    (repo / "tool.py").chmod(0o755)
    git(repo, "add", "tool.py")
    git(repo, "commit", "-q", "-m", "executable, without a shebang")  # ruff's EXE002, line 1
    base = git(repo, "rev-parse", "HEAD").strip()
    commit_file(repo, "tool.py", "import sys\n")
    assert _new(repo, base, "ruff") == ([], ["EXE002"])
    commit_file(repo, "tool.py", '"""A tool."""\nimport sys\n')  # and a line above line 1
    assert _new(repo, base, "ruff") == ([], ["EXE002"])


def test_an_edited_line_is_new_when_the_tool_says_something_new(tmp_path: Path) -> None:
    long = "X = '" + "x" * 100 + "'\n"
    repo, base = _base(tmp_path, {"m.py": "A = 1\n" + long})
    commit_file(repo, "m.py", "A = 1\n" + long.replace("X", "Y"))  # still 106 characters
    assert _new(repo, base, "ruff") == ([], ["E501"])
    commit_file(repo, "m.py", "A = 1\n" + long.replace("x" * 100, "x" * 120))
    assert _new(repo, base, "ruff") == ([("E501", 2)], [])


def test_code_moved_within_a_file_keeps_its_findings(tmp_path: Path) -> None:
    first, second = GUARDED.format(name="a"), GUARDED.format(name="b")
    repo, base = _base(tmp_path, {"m.py": first + "\n\nX = 1\n\n\n" + second})
    commit_file(repo, "m.py", second + "\n\nX = 1\n\n\n" + first)
    assert _new(repo, base, "bandit") == ([], ["B110", "B110"])


# --- each side is judged by its own configuration, not the checkout's ------------------------


def test_a_base_without_configuration_is_not_judged_by_the_checkouts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # flask 3.0.0 had no ruff configuration and 3.0.3 has one: checked inside the checkout,
    # the base took the head's (whose project root excluded everything under .git), had no
    # findings, and every old finding looked new. pytest climbed to the checkout's too.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    path = make_repo(
        tmp_path / "r",
        {"a.py": "import os\n", "test_a.py": "def test_old_failure():\n    assert False\n"},
    )
    base = git(path, "rev-parse", "HEAD").strip()
    config = (
        '[tool.ruff.lint]\nselect = ["F"]\n'
        '[tool.pytest.ini_options]\naddopts = "-k not_test_old_failure"\n'
    )
    commit_file(path, "pyproject.toml", config)
    head = commit_file(path, "a.py", "import os\nimport sys\n")
    change = Change(head, base, ("a.py", "pyproject.toml"))
    report = _judge(GitRepo.discover(path), change, ["ruff", "pytest"])
    ruff, tests = report.gates
    assert [f.line for f in ruff.new] == [2] and [f.line for f in ruff.preexisting] == [1]
    # At the base its own (default) settings ran the test and it failed; the head skips it.
    assert (tests.verdict, tests.fixed, tests.new) == ("pass", 1, ())


def test_the_head_starts_before_pydantic_is_loaded() -> None:
    # `talkgit check` starts the tools from here, then imports what reading them takes.
    import subprocess
    import sys

    code = (
        "import sys, talkgit.gates.change; "
        "print(sorted(m for m in ('pydantic', 'defusedxml', 'pygit2') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['pygit2']"
