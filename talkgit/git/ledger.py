"""The run ledger: ``refs/talkgit/runs/<run-id>``, a chain of commits holding a run's state.

Each ledger commit's tree is the whole state (``run.json``, ``plan.json``, ``steps/*.json``,
transcripts, the response cache). Its first parent is the previous state; further parents
are the step commits recorded since, so every step commit stays reachable — and keeps its
note meaningful — after its branch is deleted and ``git gc`` runs.

A ledger is shared (``talkgit sync``) and holds prompts built from the repository's files,
so every file is redacted on its way in (``talkgit.redaction``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pygit2

from talkgit.edits.model import FileChange
from talkgit.git.names import LEDGER_PREFIX, ledger_ref
from talkgit.git.repo import GitRepo
from talkgit.git.transaction import Transaction
from talkgit.git.trees import commit_tree, write_tree
from talkgit.redaction import Redactor, redactor


def list_runs(repo: GitRepo) -> list[str]:
    """Every run id that has a ledger, sorted."""
    return sorted(name.removeprefix(LEDGER_PREFIX) for name in repo.refs_under(LEDGER_PREFIX))


class Ledger:
    """One run's ledger. Reads see the tip as of the last ``refresh``; writes are CAS on it."""

    def __init__(self, repo: GitRepo, run_id: str) -> None:
        self.repo = repo
        self.run_id = run_id
        self.ref = ledger_ref(run_id)
        self.tip = repo.ref_target(self.ref)

    def refresh(self) -> str | None:
        self.tip = self.repo.ref_target(self.ref)
        return self.tip

    @property
    def exists(self) -> bool:
        return self.tip is not None

    def read(self, path: str) -> bytes | None:
        return None if self.tip is None else self.repo.read_file(self.tip, path)

    def read_json(self, path: str) -> Any:
        data = self.read(path)
        return None if data is None else json.loads(data)

    def list(self, directory: str) -> list[str]:
        """Names of the files directly in ``directory`` of the ledger tree, sorted."""
        if self.tip is None:
            return []
        try:
            tree = self.repo.commit(self.tip).tree[directory]
        except KeyError:
            return []
        if not isinstance(tree, pygit2.Tree):
            return []
        return sorted(entry.name for entry in tree if entry.name is not None)

    def stage(
        self,
        tx: Transaction,
        files: Mapping[str, bytes | None],
        *,
        keep: Sequence[str] = (),
        message: str = "talkgit: update run state",
    ) -> str:
        """Write the next ledger commit and queue its CAS in ``tx``; return its sha.

        ``files`` maps ledger paths to new bytes (None deletes); ``keep`` are commits to
        hold reachable. The ledger's tip only moves when ``tx`` commits; then ``self.tip``
        should be set to the returned sha (see ``write``). Every file is redacted first.
        """
        redact = redactor()
        files = {
            path: None if data is None else _redacted(data, redact) for path, data in files.items()
        }
        with self.repo.lock:
            base_tree = self.repo.commit(self.tip).tree_id if self.tip else None
            tree_id = write_tree(self.repo, base_tree, [FileChange(p, d) for p, d in files.items()])
            parents = ([self.tip] if self.tip else []) + [
                c for c in dict.fromkeys(keep) if c != self.tip
            ]
            new_tip = commit_tree(self.repo, tree_id, message + "\n", parents)
        tx.set_ref(self.ref, new_tip, expected=self.tip)
        return new_tip

    def write(
        self,
        files: Mapping[str, bytes | None],
        *,
        keep: Sequence[str] = (),
        message: str = "talkgit: update run state",
    ) -> str:
        """Stage and commit on its own: one CAS update of the ledger."""
        # One step for threads sharing this repo (the batch holds its lock); the objects
        # go to disk as a pack `git gc` cannot prune before the ledger names them.
        with self.repo.batch():
            tx = Transaction(self.repo, message=f"talkgit ledger {self.run_id}")
            new_tip = self.stage(tx, files, keep=keep, message=message)
            tx.commit()
            self.tip = new_tip
        return new_tip


def _redacted(data: bytes, redact: Redactor) -> bytes:
    text = data.decode("utf-8", "surrogateescape")
    cleaned = redact.document(text)
    return data if cleaned == text else cleaned.encode("utf-8", "surrogateescape")


def dump_json(value: object) -> bytes:
    """Ledger files are pretty, sorted JSON so plain `git show` diffs them readably.

    A file name that is not UTF-8 holds surrogate escapes; written as ``\\udce9`` they are
    a JSON escape that reads back as the same str, and the file stays UTF-8.
    """
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return text.encode("utf-8", "backslashreplace")
