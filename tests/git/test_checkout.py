"""Bringing commits into a user's branch: the finish commit, and the checkout following it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from talkgit.edits.model import FileChange
from talkgit.errors import ConcurrentUpdateError, UsageError
from talkgit.git.checkout import (
    CheckoutConflict,
    advance_branch,
    changed_paths,
    checked_out_branches,
    dirty_paths,
    finish_commit,
    head_branch,
    overlapping,
)
from talkgit.git.merge import MergeConflict
from talkgit.git.repo import GitRepo
from talkgit.git.transaction import Transaction
from talkgit.git.trees import create_commit
from tests.support.gitrepo import commit_file, fsck, git, user_state

MAIN = "refs/heads/main"


def _commit(repo: GitRepo, base: str, files: dict[str, str | None]) -> str:
    changes = [FileChange(p, None if t is None else t.encode()) for p, t in files.items()]
    return create_commit(repo, base=base, changes=changes, message="agent work\n")


def _refs(path: Path) -> str:
    return git(path, "for-each-ref", "--format=%(refname) %(objectname)")


def _checkout_view(path: Path) -> tuple[object, ...]:
    """The checkout's meaning, not its bytes: files, index entries, HEAD (index stats may move)."""
    files = {
        str(file.relative_to(path)): file.read_bytes()
        for file in path.rglob("*")
        if ".git" not in file.parts and file.is_file()
    }
    return files, git(path, "ls-files", "--stage"), git(path, "symbolic-ref", "HEAD")


# --- where branches are checked out --------------------------------------------------------


def test_head_branch_and_worktrees(repo: Path, tmp_path: Path) -> None:
    opened = GitRepo.discover(repo)
    assert head_branch(opened) == MAIN
    git(repo, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "wt"))
    branches = checked_out_branches(opened)
    assert branches[MAIN].resolve() == repo.resolve()
    assert branches["refs/heads/feature"].resolve() == (tmp_path / "wt").resolve()
    git(repo, "checkout", "-q", "--detach")
    assert head_branch(GitRepo.discover(repo)) is None


# --- the commit finish makes ----------------------------------------------------------------


