from __future__ import annotations

import pytest

from talkgit.skills.library import Skill
from talkgit.skills.match import SkillMatch, score_skills, select_skills


def skill(
    name: str,
    description: str = "",
    keywords: tuple[str, ...] = (),
    files: tuple[str, ...] = (),
    tokens: int = 10,
) -> Skill:
    return Skill(name, description or name, keywords, files, "x" * (tokens * 4), f"{name}.md")


def only(matches: list[SkillMatch]) -> SkillMatch:
    (match,) = matches
    return match


def test_each_keyword_found_as_a_whole_word_scores_3() -> None:
    db = skill("db", "zz", keywords=("migration", "Alembic", "schema change"))
    match = only(score_skills([db], "Write an alembic MIGRATION for the schema   change"))
    assert match.score == 9
    assert match.reasons == ("keyword 'migration'", "keyword 'Alembic'", "keyword 'schema change'")
    assert not match.selected


@pytest.mark.parametrize(
    ("keyword", "text", "found"),
    [
        ("migration", "migrations are hard", False),
        ("migration", "remigration", False),
        ("api", "the api_key", False),
        ("api", "the (api) layer", True),
        ("c++", "port it to C++.", True),
        ("c++", "port it to c", False),
        ("schema change", "schema-change", False),
        ("schema change", "a schema\nchange", True),
    ],
)
def test_keywords_match_whole_words_and_phrases_only(keyword: str, text: str, found: bool) -> None:
    match = only(score_skills([skill("s", "zz", keywords=(keyword,))], text))
    assert (match.score == 3) is found


def test_a_keyword_listed_twice_counts_once() -> None:
    match = only(score_skills([skill("s", "zz", keywords=("sql", "SQL"))], "sql"))
    assert match.reasons == ("keyword 'sql'",)


def test_each_file_matching_a_glob_scores_2_for_at_most_3_files() -> None:
    models = skill("models", "zz", files=("docs/*.md", "app/**/*.py"))
    files = ["app/models.py", "./app/db/user.py", "app/models.py", "README.md", "app/a.py"]
    match = only(score_skills([models], "", files))
    assert match.reasons == (
        "file app/models.py ~ app/**/*.py",
        "file app/db/user.py ~ app/**/*.py",
        "file app/a.py ~ app/**/*.py",
    )
    assert match.score == 6
    more = only(score_skills([models], "", [*files, "app/b.py", "docs/x.md"]))
    assert more.score == 6


def test_globs_keep_star_inside_one_directory() -> None:
    top = skill("top", "zz", files=("*.py",))
    assert only(score_skills([top], "", ["setup.py"])).score == 2
    assert only(score_skills([top], "", ["pkg/mod.py"])).score == 0


def test_each_shared_meaningful_word_scores_1() -> None:
    db = skill("db-migrations", "How to change the Database schema for the users")
    match = only(score_skills([db], "Add the users table to the database, with migrations"))
    assert match.reasons == ("word 'database'", "word 'migrations'", "word 'users'")
    assert match.score == 3


def test_short_words_stop_words_and_numbers_do_not_score() -> None:
    text = "do it for the db with all of 2024 and then use it"
    assert (
        only(score_skills([skill("s", "Do it for the db with all 2024, then use")], text)).score
        == 0
    )


def test_points_add_up_over_keywords_files_and_words() -> None:
    db = skill("db", "Database migrations", keywords=("alembic",), files=("migrations/**",))
    match = only(score_skills([db], "alembic migrations", ["migrations/001.py"]))
    assert match.score == 3 + 2 + 1
    assert match.reasons == (
        "keyword 'alembic'",
        "file migrations/001.py ~ migrations/**",
        "word 'migrations'",
    )


def test_best_first_then_by_name() -> None:
    skills = [skill("b", "zz"), skill("c", "zz", keywords=("x",)), skill("a", "zz")]
    assert [m.skill.name for m in score_skills(skills, "x")] == ["c", "a", "b"]


def test_selection_takes_the_best_that_fit_and_skips_one_too_large() -> None:
    skills = [
        skill("best", "zz", keywords=("db", "sql"), tokens=600),
        skill("huge", "zz", keywords=("db",), files=("**",), tokens=900),
        skill("small", "zz", keywords=("db",), tokens=300),
        skill("unrelated", "zz", tokens=1),
    ]
    matches = select_skills(skills, "db sql", ["app.py"], budget_tokens=1000)
    assert [(m.skill.name, m.score, m.selected) for m in matches] == [
        ("best", 6, True),
        ("huge", 5, False),
        ("small", 3, True),
        ("unrelated", 0, False),
    ]


def test_a_skill_that_scores_0_is_never_chosen_whatever_the_budget() -> None:
    matches = select_skills([skill("s", "zz", tokens=1)], "nothing here", [], budget_tokens=10**6)
    assert not only(matches).selected


def test_a_budget_of_0_chooses_nothing_and_an_exact_fit_is_chosen() -> None:
    skills = [skill("s", "zz", keywords=("db",), tokens=50)]
    assert not only(select_skills(skills, "db", [], budget_tokens=0)).selected
    assert only(select_skills(skills, "db", [], budget_tokens=50)).selected
