"""`talkgit check` on real repositories with real ruff, mypy, bandit and pytest runs."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from talkgit import exit_codes
from talkgit.cli import main
from talkgit.commands.check import check
from talkgit.errors import UsageError
from tests.support.gitrepo import commit_file, git, make_repo, user_state
from tests.support.tools import git_only_path

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())
SHELL = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


def _legacy(tmp_path: Path) -> Path:
    """A repository full of old findings: stubs, TODOs, asserts, shell calls."""
    files = {
        f"legacy/mod{i}.py": f"def stub{i}():\n    pass  # TODO: write\n\n\nassert {i}\n"
        for i in range(12)
    }
    files["legacy/shell.py"] = SHELL
    files["app.py"] = "def add(a: int, b: int) -> int:\n    return a + b\n"
    return make_repo(tmp_path / "legacy", files)


def _check(repo: Path, **options: object) -> tuple[int, str]:
    out = io.StringIO()
    code = check(repo, out=out, environ={}, **options)  # type: ignore[arg-type]
    return code, out.getvalue()


def test_no_change_runs_no_tool_and_passes(tmp_path: Path) -> None:
    repo = _legacy(tmp_path)
    code, text = _check(repo)
    assert code == exit_codes.OK
    assert "pass" in text and "ruff" not in text


def test_a_clean_change_in_a_legacy_repository_passes(tmp_path: Path) -> None:
    repo = _legacy(tmp_path)
    (repo / "app.py").write_text("def add(a: int, b: int) -> int:\n    return b + a\n")
    (repo / "legacy" / "mod3.py").write_text(
        "def stub3():\n    pass  # TODO: write\n\n\n\nassert 3\n"
    )
    before = user_state(repo)
    code, text = _check(repo)
    assert code == exit_codes.OK, text
    assert user_state(repo) == before  # check reads the working tree, never writes it


def test_only_the_new_finding_blocks(tmp_path: Path) -> None:
    repo = _legacy(tmp_path)
    (repo / "app.py").write_text(
        "import subprocess\n\n\ndef add(a: int, b: int) -> int:\n"
        "    return subprocess.call(str(a + b), shell=True)\n"
    )
    git(repo, "add", "app.py")
    code, text = _check(repo, staged=True)
    assert code == exit_codes.FAILURE
    assert "app.py:5" in text and "B602" in text
    assert "legacy/shell.py" not in text  # the same finding, already there, does not count


def test_staged_ignores_unstaged_work(tmp_path: Path) -> None:
    repo = _legacy(tmp_path)
    (repo / "app.py").write_text(SHELL)  # not staged
    code, _ = _check(repo, staged=True)
    assert code == exit_codes.OK
    code, _ = _check(repo)
    assert code == exit_codes.FAILURE


def test_a_commit_range_and_sarif_that_validates(tmp_path: Path) -> None:
    repo = _legacy(tmp_path)
    base = git(repo, "rev-parse", "HEAD").strip()
    commit_file(repo, "tools.py", SHELL, "add tools")
    output = tmp_path / "out.sarif"
    code, _ = _check(repo, base=base, head="HEAD", output_format="sarif", output=output)
    assert code == exit_codes.FAILURE
    log = json.loads(output.read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    results = [r for run in log["runs"] for r in run["results"]]
    assert any(r["ruleId"] == "B602" for r in results)


def test_a_range_reports_new_findings_on_the_added_lines(tmp_path: Path) -> None:
    """An added `assert` above old identical ones is new there, not on the old lines."""
    old = "def f(a):\n    assert a\n    return a\n\n\ndef g(a):\n    assert a\n"
    repo = make_repo(tmp_path / "r", {"m.py": old, ".talkgit.toml": 'check_gates = ["bandit"]\n'})
    base = git(repo, "rev-parse", "HEAD").strip()
    commit_file(repo, "m.py", "def e(a):\n    assert a\n\n\n" + old)
    code, text = _check(repo, base=base, head="HEAD", output_format="json")
    (bandit,) = json.loads(text)["gates"]
    assert [(f["rule"], f["line"]) for f in bandit["new"]] == [("B101", 2)]
    assert [f["line"] for f in bandit["preexisting"]] == [6, 11]
    assert code == exit_codes.OK  # B101 is low, below bandit's default threshold


def test_a_crashing_tool_is_an_error_never_a_pass(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {"mypy.ini": "[mypy]\nplugins = no_such_plugin_anywhere\n", "a.py": "A = 1\n"},
    )
    (repo / "a.py").write_text("A = 2\n")
    code, text = _check(repo)
    assert code == exit_codes.TOOL
    assert "mypy" in text and "error" in text


def test_an_expired_waiver_stops_applying_and_is_reported(tmp_path: Path) -> None:
    repo = _legacy(tmp_path)
    yesterday = date.today() - timedelta(days=1)
    waivers = (
        '[[waiver]]\nrule = "B602"\npath = "*.py"\nreason = "migrating"\n'
        f"expires = {yesterday.isoformat()}\n"
    )
    (repo / ".talkgit").mkdir()
    (repo / ".talkgit" / "waivers.toml").write_text(waivers)
    (repo / "tools.py").write_text(SHELL)
    code, text = _check(repo)
    assert code == exit_codes.FAILURE
    assert "B602" in text and "expired" in text.lower()


def test_a_pytest_regression_blocks_but_an_old_failure_does_not(tmp_path: Path) -> None:
    tests = (
        "from app import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
        "def test_old_failure():\n    assert add(0, 0) == 1\n"
    )
    repo = make_repo(
        tmp_path / "r",
        {
            "app.py": "def add(a, b):\n    return a + b\n",
            "test_app.py": tests,
            ".talkgit.toml": 'check_gates = ["pytest"]\n',
        },
    )
    (repo / "app.py").write_text("def add(a, b):\n    return a + b  # same behaviour\n")
    code, text = _check(repo)
    assert code == exit_codes.OK, text  # test_old_failure fails at base too: reported only
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    code, text = _check(repo)
    assert code == exit_codes.FAILURE
    assert "test_add" in text


def test_the_pytest_gate_runs_the_projects_test_command_as_in_runs(tmp_path: Path) -> None:
    tests = "from app import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    settings = 'check_gates = ["pytest"]\ntest_command = "pytest -q -k not_add"\n'
    repo = make_repo(
        tmp_path / "r",
        {"app.py": "def add(a, b):\n    return a + b\n", "test_app.py": tests},
    )
    (repo / ".talkgit.toml").write_text(settings)  # not committed: check reads the tree
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    code, text = _check(repo)
    assert code == exit_codes.OK, text  # test_add is not in the project's test command


def test_option_mistakes_are_usage_errors(tmp_path: Path) -> None:
    repo = _legacy(tmp_path)
    with pytest.raises(UsageError, match="--head needs --base"):
        _check(repo, head="HEAD")
    with pytest.raises(UsageError, match="only one of"):
        _check(repo, staged=True, base="HEAD")


def test_paths_report_every_finding_in_those_files(tmp_path: Path) -> None:
    repo = _legacy(tmp_path)
    code, text = _check(repo, paths=["legacy/shell.py"])
    assert code == exit_codes.FAILURE
    assert "legacy/shell.py" in text and "legacy/mod1.py" not in text


def test_check_never_loads_litellm(tmp_path: Path) -> None:
    import subprocess
    import sys

    repo = _legacy(tmp_path)
    (repo / "app.py").write_text(SHELL)
    code = (
        "import sys; from talkgit.cli import main; main(['-C', sys.argv[1], 'check']); "
        "print(sorted(m for m in ('litellm', 'httpx') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(repo)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_staged_reads_the_index_git_names_in_a_hook(tmp_path: Path) -> None:
    # `git commit -a` stages into a temporary index and names it in GIT_INDEX_FILE.
    import os
    import subprocess

    repo = _legacy(tmp_path)
    (repo / "app.py").write_text(SHELL)
    other = tmp_path / "other-index"
    env = {**os.environ, "GIT_INDEX_FILE": str(other)}
    subprocess.run(["git", "read-tree", "HEAD"], cwd=repo, env=env, check=True)
    subprocess.run(["git", "add", "app.py"], cwd=repo, env=env, check=True)
    assert _check(repo, staged=True)[0] == exit_codes.OK  # .git/index has nothing staged
    out = io.StringIO()
    code = check(repo, staged=True, out=out, environ=env)
    assert code == exit_codes.FAILURE and "B602" in out.getvalue()


def test_gates_option_runs_only_those(tmp_path: Path) -> None:
    repo = _legacy(tmp_path)
    (repo / "app.py").write_text(SHELL + "\n# TODO: tidy\n")
    code, text = _check(repo, gates=["placeholder"])
    assert code == exit_codes.FAILURE
    assert "placeholder" in text and "bandit" not in text and "mypy" not in text


def test_gates_the_configuration_leaves_out_are_started_early_but_not_judged(
    tmp_path: Path,
) -> None:
    repo = _legacy(tmp_path)
    commit_file(repo, ".talkgit.toml", 'check_gates = ["placeholder", "mypy"]\n')
    commit_file(repo, "pyproject.toml", '[tool.talkgit.gates.mypy]\nmode = "off"\n')
    (repo / "app.py").write_text(SHELL + "\n# TODO: tidy\nX: int = 'no'\n")
    code, text = _check(repo)  # bandit and mypy started before the configuration was read
    assert code == exit_codes.FAILURE
    assert "placeholder" in text and "bandit" not in text and "B602" not in text
    assert "assignment" not in text  # mypy is off: listed as skipped, its findings unjudged


def test_gates_run_when_talkgits_tools_are_off_path_as_under_pipx(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    repo = _legacy(tmp_path)
    (repo / "app.py").write_text(SHELL)
    done = subprocess.run(
        [sys.executable, "-m", "talkgit", "check", "--format", "json"],
        cwd=repo,
        env={**os.environ, "PATH": git_only_path()},  # git, and none of ruff, mypy, bandit
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == exit_codes.FAILURE, done.stderr  # a finding, not a tool error
    verdicts = {gate["tool"]: gate["verdict"] for gate in json.loads(done.stdout)["gates"]}
    assert verdicts["bandit"] == "fail"
    assert verdicts["ruff"] == verdicts["mypy"] == "pass"


def test_mypy_checks_only_what_the_projects_own_mypy_checks(tmp_path: Path) -> None:
    # flask's layout: `files` names the package and one test directory, not tests/ itself.
    config = (
        '[tool.mypy]\nfiles = ["src/pkg", "tests/type_check"]\nmypy_path = "src"\nstrict = true\n'
    )
    repo = make_repo(
        tmp_path / "r",
        {
            "pyproject.toml": config,
            "src/pkg/__init__.py": "",
            "src/pkg/app.py": "def run(x: int) -> int:\n    return x\n",
            "tests/test_app.py": "from pkg.app import run\n",
            "tests/type_check/typing_app.py": "from pkg.app import run\n",
        },
    )
    untyped_test = "\n\ndef test_run(tmp_path):\n    assert run(1) == 1\n"
    (repo / "tests" / "test_app.py").write_text("from pkg.app import run\n" + untyped_test)
    code, text = _check(repo, gates=["mypy"])
    assert code == exit_codes.OK, text
    assert "no-untyped-def" not in text
    (repo / "tests" / "type_check" / "typing_app.py").write_text(
        "from pkg.app import run\n" + untyped_test
    )
    code, text = _check(repo, gates=["mypy"])
    assert code == exit_codes.FAILURE
    assert "tests/type_check/typing_app.py:4" in text and "no-untyped-def" in text
    assert "tests/test_app.py" not in text


def test_an_output_file_that_cannot_be_written_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "repo")
    target = tmp_path / "missing" / "d" / "out.txt"
    assert main(["-C", str(repo), "check", "-o", str(target)]) == exit_codes.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot write {target}" in err
    assert "Traceback" not in err
