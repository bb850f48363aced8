from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from talkgit.errors import ConcurrentUpdateError, NotFoundError, RepositoryError
from talkgit.git.ledger import Ledger, dump_json
from talkgit.git.names import RUN_NOTES_REF, STEP_NOTES_REF
from talkgit.git.remote import (
    SyncReport,
    ensure_rewrite_refs,
    fetch,
    sync_talkgit_refs,
    tracking_ref,
)
from talkgit.git.repo import GitRepo
from talkgit.git.transaction import Transaction
from tests.support.gitrepo import commit_file, fsck, git, make_repo, user_state


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare remote that logs every ref update and refuses any non-fast-forward push."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(make_repo(tmp_path / "seed")), str(bare))
    git(bare, "config", "core.logAllRefUpdates", "always")
    git(bare, "config", "receive.denyNonFastForwards", "true")
    return bare


@pytest.fixture
def a(remote: Path, tmp_path: Path) -> Path:
    git(tmp_path, "clone", "-q", str(remote), "a")
    return tmp_path / "a"


@pytest.fixture
def b(remote: Path, tmp_path: Path) -> Path:
    git(tmp_path, "clone", "-q", str(remote), "b")
    return tmp_path / "b"


def annotate(repo: Path, target: str, value: object, notes_ref: str = STEP_NOTES_REF) -> None:
    tx = Transaction(GitRepo.discover(repo))
    tx.add_note(notes_ref, target, json.dumps(value) + "\n")
    tx.commit()


def note(repo: Path, target: str, notes_ref: str = STEP_NOTES_REF) -> object:
    return json.loads(git(repo, "notes", f"--ref={notes_ref}", "show", target))


def ledger(repo: Path, run_id: str, state: str) -> str:
    return Ledger(GitRepo.discover(repo), run_id).write({"run.json": dump_json({"state": state})})


def ref(repo: Path, name: str) -> str | None:
    return GitRepo.discover(repo).ref_target(name)


def sync(repo: Path, remote: str = "origin", attempts: int = 3) -> SyncReport:
    return sync_talkgit_refs(GitRepo.discover(repo), remote, attempts=attempts)


def _talkgit_refs(repo: Path) -> str:
    """talkgit's own local refs: notes and ledgers, not the remote-tracking copies."""
    return git(
        repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/notes", "refs/talkgit"
    )


def install_hook(repo: Path, name: str, script: str) -> None:
    hooks = repo / ".git" / "hooks" if (repo / ".git").is_dir() else repo / "hooks"
    hook = hooks / name
    hook.write_text("#!/bin/sh\n" + script)
    hook.chmod(0o755)


def during_each_fetch(tmp_path: Path, script: str) -> None:
    """Run ``script`` on the remote while it serves a fetch, after it listed its refs.

    The remote's own program, from the user's global config (a client's hooks would be
    switched off): the fetching side then merges what the remote had before ``script``.
    """
    wrapper = tmp_path / "pack-objects"
    wrapper.write_text(
        "#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n" + script + '\nexec "$@"\n'
    )
    wrapper.chmod(0o755)
    git(tmp_path, "config", "--global", "uploadpack.packObjectsHook", str(wrapper))


def test_fetch_fills_remote_tracking_refs_and_moves_no_local_ref(a: Path, b: Path) -> None:
    annotate(b, git(b, "rev-parse", "HEAD").strip(), {"by": "b"})
    ledger(b, "bbbb0001", "done")
    sync(b)
    annotate(a, git(a, "rev-parse", "HEAD").strip(), {"by": "a"})
    before = git(
        a, "for-each-ref", "--format=%(refname) %(objectname)", "refs/notes", "refs/talkgit"
    )
    state = user_state(a)
    fetch(GitRepo.discover(a), "origin")
    assert ref(a, tracking_ref("origin", STEP_NOTES_REF)) == ref(b, STEP_NOTES_REF)
    assert ref(a, "refs/talkgit-remote/origin/notes/steps") == ref(b, STEP_NOTES_REF)
    assert ref(a, "refs/talkgit-remote/origin/runs/bbbb0001") == ref(
        b, "refs/talkgit/runs/bbbb0001"
    )
    after = git(
        a, "for-each-ref", "--format=%(refname) %(objectname)", "refs/notes", "refs/talkgit"
    )
    assert after == before and user_state(a) == state


