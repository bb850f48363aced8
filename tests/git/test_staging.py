"""Batches: a step's objects are written in memory and reach the disk as one pack."""

from __future__ import annotations

import multiprocessing
import subprocess
import threading
from datetime import datetime, timezone
from functools import partial
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pygit2
import pytest

from talkgit.edits.model import FileChange
from talkgit.git.ledger import Ledger, dump_json
from talkgit.git.names import STEP_NOTES_REF, step_branch
from talkgit.git.repo import GitRepo
from talkgit.git.staging import TIER
from talkgit.git.transaction import Transaction
from talkgit.git.trees import create_commit
from talkgit.provenance.record import record_step
from talkgit.provenance.schema import GitRecord, StepNote, StepRef
from tests.support.gitrepo import fsck, git, user_state

RUN = "abcd1234"


def _object_files(repo: Path) -> tuple[set[str], set[str]]:
    """The pack files and the loose object files in the repository, by name."""
    objects = repo / ".git" / "objects"
    packs = {path.name for path in (objects / "pack").glob("*.pack")}
    loose = {str(path.relative_to(objects)) for path in objects.glob("??/*")}
    return packs, loose


def _on_disk(repo: Path, sha: str) -> bool:
    done = subprocess.run(["git", "cat-file", "-e", sha], cwd=repo, check=False)
    return done.returncode == 0


def _note(run: str, index: int, commit: str, tree: str) -> StepNote:
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return StepNote(
        run=run,
        step=StepRef(index=index, id="edit"),
        agent="coder",
        model="scripted/test",
        prompt_sha256="0" * 64,
        response_sha256="0" * 64,
        git=GitRecord(commit=commit, tree=tree, base=commit),
        started=moment,
        finished=moment,
    )


def _record(opened: GitRepo, ledger: Ledger, index: int, run: str = RUN) -> str:
    """Record step ``index`` of ``run``: it adds ``pkg/step<index>.py`` (in ``run/`` for others)."""
    folder = "pkg" if run == RUN else run
    recorded = record_step(
        opened,
        ledger,
        branch=step_branch(run, index, "edit"),
        base=opened.head(),
        changes=[FileChange(f"{folder}/step{index}.py", f"STEP = {index}\n".encode())],
        message=f"step {index}\n",
        note=partial(_note, run, index),
        ledger_files=partial(_step_file, index),
    )
    return recorded.commit


def _step_file(index: int, commit: str) -> dict[str, bytes | None]:
    return {f"steps/{index:02d}-edit.json": dump_json({"commit": commit})}


