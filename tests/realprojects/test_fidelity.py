"""`talkgit check` on real projects reports what ruff, mypy and bandit report by hand.

Two released versions of each project (see tests/support/fidelity.py for the projects and
the oracle) are committed as base and head; talkgit must miss nothing, invent nothing,
put every finding on the line the tool gives, and call new exactly what the change adds.
"""

from __future__ import annotations

import pytest

from tests.support.fidelity import PROJECTS, TOOLS, ProjectCheck, check_project
from tests.support.sdists import CACHE_DIR


@pytest.fixture(scope="module", params=PROJECTS, ids=[project.id for project in PROJECTS])
def checked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> ProjectCheck:
    project = request.param
    result = check_project(project, tmp_path_factory.mktemp(project.id))
    if result is None:
        versions = f"{project.name} {project.base} and {project.head}"
        pytest.skip(f"no sdists of {versions}: registry unreachable, or {CACHE_DIR} unwritable")
    return result


@pytest.mark.parametrize("tool", TOOLS)
def test_same_findings_as_by_hand(checked: ProjectCheck, tool: str) -> None:
    problem = checked.comparisons[tool].findings_problem()
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.mark.parametrize("tool", TOOLS)
def test_new_means_added_by_the_change(checked: ProjectCheck, tool: str) -> None:
    problem = checked.comparisons[tool].attribution_problem()
    if problem:
        pytest.fail(problem, pytrace=False)


def test_every_project_has_findings_to_compare(checked: ProjectCheck) -> None:
    # A comparison of two empty lists proves nothing: each project must give the oracle
    # findings in its changed files.
    assert sum(c.agree + len(c.missed) for c in checked.comparisons.values()) > 0
