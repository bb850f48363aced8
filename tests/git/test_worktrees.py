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
