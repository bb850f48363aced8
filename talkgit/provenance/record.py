"""Recording one step: commit, branch, note and ledger update in one compare-and-swap."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from talkgit.edits.model import FileChange
from talkgit.git.ledger import Ledger
from talkgit.git.names import STEP_NOTES_REF
from talkgit.git.repo import GitRepo
from talkgit.git.transaction import Transaction
from talkgit.git.trees import commit_tree, write_tree
from talkgit.provenance.schema import StepNote


@dataclass(frozen=True)
class RecordedStep:
    commit: str
    tree: str
    branch: str
    ledger_tip: str


NoteFactory = Callable[[str, str], StepNote]  # (commit sha, tree sha) -> the step's note
LedgerFiles = Callable[[str], Mapping[str, bytes | None]]  # commit sha -> ledger files to write


def stage_step(
    repo: GitRepo,
    tx: Transaction,
    *,
    branch: str,
    base: str,
    changes: Sequence[FileChange],
    message: str,
    note: NoteFactory,
) -> tuple[str, str]:
    """Write the step's commit object and queue its new branch and its note in ``tx``.

    Returns (commit, tree). Nothing is published until ``tx`` commits, so the caller can
    add its own updates (the ledger, an integration branch) to the same transaction.
    """
    # the tree id comes from writing it: no read back of the new commit
    tree_id = write_tree(repo, repo.commit(base).tree_id, changes)
    commit = commit_tree(repo, tree_id, message, [base])
    tree = str(tree_id)
    tx.set_ref(branch, commit, expected=None)
    tx.add_note(STEP_NOTES_REF, commit, note(commit, tree).to_json())
    return commit, tree


def record_step(
    repo: GitRepo,
    ledger: Ledger,
    *,
    branch: str,
    base: str,
    changes: Sequence[FileChange],
    message: str,
    note: NoteFactory,
    ledger_files: LedgerFiles,
) -> RecordedStep:
    """Commit ``changes`` on ``base`` and publish it: branch, note and ledger move together.

    The branch must not exist yet (each attempt gets a fresh one). If any ref moved
    underneath us nothing is published; the commit object is left for ``git gc``.
    """
    with repo.batch():  # one pack for the step's objects, stored just before the refs move
        tx = Transaction(repo, message=f"talkgit step {branch}")
        commit, tree = stage_step(
            repo, tx, branch=branch, base=base, changes=changes, message=message, note=note
        )
        new_tip = ledger.stage(
            tx, ledger_files(commit), keep=[commit], message=f"talkgit: record {branch}"
        )
        tx.commit()
        ledger.tip = new_tip
    return RecordedStep(commit=commit, tree=tree, branch=branch, ledger_tip=new_tip)
