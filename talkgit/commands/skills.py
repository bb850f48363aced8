"""`talkgit skills list` and `talkgit skills match`: the playbooks, and which fit a step."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from talkgit import exit_codes
from talkgit.config import load_settings, read_from_directory
from talkgit.errors import UsageError
from talkgit.git.repo import GitRepo
from talkgit.skills.library import SKILLS_DIR, Skill, load_skills
from talkgit.skills.match import SkillMatch, select_skills

NO_SKILLS = f"no skills in {SKILLS_DIR}"


def list_skills(directory: Path, *, as_json: bool, out: TextIO) -> int:
    """Every skill of the repository: name, size in tokens, keywords, globs, description."""
    skills = load_skills(GitRepo.discover(directory).workdir)
    if as_json:
        out.write(json.dumps([_skill_dict(skill) for skill in skills], indent=2) + "\n")
    elif not skills:
        out.write(NO_SKILLS + "\n")
    else:
        rows = [
            (s.name, str(s.tokens), _joined(s.keywords), _joined(s.files), s.description)
            for s in skills
        ]
        out.write(_table(("name", "tokens", "keywords", "files", "description"), rows))
    return exit_codes.OK


def match_skills(
    directory: Path,
    text: str,
    files: Sequence[str],
    *,
    budget: int | None,
    as_json: bool,
    out: TextIO,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Every skill scored against ``text`` and ``files``, with its reasons and whether a
    step's prompt would get it within ``budget`` tokens (default: the ``skill_tokens`` setting).
    """
    if not text.strip() and not files:
        raise UsageError("nothing to match: give the step's goal as TEXT, or --file PATH")
    if budget is not None and budget < 0:
        raise UsageError(f"--budget must be 0 or more, not {budget}")
    repo = GitRepo.discover(directory)
    if budget is None:
        settings = load_settings(read_from_directory(repo.workdir), environ=environ)
        budget = settings.skill_tokens
    matches = select_skills(load_skills(repo.workdir), text, files, budget)
    if as_json:
        out.write(json.dumps(_match_document(matches, budget), indent=2) + "\n")
    elif not matches:
        out.write(NO_SKILLS + "\n")
    else:
        out.write(_describe_matches(matches, budget))
    return exit_codes.OK


def _joined(items: Sequence[str]) -> str:
    return ", ".join(items) or "-"


def _describe_matches(matches: Sequence[SkillMatch], budget: int) -> str:
    chosen = [match for match in matches if match.selected]
    used = sum(match.skill.tokens for match in chosen)
    header = f"budget {budget} tokens: {len(chosen)} chosen, {used} tokens\n"
    return header + _table(
        ("chosen", "score", "tokens", "skill", "why"), _match_rows(matches, budget)
    )


def _match_rows(matches: Sequence[SkillMatch], budget: int) -> list[tuple[str, ...]]:
    """One row per match: its reasons, and for one left out, what kept it out."""
    left = budget
    rows: list[tuple[str, ...]] = []
    for match in matches:
        why = "; ".join(match.reasons) or "nothing matches"
        if match.selected:
            left -= match.skill.tokens
        elif match.score > 0:
            why += f" (does not fit: {match.skill.tokens} tokens, {left} left)"
        chosen = "yes" if match.selected else "no"
        rows.append((chosen, f"{match.score:g}", str(match.skill.tokens), match.skill.name, why))
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns, two spaces apart; the last column is not padded."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    return "".join(_line(row, widths) for row in (header, *rows))


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = [cell.ljust(width) for cell, width in zip(cells[:-1], widths, strict=True)]
    return "  ".join([*padded, cells[-1]]).rstrip() + "\n"


def _skill_dict(skill: Skill) -> dict[str, Any]:
    return {
        "name": skill.name,
        "path": skill.path,
        "description": skill.description,
        "keywords": list(skill.keywords),
        "files": list(skill.files),
        "tokens": skill.tokens,
    }


def _match_document(matches: Sequence[SkillMatch], budget: int) -> dict[str, Any]:
    chosen = [match for match in matches if match.selected]
    return {
        "budget": budget,
        "chosen": [match.skill.name for match in chosen],
        "chosen_tokens": sum(match.skill.tokens for match in chosen),
        "skills": [_match_dict(match) for match in matches],
    }


def _match_dict(match: SkillMatch) -> dict[str, Any]:
    return {
        **_skill_dict(match.skill),
        "score": match.score,
        "reasons": list(match.reasons),
        "selected": match.selected,
    }
