"""`talkgit run -i`, driven through a pseudo-terminal the way a person would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pexpect
import pytest

from talkgit import exit_codes
from tests.support.gitrepo import git, make_repo, user_state
from tests.support.scripts import NO_GATES, edit, plan_reply, scripted_model

FILES = {"app.py": "def greet():\n    return 'hi'\n", "README.md": "# app\n"}
PLAN = plan_reply(("greet", "coder", []), ("docs", "coder", ["greet"]))
GREET = edit("app.py", "    return 'hi'\n", "    return 'hello'\n")
GREET_AGAIN = edit("app.py", "    return 'hello'\n", "    return GREETING\n")
DOCS = edit("README.md", "# app\n", "# app\n\nGreets.\n")
PLAN_PROMPT = r"\[a\]pprove, \[e\]dit the plan, \[q\]uit"
STEP_PROMPT = r"\[a\]pprove, \[s\]kip it, \[r\]etry with a note"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "app", FILES)


def _editor(tmp_path: Path, plan: Mapping[str, object]) -> str:
    """An $EDITOR that replaces the file it is given with ``plan``, as a person would."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import json, sys\n"
        f"plan = json.loads({json.dumps(json.dumps(plan))})\n"
        "open(sys.argv[1], 'w').write(json.dumps(plan))\n"
    )
    return f"{sys.executable} {script}"


def _spawn(app: Path, *args: str, editor: str = "true") -> pexpect.spawn[str]:
    env = {**os.environ, **NO_GATES, "EDITOR": editor, "VISUAL": editor, "NO_COLOR": "1"}
    return pexpect.spawn(
        sys.executable,
        ["-m", "talkgit", "-C", str(app), *args],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
    )


def _finish(child: pexpect.spawn[str]) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, child.before
    return int(child.exitstatus)