def test_a_squash_on_an_unmoved_target_takes_the_integration_tree(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    base = opened.head()
    step = _commit(opened, base, {"pkg/mod.py": "X = 2\n"})
    work = _commit(opened, step, {"new.py": "N = 1\n"})
    squash = finish_commit(opened, base, work, "Squash\n", squash=True)
    assert git(repo, "rev-parse", f"{squash}^{{tree}}") == git(
        repo, "rev-parse", f"{work}^{{tree}}"
    )
    assert git(repo, "rev-list", "--parents", "-n1", squash).split()[1:] == [base]
    merge = finish_commit(opened, base, work, "Merge\n", squash=False)
    assert git(repo, "rev-list", "--parents", "-n1", merge).split()[1:] == [base, work]
    assert git(repo, "log", "-1", "--format=%B", merge) == "Merge\n\n"


def test_a_moved_target_gets_a_three_way_merge(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    base = opened.head()
    work = _commit(opened, base, {"pkg/mod.py": "X = 2\n"})
    moved = commit_file(repo, "README.md", "# changed by hand\n")
    squash = finish_commit(opened, moved, work, "Squash\n", squash=True)
    assert git(repo, "show", f"{squash}:README.md") == "# changed by hand\n"
    assert git(repo, "show", f"{squash}:pkg/mod.py") == "X = 2\n"
    assert git(repo, "rev-list", "--parents", "-n1", squash).split()[1:] == [moved]


def test_overlapping_changes_conflict(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    work = _commit(opened, opened.head(), {"pkg/mod.py": "X = 2\n"})
    moved = commit_file(repo, "pkg/mod.py", "X = 3\n")
    with pytest.raises(MergeConflict, match=r"pkg/mod\.py"):
        finish_commit(opened, moved, work, "Squash\n", squash=True)


def test_nothing_to_bring_in_is_refused(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    base = opened.head()
    work = _commit(opened, base, {"pkg/mod.py": "X = 2\n"})
    with pytest.raises(UsageError, match="nothing to finish"):
        finish_commit(opened, base, base, "Squash\n", squash=True)
    squashed = finish_commit(opened, base, work, "Squash\n", squash=True)
    with pytest.raises(UsageError, match="nothing to finish"):  # the same changes twice
        finish_commit(opened, squashed, work, "Squash\n", squash=True)


def test_unrelated_history_is_refused(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    orphan = create_commit(
        opened, base=None, changes=[FileChange("a", b"a\n")], message="orphan\n", parents=[]
    )
    with pytest.raises(UsageError, match="shares no history"):
        finish_commit(opened, orphan, opened.head(), "Squash\n", squash=True)


# --- what the user has in hand --------------------------------------------------------------


def test_dirty_paths_lists_every_kind_of_local_change(repo: Path) -> None:
    (repo / ".gitignore").write_text("build/\n*.log\n")
    commit_file(repo, "docs/old.md", "old\n")
    (repo / "README.md").write_text("modified\n")
    (repo / "staged.txt").write_text("s\n")
    git(repo, "add", "staged.txt")
    git(repo, "mv", "docs/old.md", "docs/new.md")
    (repo / "fresh" / "deep").mkdir(parents=True)
    (repo / "fresh" / "deep" / "u.py").write_text("u\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.o").write_text("o\n")
    (repo / "debug.log").write_text("l\n")
    index = (repo / ".git" / "index").read_bytes()
    assert dirty_paths(GitRepo.discover(repo)) == (
        ".gitignore",
        "README.md",
        "build/",
        "debug.log",
        "docs/new.md",
        "docs/old.md",
        "fresh/deep/u.py",
        "staged.txt",
    )
    assert (repo / ".git" / "index").read_bytes() == index  # a pure read


@pytest.mark.parametrize(
    ("dirty", "changed", "touched"),
    [
        (["a.py"], ["a.py"], ["a.py"]),
        (["a.py"], ["a.py.bak", "b/a.py"], []),
        (["pkg"], ["pkg/mod.py"], ["pkg"]),  # a file where the commit needs a directory
        (["pkg/mod.py"], ["pkg"], ["pkg/mod.py"]),  # and the other way round
        (["build/"], ["build/x.o"], ["build/"]),  # an ignored directory
        (["pkg2/x"], ["pkg/x"], []),
    ],
)
def test_overlapping(dirty: list[str], changed: list[str], touched: list[str]) -> None:
    assert overlapping(dirty, changed) == tuple(touched)


segments = st.lists(st.sampled_from(["a", "b", "a.py", "ab"]), min_size=1, max_size=3)


@given(dirty=segments, changed=segments)
def test_overlap_is_path_prefix_by_whole_segments(dirty: list[str], changed: list[str]) -> None:
    touched = bool(overlapping(["/".join(dirty)], ["/".join(changed)]))
    shorter = min(len(dirty), len(changed))
    assert touched == (dirty[:shorter] == changed[:shorter])


# --- moving the branch ---------------------------------------------------------------------


def _advance(repo: Path, branch: str, old: str, new: str, tx: Transaction | None = None) -> int:
    opened = GitRepo.discover(repo)
    return advance_branch(opened, tx or Transaction(opened), branch, old=old, new=new, run="r")


def test_the_checkout_follows_for_changed_paths_only(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    old = opened.head()
    new = _commit(opened, old, {"pkg/mod.py": "X = 2\n", "pkg/new.py": "N = 1\n"})
    (repo / "README.md").write_bytes(b"# mine\r\nno newline at the end")
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")
    (repo / "scratch.txt").write_text("untracked\n")
    assert _advance(repo, MAIN, old, new) == 2
    assert git(repo, "rev-parse", "HEAD").strip() == new
    assert (repo / "pkg" / "new.py").read_text() == "N = 1\n"
    assert (repo / "README.md").read_bytes() == b"# mine\r\nno newline at the end"
    assert (repo / "scratch.txt").read_text() == "untracked\n"
    assert git(repo, "status", "--porcelain") == " M README.md\nA  staged.txt\n?? scratch.txt\n"
    assert git(repo, "reflog", "-1", "--format=%H %gs", "HEAD").startswith(new)
    fsck(repo)


def test_a_touched_but_unchanged_file_is_not_in_the_way(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    old = opened.head()
    new = _commit(opened, old, {"pkg/mod.py": "X = 2\n"})
    mod = repo / "pkg" / "mod.py"
    mod.write_text("X = 1\n")  # the same bytes with a new stat: read-tree alone would refuse
    os.utime(mod, (1, 1))
    _advance(repo, MAIN, old, new)
    assert mod.read_text() == "X = 2\n"


@pytest.mark.parametrize(
    "touch",
    [
        "modified",
        "staged",
        "untracked",
        "ignored",
        "file-in-the-way",
    ],
)
def test_local_changes_on_changed_paths_are_refused_and_nothing_moves(
    repo: Path, touch: str
) -> None:
    opened = GitRepo.discover(repo)
    old = opened.head()
    new = _commit(opened, old, {"pkg/mod.py": "X = 2\n", "lib/new.py": "N = 1\n"})
    if touch == "modified":
        (repo / "pkg" / "mod.py").write_text("X = 'mine'\n")
    elif touch == "staged":
        (repo / "pkg" / "mod.py").write_text("X = 'mine'\n")
        git(repo, "add", "pkg/mod.py")
    elif touch == "untracked":
        (repo / "lib").mkdir()
        (repo / "lib" / "new.py").write_text("mine\n")
    elif touch == "ignored":  # read-tree would overwrite an ignored file without a word
        (repo / ".git" / "info" / "exclude").write_text("lib/\n")
        (repo / "lib").mkdir()
        (repo / "lib" / "new.py").write_text("mine\n")
    else:
        (repo / "lib").write_text("a file where a directory must go\n")
    state, refs = user_state(repo), _refs(repo)
    with pytest.raises(CheckoutConflict, match=r"(pkg/mod\.py|lib)") as caught:
        _advance(repo, MAIN, old, new)
    assert "nothing was changed" in str(caught.value) and "\n" not in str(caught.value)
    assert user_state(repo) == state and _refs(repo) == refs


def test_a_branch_not_checked_out_here_moves_without_touching_the_checkout(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    old = opened.head()
    git(repo, "branch", "release")
    new = _commit(opened, old, {"pkg/mod.py": "X = 2\n"})
    (repo / "pkg" / "mod.py").write_text("X = 'mine, on the same path'\n")
    state = user_state(repo)
    assert _advance(repo, "refs/heads/release", old, new) == 0
    assert git(repo, "rev-parse", "release").strip() == new
    git(repo, "branch", "-f", "release", old)  # user_state hashes the user's refs too
    assert user_state(repo) == state


def test_a_branch_checked_out_in_another_worktree_is_refused(repo: Path, tmp_path: Path) -> None:
    opened = GitRepo.discover(repo)
    old = opened.head()
    git(repo, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "wt"))
    new = _commit(opened, old, {"pkg/mod.py": "X = 2\n"})
    with pytest.raises(UsageError, match="feature is checked out in the worktree at"):
        _advance(repo, "refs/heads/feature", old, new)
    assert git(repo, "rev-parse", "feature").strip() == old


def test_a_merge_in_progress_is_refused(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "side")
    commit_file(repo, "pkg/mod.py", "X = 'side'\n")
    git(repo, "checkout", "-q", "main")
    old = commit_file(repo, "README.md", "# main\n")
    git(repo, "merge", "--no-commit", "--no-ff", "side")
    opened = GitRepo.discover(repo)
    new = _commit(opened, old, {"other.py": "O = 1\n"})
    with pytest.raises(UsageError, match="in progress here"):
        _advance(repo, MAIN, old, new)


def test_a_lost_compare_and_swap_puts_the_checkout_back(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    old = opened.head()
    new = _commit(opened, old, {"pkg/mod.py": "X = 2\n", "pkg/new.py": "N = 1\n"})
    (repo / "README.md").write_text("mine\n")
    git(repo, "branch", "taken")
    view, refs = _checkout_view(repo), _refs(repo)
    tx = Transaction(opened)
    tx.set_ref("refs/heads/taken", new, expected=None)  # it exists: the whole CAS fails
    with pytest.raises(ConcurrentUpdateError):
        _advance(repo, MAIN, old, new, tx)
    assert _checkout_view(repo) == view and _refs(repo) == refs
    assert git(repo, "status", "--porcelain") == " M README.md\n"
    assert not (repo / "pkg" / "new.py").exists()


def test_changed_paths_lists_both_sides(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    old = opened.head()
    new = _commit(opened, old, {"pkg/mod.py": None, "lib/a.py": "A\n"})
    assert changed_paths(opened, old, new) == ("lib/a.py", "pkg/mod.py")
