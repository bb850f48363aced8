"""`talkgit run --mode auto|strict|dry-run` and `--finish`, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.cli import main
from tests.support.gitrepo import commit_file, fsck, git, make_repo, user_state
from tests.support.scripts import NO_GATES, edit, plan_reply, scripted_model

FILES = {"app.py": "def greet():\n    return 'hi'\n", "README.md": "# app\n"}
PLAN = plan_reply(("fix", "coder", []), files={"fix": ["app.py"]})
FIRST = edit("app.py", "    return 'hi'\n", "    return 'hello' + ''\n")
SECOND = edit("app.py", "    return 'hello' + ''\n", "    return 'hello'\n")
REJECT = json.dumps({"verdict": "reject", "reason": "drop the useless + ''"})
APPROVE = json.dumps({"verdict": "approve", "reason": "does what the goal says"})


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in NO_GATES.items():
        monkeypatch.setenv(name, value)
    return make_repo(tmp_path / "app", FILES)


def _council(app: Path, model: str, rule: str, *judges: str) -> None:
    tables = "".join(
        f'[[tool.talkgit.council.reviewers]]\nname = "{name}"\nmodel = "{model}"\n'
        f'instructions = "Reject needless code."\n'
        for name in judges
    )
    commit_file(app, "pyproject.toml", f'[tool.talkgit.council]\nrule = "{rule}"\n\n{tables}')


def _run(app: Path, *args: str) -> int:
    return main(["-C", str(app), "run", *args])


def _run_id(app: Path) -> str:
    return git(app, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()


def _ledger(app: Path, path: str) -> object:
    return json.loads(git(app, "show", f"refs/talkgit/runs/{_run_id(app)}:{path}"))


def _note(app: Path, commit: str) -> dict[str, object]:
    note = json.loads(git(app, "notes", "--ref=talkgit/steps", "show", commit))
    assert isinstance(note, dict)
    return note


def test_strict_mode_a_rejection_by_a_judge_goes_back_to_the_coder(
    app: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replies: dict[str, list[object]] = {
        "planner": [PLAN],
        "coder": [FIRST, SECOND],
        "judge-security": [REJECT, APPROVE],
    }
    model = scripted_model(tmp_path, replies)
    _council(app, model, "all", "security")
    state = user_state(app)

    assert _run(app, "--mode", "strict", "-m", model, "greet properly") == exit_codes.OK

    out = capsys.readouterr().out
    assert "strict mode" in out and f"talkgit finish {_run_id(app)}" in out
    first, second = (_ledger(app, f"steps/0{i}-fix.json") for i in (1, 2))
    assert isinstance(first, dict) and isinstance(second, dict)
    assert first["status"] == "rejected" and first["council"] == {
        "gates": "approve",
        "security": "reject",
    }
    assert second["status"] == "merged" and second["council"]["security"] == "approve"
    rejected = _note(app, first["commit"])["council"]
    assert isinstance(rejected, dict) and rejected["decision"] == "reject"
    security = rejected["judges"][1]
    assert security["reason"] == "drop the useless + ''"
    assert security["model"].startswith("scripted/")
    # The coder's second attempt was told why, and built on its own rejected commit.
    transcript = _ledger(app, "transcripts/02-fix.json")
    assert isinstance(transcript, list)
    assert "security (reject): drop the useless + ''" in transcript[1]["content"]
    assert second["base"] == first["commit"]
    branch = f"talkgit/{_run_id(app)}/integration"
    assert git(app, "show", f"{branch}:app.py") == "def greet():\n    return 'hello'\n"
    assert user_state(app) == state  # strict never touches the user's branch
    fsck(app)
    capsys.readouterr()
    assert main(["-C", str(app), "show"]) == exit_codes.OK
    shown = capsys.readouterr().out
    assert "mode: strict" in shown
    assert "council: gates=approve security=reject" in shown


def test_strict_mode_majority_lets_one_dissent_through(app: Path, tmp_path: Path) -> None:
    replies: dict[str, list[object]] = {
        "planner": [PLAN],
        "coder": [FIRST],
        "judge-style": [REJECT],
        "judge-logic": [APPROVE],
    }
    model = scripted_model(tmp_path, replies)
    _council(app, model, "majority", "style", "logic")
    assert _run(app, "--mode", "strict", "-m", model, "greet properly") == exit_codes.OK
    record = _ledger(app, "steps/01-fix.json")
    assert isinstance(record, dict) and record["status"] == "merged"
    note = _note(app, record["commit"])["council"]
    assert isinstance(note, dict) and note["rule"] == "majority"
    assert [j["verdict"] for j in note["judges"]] == ["approve", "reject", "approve"]
    run = _ledger(app, "run.json")
    assert isinstance(run, dict) and run["mode"] == "strict" and run["usage"]["calls"] == 4


def test_auto_mode_does_not_consult_the_council(app: Path, tmp_path: Path) -> None:
    # The judge has no reply to give: asking it would fail the run.
    model = scripted_model(tmp_path, {"planner": [PLAN], "coder": [FIRST], "judge-security": []})
    _council(app, model, "all", "security")
    assert _run(app, "-m", model, "greet properly") == exit_codes.OK
    record = _ledger(app, "steps/01-fix.json")
    assert isinstance(record, dict) and record["status"] == "merged" and record["council"] == {}
    assert _note(app, record["commit"])["council"] is None


def test_dry_run_mode_makes_no_commit_and_no_branch(app: Path, tmp_path: Path) -> None:
    model = scripted_model(tmp_path, {"planner": [PLAN]})
    refs = git(app, "for-each-ref")
    objects = git(app, "count-objects", "-v")
    assert _run(app, "--mode", "dry-run", "-m", model, "greet properly") == exit_codes.OK
    assert git(app, "for-each-ref") == refs
    assert git(app, "count-objects", "-v") == objects


def test_finish_brings_a_done_auto_run_into_the_branch(app: Path, tmp_path: Path) -> None:
    hello = edit("app.py", "    return 'hi'\n", "    return 'hello'\n")
    model = scripted_model(tmp_path, {"planner": [PLAN], "coder": [hello]})
    before = git(app, "rev-parse", "HEAD").strip()
    assert _run(app, "--finish", "-m", model, "greet properly") == exit_codes.OK
    assert git(app, "rev-parse", "HEAD~1").strip() == before
    assert (app / "app.py").read_text() == "def greet():\n    return 'hello'\n"
    assert f"Talkgit-Run: {_run_id(app)}" in git(app, "log", "-1", "--format=%B")


def test_strict_mode_refuses_to_finish_by_itself(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(app, "--mode", "strict", "--finish", "-m", "x/y", "t") == exit_codes.USAGE
    assert "leaves finish to you" in capsys.readouterr().err
    assert git(app, "for-each-ref", "refs/talkgit") == ""