def test_notes_of_both_sides_are_kept_and_a_same_commit_clash_keeps_ours(
    a: Path, b: Path, remote: Path
) -> None:
    shared = git(a, "rev-parse", "HEAD").strip()
    own_a = commit_file(a, "a.txt", "a\n", "a's work")
    own_b = commit_file(b, "b.txt", "b\n", "b's work")
    annotate(a, shared, {"by": "a"})
    annotate(a, own_a, {"step": "a"})
    annotate(a, own_a, {"run": "a"}, RUN_NOTES_REF)
    annotate(b, shared, {"by": "b"})
    annotate(b, own_b, {"step": "b"})
    sync(a)

    report = sync(b)
    by_ref = {r.ref: r for r in report.refs}
    assert by_ref[STEP_NOTES_REF].outcome == "merged"
    assert by_ref[STEP_NOTES_REF].kept_ours == (shared,)
    assert by_ref[RUN_NOTES_REF].outcome == "created"
    assert report.pushed == (STEP_NOTES_REF,)
    assert note(b, shared) == {"by": "b"}  # ours, on the side that merged
    assert note(b, own_a) == {"step": "a"} and note(b, own_b) == {"step": "b"}
    assert note(b, own_a, RUN_NOTES_REF) == {"run": "a"}

    assert {r.ref: r.outcome for r in sync(a).refs} == {STEP_NOTES_REF: "fast-forwarded"}
    assert git(a, "rev-parse", STEP_NOTES_REF) == git(remote, "rev-parse", STEP_NOTES_REF)
    assert note(a, own_b) == {"step": "b"} and note(a, own_a) == {"step": "a"}
    for repo in (a, b, remote):
        fsck(repo)


def test_run_ledgers_are_created_fast_forwarded_or_left_when_diverged(a: Path, b: Path) -> None:
    ledger(a, "aaaa0001", "running")
    ledger(a, "cccc0001", "running")
    sync(a)
    assert {r.ref: r.outcome for r in sync(b).refs} == {
        "refs/talkgit/runs/aaaa0001": "created",
        "refs/talkgit/runs/cccc0001": "created",
    }
    ahead = ledger(b, "aaaa0001", "done")  # resumed and finished in b
    mine, theirs = ledger(a, "cccc0001", "done in a"), ledger(b, "cccc0001", "done in b")
    pushed = sync(b)
    assert pushed.pushed == ("refs/talkgit/runs/aaaa0001", "refs/talkgit/runs/cccc0001")

    report = sync(a)
    outcomes = {r.ref: (r.outcome, r.local, r.remote) for r in report.refs}
    assert outcomes["refs/talkgit/runs/aaaa0001"] == ("fast-forwarded", ahead, ahead)
    assert outcomes["refs/talkgit/runs/cccc0001"] == ("diverged", mine, theirs)
    assert [r.ref for r in report.diverged] == ["refs/talkgit/runs/cccc0001"]
    assert report.pushed == ()
    assert ref(a, "refs/talkgit/runs/cccc0001") == mine  # both left as they are
    assert ref(b, "refs/talkgit/runs/cccc0001") == theirs


def test_a_push_that_lost_a_race_is_fetched_merged_and_retried(
    a: Path, b: Path, remote: Path, tmp_path: Path
) -> None:
    commit_b = git(b, "rev-parse", "HEAD").strip()
    annotate(b, commit_b, {"by": "b", "n": 0})
    sync(b)
    annotate(b, commit_b, {"by": "b", "n": 1})  # b's next note, pushed while a syncs
    annotate(a, commit_file(a, "a.txt", "a\n", "a's work"), {"by": "a"})
    marker = tmp_path / "raced"
    # While a fetches, b pushes: a's first push is then non-fast-forward.
    during_each_fetch(
        tmp_path,
        f'if [ ! -e "{marker}" ]; then\n'
        f'  touch "{marker}"\n'
        f'  git -C "{b}" push -q origin {STEP_NOTES_REF}:{STEP_NOTES_REF} >&2\n'
        "fi",
    )
    report = sync(a)
    assert marker.exists() and report.push_attempts == 2
    assert report.pushed == (STEP_NOTES_REF,)
    assert note(remote, commit_b) == {"by": "b", "n": 1}  # b's push survived ours
    assert git(a, "rev-parse", STEP_NOTES_REF) == git(remote, "rev-parse", STEP_NOTES_REF)
    reflog = git(remote, "log", "-g", "--format=%H", STEP_NOTES_REF).split()
    assert len(reflog) == 3  # b, b again, then a's merge on top
    for newer, older in itertools.pairwise(reflog):
        git(remote, "merge-base", "--is-ancestor", older, newer)
    fsck(remote)


