from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.run import RunOptions, run
from talkgit.commands.sync import describe, sync
from talkgit.engine.report import PlainReporter
from talkgit.errors import NotFoundError
from talkgit.git.ledger import Ledger
from talkgit.git.names import STEP_NOTES_REF
from talkgit.git.remote import SyncReport
from talkgit.git.repo import GitRepo
from talkgit.git.transaction import Transaction
from tests.support.gitrepo import fsck, git, make_repo, user_state
from tests.support.scripts import NO_GATES, edit, plan_reply, scripted_model

FILES = {"app.py": "def greet():\n    return 'helo'\n", "README.md": "# app\n"}


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare remote that logs every ref update and refuses any non-fast-forward push."""
    seed = make_repo(tmp_path / "seed", FILES)
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(bare))
    git(bare, "config", "core.logAllRefUpdates", "always")
    git(bare, "config", "receive.denyNonFastForwards", "true")
    return bare


def clone(remote: Path, path: Path) -> Path:
    git(remote.parent, "clone", "-q", str(remote), str(path))
    return path


def run_agent(repo: Path, tmp_path: Path, path: str, old: str, new: str) -> str:
    """A real scripted run in ``repo`` that edits ``path``; returns its run id."""
    plan = plan_reply(("fix", "coder", []), files={"fix": [path]})
    model = scripted_model(
        tmp_path, {"planner": [plan], "coder": [edit(path, old, new)]}, repo.name
    )
    progress = io.StringIO()
    options = RunOptions(model=model)
    reporter = PlainReporter(progress)
    code = run(
        repo, f"edit {path}", options, out=io.StringIO(), reporter=reporter, environ=NO_GATES
    )
    assert code == exit_codes.OK, progress.getvalue()
    return git(repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()


def notes(repo: Path) -> dict[str, str]:
    """Annotated commit -> note text in the step notes."""
    listing = git(repo, "notes", f"--ref={STEP_NOTES_REF}", "list").split("\n")
    pairs = [line.split() for line in listing if line]
    return {target: git(repo, "cat-file", "blob", blob) for blob, target in pairs}


def ledgers(repo: Path) -> dict[str, str]:
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/talkgit/runs")
    return dict(line.split() for line in refs.splitlines())


def _sync(repo: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = sync(repo, out=out)
    return code, out.getvalue()


def assert_only_fast_forwards(bare: Path) -> None:
    """Every update the remote logged moved its ref forward: nothing was ever forced."""
    refs = git(bare, "for-each-ref", "--format=%(refname)", "refs/notes", "refs/talkgit")
    for ref in refs.split():
        values = git(bare, "log", "-g", "--format=%H", ref).split()
        assert values, ref
        for newer, older in itertools.pairwise(values):
            git(bare, "merge-base", "--is-ancestor", older, newer)


def test_two_clones_that_both_ran_agents_end_with_everything(remote: Path, tmp_path: Path) -> None:
    a, b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    run_a = run_agent(a, tmp_path, "app.py", "    return 'helo'\n", "    return 'hello'\n")
    run_b = run_agent(b, tmp_path, "README.md", "# app\n", "# app\n\nGreets.\n")
    notes_a, notes_b = notes(a), notes(b)
    ledgers_a, ledgers_b = ledgers(a), ledgers(b)
    assert notes_a and notes_b and not notes_a.keys() & notes_b.keys()
    states = {repo: user_state(repo) for repo in (a, b)}

    code, first = _sync(a)
    assert code == exit_codes.OK, first
    assert "notes.rewriteRef += refs/notes/talkgit/steps, refs/notes/talkgit/runs" in first
    assert f"pushed to origin: refs/notes/talkgit/steps, run {run_a}" in first

    code, second = _sync(b)
    assert code == exit_codes.OK, second
    assert "refs/notes/talkgit/steps: merged from origin" in second
    assert f"run {run_a}: created from origin" in second

    code, third = _sync(a)
    assert code == exit_codes.OK, third
    assert "refs/notes/talkgit/steps: fast-forwarded from origin" in third
    assert f"run {run_b}: created from origin" in third and "pushed" not in third

    everything = notes_a | notes_b
    assert notes(a) == everything and notes(b) == everything  # no note lost or changed
    assert ledgers(a) == ledgers(b) == ledgers_a | ledgers_b
    assert ledgers(remote) == ledgers_a | ledgers_b and notes(remote) == everything
    assert_only_fast_forwards(remote)
    for repo in (a, b, remote):
        fsck(repo)
    assert all(user_state(repo) == state for repo, state in states.items())

    code, again = _sync(b)
    assert (code, again) == (exit_codes.OK, "origin: in sync\n")
    # The other clone's step branches never came over; its ledger keeps its steps alive.
    git(b, "gc", "-q", "--prune=now")
    for target in everything:
        assert git(b, "cat-file", "-t", target).strip() == "commit"


def test_an_unknown_remote_is_one_clear_error(remote: Path, tmp_path: Path) -> None:
    a = clone(remote, tmp_path / "a")
    with pytest.raises(
        NotFoundError, match=r"^no remote named 'upstream' \(see `git remote -v`\)$"
    ):
        sync(a, "upstream", out=io.StringIO())


def test_a_diverged_run_and_a_note_clash_are_reported(remote: Path, tmp_path: Path) -> None:
    a, b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    shared = git(a, "rev-parse", "HEAD").strip()
    for repo in (a, b):
        tx = Transaction(GitRepo.discover(repo))
        tx.add_note(STEP_NOTES_REF, shared, f'{{"by": "{repo.name}"}}\n')
        tx.commit()
        Ledger(GitRepo.discover(repo), "dddd0001").write({"run.json": b"{}\n"}, message=repo.name)
    assert _sync(a)[0] == exit_codes.OK
    here = git(b, "rev-parse", "refs/talkgit/runs/dddd0001").strip()
    there = git(a, "rev-parse", "refs/talkgit/runs/dddd0001").strip()

    code, out = _sync(b)
    assert code == exit_codes.FAILURE
    lines = out.splitlines()
    assert (
        f"refs/notes/talkgit/steps: merged from origin; 1 commit(s) annotated differently "
        f"on both sides kept our note: {shared[:10]}"
    ) in lines
    assert (
        f"run dddd0001: diverged from origin (here {here[:10]}, origin {there[:10]}); both left "
        "as they are — compare with `git log --oneline refs/talkgit/runs/dddd0001"
        "...refs/talkgit-remote/origin/runs/dddd0001`"
    ) in lines
    assert lines[-2:] == [
        "pushed to origin: refs/notes/talkgit/steps",
        "origin: diverged runs need a look",
    ]
    assert git(b, "notes", f"--ref={STEP_NOTES_REF}", "show", shared) == '{"by": "b"}\n'
    assert git(b, "rev-parse", "refs/talkgit/runs/dddd0001").strip() == here


def test_a_retried_push_is_told() -> None:
    report = SyncReport("origin", (), (STEP_NOTES_REF,), 2, ())
    assert describe(report) == [
        "pushed to origin: refs/notes/talkgit/steps",
        "origin moved meanwhile: fetched, merged and pushed again (2 attempts, never forced)",
        "origin: in sync",
    ]
