"""A run on a project installed editable: its gate and tester test the step's code, once.

The issue this guards against: on src-layout projects installed with `pip install -e .`,
tests in talkgit's worktree imported the user's checkout, so an edit that broke tests
merged with `pytest=pass`.
"""

from __future__ import annotations

import json
from pathlib import Path

from talkgit import exit_codes
from tests.support.gitrepo import fsck, git, user_state
from tests.support.projects import MakeProject, pip_install_editable
from tests.support.scripts import edit, plan_reply, run_scripted, scripted_model

GOOD = "def value():\n    return 1\n"
BROKEN = "def value():\n    return 2\n"


def _run(project: Path, model: str, python: Path, **settings: str) -> tuple[int, str]:
    environ = {
        "TALKGIT_RUN_GATES": '["pytest"]',
        "TALKGIT_TEST_COMMAND": json.dumps([str(python), "-m", "pytest", "-q"]),
        "TALKGIT_MAX_FIX_ATTEMPTS": "1",
        **settings,
    }
    return run_scripted(project, model, "change value", environ)


def test_an_edit_that_breaks_a_src_layout_project_is_rejected_not_merged(
    make_project: MakeProject, venv: Path, tmp_path: Path
) -> None:
    project = make_project("src")
    pip_install_editable(venv, project)
    before = user_state(project)
    core = "src/mypkg/core.py"
    model = scripted_model(
        tmp_path,
        {
            "planner": [
                plan_reply(
                    ("change", "coder", []),
                    ("test", "tester", ["change"]),
                    files={"change": [core]},
                )
            ],
            "coder": [edit(core, GOOD, BROKEN), edit(core, BROKEN, GOOD + "\n\nX = 1\n")],
        },
    )
    code, progress = _run(project, model, venv)
    assert code == exit_codes.OK, progress
    assert "[01] change: rejected" in progress and "pytest=fail" in progress
    assert "[02] change: merged" in progress
    assert "test: passed - tests passed: 2 passed" in progress

    (run_id,) = git(
        project, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs"
    ).split()
    assert "return 1" in git(project, "show", f"talkgit/{run_id}/integration:{core}")
    # One run per tree: the base, the broken head, the fixed head; the tester reused it.
    assert len(list((project / ".git" / "talkgit" / "cache" / "tests").iterdir())) == 3
    assert user_state(project) == before
    fsck(project)


def test_a_test_failing_before_the_run_is_reported_not_sent_to_the_coder(
    make_project: MakeProject, venv: Path, tmp_path: Path
) -> None:
    project = make_project("src")
    pip_install_editable(venv, project)
    offline = "def test_network():\n    raise OSError('no network here')\n"
    (project / "tests" / "test_net.py").write_text(offline)
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "a test that needs the network")
    replies: dict[str, list[object]] = {
        "planner": [plan_reply(("change", "coder", []), ("test", "tester", ["change"]))],
        "coder": [edit("src/mypkg/extra.py", "", "EXTRA = 1\n")],
    }
    code, progress = _run(project, scripted_model(tmp_path, replies), venv)
    assert code == exit_codes.OK, progress
    assert "test: passed - no test broke" in progress
    assert "already failing at the run's base: tests/test_net.py::test_network" in progress
    assert "-fix1" not in progress

    # With preexisting_tests = "fix" the same failure goes to the coder.
    replies["coder"].append(edit("tests/test_net.py", offline, "def test_network():\n    pass\n"))
    code, progress = _run(
        project,
        scripted_model(tmp_path, replies, name="fix"),
        venv,
        TALKGIT_PREEXISTING_TESTS="fix",
    )
    assert code == exit_codes.OK, progress
    assert "test: failed - tests failed: 1 failed, 2 passed; to fix:" in progress
    assert "test-fix1: merged" in progress
