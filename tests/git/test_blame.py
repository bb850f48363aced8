from __future__ import annotations

import re
from pathlib import Path

import pytest

from talkgit.errors import NotFoundError, RepositoryError, UsageError
from talkgit.git.blame import blame_file, repository_path
from talkgit.git.repo import GitRepo
from tests.support.gitrepo import commit_file, git

_HEADER = re.compile(r"^([0-9a-f]{40}) \d+ (\d+)")


def _git_blame(repo: Path, path: str, revision: str = "HEAD") -> list[tuple[int, str, str]]:
    """(line, commit, text) for every line, as the git CLI blames it."""
    rows, current = [], ("", 0)
    for line in git(repo, "blame", "--line-porcelain", revision, "--", path).split("\n"):
        header = _HEADER.match(line)
        if header:
            current = (header[1], int(header[2]))
        elif line.startswith("\t"):
            rows.append((current[1], current[0], line[1:]))
    return rows


def _ours(repo: Path, path: str, revision: str = "HEAD") -> list[tuple[int, str, str]]:
    lines = blame_file(GitRepo.discover(repo), path, revision)
    return [(line.number, line.commit, line.text) for line in lines]


def test_each_line_is_owned_by_the_commit_git_blame_names(repo: Path) -> None:
    commit_file(repo, "doc.txt", "one\ntwo\nthree\nfour\n", "add doc")
    commit_file(repo, "doc.txt", "one\nTWO\nthree\nfour\nfive\n", "edit two, add five")
    commit_file(repo, "doc.txt", "zero\none\nTWO\nthree\nfour\nfive\n", "prepend zero")
    ours = _ours(repo, "doc.txt")
    assert ours == _git_blame(repo, "doc.txt")
    assert len({commit for _, commit, _ in ours}) == 3


def test_an_older_revision_is_blamed_as_it_was(repo: Path) -> None:
    first = commit_file(repo, "doc.txt", "a\nb\n", "add doc")
    commit_file(repo, "doc.txt", "a\nB\n", "edit")
    assert _ours(repo, "doc.txt", "HEAD~1") == [(1, first, "a"), (2, first, "b")]
    assert _ours(repo, "doc.txt", "HEAD~1") == _git_blame(repo, "doc.txt", "HEAD~1")


def test_a_missing_final_newline_and_an_empty_file(repo: Path) -> None:
    sha = commit_file(repo, "tail.txt", "x\ny", "no final newline")
    commit_file(repo, "empty.txt", "", "empty")
    assert _ours(repo, "tail.txt") == [(1, sha, "x"), (2, sha, "y")]
    assert _ours(repo, "empty.txt") == []


def test_a_file_that_is_not_committed_is_not_found(repo: Path) -> None:
    (repo / "draft.py").write_text("wip\n")
    opened = GitRepo.discover(repo)
    with pytest.raises(NotFoundError, match=r"^draft\.py is not a committed file at HEAD$"):
        blame_file(opened, "draft.py")
    with pytest.raises(NotFoundError, match="not a committed file"):
        blame_file(opened, "pkg")  # a directory
    with pytest.raises(NotFoundError, match="unknown revision: nope"):
        blame_file(opened, "README.md", "nope")


def test_a_shallow_clone_is_refused_not_misattributed(repo: Path, tmp_path: Path) -> None:
    commit_file(repo, "README.md", "# sample\n\nmore\n", "second")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    with pytest.raises(RepositoryError, match=r"blame needs full history.*shallow clone"):
        blame_file(GitRepo.discover(shallow), "README.md")


def test_paths_are_read_from_where_the_user_stands(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    assert repository_path(opened, repo / "pkg", "mod.py") == "pkg/mod.py"
    assert repository_path(opened, repo / "pkg", "../README.md") == "README.md"
    assert repository_path(opened, repo, str(repo / "pkg" / "mod.py")) == "pkg/mod.py"
    with pytest.raises(UsageError, match="outside the repository"):
        repository_path(opened, repo, "../elsewhere.py")
    with pytest.raises(UsageError, match="the repository itself"):
        repository_path(opened, repo / "pkg", "..")
