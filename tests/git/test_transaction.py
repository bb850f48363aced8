from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest

from talkgit.edits.model import FileChange
from talkgit.errors import ConcurrentUpdateError
from talkgit.git.names import STEP_NOTES_REF
from talkgit.git.notes import read_json_note, read_note
from talkgit.git.repo import GitRepo
from talkgit.git.transaction import FANOUT_AT, Transaction
from talkgit.git.trees import create_commit
from tests.support.gitrepo import commit_file, fsck, git, user_state


def _commit(repo: GitRepo, text: bytes = b"x\n") -> str:
    return create_commit(repo, base=repo.head(), changes=[FileChange("f.txt", text)], message="c\n")


def test_refs_and_notes_move_together_and_git_reads_them(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    before = user_state(repo)
    sha = _commit(opened)
    tx = Transaction(opened)
    tx.set_ref("refs/heads/talkgit/ab12cd34/01-x", sha, expected=None)
    tx.add_note(STEP_NOTES_REF, sha, json.dumps({"schema": "talkgit.step/v1"}) + "\n")
    tx.commit()
    assert git(repo, "rev-parse", "talkgit/ab12cd34/01-x").strip() == sha
    shown = git(repo, "notes", "--ref=talkgit/steps", "show", sha)
    assert json.loads(shown) == {"schema": "talkgit.step/v1"}
    assert read_json_note(opened, STEP_NOTES_REF, sha) == {"schema": "talkgit.step/v1"}
    assert user_state(repo) == before
    fsck(repo)


def test_a_note_is_redacted_and_a_commit_message_too(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    key = "sk-proj-abcDEF1234567890abcdef"
    sha = create_commit(
        opened, base=opened.head(), changes=[FileChange("a.py", b"A = 1\n")], message=f"{key}\n"
    )
    tx = Transaction(opened)
    tx.add_note(STEP_NOTES_REF, sha, json.dumps({"reason": f"echoed {key}"}) + "\n")
    tx.commit()

    note = json.loads(git(repo, "notes", "--ref=talkgit/steps", "show", sha))
    assert note == {"reason": "echoed [REDACTED]"}
    assert git(repo, "log", "-1", "--format=%B", sha).strip() == "[REDACTED]"


def test_a_stale_expectation_applies_nothing(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    first, second = _commit(opened, b"1\n"), _commit(opened, b"2\n")
    git(repo, "update-ref", "refs/talkgit/runs/abcd1234", first)
    tx = Transaction(opened)
    tx.set_ref("refs/heads/talkgit/abcd1234/01-x", second, expected=None)
    tx.add_note(STEP_NOTES_REF, second, "{}\n")
    tx.set_ref("refs/talkgit/runs/abcd1234", second, expected=None)  # wrong: it exists
    with pytest.raises(ConcurrentUpdateError, match="moved underneath us"):
        tx.commit()
    assert opened.ref_target("refs/heads/talkgit/abcd1234/01-x") is None
    assert opened.ref_target(STEP_NOTES_REF) is None
    assert opened.ref_target("refs/talkgit/runs/abcd1234") == first
    assert not list((repo / ".git" / "refs").rglob("*.lock"))


def test_a_ref_locked_by_git_is_a_concurrent_update(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    sha = _commit(opened)
    lock = repo / ".git" / "refs" / "heads" / "main.lock"
    lock.write_text("")
    tx = Transaction(opened)
    tx.set_ref("refs/heads/main", sha, expected=opened.head())
    with pytest.raises(ConcurrentUpdateError, match="locked"):
        tx.commit()
    lock.unlink()


def test_delete_is_compare_and_swap_too(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    sha = _commit(opened)
    git(repo, "branch", "talkgit/abcd1234/integration", sha)
    tx = Transaction(opened)
    tx.delete_ref("refs/heads/talkgit/abcd1234/integration", expected=opened.head())
    with pytest.raises(ConcurrentUpdateError):
        tx.commit()
    tx = Transaction(opened)
    tx.delete_ref("refs/heads/talkgit/abcd1234/integration", expected=sha)
    tx.commit()
    assert opened.ref_target("refs/heads/talkgit/abcd1234/integration") is None


def test_notes_replace_and_keep_a_fanned_out_layout(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    target = commit_file(repo, "n.txt", "n\n")
    other = opened.resolve("HEAD~1")
    # A notes tree fanned out the way git lays out large notes refs: ab/cdef...
    fanned = create_commit(
        opened,
        base=None,
        changes=[FileChange(f"{other[:2]}/{other[2:]}", b"old other\n")],
        message="n\n",
    )
    git(repo, "update-ref", STEP_NOTES_REF, fanned)
    for text in ("first\n", "second\n"):
        tx = Transaction(opened)
        tx.add_note(STEP_NOTES_REF, target, text)
        tx.commit()
    assert git(repo, "notes", "--ref=talkgit/steps", "show", target) == "second\n"
    assert read_note(opened, STEP_NOTES_REF, other) == "old other\n"
    tree = git(repo, "ls-tree", "-r", "--name-only", STEP_NOTES_REF).split()
    assert f"{target[:2]}/{target[2:]}" in tree and target not in tree
    fsck(repo)


def test_a_large_flat_notes_tree_fans_out_and_git_still_reads_every_note(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    targets = [str(opened.raw.create_blob(f"{n}\n".encode())) for n in range(FANOUT_AT + 1)]
    tx = Transaction(opened)
    for target in targets[:FANOUT_AT]:
        tx.add_note(STEP_NOTES_REF, target, f"note {target}\n")
    tx.commit()  # one commit of FANOUT_AT flat notes: the layout git uses for few notes
    assert len(git(repo, "ls-tree", STEP_NOTES_REF).splitlines()) == FANOUT_AT
    tx = Transaction(opened)
    tx.add_note(STEP_NOTES_REF, targets[-1], "the last\n")
    tx.commit()
    top = git(repo, "ls-tree", STEP_NOTES_REF).splitlines()
    assert top and all(line.split()[1] == "tree" and len(line.split()[3]) == 2 for line in top)
    assert len(git(repo, "notes", "--ref=talkgit/steps", "list").splitlines()) == FANOUT_AT + 1
    assert git(repo, "notes", "--ref=talkgit/steps", "show", targets[0]) == f"note {targets[0]}\n"
    assert git(repo, "notes", "--ref=talkgit/steps", "show", targets[-1]) == "the last\n"
    assert read_note(opened, STEP_NOTES_REF, targets[1]) == f"note {targets[1]}\n"
    fsck(repo)


def test_deleting_packed_refs_while_git_packs_refs_deletes_them_all(repo: Path) -> None:
    """Deleting a packed ref takes packed-refs.lock, which `git pack-refs` (and so
    `git gc`) holds meanwhile; libgit2 had already deleted some of the loose refs, so the
    transaction failed half applied. It is retried until every ref has gone."""
    opened = GitRepo.discover(repo)
    head = opened.head()
    stop = threading.Event()

    def pack_refs() -> None:
        while not stop.is_set():
            subprocess.run(
                ["git", "pack-refs", "--all"], cwd=repo, capture_output=True, check=False
            )

    packer = threading.Thread(target=pack_refs)
    packer.start()
    try:
        for round_ in range(60):
            names = [f"refs/heads/gone/{round_}/{n}" for n in range(3)]
            tx = Transaction(opened)
            for name in names:
                tx.set_ref(name, head, expected=None)
            tx.commit()
            git(repo, "pack-refs", "--all")
            tx = Transaction(opened)
            for name in names:
                tx.delete_ref(name, expected=head)
            tx.commit()
    finally:
        stop.set()
        packer.join()
    assert git(repo, "for-each-ref", "refs/heads/gone") == ""
    fsck(repo)
