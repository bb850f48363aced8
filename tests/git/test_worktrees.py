from __future__ import annotations

from pathlib import Path

from talkgit.edits.model import FileChange
from talkgit.git import worktrees
from talkgit.git.repo import GitRepo
from talkgit.git.trees import create_commit
from tests.support.gitrepo import fsck, git, user_state


def test_materialize_creates_reuses_and_removes(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    before = user_state(repo)
    first = opened.head()
    second = create_commit(
        opened,
        base=first,
        changes=[FileChange("pkg/mod.py", None), FileChange("new.py", b"N = 2\n")],
        message="c\n",
    )
    path = worktrees.materialize(opened, "gates", first)
    # Outside the checkout: tools that look up for configuration must not find the user's.
    assert not path.resolve().is_relative_to(repo.resolve())
    assert (path.parent.parent.parent.stat().st_mode & 0o777) == 0o700
    assert (path / "pkg" / "mod.py").read_text() == "X = 1\n"
    (path / "junk.pyc").write_text("left by a tool")

    again = worktrees.materialize(opened, "gates", second)
    assert again == path
    assert (path / "new.py").read_text() == "N = 2\n"
    assert not (path / "pkg" / "mod.py").exists()
    assert not (path / "junk.pyc").exists()
    assert git(path, "rev-parse", "HEAD").strip() == second
    assert user_state(repo) == before

    worktrees.remove(opened, "gates")
    assert not path.exists()
    assert str(path) not in git(repo, "worktree", "list")
    fsck(repo)


def test_a_half_made_worktree_is_replaced(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    broken = worktrees.worktree_path(opened, "tests")
    broken.mkdir(parents=True)
    (broken / "stray").write_text("x")
    path = worktrees.materialize(opened, "tests", opened.head())
    assert (path / "README.md").exists() and not (path / "stray").exists()


def _commit_links(repo: Path, outside: Path) -> str:
    (repo / "leak.py").symlink_to(outside / ".env")
    (repo / "linked").symlink_to(outside)
    git(repo, "add", "leak.py", "linked")
    git(repo, "commit", "-q", "-m", "links")
    return git(repo, "rev-parse", "HEAD").strip()


def test_links_are_checked_out_as_files_holding_their_text(repo: Path, tmp_path: Path) -> None:
    commit = _commit_links(repo, tmp_path)
    path = worktrees.materialize(GitRepo.discover(repo), "gates", commit)
    for name, text in (("leak.py", f"{tmp_path}/.env"), ("linked", str(tmp_path))):
        assert not (path / name).is_symlink()
        assert (path / name).read_text() == text


def test_a_worktree_made_with_links_is_made_again(repo: Path, tmp_path: Path) -> None:
    commit = _commit_links(repo, tmp_path)
    opened = GitRepo.discover(repo)
    path = worktrees.worktree_path(opened, "gates")
    path.parent.mkdir(parents=True)
    git(repo, "worktree", "add", "-q", "--detach", str(path), commit)  # as talkgit once did
    assert (path / "leak.py").is_symlink()
    assert worktrees.materialize(opened, "gates", commit) == path
    assert not (path / "leak.py").is_symlink()
    assert worktrees.materialize(opened, "gates", commit) == path  # and kept from then on
    assert not (path / "leak.py").is_symlink()
