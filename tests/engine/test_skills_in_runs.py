"""A run puts the skills that match a step into its agent's prompt and names them in the note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.cli import main
from tests.support.gitrepo import git, make_repo
from tests.support.scripts import NO_GATES, edit, scripted_model

GREETINGS = """---
name: greetings
description: how this team writes greetings
keywords: [greeting]
files: ["app.py"]
---
Greetings end with an exclamation mark.
"""
DATABASE = """---
name: database
description: migrations and schema changes
keywords: [migration]
---
Always write a down migration.
"""


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in NO_GATES.items():
        monkeypatch.setenv(name, value)
    files = {
        "app.py": "def greet():\n    return 'hi'\n",
        ".talkgit/skills/greetings.md": GREETINGS,
        ".talkgit/skills/database.md": DATABASE,
    }
    return make_repo(tmp_path / "app", files)


def _run_ref(app: Path) -> str:
    run = git(app, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()
    return f"refs/talkgit/runs/{run}"


def _model(tmp_path: Path) -> str:
    plan = json.dumps(
        {
            "steps": [
                {
                    "id": "fix",
                    "agent": "coder",
                    "goal": "a friendlier greeting",
                    "files": ["app.py"],
                }
            ]
        }
    )
    hello = edit("app.py", "    return 'hi'\n", "    return 'hello!'\n")
    return scripted_model(tmp_path, {"planner": [plan], "coder": [hello]})


def test_the_matching_skill_is_in_the_prompt_and_the_note(app: Path, tmp_path: Path) -> None:
    assert main(["-C", str(app), "run", "-m", _model(tmp_path), "greet"]) == exit_codes.OK
    ref = _run_ref(app)
    system = json.loads(git(app, "show", f"{ref}:transcripts/01-fix.json"))[0]["content"]
    assert "## greetings\nGreetings end with an exclamation mark." in system
    assert "down migration" not in system  # the database skill does not match
    record = json.loads(git(app, "show", f"{ref}:steps/01-fix.json"))
    assert record["skills"] == ["greetings"]
    note = json.loads(git(app, "notes", "--ref=talkgit/steps", "show", record["commit"]))
    assert note["skills"] == ["greetings"]


def test_a_zero_budget_turns_skills_off(
    app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALKGIT_SKILL_TOKENS", "0")
    assert main(["-C", str(app), "run", "-m", _model(tmp_path), "greet"]) == exit_codes.OK
    ref = _run_ref(app)
    system = json.loads(git(app, "show", f"{ref}:transcripts/01-fix.json"))[0]["content"]
    assert "exclamation" not in system
    assert json.loads(git(app, "show", f"{ref}:steps/01-fix.json"))["skills"] == []


def test_a_broken_skill_stops_the_run_before_it_starts(
    app: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (app / ".talkgit/skills/bad.md").write_text("---\nname: bad\nkeywords: 3\n---\nbody\n")
    assert main(["-C", str(app), "run", "-m", _model(tmp_path), "greet"]) == exit_codes.CONFIG
    assert ".talkgit/skills/bad.md" in capsys.readouterr().err
    assert git(app, "for-each-ref", "refs/talkgit") == ""
