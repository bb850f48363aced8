"""One process drives a run at a time: a lock file, and taking over from a dead holder."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from talkgit.errors import ConcurrentUpdateError, translate_no_space
from talkgit.git.names import LEDGER_PREFIX, RUN_NOTES_REF, STEP_NOTES_REF, run_branches_prefix
from talkgit.git.repo import GitRepo
from talkgit.git.transaction import clear_stale_locks
from talkgit.proc import holder_alive

# A lock on a shared ref (the notes) older than this, when a run's driver died, is no live
# writer's: they hold ref locks for milliseconds. The run's own refs have no other writer.
STALE_REF_LOCK_S = 2.0


class RunLock:
    """``.git/talkgit/locks/<run>.lock``, holding the driver's pid and host.

    A second process is refused while the holder lives; a lock whose process is gone
    (killed, crashed, power cut) is taken over with a message, and the git ref locks that
    process may have left half-way through an update are cleared.
    """

    def __init__(self, repo: GitRepo, run_id: str, say: Callable[[str], object]) -> None:
        self.repo, self.run_id, self.say = repo, run_id, say
        self.path = repo.private_dir / "locks" / f"{run_id}.lock"

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> None:
        with translate_no_space(f"locking run {self.run_id}"):
            self._acquire()

    def _acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._create():
            return
        holder = _read(self.path)
        if holder_alive(holder):
            raise ConcurrentUpdateError(
                f"run {self.run_id} is being driven by process {holder.get('pid')} "
                f"on {holder.get('host')}; wait for it, or stop it first"
            )
        self.say(f"taking over run {self.run_id} from process {holder.get('pid')}, which is gone")
        self.path.unlink(missing_ok=True)
        self._clear_ref_locks()
        if not self._create():
            raise ConcurrentUpdateError(f"another process took over run {self.run_id} first")

    def release(self) -> None:
        if _read(self.path).get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)

    def _create(self) -> bool:
        # Written aside, then linked into place: the lock never exists half-written.
        draft = self.path.with_name(f"{self.path.name}.{os.getpid()}")
        try:  # a full disk may fail the write half-way: the draft goes all the same
            draft.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
            os.link(draft, self.path)
        except FileExistsError:
            return False
        finally:
            draft.unlink(missing_ok=True)
        return True

    def _clear_ref_locks(self) -> None:
        """The dead driver's ref locks: its run's own at once, the shared notes once stale."""
        branches = run_branches_prefix(self.run_id)
        own = [
            str(path.relative_to(self.repo.common_dir)).removesuffix(".lock")
            for path in (self.repo.common_dir / branches).glob("*.lock")
        ]
        own.append(f"{LEDGER_PREFIX}{self.run_id}")
        freed = clear_stale_locks(self.repo, own, older_than_s=0)
        # Another run's writer may hold a notes ref's lock right now: wait to tell which.
        freed += clear_stale_locks(self.repo, [STEP_NOTES_REF, RUN_NOTES_REF], STALE_REF_LOCK_S)
        for ref in freed:
            self.say(f"removed the stale git lock on {ref}")


def _read(path: Path) -> dict[str, object]:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
