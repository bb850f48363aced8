"""Tests run the tree under test, even with the project installed editable from elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkgit.testing.suite import SuiteRun, run_suite, runs_pytest
from tests.support.gitrepo import git
from tests.support.projects import LAYOUTS, MakeProject, pip_install_editable

BROKEN = "def value():\n    return 2\n"


def _worktree(project: Path, tmp_path: Path, module: str) -> Path:
    """A second checkout of the project, as talkgit's private worktree is, with a bug in it."""
    tree = tmp_path / "worktree"
    git(project, "worktree", "add", "-q", "--detach", str(tree))
    (tree / module).write_text(BROKEN)
    return tree


def _run(root: Path, python: Path, tmp_path: Path) -> SuiteRun:
    return run_suite(
        root, [str(python), "-m", "pytest", "-q"], scratch=tmp_path / "scratch", timeout=120
    )


def _failing(run: SuiteRun) -> list[str]:
    assert run.report is not None, run.output_tail
    return [case.id for case in run.report.failures]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_tree_under_test_is_imported_not_the_editable_install(
    layout: str, make_project: MakeProject, venv: Path, tmp_path: Path
) -> None:
    project = make_project(layout)
    pip_install_editable(venv, project)
    tree = _worktree(project, tmp_path, f"{LAYOUTS[layout][0]}/core.py")

    # The user's own checkout passes, and plain pytest in the worktree imports it instead.
    assert _run(project, venv, tmp_path).passed
    run = _run(tree, venv, tmp_path)
    assert run.error is None
    assert _failing(run) == ["tests/test_value.py::test_value"]
    assert run.returncode == 1


def test_an_old_style_editable_install_that_jumps_the_queue_is_overruled(
    make_project: MakeProject, venv: Path, tmp_path: Path
) -> None:
    # `setup.py develop` era: a .pth that puts the checkout before PYTHONPATH and imports it.
    project = make_project("src")
    site = next((venv.parent.parent / "lib").glob("python*/site-packages"))
    (site / "old_develop.pth").write_text(
        f"import sys; sys.path.insert(0, {str(project / 'src')!r}); import mypkg.core\n"
    )
    tree = _worktree(project, tmp_path, "src/mypkg/core.py")
    run = _run(tree, venv, tmp_path)
    assert run.error is None
    assert _failing(run) == ["tests/test_value.py::test_value"]


def test_tests_that_import_the_project_from_elsewhere_cannot_pass(
    make_project: MakeProject, venv: Path, tmp_path: Path
) -> None:
    project = make_project("src")
    tree = _worktree(project, tmp_path, "src/mypkg/core.py")
    # A conftest that goes around the import path: the run says so and is not a result.
    (tree / "tests" / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(project / 'src')!r})\n"
        "for name in [n for n in sys.modules if n.startswith('mypkg')]:\n"
        "    del sys.modules[name]\n"
    )
    run = _run(tree, venv, tmp_path)
    assert not run.passed
    assert run.error is not None and "imported mypkg from" in run.error
    assert str(project / "src" / "mypkg") in run.error


def test_the_tree_is_left_as_it_was_and_secrets_stay_out(
    make_project: MakeProject, venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project("src")
    (project / "tests" / "test_env.py").write_text(
        "import os\n\ndef test_no_key():\n    assert 'OPENAI_API_KEY' not in os.environ\n"
    )
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-reach-tests")
    before = git(project, "status", "--porcelain", "--ignored")
    run = _run(project, venv, tmp_path)
    assert run.passed and run.report is not None and run.report.count("passed") == 3
    assert git(project, "status", "--porcelain", "--ignored") == before


def test_a_command_that_is_not_pytest_runs_as_it_is(tmp_path: Path) -> None:
    run = run_suite(
        tmp_path, ["sh", "-c", "echo broken; exit 3"], scratch=tmp_path / "s", timeout=30
    )
    assert (run.returncode, run.report, run.error) == (3, None, None)
    assert run.output_tail == "broken" and not run.passed


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["pytest", "-q"], True),
        (["/venv/bin/py.test"], True),
        (["python3", "-m", "pytest"], True),
        (["python3", "-m", "unittest"], False),
        (["tox", "-e", "py"], False),
        ([], False),
    ],
)
def test_which_commands_run_pytest(command: list[str], expected: bool) -> None:
    assert runs_pytest(command) is expected
