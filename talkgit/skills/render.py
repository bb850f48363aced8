"""The skills section of an agent's system prompt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from talkgit.skills.library import Skill

HEADING: Final = (
    "# Skills\n"
    "Playbooks this repository keeps for work like this step. Follow them where they apply."
)


def skills_prompt(skills: Sequence[Skill]) -> str:
    """The heading, then ``## <name>`` and the body of each skill; "" when there are none."""
    if not skills:
        return ""
    sections = (f"## {skill.name}\n{skill.body}" for skill in skills)
    return "\n\n".join((HEADING, *sections)) + "\n"