def _run_id(app: Path) -> str:
    return git(app, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()


def _ledger(app: Path, path: str) -> object:
    return json.loads(git(app, "show", f"refs/talkgit/runs/{_run_id(app)}:{path}"))


def test_edit_the_plan_retry_with_a_note_then_skip(app: Path, tmp_path: Path) -> None:
    edited = {
        "steps": [
            {"id": "greet", "agent": "coder", "goal": "greet with a constant"},
            {"id": "readme", "agent": "coder", "goal": "say what it does", "depends_on": ["greet"]},
        ]
    }
    model = scripted_model(tmp_path, {"planner": [PLAN], "coder": [GREET, GREET_AGAIN, DOCS]})
    state = user_state(app)
    child = _spawn(app, "run", "-i", "-m", model, "greet", editor=_editor(tmp_path, edited))

    child.expect(PLAN_PROMPT)
    child.sendline("e")  # the editor rewrites the plan; the prompt comes back with it shown
    child.expect("readme")
    child.expect(PLAN_PROMPT)
    child.sendline("a")
    child.expect(r"\+    return 'hello'")  # the step's diff is shown before it merges
    child.expect(STEP_PROMPT)
    child.sendline("r")
    child.expect("note to the agent")
    child.sendline("use a constant named GREETING")
    child.expect(r"\+    return GREETING")
    child.expect(STEP_PROMPT)
    child.sendline("a")
    child.expect(r"\+Greets\.")  # the readme step's diff
    child.expect(STEP_PROMPT)
    child.sendline("s")
    assert _finish(child) == exit_codes.OK

    plan = _ledger(app, "plan.json")
    assert isinstance(plan, dict) and [s["id"] for s in plan["steps"]] == ["greet", "readme"]
    statuses = [
        (record["step"], record["status"])
        for record in (_ledger(app, f"steps/{n}") for n in _steps(app))
        if isinstance(record, dict)
    ]
    assert statuses == [("greet", "declined"), ("greet", "merged"), ("readme", "skipped")]
    transcript = _ledger(app, "transcripts/02-greet.json")
    assert isinstance(transcript, list)
    assert "asked for another attempt: use a constant named GREETING" in transcript[1]["content"]
    branch = f"talkgit/{_run_id(app)}/integration"
    assert "GREETING" in git(app, "show", f"{branch}:app.py")
    assert git(app, "show", f"{branch}:README.md") == "# app\n"  # skipped: not merged
    assert user_state(app) == state


def _steps(app: Path) -> list[str]:
    listing = git(app, "ls-tree", "--name-only", f"refs/talkgit/runs/{_run_id(app)}:steps")
    return listing.split()


def _resume(app: Path, model: str) -> int:
    env = {**os.environ, **NO_GATES}
    done = subprocess.run(
        [sys.executable, "-m", "talkgit", "-C", str(app), "resume", "-m", model],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode


def test_quit_at_a_step_keeps_the_run_resumable_without_paying_again(
    app: Path, tmp_path: Path
) -> None:
    plan = plan_reply(("greet", "coder", []))
    # One coder reply only: resuming must not ask the model again for the same step.
    model = scripted_model(tmp_path, {"planner": [plan], "coder": [GREET]})
    child = _spawn(app, "run", "-i", "-m", model, "greet")
    child.expect(PLAN_PROMPT)
    child.sendline("a")
    child.expect(STEP_PROMPT)
    child.sendline("q")
    assert _finish(child) == exit_codes.FAILURE
    run = _ledger(app, "run.json")
    assert isinstance(run, dict) and run["status"] == "stopped"
    assert run["reason"] == "stopped by the user"
    branch = f"talkgit/{_run_id(app)}/integration"
    assert git(app, "show", f"{branch}:app.py") == FILES["app.py"]  # nothing merged

    assert _resume(app, model) == exit_codes.OK
    run = _ledger(app, "run.json")
    assert isinstance(run, dict) and run["status"] == "done"
    assert git(app, "show", f"{branch}:app.py") == "def greet():\n    return 'hello'\n"


def test_quit_at_the_plan_writes_the_plan_and_no_step(app: Path, tmp_path: Path) -> None:
    model = scripted_model(tmp_path, {"planner": [PLAN]})
    child = _spawn(app, "run", "-i", "-m", model, "greet")
    child.expect(PLAN_PROMPT)
    child.sendline("q")
    child.expect("talkgit resume")
    assert _finish(child) == exit_codes.FAILURE
    assert _ledger(app, "run.json")["status"] == "stopped"  # type: ignore[index]
    ledger = git(app, "ls-tree", "--name-only", f"refs/talkgit/runs/{_run_id(app)}").split()
    assert "plan.json" in ledger and "steps" not in ledger
    assert git(app, "for-each-ref", "--format=%(refname)", "refs/heads/talkgit").strip() == (
        f"refs/heads/talkgit/{_run_id(app)}/integration"
    )


def test_an_edit_that_is_no_plan_is_explained_and_can_be_redone(app: Path, tmp_path: Path) -> None:
    bad = {"steps": [{"id": "x", "agent": "wizard", "goal": "magic"}]}
    model = scripted_model(tmp_path, {"planner": [PLAN]})
    child = _spawn(app, "run", "-i", "-m", model, "greet", editor=_editor(tmp_path, bad))
    child.expect(PLAN_PROMPT)
    child.sendline("e")
    child.expect("that plan cannot be used: step 'x': unknown agent 'wizard'")
    child.expect(r"edit it again\?")
    child.sendline("n")
    child.expect(PLAN_PROMPT)  # the planner's plan still stands
    child.sendline("q")
    assert _finish(child) == exit_codes.FAILURE
    plan = _ledger(app, "plan.json")
    assert isinstance(plan, dict) and [s["id"] for s in plan["steps"]] == ["greet", "docs"]


def test_interactive_needs_a_terminal(app: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "talkgit", "-C", str(app), "run", "-i", "-m", "x/y", "greet"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == exit_codes.USAGE
    assert "needs a terminal" in done.stderr
    assert git(app, "for-each-ref", "refs/talkgit") == ""


def test_interactive_cannot_print_json(app: Path) -> None:
    child = _spawn(app, "run", "-i", "--json", "-m", "x/y", "greet")
    child.expect("cannot go with --json")
    assert _finish(child) == exit_codes.USAGE
    assert git(app, "for-each-ref", "refs/talkgit") == ""
