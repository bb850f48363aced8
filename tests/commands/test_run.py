from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.cli import main
from talkgit.commands.run import RunOptions, resume, run
from talkgit.commands.show import runs, show
from talkgit.engine.report import PlainReporter
from talkgit.engine.state import RunRecord
from talkgit.errors import ModelError, UsageError
from talkgit.git.ledger import Ledger
from talkgit.git.repo import GitRepo
from talkgit.plan import PlanError
from tests.support.gitrepo import fsck, git, make_repo, user_state
from tests.support.openai_server import Delay, OpenAIServer, RecordedRequest
from tests.support.scripts import NO_GATES, edit, plan_reply, scripted_model

FILES = {"app.py": "def greet():\n    return 'helo'\n", "README.md": "# app\n"}


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "app", FILES)


def _run(
    repo: Path,
    model: str | None,
    task: str = "fix the greeting",
    *,
    dry_run: bool = False,
    max_steps: int | None = None,
) -> tuple[int, str, str]:
    out, progress = io.StringIO(), io.StringIO()
    options = RunOptions(model=model, max_steps=max_steps)
    reporter = PlainReporter(progress)
    code = run(
        repo,
        task,
        options,
        mode="dry-run" if dry_run else "auto",
        out=out,
        reporter=reporter,
        environ=NO_GATES,
    )
    return code, out.getvalue(), progress.getvalue()


def _refs(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)")


GOOD_PLAN = plan_reply(("fix", "coder", []), files={"fix": ["app.py"]})
GOOD_EDIT = edit("app.py", "    return 'helo'\n", "    return 'hello'\n")


def test_no_model_says_how_to_set_one_and_writes_nothing(app: Path) -> None:
    refs = _refs(app)
    with pytest.raises(ModelError, match=r"--model.*talkgit demo"):
        _run(app, None)
    assert _refs(app) == refs


def test_an_empty_task_is_refused(app: Path) -> None:
    with pytest.raises(UsageError, match="task is empty"):
        _run(app, "scripted:x.yaml", task="   ")


def test_dry_run_shows_the_plan_and_writes_nothing(app: Path, tmp_path: Path) -> None:
    refs, state = _refs(app), user_state(app)
    code, out, _ = _run(app, scripted_model(tmp_path, {"planner": [GOOD_PLAN]}), dry_run=True)
    assert code == exit_codes.OK
    assert "would run 1 step" in out and "fix" in out
    assert _refs(app) == refs and user_state(app) == state


def test_a_run_edits_on_its_own_branch_with_provenance(app: Path, tmp_path: Path) -> None:
    state = user_state(app)
    model = scripted_model(tmp_path, {"planner": [GOOD_PLAN], "coder": [GOOD_EDIT]})
    code, out, progress = _run(app, model)
    assert code == exit_codes.OK, progress
    (branch,) = [
        b
        for b in git(app, "branch", "--format=%(refname:short)").split()
        if b.endswith("/integration")
    ]
    assert git(app, "show", f"{branch}:app.py") == "def greet():\n    return 'hello'\n"
    assert "Talkgit-Agent: coder" in git(app, "log", "-1", "--format=%B", branch)
    assert user_state(app) == state
    assert f"integration branch: {branch}" in out
    fsck(app)


