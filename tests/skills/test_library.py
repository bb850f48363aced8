from __future__ import annotations

from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.errors import ConfigError
from talkgit.skills.library import SKILLS_DIR, Skill, load_skills, parse_skill

DB = """---
name: db-migrations
description: >
  How to change the
  database schema
keywords: [migration, alembic]
files: ["app/models/**", "migrations/*.py"]
---

Every schema change gets an Alembic revision.

Run `alembic upgrade head` before the tests.
"""


def write_skills(root: Path, files: dict[str, str | bytes]) -> Path:
    folder = root / SKILLS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
    return root


def test_a_skill_file_is_read_with_its_front_matter_and_body(tmp_path: Path) -> None:
    (skill,) = load_skills(write_skills(tmp_path, {"db.md": DB}))
    assert skill == Skill(
        name="db-migrations",
        description="How to change the database schema",
        keywords=("migration", "alembic"),
        files=("app/models/**", "migrations/*.py"),
        body="Every schema change gets an Alembic revision.\n\n"
        "Run `alembic upgrade head` before the tests.",
        path=".talkgit/skills/db.md",
    )
    assert skill.tokens == -(-len(skill.body) // 4)


def test_name_defaults_to_the_file_name_and_lists_to_empty(tmp_path: Path) -> None:
    text = "---\ndescription: Cutting a release\n---\nBump the version.\n"
    (skill,) = load_skills(write_skills(tmp_path, {"release-steps.md": text}))
    assert (skill.name, skill.keywords, skill.files) == ("release-steps", (), ())
    assert skill.body == "Bump the version."


def test_skills_come_sorted_by_file_name_and_only_from_the_folder_itself(tmp_path: Path) -> None:
    skill = "---\ndescription: d\n---\nbody\n"
    write_skills(
        tmp_path,
        {"b.md": skill, "a.md": skill, "notes.txt": "not a skill", "drafts/c.md": skill},
    )
    assert [s.path for s in load_skills(tmp_path)] == [
        ".talkgit/skills/a.md",
        ".talkgit/skills/b.md",
    ]


def test_no_skills_folder_means_no_skills(tmp_path: Path) -> None:
    assert load_skills(tmp_path) == ()


def test_tokens_round_up() -> None:
    skill = parse_skill("---\ndescription: d\n---\n12345\n", "x.md")
    assert skill.tokens == 2


def test_windows_line_endings_and_a_byte_order_mark_are_read() -> None:
    text = "\ufeff---\r\nname: crlf\r\ndescription: d\r\n---\r\nbody\r\n"
    skill = parse_skill(text, "x.md")
    assert (skill.name, skill.description, skill.body) == ("crlf", "d", "body")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("# just markdown\n", "no front matter: the file must start with a '---' line"),
        ("", "no front matter"),
        ("---\ndescription: d\nbody\n", "front matter: no closing '---' line"),
        ("---\ndescription: [d\n---\nbody\n", "front matter is not valid YAML: line 3:"),
        ("---\n- a list\n---\nbody\n", "front matter: expected keys (name, description, ...)"),
        ("---\n---\nbody\n", "front matter: expected keys"),
        ("---\nname: x\n---\nbody\n", "description: is required"),
        ("---\ndescription: d\nglobs: [a]\n---\nbody\n", "globs: unknown key (expected name, "),
        ("---\ndescription: d\nkeywords: migration\n---\nb\n", "keywords: expected a list of "),
        ("---\ndescription: d\nkeywords: [a, 2]\n---\nb\n", "keywords: expected a list of str"),
        ("---\ndescription: d\nkeywords: [a, ' ']\n---\nb\n", "keywords: item 2 must not be "),
        ("---\ndescription: d\nfiles: {a: 1}\n---\nb\n", "files: expected a list of path globs"),
        ("---\ndescription: 3\n---\nb\n", "description: expected a string"),
        ("---\ndescription: ''\n---\nb\n", "description: must not be empty"),
        ("---\nname: [x]\ndescription: d\n---\nb\n", "name: expected a string"),
        ('---\nname: "a\\nb"\ndescription: d\n---\nb\n', "name: must be one line"),
        ("---\ndescription: d\n---\n\n  \n", "the playbook is empty"),
    ],
)
def test_a_bad_skill_file_is_one_line_naming_the_file_and_the_key(
    tmp_path: Path, text: str, error: str
) -> None:
    write_skills(tmp_path, {"db.md": text})
    with pytest.raises(ConfigError) as raised:
        load_skills(tmp_path)
    message = str(raised.value)
    assert message.startswith(".talkgit/skills/db.md: ")
    assert error in message
    assert "\n" not in message
    assert raised.value.exit_code == exit_codes.CONFIG


def test_two_skills_with_one_name_are_refused(tmp_path: Path) -> None:
    write_skills(
        tmp_path,
        {
            "a.md": "---\nname: db\ndescription: d\n---\nbody\n",
            "b.md": "---\nname: db\ndescription: e\n---\nbody\n",
        },
    )
    with pytest.raises(ConfigError) as raised:
        load_skills(tmp_path)
    assert str(raised.value) == (
        ".talkgit/skills/b.md: name: 'db' is already the name of .talkgit/skills/a.md"
    )


def test_a_file_named_like_another_skill_is_refused(tmp_path: Path) -> None:
    write_skills(
        tmp_path,
        {
            "db.md": "---\ndescription: d\n---\nbody\n",
            "other.md": "---\nname: db\ndescription: e\n---\nbody\n",
        },
    )
    with pytest.raises(
        ConfigError, match=r"other\.md: name: 'db' is already the name of \.talkgit/skills/db\.md$"
    ):
        load_skills(tmp_path)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    write_skills(tmp_path, {"db.md": b"---\ndescription: caf\xe9\n---\nbody\n"})
    with pytest.raises(ConfigError, match=r"^\.talkgit/skills/db\.md: not UTF-8 text"):
        load_skills(tmp_path)


def test_talkgits_own_skills_load() -> None:
    skills = load_skills(Path(__file__).resolve().parents[2])
    assert "talkgit-tests" in [skill.name for skill in skills]
