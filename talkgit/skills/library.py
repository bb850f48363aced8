"""Reading skills: markdown playbooks with YAML front matter in ``.talkgit/skills/*.md``.

A skill file starts with a ``---`` line, YAML keys (``name``, ``description``,
``keywords``, ``files``), a closing ``---`` line, and then the playbook itself::

    ---
    name: db-migrations
    description: How to change the database schema
    keywords: [migration, alembic]
    files: ["app/models/**", "migrations/**"]
    ---
    Every schema change gets an Alembic revision ...

Every problem with a file is a ConfigError of one line naming the file and the key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, StrictStr, ValidationError
from pydantic_core import ErrorDetails

from talkgit.errors import ConfigError

SKILLS_DIR: Final = ".talkgit/skills"
# The same rough estimate the reviewer uses for its diff budget (github/reviewer.py).
CHARS_PER_TOKEN: Final = 4
_FENCE: Final = "---"


@dataclass(frozen=True)
class Skill:
    """One playbook: what it is for (front matter) and the text an agent is given (body)."""

    name: str
    description: str
    keywords: tuple[str, ...]
    files: tuple[str, ...]  # path globs, repository-relative
    body: str
    path: str  # repository-relative path of the skill's file

    @property
    def tokens(self) -> int:
        """An estimate of the body's size in tokens: what it costs in a prompt."""
        return math.ceil(len(self.body) / CHARS_PER_TOKEN)


def load_skills(root: Path) -> tuple[Skill, ...]:
    """The skills in ``root/.talkgit/skills/*.md``, by file name; none when there is no folder.

    Sub-folders are not read. Two files giving the same name is a ConfigError.
    """
    folder = root / SKILLS_DIR
    if not folder.is_dir():
        return ()
    files = sorted(p for p in folder.glob("*.md") if p.is_file())
    skills = tuple(read_skill(file, f"{SKILLS_DIR}/{file.name}") for file in files)
    _refuse_duplicates(skills)
    return skills


def read_skill(file: Path, path: str) -> Skill:
    """The skill in ``file``; ``path`` is how errors and provenance name it."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    return parse_skill(text, path)


def parse_skill(text: str, path: str) -> Skill:
    """The skill written in ``text`` (the contents of the file at ``path``)."""
    header, body = _split_front_matter(text, path)
    front = _front_matter(_load_yaml(header, path), path)
    body = body.strip("\r\n").rstrip()
    if not body.strip():
        raise ConfigError(f"{path}: the playbook is empty: write it after the closing '---'")
    return Skill(
        name=front.name or Path(path).stem,
        description=" ".join(front.description.split()),
        keywords=tuple(front.keywords),
        files=tuple(front.files),
        body=body,
        path=path,
    )


# --- the front matter ----------------------------------------------------------------------


def _split_front_matter(text: str, path: str) -> tuple[str, str]:
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != _FENCE:
        raise ConfigError(
            f"{path}: no front matter: the file must start with a '---' line, "
            "then name and description, then another '---' line"
        )
    for number, line in enumerate(lines[1:], 1):
        if line.rstrip() == _FENCE:
            return "".join(lines[1:number]), "".join(lines[number + 1 :])
    raise ConfigError(f"{path}: front matter: no closing '---' line")


def _load_yaml(header: str, path: str) -> dict[Any, Any]:
    try:
        data = yaml.safe_load(header)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # The header starts on the file's second line.
        where = f"line {mark.line + 2}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise ConfigError(f"{path}: front matter is not valid YAML: {where}{problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: front matter: expected keys (name, description, ...)")
    return data


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _one_line(value: str) -> str:
    if "\n" in value.strip():
        raise ValueError("must be one line")
    return _not_blank(value)


_Text = Annotated[StrictStr, AfterValidator(_not_blank)]


class _FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[StrictStr, AfterValidator(_one_line)] | None = None
    description: _Text
    keywords: list[_Text] = []
    files: list[_Text] = []


_KEYS: Final = ", ".join(_FrontMatter.model_fields)
# What each key must be, said the same way whether the list or one of its items is wrong.
_EXPECTED_TYPE: Final = {
    "name": "expected a string",
    "description": "expected a string",
    "keywords": "expected a list of strings",
    "files": "expected a list of path globs (strings)",
}


def _front_matter(data: dict[Any, Any], path: str) -> _FrontMatter:
    try:
        return _FrontMatter.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_explain(exc.errors()[0])}") from None


def _explain(problem: ErrorDetails) -> str:
    key = str(problem["loc"][0]) if problem["loc"] else "front matter"
    kind = problem["type"]
    if kind == "missing":
        return f"{key}: is required"
    if kind == "extra_forbidden":
        return f"{key}: unknown key (expected {_KEYS})"
    if kind == "value_error":
        reason = str(problem.get("ctx", {}).get("error", problem["msg"]))
        item = problem["loc"][1:2]
        return f"{key}: item {int(item[0]) + 1} {reason}" if item else f"{key}: {reason}"
    return f"{key}: {_EXPECTED_TYPE.get(key, problem['msg'])}"


def _refuse_duplicates(skills: Iterable[Skill]) -> None:
    seen: dict[str, str] = {}
    for skill in skills:
        if skill.name in seen:
            raise ConfigError(
                f"{skill.path}: name: {skill.name!r} is already the name of {seen[skill.name]}"
            )
        seen[skill.name] = skill.path