def test_a_malformed_plan_gets_a_repair_prompt(app: Path, tmp_path: Path) -> None:
    model = scripted_model(
        tmp_path,
        {"planner": ["Sure! Here is my plan: step one, fix it.", GOOD_PLAN], "coder": [GOOD_EDIT]},
    )
    code, _, _ = _run(app, model)
    assert code == exit_codes.OK
    run_id = git(app, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()
    transcript = json.loads(git(app, "show", f"refs/talkgit/runs/{run_id}:transcripts/plan-0.json"))
    assert [m["role"] for m in transcript] == ["system", "user", "assistant", "user", "assistant"]
    assert "That plan cannot be used: no JSON object" in transcript[3]["content"]


def test_a_plan_that_stays_invalid_fails_clearly_and_is_recorded(app: Path, tmp_path: Path) -> None:
    bad = plan_reply(("fix", "wizard", []))
    model = scripted_model(tmp_path, {"planner": [bad, bad, bad]})
    with pytest.raises(PlanError, match=r"no valid plan after 3 tries: .*unknown agent 'wizard'"):
        _run(app, model)
    run_id = git(app, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()
    record = json.loads(git(app, "show", f"refs/talkgit/runs/{run_id}:run.json"))
    assert record["status"] == "failed" and "wizard" in record["reason"]


def test_edits_that_do_not_apply_are_explained_and_retried(app: Path, tmp_path: Path) -> None:
    wrong = edit("app.py", "    return make_greeting(1)\n", "    return 'hello'\n")
    model = scripted_model(tmp_path, {"planner": [GOOD_PLAN], "coder": [wrong, GOOD_EDIT]})
    code, _, _ = _run(app, model)
    assert code == exit_codes.OK
    run_id = git(app, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()
    transcript = json.loads(git(app, "show", f"refs/talkgit/runs/{run_id}:transcripts/01-fix.json"))
    feedback = transcript[3]["content"]
    assert "Block 1 (app.py) did not apply" in feedback and "Did you mean line 1" in feedback


def test_a_step_budget_stops_cleanly_and_resume_finishes_without_new_calls(
    app: Path, tmp_path: Path
) -> None:
    plan = plan_reply(("one", "coder", []), ("two", "coder", ["one"]))
    second = edit("README.md", "# app\n", "# app\n\nGreets.\n")
    # Exactly one reply per call: a repeated call would exhaust the script and fail.
    model = scripted_model(tmp_path, {"planner": [plan], "coder": [GOOD_EDIT, second]})
    code, out, _ = _run(app, model, max_steps=1)
    assert code == exit_codes.FAILURE
    assert "stopped — step budget reached (1 attempts)" in out and "talkgit resume" in out
    run_id = git(app, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()

    progress = io.StringIO()
    code = resume(
        app,
        run_id[:4],
        RunOptions(model=model, max_steps=5),
        out=io.StringIO(),
        reporter=PlainReporter(progress),
        environ=NO_GATES,
    )
    assert code == exit_codes.OK, progress.getvalue()
    integration = f"talkgit/{run_id}/integration"
    assert "Greets." in git(app, "show", f"{integration}:README.md")
    assert "hello" in git(app, "show", f"{integration}:app.py")


@pytest.mark.parametrize(
    ("budget", "hint"),
    [
        (["--max-steps", "1"], "--max-steps 2"),
        (["--budget-usd", "0"], "--budget-usd 0.10"),
        (["--timeout", "0.001"], "--timeout 6m"),
    ],
)
def test_the_resume_hint_after_a_budget_stop_lets_the_run_go_on(
    app: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    budget: list[str],
    hint: str,
) -> None:
    monkeypatch.setenv("TALKGIT_RUN_GATES", NO_GATES["TALKGIT_RUN_GATES"])
    plan = plan_reply(("one", "coder", []), ("two", "coder", ["one"]))
    second = edit("README.md", "# app\n", "# app\n\nGreets.\n")
    model = scripted_model(tmp_path, {"planner": [plan], "coder": [GOOD_EDIT, second]})
    code = main(["-C", str(app), "run", "--model", model, *budget, "fix the greeting"])
    assert code == exit_codes.FAILURE
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if "continue:" in line]
    command = line.split("continue: ", 1)[1]
    assert command == f"talkgit resume {_run_id(app)} {hint}"

    code = main(["-C", str(app), *command.split()[1:]])
    assert code == exit_codes.OK, capsys.readouterr()
    integration = f"talkgit/{_run_id(app)}/integration"
    assert "Greets." in git(app, "show", f"{integration}:README.md")


def _run_id(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()


def test_a_stuck_step_makes_the_planner_replan_once(app: Path, tmp_path: Path) -> None:
    stuck = edit("app.py", "    return nothing_like_this()\n", "    return 'hello'\n")
    replanned = plan_reply(("retry-fix", "coder", []), files={"retry-fix": ["app.py"]})
    model = scripted_model(
        tmp_path, {"planner": [GOOD_PLAN, replanned], "coder": [stuck, stuck, stuck, GOOD_EDIT]}
    )
    code, _, progress = _run(app, model)
    assert code == exit_codes.OK, progress
    assert "step fix is stuck; asking the planner for a new plan" in progress
    run_id = _run_id(app)
    request = json.loads(git(app, "show", f"refs/talkgit/runs/{run_id}:transcripts/plan-1.json"))[1]
    assert "Step fix failed" in request["content"]
    plan = json.loads(git(app, "show", f"refs/talkgit/runs/{run_id}:plan.json"))
    assert [step["id"] for step in plan["steps"]] == ["retry-fix"]


def test_a_step_that_stays_stuck_fails_the_run(app: Path, tmp_path: Path) -> None:
    stuck = edit("app.py", "    return nothing_like_this()\n", "    return 'hello'\n")
    replanned = plan_reply(("retry-fix", "coder", []))
    model = scripted_model(tmp_path, {"planner": [GOOD_PLAN, replanned], "coder": [stuck] * 6})
    code, out, _ = _run(app, model)
    assert code == exit_codes.FAILURE
    assert "run " in out and ": failed — step retry-fix failed" in out


def test_a_replan_that_fails_fails_the_step_and_keeps_its_attempt(
    app: Path, tmp_path: Path
) -> None:
    # Seen with a real small model: the replan never validated, the run died with an
    # error, stayed "running", and the stuck step's attempt was nowhere in the ledger.
    stuck = edit("app.py", "    return nothing_like_this()\n", "    return 'hello'\n")
    broken = plan_reply(("retry", "coder", ["src/app.py"]))  # depends on a path
    replies: dict[str, list[object]] = {"planner": [GOOD_PLAN, *[broken] * 3], "coder": [stuck] * 3}
    model = scripted_model(tmp_path, replies)
    code, _, progress = _run(app, model)
    assert code == exit_codes.FAILURE, progress
    assert "step fix failed: the planner could not make a new plan: no valid plan" in progress
    run_id = _run_id(app)
    record = json.loads(git(app, "show", f"refs/talkgit/runs/{run_id}:run.json"))
    assert record["status"] == "failed"
    files = git(app, "ls-tree", "-r", "--name-only", f"refs/talkgit/runs/{run_id}").split()
    assert "transcripts/01-fix.json" in files and "steps/01-fix.json" in files


def test_an_edit_outside_the_repository_is_refused(app: Path, tmp_path: Path) -> None:
    escape = edit("../outside.py", "", "print('escaped')\n")
    git_dir = edit(".git/hooks/post-commit", "", "#!/bin/sh\n")
    model = scripted_model(
        tmp_path, {"planner": [GOOD_PLAN], "coder": [escape, git_dir, GOOD_EDIT]}
    )
    code, _, _ = _run(app, model)
    assert code == exit_codes.OK
    assert not (app.parent / "outside.py").exists()
    assert not (app / ".git" / "hooks" / "post-commit").exists()
    transcript = json.loads(
        git(app, "show", f"refs/talkgit/runs/{_run_id(app)}:transcripts/01-fix.json")
    )
    feedback = [m["content"] for m in transcript if m["role"] == "user"][1:]
    assert ".." in feedback[0] and ".git" in feedback[1]
    files = git(app, "ls-tree", "-r", "--name-only", f"talkgit/{_run_id(app)}/integration").split()
    assert sorted(files) == ["README.md", "app.py"]


def test_the_wall_time_budget_stops_before_any_step(app: Path, tmp_path: Path) -> None:
    model = scripted_model(tmp_path, {"planner": [GOOD_PLAN], "coder": [GOOD_EDIT]})
    out = io.StringIO()
    options = RunOptions(model=model, timeout=0.001)
    code = run(app, "t", options, out=out, reporter=PlainReporter(io.StringIO()), environ=NO_GATES)
    assert code == exit_codes.FAILURE
    assert "time budget reached" in out.getvalue()


def test_json_output_and_runs_and_show(app: Path, tmp_path: Path) -> None:
    model = scripted_model(tmp_path, {"planner": [GOOD_PLAN], "coder": [GOOD_EDIT]})
    out = io.StringIO()
    code = run(app, "fix it", RunOptions(model=model), as_json=True, out=out, environ=NO_GATES)
    document = json.loads(out.getvalue())
    assert code == exit_codes.OK
    run_id = document["run"]["run"]
    assert document["run"]["status"] == "done"
    assert [a["status"] for a in document["attempts"]] == ["merged"]
    assert document["integration_branch"] == f"talkgit/{run_id}/integration"

    listing = io.StringIO()
    runs(app, out=listing)
    assert listing.getvalue().startswith(run_id) and "done" in listing.getvalue()
    shown = io.StringIO()
    show(app, run_id[:3], out=shown)
    text = shown.getvalue()
    assert f"run {run_id}: done" in text and "fix [coder]" in text
    assert f"talkgit/{run_id}/01-fix" in text and "merged" in text
    as_json = io.StringIO()
    show(app, None, as_json=True, out=as_json)
    assert json.loads(as_json.getvalue())["run"]["run"] == run_id


@pytest.mark.parametrize("command", ["show", "resume", "finish", "discard"])
def test_an_empty_run_id_is_a_usage_error(
    app: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    model = scripted_model(tmp_path, {"planner": [GOOD_PLAN], "coder": [GOOD_EDIT]})
    assert _run(app, model)[0] == exit_codes.OK
    before = _refs(app)
    capsys.readouterr()
    assert main(["-C", str(app), command, ""]) == exit_codes.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the run id is empty" in err
    assert _refs(app) == before


def test_the_run_is_locked_before_its_refs_are_written(
    app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kill while git holds the new run's ref lock files must leave a dead driver's run
    # lock behind: taking that over is what clears those files on `resume`.
    from talkgit.engine import session as run_command
    from talkgit.engine.runs import create_run as real_create_run

    locked_at_creation: list[bool] = []

    def create_run(repo: GitRepo, record: RunRecord) -> Ledger:
        locked_at_creation.append((repo.private_dir / "locks" / f"{record.run}.lock").exists())
        return real_create_run(repo, record)

    monkeypatch.setattr(run_command, "create_run", create_run)
    model = scripted_model(tmp_path, {"planner": [GOOD_PLAN], "coder": [GOOD_EDIT]})
    code, _, progress = _run(app, model)
    assert code == exit_codes.OK, progress
    assert locked_at_creation == [True]


def _planner_or_coder(request: RecordedRequest) -> str:
    return GOOD_PLAN if "planner of talkgit" in str(request.messages[0]["content"]) else GOOD_EDIT


def test_a_run_killed_while_planning_resumes_with_what_it_was_started_with(
    app: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TALKGIT_MODEL", "TALKGIT_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TALKGIT_RUN_GATES", NO_GATES["TALKGIT_RUN_GATES"])
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-killed-planning")
    model = "openai/gpt-4o-mini"
    # The planner's first answer is slow: the run is killed while it waits for it.
    with OpenAIServer([Delay(3.0, GOOD_PLAN)], fallback=_planner_or_coder) as server:
        env = {**os.environ, "TALKGIT_API_BASE": server.base_url}
        command = ["run", "--model", model, "--max-steps", "7", "--mode", "auto", "fix it"]
        proc = subprocess.Popen([sys.executable, "-m", "talkgit", *command], cwd=app, env=env)
        deadline = time.monotonic() + 60
        while server.calls < 1:
            assert proc.poll() is None and time.monotonic() < deadline, "no planner call came"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        ledger = f"refs/talkgit/runs/{_run_id(app)}"
        assert json.loads(git(app, "show", f"{ledger}:run.json"))["status"] == "planning"

        # No --model and no TALKGIT_API_BASE: the run remembers both.
        assert main(["-C", str(app), "resume"]) == exit_codes.OK, capsys.readouterr().err
        assert server.calls == 3  # the killed planner call, its repeat, the coder's
    record = json.loads(git(app, "show", f"{ledger}:run.json"))
    assert (record["status"], record["mode"], record["model"]) == ("done", "auto", model)
    assert record["budgets"]["max_steps"] == 7
    assert "hello" in git(app, "show", f"talkgit/{_run_id(app)}/integration:app.py")


def _new_file(path: str, text: str) -> str:
    return edit(path, "", text)


@pytest.mark.parametrize(
    ("replies", "refusal"),
    [
        # One reply makes newdir both a file and a directory: refused whole, then redone.
        (
            [
                _new_file("newdir/inner.txt", "inner\n") + _new_file("newdir", "outer\n"),
                _new_file("newdir/inner.txt", "inner\n") + GOOD_EDIT,
            ],
            "blocks 1 and 2: 'newdir' cannot be both a file and the directory",
        ),
        # A later reply makes a file where an earlier one made a directory.
        (
            [
                _new_file("newdir/inner.txt", "inner\n") + edit("app.py", "nowhere\n", "x\n"),
                _new_file("newdir", "outer\n") + GOOD_EDIT,
                GOOD_EDIT,
            ],
            "path 'newdir' is a directory, not a file",
        ),
    ],
)
def test_a_path_that_would_be_a_file_and_a_directory_is_sent_back_to_the_model(
    app: Path, tmp_path: Path, replies: list[object], refusal: str
) -> None:
    model = scripted_model(tmp_path, {"planner": [GOOD_PLAN], "coder": replies})
    code, _, progress = _run(app, model)
    assert code == exit_codes.OK, progress
    run_id = _run_id(app)
    transcript = json.loads(git(app, "show", f"refs/talkgit/runs/{run_id}:transcripts/01-fix.json"))
    assert any(refusal in m["content"] for m in transcript if m["role"] == "user")
    files = git(app, "ls-tree", "-r", "--name-only", f"talkgit/{run_id}/integration").split()
    assert sorted(files) == ["README.md", "app.py", "newdir/inner.txt"]
    assert "hello" in git(app, "show", f"talkgit/{run_id}/integration:app.py")
