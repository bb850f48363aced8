from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.skills import list_skills, match_skills
from talkgit.errors import ConfigError, RepositoryError, UsageError
from tests.support.gitrepo import commit_file

DB = """---
name: db-migrations
description: Changing the database schema
keywords: [migration, alembic]
files: ["app/models/**"]
---
Every schema change gets an Alembic revision.
"""
GUIDE = "---\ndescription: The whole database guide\nkeywords: [database]\n---\n" + "g" * 4000
RELEASE = "---\nname: release\ndescription: Cutting a release\n---\nBump the version.\n"


@pytest.fixture
def skilled(repo: Path) -> Path:
    commit_file(repo, ".talkgit/skills/db.md", DB)
    commit_file(repo, ".talkgit/skills/guide.md", GUIDE)
    commit_file(repo, ".talkgit/skills/release.md", RELEASE, "skills")
    return repo


def listed(directory: Path, *, as_json: bool = False) -> str:
    out = io.StringIO()
    assert list_skills(directory, as_json=as_json, out=out) == exit_codes.OK
    return out.getvalue()


def matched(directory: Path, text: str, files: tuple[str, ...] = (), **options: object) -> str:
    out = io.StringIO()
    budget = options.pop("budget", None)
    assert isinstance(budget, (int, type(None)))
    as_json = bool(options.pop("as_json", False))
    code = match_skills(directory, text, files, budget=budget, as_json=as_json, out=out, environ={})
    assert code == exit_codes.OK
    return out.getvalue()


def test_list_shows_each_skill_as_a_row_of_the_table(skilled: Path) -> None:
    assert listed(skilled).splitlines() == [
        "name           tokens  keywords            files          description",
        "db-migrations  12      migration, alembic  app/models/**  Changing the database schema",
        "guide          1000    database            -              The whole database guide",
        "release        5       -                   -              Cutting a release",
    ]


def test_list_as_json_and_from_a_subdirectory(skilled: Path) -> None:
    (skilled / "pkg").mkdir(exist_ok=True)
    rows = json.loads(listed(skilled / "pkg", as_json=True))
    assert rows[0] == {
        "name": "db-migrations",
        "path": ".talkgit/skills/db.md",
        "description": "Changing the database schema",
        "keywords": ["migration", "alembic"],
        "files": ["app/models/**"],
        "tokens": 12,
    }
    assert [row["name"] for row in rows] == ["db-migrations", "guide", "release"]


def test_list_says_when_there_are_no_skills(repo: Path) -> None:
    assert listed(repo) == "no skills in .talkgit/skills\n"
    assert json.loads(listed(repo, as_json=True)) == []


def test_match_scores_every_skill_and_chooses_within_the_configured_budget(skilled: Path) -> None:
    commit_file(skilled, "pyproject.toml", "[tool.talkgit]\nskill_tokens = 500\n")
    lines = matched(skilled, "Add a migration to the database", ("app/models/user.py",))
    assert lines.splitlines() == [
        "budget 500 tokens: 1 chosen, 12 tokens",
        "chosen  score  tokens  skill          why",
        "yes     6      12      db-migrations  keyword 'migration'; "
        "file app/models/user.py ~ app/models/**; word 'database'",
        "no      4      1000    guide          keyword 'database'; word 'database' "
        "(does not fit: 1000 tokens, 488 left)",
        "no      0      5       release        nothing matches",
    ]


def test_match_budget_defaults_to_1500_and_an_explicit_budget_wins(skilled: Path) -> None:
    assert matched(skilled, "database").startswith("budget 1500 tokens: 2 chosen, 1012 tokens\n")
    assert matched(skilled, "database", budget=0).startswith("budget 0 tokens: 0 chosen, 0 ")


def test_match_as_json(skilled: Path) -> None:
    document = json.loads(matched(skilled, "cut a release", budget=100, as_json=True))
    assert document["budget"] == 100
    assert document["chosen"] == ["release"]
    assert document["chosen_tokens"] == 5
    first = document["skills"][0]
    assert (first["name"], first["score"], first["selected"]) == ("release", 1.0, True)
    assert first["reasons"] == ["word 'release'"]
    assert [s["selected"] for s in document["skills"][1:]] == [False, False]


def test_match_with_files_only(skilled: Path) -> None:
    document = json.loads(matched(skilled, "", ("app/models/a.py",), as_json=True))
    assert document["chosen"] == ["db-migrations"]


def test_match_says_when_there_are_no_skills(repo: Path) -> None:
    assert matched(repo, "anything") == "no skills in .talkgit/skills\n"


def test_match_needs_text_or_files_and_a_budget_of_0_or_more(skilled: Path) -> None:
    out = io.StringIO()
    with pytest.raises(UsageError, match="nothing to match"):
        match_skills(skilled, "  ", (), budget=None, as_json=False, out=out)
    with pytest.raises(UsageError, match="--budget must be 0 or more, not -1"):
        match_skills(skilled, "db", (), budget=-1, as_json=False, out=out)
    assert out.getvalue() == ""


def test_a_bad_skill_file_or_setting_is_a_config_error(skilled: Path) -> None:
    (skilled / ".talkgit/skills/bad.md").write_text("---\ndescription: d\nkeywords: x\n---\nb\n")
    with pytest.raises(ConfigError, match=r"^\.talkgit/skills/bad\.md: keywords: expected a list"):
        listed(skilled)
    (skilled / ".talkgit/skills/bad.md").unlink()
    out = io.StringIO()
    with pytest.raises(ConfigError, match="TALKGIT_SKILL_TOKENS: must be >= 0"):
        match_skills(
            skilled,
            "db",
            (),
            budget=None,
            as_json=False,
            out=out,
            environ={"TALKGIT_SKILL_TOKENS": "-5"},
        )


def test_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError):
        listed(tmp_path)


DOCS = Path(__file__).parents[2] / "docs" / "skills.md"


def test_the_documented_example_runs_as_documented(repo: Path) -> None:
    docs = DOCS.read_text()
    example = docs.split("```markdown\n", 1)[1].split("```", 1)[0]
    commit_file(repo, ".talkgit/skills/db.md", example)
    release = "---\nname: release\ndescription: Cutting a release\n---\n" + "r" * 78 + "\n"
    commit_file(repo, ".talkgit/skills/release.md", release)
    command = '$ talkgit skills match "Add a migration for the users table in the database"'
    shown = docs.split(command, 1)[1].split("\n", 1)[1].split("```", 1)[0]
    text = "Add a migration for the users table in the database"
    assert matched(repo, text, ("app/models/user.py",)) == shown
    listing = docs.split("$ talkgit skills list\n", 1)[1].split("```", 1)[0]
    assert listed(repo) == listing


def test_the_cli_lists_and_matches(skilled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from talkgit.cli import main

    assert main(["-C", str(skilled), "skills", "list", "--json"]) == exit_codes.OK
    names = [skill["name"] for skill in json.loads(capsys.readouterr().out)]
    assert names == ["db-migrations", "guide", "release"]
    args = ["skills", "match", "a migration", "--file", "app/models/user.py", "--budget", "50"]
    assert main(["-C", str(skilled), *args, "--json"]) == exit_codes.OK
    document = json.loads(capsys.readouterr().out)
    assert document["budget"] == 50
    assert document["chosen"] == ["db-migrations"]
