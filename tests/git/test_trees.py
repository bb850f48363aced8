from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talkgit.edits.model import FileChange
from talkgit.errors import EditError
from talkgit.git.repo import GitRepo
from talkgit.git.trees import create_commit
from tests.support.gitrepo import fsck, git, make_repo, user_state


def _files_at(repo: Path, commit: str) -> dict[str, tuple[str, bytes]]:
    """path -> (mode, bytes) at ``commit``, read with the plain git CLI."""
    listing = git(repo, "ls-tree", "-r", "-z", commit).split("\0")
    result = {}
    for row in filter(None, listing):
        meta, path = row.split("\t", 1)
        mode, _, sha = meta.split()
        data = subprocess_bytes(repo, "cat-file", "blob", sha)
        result[path] = (mode, data)
    return result


def subprocess_bytes(repo: Path, *args: str) -> bytes:
    import subprocess

    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True).stdout


def test_commit_in_memory_adds_modifies_deletes_and_keeps_bytes(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r", {"a.txt": "a\n", "dir/b.txt": "b\n", "only/c.txt": "c\n"})
    repo = GitRepo.discover(path)
    before = user_state(path)
    binary = bytes(range(256)) * 3
    sha = create_commit(
        repo,
        base=repo.head(),
        changes=[
            FileChange("a.txt", b"a2\n"),
            FileChange("dir/new/deep.bin", binary),
            FileChange("run.sh", b"#!/bin/sh\necho hi\n", executable=True),
            FileChange("only/c.txt", None),
        ],
        message="step\n",
    )
    files = _files_at(path, sha)
    assert files["a.txt"] == ("100644", b"a2\n")
    assert files["dir/new/deep.bin"] == ("100644", binary)
    assert files["run.sh"] == ("100755", b"#!/bin/sh\necho hi\n")
    assert files["dir/b.txt"] == ("100644", b"b\n")
    assert "only/c.txt" not in files
    assert "only" not in git(path, "ls-tree", "--name-only", sha).split()  # emptied dirs vanish
    assert git(path, "rev-parse", f"{sha}^").strip() == repo.head()
    assert user_state(path) == before
    fsck(path)


paths = st.sampled_from(["a.txt", "b.txt", "d/x.py", "d/y.py", "d/e/z.md", "f/g/h/i.txt"])
contents = st.one_of(st.none(), st.binary(max_size=40))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rounds=st.lists(
        st.dictionaries(paths, st.tuples(contents, st.booleans()), max_size=4), max_size=4
    )
)
def test_commits_match_a_model_of_the_files(tmp_path_factory, rounds) -> None:
    path = make_repo(tmp_path_factory.mktemp("prop") / "r", {"a.txt": "seed\n"})
    repo = GitRepo.discover(path)
    expected: dict[str, tuple[str, bytes]] = {"a.txt": ("100644", b"seed\n")}
    head = repo.head()
    for changes in rounds:
        for name, (data, executable) in changes.items():
            if data is None:
                expected.pop(name, None)
            else:
                expected[name] = ("100755" if executable else "100644", data)
        change_list = [FileChange(n, d, x) for n, (d, x) in changes.items()]
        head = create_commit(repo, base=head, changes=change_list, message="round\n")
        assert _files_at(path, head) == expected
    fsck(path)


def _git_write_tree(repo: Path, base: str, changes: list[FileChange]) -> str:
    """The tree git itself makes from ``base`` plus ``changes``, through a scratch index."""
    import os
    import subprocess

    env = {**os.environ, "GIT_INDEX_FILE": str(repo / ".git" / "scratch-index")}

    def run(*args: str, stdin: bytes | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, env=env, input=stdin, capture_output=True, check=True
        )
        return done.stdout.decode().strip()

    run("read-tree", base)
    for change in changes:
        if change.data is None:
            run("update-index", "--force-remove", change.path)
        else:
            blob = run("hash-object", "-w", "--stdin", stdin=change.data)
            mode = "100755" if change.executable else "100644"
            run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{change.path}")
    return run("write-tree")


def _tree_of(repo: GitRepo, commit: str) -> str:
    return str(repo.commit(commit).tree_id)


# A wide directory whose names have spaces and digits, and one file whose name ends in
# another entry's whole record ("100644 b.py"): with equal contents, that record occurs
# twice in the tree's bytes.
WIDE = {f"w/{index:03d} name {index}.py": f"N = {index}\n" for index in range(300)}
CRAFTED = {**WIDE, "w/b.py": "same\n", "w/x 100644 b.py": "same\n", "top.txt": "t\n"}


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize(
    "changes",
    [
        [FileChange("w/150 name 150.py", b"N = -1\n")],  # one id swapped in a wide tree
        [FileChange("w/007 name 7.py", b"run\n", executable=True)],  # and its mode
        [FileChange("w/b.py", b"changed\n")],  # its record occurs twice: rebuilt instead
        [FileChange("w/b.py", b"x\n"), FileChange("top.txt", None)],  # a removal: rebuilt
        [FileChange("w/new.py", b"new\n"), FileChange("w/000 name 0.py", b"0\n")],
    ],
)
def test_every_tree_is_the_one_git_makes(
    tmp_path: Path, changes: list[FileChange], batched: bool
) -> None:
    path = make_repo(tmp_path / "r", CRAFTED)
    repo = GitRepo.discover(path)
    base = repo.head()
    if batched:
        with repo.batch():
            sha = create_commit(repo, base=base, changes=changes, message="c\n")
    else:
        sha = create_commit(repo, base=base, changes=changes, message="c\n")
    assert _tree_of(repo, sha) == _git_write_tree(path, base, changes)
    assert git(path, "rev-parse", f"{sha}^{{tree}}").strip() == _tree_of(repo, sha)
    fsck(path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            [FileChange("newdir/inner.txt", b"in\n"), FileChange("newdir", b"out\n")],
            "both a file and a directory at 'newdir'",
        ),
        (
            [FileChange("newdir", b"out\n"), FileChange("newdir/inner.txt", b"in\n")],
            "both a file and a directory at 'newdir'",
        ),
        ([FileChange("a.txt/inner.txt", b"in\n")], "puts files under 'a.txt', which is a file"),
        ([FileChange("dir", b"flat\n")], "writes a file at 'dir', which is a directory"),
    ],
)
def test_a_path_that_would_be_both_a_file_and_a_directory_is_refused(
    tmp_path: Path, changes: list[FileChange], message: str
) -> None:
    path = make_repo(tmp_path / "r", {"a.txt": "a\n", "dir/b.txt": "b\n"})
    repo = GitRepo.discover(path)
    with pytest.raises(EditError, match=message):
        create_commit(repo, base=repo.head(), changes=changes, message="step\n")
    assert git(path, "ls-tree", "-r", "--name-only", "HEAD").split() == ["a.txt", "dir/b.txt"]