def test_objects_stay_in_memory_until_the_batch_ends_then_come_as_one_pack(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    packs, loose = _object_files(repo)
    with opened.batch():
        sha = create_commit(
            opened, base=opened.head(), changes=[FileChange("a.py", b"A = 1\n")], message="a\n"
        )
        assert opened.commit(sha).message == "a\n"  # read back from memory
        assert not _on_disk(repo, sha)
        assert _object_files(repo) == (packs, loose)
    assert _on_disk(repo, sha)
    assert git(repo, "show", f"{sha}:a.py") == "A = 1\n"
    after_packs, after_loose = _object_files(repo)
    assert after_loose == loose and len(after_packs - packs) == 1


def test_a_batch_that_fails_leaves_nothing_on_disk(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    before = _object_files(repo)
    written = []
    with pytest.raises(RuntimeError), opened.batch():
        written.append(
            create_commit(
                opened, base=opened.head(), changes=[FileChange("b", b"b\n")], message="b\n"
            )
        )
        raise RuntimeError("the step failed")
    assert _object_files(repo) == before
    assert not _on_disk(repo, written[0])
    with opened.batch():  # and the next batch starts clean
        pass
    assert _object_files(repo) == before


def test_a_transaction_stores_the_objects_before_it_moves_a_ref(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    with opened.batch():
        sha = create_commit(
            opened, base=opened.head(), changes=[FileChange("c", b"c\n")], message="c\n"
        )
        tx = Transaction(opened)
        tx.set_ref("refs/heads/talkgit/abcd1234/01-c", sha, expected=None)
        tx.add_note(STEP_NOTES_REF, sha, "{}\n")
        tx.commit()
        # still inside the batch: git, another process, already sees all of it
        assert git(repo, "log", "--format=%s", "-1", "talkgit/abcd1234/01-c") == "c\n"
        assert git(repo, "notes", "--ref=talkgit/steps", "show", sha) == "{}\n"
    fsck(repo)


def test_a_recorded_step_is_one_pack_and_no_loose_object(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    ledger = Ledger(opened, RUN)
    ledger.write({"run.json": dump_json({"run": RUN})})
    before_state = user_state(repo)
    packs, loose = _object_files(repo)
    sha = _record(opened, ledger, 1)
    after_packs, after_loose = _object_files(repo)
    assert after_loose == loose and len(after_packs - packs) == 1
    assert git(repo, "rev-parse", step_branch(RUN, 1, "edit")).strip() == sha
    assert git(repo, "show", f"{sha}:pkg/step1.py") == "STEP = 1\n"
    assert '"index":1' in git(repo, "notes", "--ref=talkgit/steps", "show", sha).replace(" ", "")
    assert git(repo, "show", f"refs/talkgit/runs/{RUN}:steps/01-edit.json").count(sha) == 1
    assert user_state(repo) == before_state
    fsck(repo)


def test_a_long_run_leaves_a_few_packs_and_every_step_readable(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    early_reader = GitRepo.discover(repo)  # opened before any merge: it knows the old packs
    ledger = Ledger(opened, RUN)
    packs, _ = _object_files(repo)
    ledger.write({"run.json": dump_json({"run": RUN})})
    steps = TIER**2
    commits = []
    for index in range(1, steps + 1):
        commits.append(_record(opened, ledger, index))
        assert early_reader.commit(commits[-1]).tree_id  # another libgit2 handle opens the pack
    ours = _object_files(repo)[0] - packs
    # the ledger's first write and 16 steps at tier 4: 16 merged twice into one pack, and
    # the 17th on its own
    assert len(ours) == 2
    for index, sha in enumerate(commits, start=1):
        assert git(repo, "show", f"{sha}:pkg/step{index}.py") == f"STEP = {index}\n"
        assert early_reader.read_file(sha, f"pkg/step{index}.py") == f"STEP = {index}\n".encode()
        assert opened.read_file(sha, f"pkg/step{index}.py") == f"STEP = {index}\n".encode()
    fsck(repo)
    # delete the step branches and collect garbage: the ledger still holds every step
    for index in range(1, steps + 1):
        git(repo, "update-ref", "-d", f"refs/heads/{step_branch(RUN, index, 'edit')}")
    git(repo, "gc", "--prune=now", "--quiet")
    for sha in commits:
        assert _on_disk(repo, sha)


def test_other_threads_keep_reading_the_repository_during_a_batch(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    seen: list[pygit2.Repository] = []
    with opened.batch():
        assert opened.objects is not opened.raw
        reader = threading.Thread(target=lambda: seen.append(opened.objects))
        reader.start()
        reader.join()
    assert seen == [opened.raw]
    assert opened.objects is opened.raw


def test_compacting_leaves_one_pack_for_everything_this_process_wrote(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    ledger = Ledger(opened, RUN)
    packs, _ = _object_files(repo)
    ledger.write({"run.json": dump_json({"run": RUN})})
    first = _object_files(repo)[0]
    opened.compact_objects()  # one pack written yet: nothing to do
    assert _object_files(repo)[0] == first
    commits = [_record(opened, ledger, index) for index in range(1, TIER + 2)]
    # the ledger's first pack and five steps: a merged four, and two on their own
    assert len(_object_files(repo)[0] - packs) == 3
    opened.compact_objects()
    assert len(_object_files(repo)[0] - packs) == 1
    commits.append(_record(opened, ledger, TIER + 2))  # and the next step packs as before
    opened.compact_objects()
    assert len(_object_files(repo)[0] - packs) == 1
    for index, sha in enumerate(commits, start=1):
        assert git(repo, "show", f"{sha}:pkg/step{index}.py") == f"STEP = {index}\n"
    fsck(repo)


def test_a_git_gc_during_a_run_takes_our_packs_and_the_run_goes_on(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    ledger = Ledger(opened, RUN)
    ledger.write({"run.json": dump_json({"run": RUN})})
    commits = [_record(opened, ledger, index) for index in range(1, TIER)]
    git(repo, "gc", "--quiet")  # the user's, or git's own auto-gc: repacks our packs away
    commits += [_record(opened, ledger, index) for index in range(TIER, 2 * TIER + 1)]
    opened.compact_objects()
    packs, _ = _object_files(repo)
    assert len(packs) == 2  # git's, and ours since the gc
    for index, sha in enumerate(commits, start=1):
        assert git(repo, "show", f"{sha}:pkg/step{index}.py") == f"STEP = {index}\n"
    fsck(repo)


def _record_run(repo_path: str, run: str, steps: int, barrier: Barrier) -> None:
    opened = GitRepo.discover(Path(repo_path))
    ledger = Ledger(opened, run)
    ledger.write({"run.json": dump_json({"run": run})})
    barrier.wait()  # both runs write their steps at the same time
    for index in range(1, steps + 1):
        _record(opened, ledger, index, run)
    opened.compact_objects()


def test_two_processes_recording_at_once_lose_no_note_and_no_object(repo: Path) -> None:
    runs, steps = ("aaaa1111", "bbbb2222"), 2 * TIER + 1
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(runs))
    workers = [
        ctx.Process(target=_record_run, args=(str(repo), run, steps, barrier)) for run in runs
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    for run in runs:
        for index in range(1, steps + 1):
            branch = step_branch(run, index, "edit")
            assert git(repo, "show", f"{branch}:{run}/step{index}.py") == f"STEP = {index}\n"
            note = git(repo, "notes", "--ref=talkgit/steps", "show", branch)
            assert f'"index":{index}' in note.replace(" ", "")
    packs, _ = _object_files(repo)
    assert len(packs) == len(runs)  # each process merged its own packs, and only its own
    fsck(repo)


def test_a_pack_no_ref_names_yet_survives_gc_prune_now(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    with opened.batch():
        sha = create_commit(
            opened, base=opened.head(), changes=[FileChange("a.py", b"A = 1\n")], message="a\n"
        )
        pack = opened.publish_objects()  # as a Transaction does, with the refs locked
        assert pack is not None and pack.keep_path.exists()
        git(repo, "gc", "--prune=now", "--quiet")
        git(repo, "repack", "-adq")
        assert _on_disk(repo, sha)
        opened.release_objects(pack)  # the refs moved
    assert not pack.keep_path.exists()


def test_a_transaction_leaves_no_pack_held(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    ledger = Ledger(opened, RUN)
    ledger.write({"run.json": dump_json({"run": RUN})})
    _record(opened, ledger, 1)
    assert list((repo / ".git" / "objects" / "pack").glob("*.keep")) == []
    git(repo, "gc", "--prune=now", "--quiet")
    fsck(repo)
