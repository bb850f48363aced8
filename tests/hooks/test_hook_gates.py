"""check-staged and check-push on real repositories and remotes: what each hook judges."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.checking import NOTHING_TO_CHECK
from talkgit.cli import main
from talkgit.commands.hook_gates import (
    PushRange,
    RefUpdate,
    check_push,
    check_staged,
    parse_updates,
    push_ranges,
)
from talkgit.errors import UsageError
from talkgit.git.repo import GitRepo
from tests.support.gitrepo import commit_file, git, make_repo

ZERO = "0" * 40
PLACEHOLDER = ("placeholder",)
SHELL = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A repository that already has a placeholder finding, in notes/old.md."""
    return make_repo(tmp_path / "legacy", {"notes/old.md": "TODO: old\n", "app.py": "X = 1\n"})


def _staged(repo: Path, **options: object) -> tuple[int, str]:
    out = io.StringIO()
    environ = options.pop("environ", dict(os.environ))
    code = check_staged(repo, environ=environ, out=out, **options)  # type: ignore[arg-type]
    return code, out.getvalue()


def _pushed(repo: Path, stdin: str | None, env: dict[str, str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    lines = None if stdin is None else io.StringIO(stdin)
    code = check_push(repo, "origin", stdin=lines, gates=PLACEHOLDER, environ=env or {}, out=out)
    return code, out.getvalue()


def _head(repo: Path, revision: str = "HEAD") -> str:
    return git(repo, "rev-parse", revision).strip()


def _remote(repo: Path) -> Path:
    remote = repo.parent / f"{repo.name}-remote.git"
    git(repo.parent, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    return remote


# --- check-staged ------------------------------------------------------------------------------


def test_a_staged_finding_blocks_and_an_old_one_does_not(legacy: Path) -> None:
    (legacy / "notes" / "new.md").write_text("Plan\nTODO: new\n")
    git(legacy, "add", "notes/new.md")
    code, out = _staged(legacy, gates=PLACEHOLDER)
    assert code == exit_codes.FAILURE
    assert "notes/new.md:2" in out and "todo" in out
    assert "old.md" not in out


def test_only_the_chosen_gates_run(legacy: Path) -> None:
    (legacy / "run.py").write_text(SHELL)
    git(legacy, "add", "run.py")
    code, out = _staged(legacy, gates=PLACEHOLDER)
    assert code == exit_codes.OK
    assert "placeholder" in out
    assert "mypy" not in out and "bandit" not in out and "B602" not in out


def test_the_index_git_is_committing_is_judged(legacy: Path, tmp_path: Path) -> None:
    # `git commit -a` hands its hooks another index through GIT_INDEX_FILE.
    (legacy / "app.py").write_text("X = 1  # TODO: later\n")
    other = tmp_path / "next-index"
    other.write_bytes((legacy / ".git" / "index").read_bytes())
    env = {**os.environ, "GIT_INDEX_FILE": str(other)}
    subprocess.run(["git", "add", "app.py"], cwd=legacy, env=env, check=True)
    code, out = _staged(legacy, gates=PLACEHOLDER, environ=env)
    assert code == exit_codes.FAILURE and "app.py:1" in out
    assert _staged(legacy, gates=PLACEHOLDER) == (exit_codes.OK, NOTHING_TO_CHECK)


def test_nothing_staged_answers_at_once(legacy: Path) -> None:
    (legacy / "app.py").write_text("X = 1  # TODO: not staged\n")
    assert _staged(legacy) == (exit_codes.OK, NOTHING_TO_CHECK)


def test_the_first_commit_has_nothing_to_compare_with(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.md").write_text("TODO\n")
    git(tmp_path, "add", "a.md")
    code, out = _staged(tmp_path)
    assert code == exit_codes.OK and "no commit yet" in out


def test_an_unknown_gate_is_a_usage_error(legacy: Path) -> None:
    commit_file(legacy, "b.md", "x\n")
    (legacy / "b.md").write_text("y\n")
    git(legacy, "add", "b.md")
    with pytest.raises(UsageError, match="unknown gate 'placeholders': the gates are bandit"):
        _staged(legacy, gates=("placeholders",))


# --- the ranges a push adds --------------------------------------------------------------------


def test_the_lines_git_gives_a_pre_push_hook() -> None:
    text = (
        f"refs/heads/main {'a' * 40} refs/heads/main {'b' * 40}\n"
        "\n"
        f"(delete) {ZERO} refs/heads/x {'c' * 40}\n"
    )
    assert parse_updates(text) == [
        RefUpdate("refs/heads/main", "a" * 40, "refs/heads/main", "b" * 40),
        RefUpdate("(delete)", ZERO, "refs/heads/x", "c" * 40),
    ]
    with pytest.raises(UsageError, match="expected '<local ref> <sha> <remote ref> <sha>'"):
        parse_updates("main HEAD\n")


def test_an_update_is_judged_from_what_the_remote_has(legacy: Path) -> None:
    _remote(legacy)
    old = _head(legacy)
    commit_file(legacy, "a.md", "a\n")
    new = commit_file(legacy, "b.md", "b\n")
    updates = [
        RefUpdate("refs/heads/main", new, "refs/heads/main", old),
        RefUpdate("(delete)", ZERO, "refs/heads/gone", old),
    ]
    repo = GitRepo.discover(legacy)
    assert push_ranges(repo, updates, "origin") == [PushRange("refs/heads/main", old, new)]
    # A remote tip we never fetched counts as unknown: judged like a new branch.
    unknown = RefUpdate("refs/heads/main", new, "refs/heads/main", "1" * 40)
    assert push_ranges(repo, [unknown], "origin") == [PushRange("refs/heads/main", old, new)]


def test_a_new_branch_is_judged_from_the_remotes_default_branch(legacy: Path) -> None:
    _remote(legacy)
    fork = _head(legacy)
    git(legacy, "switch", "-q", "-c", "other")
    other = commit_file(legacy, "other.md", "o\n")
    git(legacy, "push", "-q", "--no-verify", "origin", "other")
    feature = commit_file(legacy, "feature.md", "f\n")
    update = RefUpdate("refs/heads/feature", feature, "refs/heads/feature", ZERO)
    repo = GitRepo.discover(legacy)
    # Without refs/remotes/origin/HEAD: from the parent of the first commit origin lacks.
    assert push_ranges(repo, [update], "origin") == [PushRange(update.local_ref, other, feature)]
    # With it (as a clone has): from where the branch leaves the default branch.
    git(legacy, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    assert push_ranges(repo, [update], "origin") == [PushRange(update.local_ref, fork, feature)]


def test_a_branch_whose_commits_the_remote_has_adds_nothing(legacy: Path) -> None:
    _remote(legacy)
    update = RefUpdate("refs/heads/copy", _head(legacy), "refs/heads/copy", ZERO)
    assert push_ranges(GitRepo.discover(legacy), [update], "origin") == []


def test_a_history_the_remote_has_none_of_is_judged_whole(legacy: Path) -> None:
    head = _head(legacy)
    update = RefUpdate("refs/heads/main", head, "refs/heads/main", ZERO)
    assert push_ranges(GitRepo.discover(legacy), [update], "origin") == [
        PushRange("refs/heads/main", None, head)
    ]


# --- check-push --------------------------------------------------------------------------------


def test_a_pushed_range_that_adds_a_finding_blocks(legacy: Path) -> None:
    _remote(legacy)
    old = _head(legacy)
    clean = commit_file(legacy, "a.md", "fine\n")
    bad = commit_file(legacy, "b.md", "FIXME\n")
    code, out = _pushed(legacy, f"refs/heads/main {clean} refs/heads/main {old}\n")
    assert code == exit_codes.OK
    assert f"refs/heads/main: {old[:12]}..{clean[:12]}" in out
    code, out = _pushed(legacy, f"refs/heads/main {bad} refs/heads/main {old}\n")
    assert code == exit_codes.FAILURE
    assert "b.md:1" in out and "fixme" in out and "old.md" not in out


def test_the_worst_range_decides(legacy: Path) -> None:
    _remote(legacy)
    old = _head(legacy)
    clean = commit_file(legacy, "a.md", "fine\n")
    git(legacy, "switch", "-q", "-c", "topic", old)
    bad = commit_file(legacy, "b.md", "FIXME\n")
    stdin = (
        f"refs/heads/main {clean} refs/heads/main {old}\n"
        f"refs/heads/topic {bad} refs/heads/topic {ZERO}\n"
    )
    code, out = _pushed(legacy, stdin)
    assert code == exit_codes.FAILURE
    assert out.count("talkgit: refs/heads/") == 2


def test_a_push_that_only_deletes_checks_nothing(legacy: Path) -> None:
    _remote(legacy)
    code, out = _pushed(legacy, f"(delete) {ZERO} refs/heads/main {_head(legacy)}\n")
    assert (code, out) == (exit_codes.OK, "talkgit: this push adds no commit to check\n")


def test_pre_commits_range_comes_from_its_environment(legacy: Path) -> None:
    old = _head(legacy)
    bad = commit_file(legacy, "b.md", "FIXME\n")
    env = {"PRE_COMMIT": "1", "PRE_COMMIT_FROM_REF": old, "PRE_COMMIT_TO_REF": bad}
    code, out = _pushed(legacy, None, env)
    assert code == exit_codes.FAILURE and "b.md:1" in out and "old.md" not in out
    # A whole history pushed to an empty remote: pre-commit names only the branch.
    env = {"PRE_COMMIT": "1", "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main"}
    code, out = _pushed(legacy, None, env)
    assert code == exit_codes.FAILURE and "every file checked" in out and "old.md:1" in out
    with pytest.raises(UsageError, match="no push range"):
        _pushed(legacy, None, {"PRE_COMMIT": "1"})


def test_without_pre_commit_the_refs_must_come_on_stdin(legacy: Path) -> None:
    with pytest.raises(UsageError, match="reads the refs being pushed on stdin"):
        _pushed(legacy, None)


@pytest.mark.parametrize("with_commit", [False, True])
def test_check_staged_in_a_bare_repository_is_a_repository_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], with_commit: bool
) -> None:
    bare = tmp_path / "bare.git"
    if with_commit:
        git(tmp_path, "clone", "-q", "--bare", str(make_repo(tmp_path / "work")), str(bare))
    else:
        git(tmp_path, "init", "-q", "--bare", str(bare))
    assert main(["-C", str(bare), "check-staged"]) == exit_codes.REPOSITORY
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bare repository" in err
