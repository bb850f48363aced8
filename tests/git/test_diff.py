from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from talkgit.errors import NotFoundError
from talkgit.git.diff import Hunk, line_hunks, patch_text
from talkgit.git.repo import GitRepo
from talkgit.git.snapshot import changed_paths
from tests.support.gitrepo import commit_file, git, make_repo

BODY = "".join(f"line {n}\n" for n in range(1, 21))
_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


def git_hunks(repo: Path, base: str, head: str, path: str) -> tuple[Hunk, ...]:
    """The hunks plain `git diff -U0` prints (a count left out is 1)."""
    text = git(repo, "diff", "-U0", "--no-color", base, head, "--", path)
    return tuple(
        Hunk(int(a), int(b or 1), int(c), int(d or 1)) for a, b, c, d in _HEADER.findall(text)
    )


EDITS = {
    "insert at the top": "new\n" + BODY,
    "insert in the middle": BODY.replace("line 5\n", "line 5\nnew\nnew\n"),
    "repeat a later line above it": BODY.replace("line 3\n", "line 3\nline 9\n"),
    "delete": BODY.replace("line 7\nline 8\n", ""),
    "replace and append": BODY.replace("line 2\n", "two\n") + "line 21\n",
    "indented block added above an identical one": (
        "def f():\n    if a:\n        pass\n\n    if a:\n        pass\n"
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_the_hunks_are_those_git_diff_prints(tmp_path: Path, edit: str) -> None:
    start = "def f():\n    if a:\n        pass\n" if edit.startswith("indented") else BODY
    path = make_repo(tmp_path / "r", {"m.py": start})
    base = git(path, "rev-parse", "HEAD").strip()
    head = commit_file(path, "m.py", EDITS[edit])
    found = line_hunks(GitRepo.discover(path), base, head, ["m.py"])
    assert found == {"m.py": git_hunks(path, base, head, "m.py")}
    assert found["m.py"]


def test_added_deleted_unchanged_and_unknown_paths(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r", {"gone.py": "a\nb\n", "same.py": "s\n"})
    base = git(path, "rev-parse", "HEAD").strip()
    git(path, "rm", "-q", "gone.py")
    head = commit_file(path, "new.py", "x\ny\nz\n")
    found = line_hunks(
        GitRepo.discover(path), base, head, ["gone.py", "new.py", "same.py", "nowhere.py"]
    )
    assert found == {
        "gone.py": (Hunk(1, 2, 0, 0),),
        "new.py": (Hunk(0, 0, 1, 3),),
        "same.py": (),  # nothing moved
        "nowhere.py": (),
    }


def test_a_binary_file_is_left_out_and_a_mode_change_moves_nothing(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r", {"run.py": "print(1)\n", "blob.dat": "text\n"})
    base = git(path, "rev-parse", "HEAD").strip()
    (path / "blob.dat").write_bytes(b"\0\1\2binary")
    (path / "run.py").chmod(0o755)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "binary, executable")
    head = git(path, "rev-parse", "HEAD").strip()
    found = line_hunks(GitRepo.discover(path), base, head, ["blob.dat", "run.py"])
    assert found == {"run.py": ()}


def test_a_path_that_is_not_utf8_is_named_as_changed_paths_names_it(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r")
    base = git(path, "rev-parse", "HEAD").strip()
    (path / os.fsdecode(b"caf\xe9.py")).write_text("a = 1\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "latin-1 name")
    head = git(path, "rev-parse", "HEAD").strip()
    repo = GitRepo.discover(path)
    (name,) = changed_paths(repo, base, head)
    assert line_hunks(repo, base, head, [name]) == {name: (Hunk(0, 0, 1, 1),)}


def test_an_unknown_commit_is_said_so(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r")
    head = git(path, "rev-parse", "HEAD").strip()
    with pytest.raises(NotFoundError, match="no commit or tree 0000"):
        line_hunks(GitRepo.discover(path), "0" * 40, head, ["README.md"])


def test_patch_text_is_what_git_diff_prints(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r", {"m.py": BODY})
    base = git(path, "rev-parse", "HEAD").strip()
    head = commit_file(path, "m.py", EDITS["repeat a later line above it"])
    patch = patch_text(GitRepo.discover(path), base, head)
    assert patch.split("@@", 1)[1] == git(path, "diff", base, head).split("@@", 1)[1]
