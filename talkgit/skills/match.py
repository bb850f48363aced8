"""Which skills fit a step: a relevance score anyone can recompute, and a token budget.

Points, each with the reason that earned it:

- 3 for each of the skill's keywords found in the text as a whole word or phrase;
- 2 for each of the step's files matching one of the skill's globs, at most 3 files;
- 1 for each distinct word of 3+ letters that the text shares with the skill's name and
  description, common English words left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Final

from talkgit.globs import glob_matches
from talkgit.skills.library import Skill

KEYWORD_POINTS: Final = 3
FILE_POINTS: Final = 2
WORD_POINTS: Final = 1
MAX_FILES: Final = 3  # a step touching fifty files should not drown the other signals
MIN_WORD: Final = 3

# Common English words: shared with a description, they say nothing about relevance.
# fmt: off
STOP_WORDS: Final = frozenset({
    "about", "after", "all", "also", "and", "any", "are", "been", "before", "but", "can",
    "could", "does", "each", "for", "from", "had", "has", "have", "how", "into", "its", "more",
    "most", "not", "now", "only", "other", "our", "out", "over", "should", "some", "such",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "through", "use", "used", "uses", "using", "was", "were", "what", "when", "where", "which",
    "while", "who", "will", "with", "without", "would", "you", "your",
})
# fmt: on

_WORD: Final = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class SkillMatch:
    """How well one skill fits a step, why, and whether it was chosen within the budget."""

    skill: Skill
    score: float
    reasons: tuple[str, ...]
    selected: bool = False


def score_skills(skills: Iterable[Skill], text: str, files: Sequence[str] = ()) -> list[SkillMatch]:
    """Every skill scored against a step's goal ``text`` and ``files``, best first.

    Ties go by name, so the order is the same on every machine. Nothing is selected.
    """
    words = _words(text)
    paths = _distinct(_normal_path(path) for path in files)
    matches = [_score(skill, text, words, paths) for skill in skills]
    return sorted(matches, key=lambda match: (-match.score, match.skill.name))


def select_skills(
    skills: Iterable[Skill], text: str, files: Sequence[str], budget_tokens: int
) -> list[SkillMatch]:
    """``score_skills``, with ``selected`` set on the skills a prompt gets.

    Highest score first, a skill is chosen when its tokens fit what is left of
    ``budget_tokens``; one that does not fit is skipped and a smaller one after it may
    still fit. A skill that scores 0 is never chosen.
    """
    left = budget_tokens
    chosen: list[SkillMatch] = []
    for match in score_skills(skills, text, files):
        fits = match.score > 0 and match.skill.tokens <= left
        if fits:
            left -= match.skill.tokens
        chosen.append(replace(match, selected=fits))
    return chosen


def _score(skill: Skill, text: str, words: frozenset[str], paths: Sequence[str]) -> SkillMatch:
    keywords = _found_keywords(skill.keywords, text)
    files = _matched_files(skill.files, paths)
    shared = sorted(words & _words(f"{skill.name} {skill.description}"))
    points = KEYWORD_POINTS * len(keywords) + FILE_POINTS * len(files) + WORD_POINTS * len(shared)
    reasons = (
        *(f"keyword {keyword!r}" for keyword in keywords),
        *(f"file {path} ~ {glob}" for path, glob in files),
        *(f"word {word!r}" for word in shared),
    )
    return SkillMatch(skill, float(points), reasons)


def _found_keywords(keywords: Iterable[str], text: str) -> list[str]:
    distinct = _distinct(keywords, key=str.casefold)
    return [keyword for keyword in distinct if _phrase(keyword).search(text)]


def _matched_files(globs: Sequence[str], paths: Sequence[str]) -> list[tuple[str, str]]:
    matched: list[tuple[str, str]] = []
    for path in paths:
        glob = next((glob for glob in globs if glob_matches(glob, path)), None)
        if glob is not None:
            matched.append((path, glob))
    return matched[:MAX_FILES]


@lru_cache(maxsize=512)
def _phrase(keyword: str) -> re.Pattern[str]:
    """``keyword`` as a whole word or phrase: any run of spaces between its words."""
    body = r"\s+".join(re.escape(part) for part in keyword.split())
    # Look-arounds, not \b: a keyword may begin or end with a non-word character (c++).
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def _words(text: str) -> frozenset[str]:
    found = (word.casefold() for word in _WORD.findall(text))
    return frozenset(w for w in found if len(w) >= MIN_WORD and w not in STOP_WORDS)


def _normal_path(path: str) -> str:
    return path.strip().removeprefix("./")


def _distinct(items: Iterable[str], key: Callable[[str], str] = str) -> list[str]:
    """``items`` without repeats (as ``key`` sees them), in their first order."""
    seen: set[str] = set()
    kept: list[str] = []
    for item in items:
        marker = key(item)
        if marker not in seen:
            seen.add(marker)
            kept.append(item)
    return kept