def test_a_remote_that_keeps_moving_is_given_up_on_after_three_tries(
    a: Path, b: Path, tmp_path: Path
) -> None:
    commit_b = git(b, "rev-parse", "HEAD").strip()
    annotate(b, commit_b, {"n": 0})
    sync(b)
    annotate(a, commit_file(a, "a.txt", "a\n", "a's work"), {"by": "a"})
    count = tmp_path / "count"
    during_each_fetch(
        tmp_path,
        f'echo x >> "{count}"\n'
        f'git -C "{b}" notes --ref={STEP_NOTES_REF} add -f -m "$(wc -l < "{count}")" {commit_b}\n'
        f'git -C "{b}" push -q origin {STEP_NOTES_REF}:{STEP_NOTES_REF} >&2',
    )
    with pytest.raises(
        ConcurrentUpdateError,
        match=r"^origin kept moving: the push of refs/notes/talkgit/steps was rejected as "
        r"non-fast-forward 3 times; run `talkgit sync origin` again$",
    ):
        sync(a)
    assert count.read_text().count("x") == 3


def test_a_refused_push_and_an_unreachable_or_unknown_remote_are_one_line(
    a: Path, remote: Path, tmp_path: Path
) -> None:
    annotate(a, git(a, "rev-parse", "HEAD").strip(), {"by": "a"})
    install_hook(remote, "pre-receive", "echo 'no notes here' >&2\nexit 1\n")
    with pytest.raises(
        RepositoryError, match=r"^origin refused the push of refs/notes/talkgit/steps: "
    ):
        sync(a)
    with pytest.raises(NotFoundError, match=r"^no remote named 'upstream'"):
        sync(a, "upstream")
    git(a, "remote", "add", "gone", str(tmp_path / "nowhere.git"))
    with pytest.raises(RepositoryError, match=r"^cannot fetch from gone: "):
        sync(a, "gone")


def test_rewrite_refs_are_set_once_and_amend_and_rebase_carry_notes(a: Path) -> None:
    git(a, "config", "--global", "--add", "notes.rewriteRef", STEP_NOTES_REF)  # the user's own
    opened = GitRepo.discover(a)
    assert ensure_rewrite_refs(opened) == (RUN_NOTES_REF,)
    assert ensure_rewrite_refs(opened) == ()
    assert git(a, "config", "--get-all", "notes.rewriteRef").split() == [
        STEP_NOTES_REF,
        RUN_NOTES_REF,
    ]
    assert git(a, "config", "--local", "--get-all", "notes.rewriteRef").split() == [RUN_NOTES_REF]
    step = commit_file(a, "s.txt", "s\n", "a step")
    annotate(a, step, {"step": 1})
    annotate(a, step, {"run": 1}, RUN_NOTES_REF)
    git(a, "commit", "-q", "--amend", "-m", "a step, reworded")
    amended = git(a, "rev-parse", "HEAD").strip()
    assert amended != step
    assert note(a, amended) == {"step": 1} and note(a, amended, RUN_NOTES_REF) == {"run": 1}
    git(a, "branch", "-q", "upstream-work", "HEAD~1")
    git(a, "switch", "-q", "upstream-work")
    commit_file(a, "u.txt", "u\n", "someone else's work")
    git(a, "switch", "-q", "main")
    git(a, "rebase", "-q", "upstream-work")
    rebased = git(a, "rev-parse", "HEAD").strip()
    assert rebased != amended and note(a, rebased) == {"step": 1}
