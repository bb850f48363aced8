"""What a `talkgit finish` is about to do to a checkout, written down before it starts.

``.git/talkgit/finish/<run>.json`` holds the branch, its old and new commits and the paths
that change. It is written whole (a temporary file, synced, then renamed) before the
first file of the working tree is touched, and removed once the branch has moved or the
checkout is put back. A record left behind by a process that is gone means a finish died
half-way; ``talkgit.git.checkout.repair_finishes`` reads it to put things right.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from talkgit.files import write_atomically
from talkgit.git.repo import GitRepo
from talkgit.proc import holder_alive

INTENT_DIR = "finish"


class FinishIntent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    run: str
    workdir: str  # the checkout it changes: each worktree repairs its own
    branch: str  # refs/heads/…
    old: str
    new: str
    paths: tuple[str, ...]  # empty when the branch is not checked out here
    pid: int
    host: str

    @classmethod
    def begin(
        cls, repo: GitRepo, *, run: str, branch: str, old: str, new: str, paths: tuple[str, ...]
    ) -> FinishIntent:
        """Write the record (durably) and return it."""
        record = cls(
            run=run,
            workdir=str(repo.workdir),
            branch=branch,
            old=old,
            new=new,
            paths=paths,
            pid=os.getpid(),
            host=socket.gethostname(),
        )
        write_atomically(_path(repo, run), record.model_dump_json(indent=2) + "\n", sync=True)
        return record

    def end(self, repo: GitRepo) -> None:
        _path(repo, self.run).unlink(missing_ok=True)

    @property
    def alive(self) -> bool:
        return holder_alive({"pid": self.pid, "host": self.host})


def abandoned(repo: GitRepo) -> list[FinishIntent]:
    """The records of this checkout whose finish process is gone."""
    found = []
    for path in sorted((repo.private_dir / INTENT_DIR).glob("*.json")):
        try:
            record = FinishIntent.model_validate_json(path.read_bytes())
        except (OSError, ValidationError):
            continue  # not ours to judge: written whole, so never half a record
        if Path(record.workdir) == repo.workdir and not record.alive:
            found.append(record)
    return found


def _path(repo: GitRepo, run: str) -> Path:
    return repo.private_dir / INTENT_DIR / f"{run}.json"
