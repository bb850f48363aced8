from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.cli import main
from tests.support.gitrepo import git


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "log" in out and "doctor" in out


def test_an_expected_failure_is_one_line_and_its_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["-C", str(tmp_path), "log"])
    assert code == exit_codes.REPOSITORY
    err = capsys.readouterr().err
    assert err.startswith("talkgit: error: not a git repository")
    assert len(err.strip().splitlines()) == 1


def test_debug_adds_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "-C", str(tmp_path), "log"]) == exit_codes.REPOSITORY
    err = capsys.readouterr().err
    assert "Traceback" in err and "RepositoryError" in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["log", "--max-count", "0"]) == exit_codes.USAGE
    assert "Error" in capsys.readouterr().err


def test_help_does_not_import_litellm_or_pygit2() -> None:
    code = (
        "import sys; from talkgit.cli import main; main(['--help']); "
        "print(sorted(m for m in ('litellm', 'pygit2') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_ctrl_c_exits_130(repo: Path, tmp_path: Path) -> None:
    # A command blocked on stdin, interrupted the way a terminal does it.
    script = tmp_path / "block.py"
    script.write_text(
        "import sys\n"
        "from talkgit import cli\n"
        "@cli.cli.command()\n"
        "def block() -> None:\n"
        "    print('ready', flush=True)\n"
        "    sys.stdin.read()\n"
        "sys.exit(cli.main(['block']))\n"
    )
    with subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=repo,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().strip() == "ready"
        os.kill(proc.pid, signal.SIGINT)
        # Wait with stdin still open: closing it (as communicate() does) would let a child
        # the machine has not yet scheduled read an end of file, and exit 0, first.
        proc.wait(timeout=60)
        err = proc.stderr.read()
    assert proc.returncode == exit_codes.INTERRUPTED
    assert "interrupted" in err and "Traceback" not in err


def test_run_options_reach_the_command(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "plan.yaml"
    script.write_text(
        "planner:\n"
        '  - \'{"steps": [{"id": "a", "agent": "coder", "goal": "do a", "depends_on": []}]}\'\n'
    )
    code = main(
        ["-C", str(repo), "run", "--dry-run", "--json", "--model", f"scripted:{script}", "do a"]
    )
    assert code == exit_codes.OK
    document = json.loads(capsys.readouterr().out)
    assert document["dry_run"] is True and document["plan"]["steps"][0]["id"] == "a"


def test_a_bad_duration_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(repo), "run", "--timeout", "soon", "x"]) == exit_codes.USAGE
    assert "--timeout" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--budget-usd", "nan"),
        ("--budget-usd", "inf"),
        ("--timeout", "0"),
        ("--timeout", "0s"),
        ("--timeout", "inf"),
        ("--timeout", "nan"),
    ],
)
@pytest.mark.parametrize("command", ["run", "resume"])
def test_a_budget_that_is_no_budget_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str], command: str, option: str, value: str
) -> None:
    argv = ["-C", str(repo), command, option, value] + (["x"] if command == "run" else [])
    assert main(argv) == exit_codes.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"talkgit: error: {option}: ")
    assert git(repo, "for-each-ref", "refs/talkgit") == ""
