"""`talkgit discard` and `talkgit gc`: letting runs go, keeping provenance unless purged."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.discard import discard, gc
from talkgit.commands.run import RunOptions, run
from talkgit.engine.report import PlainReporter
from talkgit.engine.runs import open_run
from talkgit.engine.state import RunStatus, run_file
from talkgit.errors import NotFoundError, UsageError
from talkgit.git import worktrees
from talkgit.git.repo import GitRepo
from tests.support.gitrepo import fsck, git, make_repo, user_state
from tests.support.scripts import NO_GATES, edit, plan_reply, scripted_model

FILES = {"app.py": "def greet():\n    return 'helo'\n", "README.md": "# app\n"}
PLAN = plan_reply(("fix", "coder", []), files={"fix": ["app.py"]})
FIX = edit("app.py", "    return 'helo'\n", "    return 'hello'\n")
LONG_AGO = datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "app", FILES)


def _new_run(app: Path, tmp_path: Path, name: str = "script") -> str:
    before = set(_runs(app))
    model = scripted_model(tmp_path, {"planner": [PLAN], "coder": [FIX]}, name=name)
    options = RunOptions(model=model)
    run(
        app,
        "fix it",
        options,
        out=io.StringIO(),
        reporter=PlainReporter(io.StringIO()),
        environ=NO_GATES,
    )
    (run_id,) = set(_runs(app)) - before
    return run_id


def _runs(app: Path) -> list[str]:
    return git(app, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").split()


def _refs(app: Path, pattern: str = "") -> str:
    return git(
        app, "for-each-ref", "--format=%(refname) %(objectname)", *([pattern] if pattern else [])
    )


def _run_refs(app: Path, run_id: str) -> str:
    return _refs(app, f"refs/heads/talkgit/{run_id}") + _refs(app, f"refs/talkgit/runs/{run_id}")


def _set_run(app: Path, run_id: str, *, status: RunStatus, updated: datetime) -> None:
    """Rewrite run.json in the ledger, as a run (or a crashed one) would have left it."""
    stored = open_run(GitRepo.discover(app), run_id)
    record = stored.record.model_copy(update={"status": status, "updated": updated})
    stored.ledger.write({"run.json": run_file(record)})


def _discard(app: Path, run_id: str, *, purge: bool = False) -> str:
    out = io.StringIO()
    assert discard(app, run_id, purge=purge, out=out) == exit_codes.OK
    return out.getvalue()


def _gc(app: Path, older_than: float, *, dry_run: bool = False) -> str:
    out = io.StringIO()
    assert gc(app, older_than=older_than, dry_run=dry_run, out=out) == exit_codes.OK
    return out.getvalue()


@pytest.fixture
def run_id(app: Path, tmp_path: Path) -> str:
    return _new_run(app, tmp_path)


def test_discard_deletes_the_branches_and_keeps_the_ledger(app: Path, run_id: str) -> None:
    step = git(app, "rev-parse", f"talkgit/{run_id}/01-fix").strip()
    state = user_state(app)
    out = _discard(app, run_id[:4])
    assert f"deleted branch talkgit/{run_id}/01-fix (was {step[:10]})" in out
    assert f"deleted branch talkgit/{run_id}/integration" in out and "kept run" in out
    assert _refs(app, "refs/heads/talkgit") == ""
    assert _runs(app) == [run_id]
    # provenance survives: the ledger keeps the step commit alive, and its note readable
    git(app, "gc", "-q", "--prune=now")
    assert "Talkgit-Agent: coder" in git(app, "log", "-1", "--format=%B", step)
    assert json.loads(git(app, "notes", "--ref=talkgit/steps", "show", step))["run"] == run_id
    assert user_state(app) == state
    fsck(app)


def test_discarding_again_says_there_is_nothing_left(app: Path, run_id: str) -> None:
    _discard(app, run_id)
    assert f"run {run_id} has no branches left" in _discard(app, run_id)


def test_purge_deletes_the_ledger_and_the_runs_worktrees(
    app: Path, tmp_path: Path, run_id: str
) -> None:
    other = _new_run(app, tmp_path, name="other")
    opened = GitRepo.discover(app)
    mine = worktrees.materialize(opened, f"{run_id}-01", opened.head())
    theirs = worktrees.materialize(opened, f"{other}-01", opened.head())
    theirs_refs = _run_refs(app, other)
    out = _discard(app, run_id, purge=True)
    assert f"removed worktree {run_id}-01" in out and f"purged run {run_id}" in out
    assert _runs(app) == [other]
    assert not mine.exists() and theirs.exists()
    assert str(mine) not in git(app, "worktree", "list")
    assert _run_refs(app, other) == theirs_refs
    fsck(app)


def test_a_running_run_is_not_discarded(app: Path, run_id: str) -> None:
    _set_run(app, run_id, status="running", updated=LONG_AGO)
    refs = _refs(app)
    with pytest.raises(UsageError, match=f"run {run_id} is running: .*talkgit resume {run_id}"):
        discard(app, run_id, purge=True, out=io.StringIO())
    assert _refs(app) == refs


def test_a_checked_out_run_branch_is_not_discarded(app: Path, run_id: str) -> None:
    git(app, "checkout", "-q", f"talkgit/{run_id}/integration")
    refs = _refs(app)
    with pytest.raises(UsageError, match=f"talkgit/{run_id}/integration is checked out in"):
        discard(app, run_id, out=io.StringIO())
    assert _refs(app) == refs


def test_an_unknown_run_is_not_found(app: Path) -> None:
    with pytest.raises(NotFoundError, match="no run matches 'abcd'"):
        discard(app, "abcd", out=io.StringIO())


# --- gc -------------------------------------------------------------------------------------


def test_gc_purges_old_idle_runs_only(app: Path, tmp_path: Path, run_id: str) -> None:
    busy, recent = _new_run(app, tmp_path, "busy"), _new_run(app, tmp_path, "recent")
    _set_run(app, run_id, status="done", updated=LONG_AGO)
    _set_run(app, busy, status="running", updated=LONG_AGO)
    state = user_state(app)
    out = _gc(app, 30 * 86400)
    assert f"removed run {run_id} (done, updated 2025-01-01 00:00): fix it — 2 branches" in out
    assert f"kept run {busy} (running, updated 2025-01-01 00:00): fix it — in progress" in out
    assert recent not in out
    assert sorted(_runs(app)) == sorted([busy, recent])
    assert _refs(app, f"refs/heads/talkgit/{run_id}") == ""
    assert user_state(app) == state
    fsck(app)


def test_gc_dry_run_lists_and_removes_nothing(app: Path, run_id: str) -> None:
    _set_run(app, run_id, status="failed", updated=LONG_AGO)
    refs = _refs(app)
    assert f"would remove run {run_id} (failed" in _gc(app, 3600, dry_run=True)
    assert _refs(app) == refs


def test_gc_with_nothing_old_says_so(app: Path, run_id: str) -> None:
    assert _gc(app, 720 * 3600) == "no run was last updated more than 30d ago\n"
    assert _runs(app) == [run_id]


def test_gc_keeps_a_run_whose_branch_is_checked_out(app: Path, run_id: str) -> None:
    _set_run(app, run_id, status="done", updated=LONG_AGO)
    git(app, "checkout", "-q", f"talkgit/{run_id}/integration")
    assert f"kept run {run_id}" in _gc(app, 60) and _runs(app) == [run_id]


def test_gc_uses_the_clock_it_is_given(app: Path, run_id: str) -> None:
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    out = io.StringIO()
    gc(app, older_than=3600, out=out, clock=lambda: later)
    assert f"removed run {run_id}" in out.getvalue() and _runs(app) == []


def test_gc_refuses_a_negative_age(app: Path) -> None:
    with pytest.raises(UsageError, match="must not be negative"):
        gc(app, older_than=-1, out=io.StringIO())
