from __future__ import annotations

from pathlib import Path

import pytest

from talkgit.errors import NotFoundError, RepositoryError
from talkgit.git.repo import GitRepo
from tests.support.gitrepo import commit_file, git, make_repo


def test_discovers_the_repository_from_a_subdirectory(repo: Path) -> None:
    opened = GitRepo.discover(repo / "pkg")
    assert opened.workdir.resolve() == repo.resolve()
    assert opened.head() == git(repo, "rev-parse", "HEAD").strip()


def test_not_a_repository_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="not a git repository"):
        GitRepo.discover(tmp_path)


def test_bare_repository_is_refused(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "bare.git")
    with pytest.raises(RepositoryError, match="bare repository"):
        GitRepo.discover(tmp_path / "bare.git")


def test_empty_repository_is_refused(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "empty")
    with pytest.raises(RepositoryError, match="no commit yet"):
        GitRepo.discover(tmp_path / "empty")


def test_detached_head_works(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    commit_file(repo, "b.txt", "b\n")
    git(repo, "checkout", "-q", "--detach", first)
    assert GitRepo.discover(repo).head() == first


def test_shallow_clone_opens_but_refuses_history_work(repo: Path, tmp_path: Path) -> None:
    commit_file(repo, "b.txt", "b\n")
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", "shallow")
    opened = GitRepo.discover(tmp_path / "shallow")
    assert opened.is_shallow
    assert opened.head() == git(repo, "rev-parse", "HEAD").strip()
    with pytest.raises(RepositoryError, match=r"shallow clone.*--unshallow"):
        opened.require_history("blame")
    GitRepo.discover(repo).require_history("blame")


def test_resolve_names_the_unknown_revision(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    assert opened.resolve("main") == git(repo, "rev-parse", "main").strip()
    with pytest.raises(NotFoundError, match="unknown revision: nope"):
        opened.resolve("nope")


def test_private_dir_is_the_common_git_dir_even_from_a_linked_worktree(
    repo: Path, tmp_path: Path
) -> None:
    git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "linked"))
    opened = GitRepo.discover(tmp_path / "linked")
    assert opened.private_dir == (repo / ".git" / "talkgit").resolve()


def test_read_file_returns_bytes_or_none(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r", {"a.txt": "alpha\n"})
    opened = GitRepo.discover(path)
    assert opened.read_file(opened.head(), "a.txt") == b"alpha\n"
    assert opened.read_file(opened.head(), "missing") is None
