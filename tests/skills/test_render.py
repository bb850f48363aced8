from __future__ import annotations

from talkgit.skills.library import Skill
from talkgit.skills.render import HEADING, skills_prompt


def test_the_prompt_has_a_heading_then_each_skill_under_its_name() -> None:
    skills = [
        Skill("db", "d", (), (), "Use alembic.\n\nAlways.", "db.md"),
        Skill("release", "r", (), (), "Bump the version.", "release.md"),
    ]
    assert skills_prompt(skills) == (
        f"{HEADING}\n\n## db\nUse alembic.\n\nAlways.\n\n## release\nBump the version.\n"
    )
    assert skills_prompt(skills).startswith("# Skills\n")


def test_no_skills_give_no_prompt_text() -> None:
    assert skills_prompt([]) == ""
