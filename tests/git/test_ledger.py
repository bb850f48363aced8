from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from talkgit.edits.model import FileChange
from talkgit.errors import ConcurrentUpdateError
from talkgit.git.ledger import Ledger, dump_json, list_runs
from talkgit.git.repo import GitRepo
from talkgit.git.transaction import Transaction
from talkgit.git.trees import create_commit
from tests.support.gitrepo import fsck, git, user_state


def test_ledger_is_a_chain_of_state_commits(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    ledger = Ledger(opened, "abcd1234")
    first = ledger.write({"run.json": dump_json({"state": "planning"})})
    second = ledger.write({"plan.json": dump_json({"steps": []}), "steps/01-x.json": b"{}\n"})
    assert git(repo, "rev-parse", "refs/talkgit/runs/abcd1234").strip() == second
    assert git(repo, "rev-parse", f"{second}^").strip() == first
    assert git(repo, "show", f"{second}:run.json").startswith("{")
    assert Ledger(opened, "abcd1234").read_json("run.json") == {"state": "planning"}
    assert ledger.list("steps") == ["01-x.json"]
    assert list_runs(opened) == ["abcd1234"]
    fsck(repo)


def test_every_file_is_redacted_on_its_way_in_and_stays_json(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VENDOR_TOKEN", "vendor-secret-value-0042")
    ledger = Ledger(GitRepo.discover(repo), "abcd1234")
    said = "line one\nghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6 and vendor-secret-value-0042"
    unchanged = dump_json({"said": "nothing secret"})

    ledger.write({"transcript.json": dump_json([{"content": said}]), "run.json": unchanged})

    assert ledger.read_json("transcript.json") == [
        {"content": "line one\n[REDACTED] and [REDACTED]"}
    ]
    assert ledger.read("run.json") == unchanged
    assert "vendor-secret" not in git(repo, "log", "-p", "refs/talkgit/runs/abcd1234")


def test_step_commits_survive_branch_deletion_and_gc(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    before = user_state(repo)
    step = create_commit(
        opened, base=opened.head(), changes=[FileChange("s.py", b"s\n")], message="s\n"
    )
    tx = Transaction(opened)
    tx.set_ref("refs/heads/talkgit/abcd1234/01-s", step, expected=None)
    tx.add_note("refs/notes/talkgit/steps", step, '{"step": 1}\n')
    ledger = Ledger(opened, "abcd1234")
    ledger.tip = ledger.stage(tx, {"run.json": b"{}\n"}, keep=[step])
    tx.commit()
    git(repo, "branch", "-D", "talkgit/abcd1234/01-s")
    git(repo, "reflog", "expire", "--expire=now", "--all")
    git(repo, "gc", "-q", "--prune=now")
    git(repo, "cat-file", "-e", step)
    assert git(repo, "notes", "--ref=talkgit/steps", "show", step) == '{"step": 1}\n'
    assert user_state(repo) == before
    fsck(repo)


def _race(
    repo_path: str,
    barrier: multiprocessing.synchronize.Barrier,
    results: multiprocessing.Queue[str],
) -> None:
    ledger = Ledger(GitRepo.discover(Path(repo_path)), "abcd1234")
    barrier.wait()  # both have read the same tip
    try:
        ledger.write({"writer.json": dump_json({"pid": multiprocessing.current_process().pid})})
        results.put("won")
    except ConcurrentUpdateError:
        results.put("lost")


@pytest.mark.parametrize("attempt", range(3))
def test_of_two_concurrent_writers_exactly_one_wins(repo: Path, attempt: int) -> None:
    Ledger(GitRepo.discover(repo), "abcd1234").write({"run.json": b"{}\n"})
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_race, args=(str(repo), barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted(results.get(timeout=5) for _ in workers) == ["lost", "won"]
    assert len(git(repo, "rev-list", "refs/talkgit/runs/abcd1234").split()) == 2
    fsck(repo)
