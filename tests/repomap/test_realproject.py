"""The map of a real project: Flask 3.0.3's sdist, committed as it was released."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from talkgit.git.repo import GitRepo
from talkgit.repomap import build_index, cache_location, repository_map
from talkgit.repomap.rank import rank
from tests.support.gitrepo import git
from tests.support.sdists import require_sdist


@pytest.fixture(scope="module")
def flask(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sdist = require_sdist("flask", "3.0.3")
    path = tmp_path_factory.mktemp("flask") / "repo"
    shutil.copytree(sdist, path, symlinks=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "Flask 3.0.3")
    return path


@pytest.mark.parametrize(
    ("task", "about"),
    [
        ("make_response should accept a tuple of body, status and headers", "src/flask/app.py"),
        ("Blueprint.register_error_handler is not inherited", "src/flask/sansio/blueprints.py"),
        ("url_for ignores _anchor", "src/flask/helpers.py"),
    ],
)
def test_the_file_a_task_is_about_ranks_in_the_top_three(flask, task, about):
    repo = GitRepo.discover(flask)
    index = build_index(repo, repo.head(), cache_location(repo.private_dir))

    assert about in rank(index, task)[:3]


def test_the_map_of_a_task_names_what_it_is_about_within_budget(flask):
    repo = GitRepo.discover(flask)

    text = repository_map(
        repo,
        repo.head(),
        "make_response should accept a tuple of body, status and headers",
        (),
        1024,
        lambda text: len(text) // 4,
        cache_location(repo.private_dir),
    )

    assert text.startswith("src/flask/app.py\n")
    assert "    def make_response(self, rv: ft.ResponseReturnValue) -> Response" in text
    assert len(text) // 4 <= 1024
    assert text.splitlines()[-1].startswith("... and ")
