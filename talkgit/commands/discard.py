"""`talkgit discard RUN` and `talkgit gc --older-than D`: letting runs go.

Discarding deletes a run's branches (``talkgit/<run>/*``) by compare-and-swap. Its ledger
stays, and with it every step commit and note, so provenance survives; ``--purge`` deletes
the ledger too, and the run's private worktrees. ``gc`` purges every run last updated
longer ago than a duration. A run in progress is never touched.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from talkgit import exit_codes
from talkgit.engine.runs import locked_run, open_run
from talkgit.engine.state import RunRecord, now
from talkgit.errors import TalkgitError, UsageError
from talkgit.git import worktrees
from talkgit.git.checkout import checked_out_branches
from talkgit.git.ledger import Ledger, list_runs
from talkgit.git.names import run_branches_prefix, short_branch
from talkgit.git.repo import GitRepo
from talkgit.git.transaction import Transaction

IN_PROGRESS = ("planning", "running")


@dataclass(frozen=True)
class Removed:
    """What letting a run go removed: branch -> the commit it pointed at, ledger, worktrees."""

    branches: dict[str, str]
    ledger: str | None  # the ledger's last commit, when purged
    worktrees: tuple[str, ...]


def discard(
    directory: Path, run_prefix: str, *, purge: bool = False, out: TextIO | None = None
) -> int:
    """Delete run ``run_prefix``'s branches; with ``purge``, its ledger and worktrees too."""
    out = out or sys.stdout
    repo = GitRepo.discover(directory)
    with locked_run(repo, run_prefix, lambda line: out.write(line + "\n")) as stored:
        if stored.record.status in IN_PROGRESS:
            raise UsageError(_in_progress(stored.record))
        removed = remove_run(repo, stored.ledger, purge=purge)
    out.write(_describe(stored.record.run, removed, purge=purge))
    return exit_codes.OK


def _in_progress(record: RunRecord) -> str:
    return (
        f"run {record.run} is {record.status}: let it end or stop it (Ctrl-C) first; "
        f"a run whose process died stays {record.status} until `talkgit resume {record.run}`"
    )


def remove_run(repo: GitRepo, ledger: Ledger, *, purge: bool) -> Removed:
    """Delete the run's branches (and with ``purge`` its ledger) in one CAS, then worktrees.

    Refused, with nothing deleted, while one of the branches is checked out somewhere.
    """
    branches = repo.refs_under(run_branches_prefix(ledger.run_id))
    _refuse_checked_out(repo, branches)
    tx = Transaction(repo, message=f"talkgit discard {ledger.run_id}")
    for name, target in sorted(branches.items()):
        tx.delete_ref(name, expected=target)
    purged = ledger.refresh() if purge else None
    if purged is not None:
        tx.delete_ref(ledger.ref, expected=purged)
    tx.commit()
    names = _remove_worktrees(repo, ledger.run_id) if purge else ()
    return Removed(branches, purged, names)


def _refuse_checked_out(repo: GitRepo, branches: dict[str, str]) -> None:
    checked_out = checked_out_branches(repo)
    for name in sorted(branches):
        if name in checked_out:
            raise UsageError(
                f"{short_branch(name)} is checked out in {checked_out[name]}: "
                "switch that worktree to another branch first"
            )


def _remove_worktrees(repo: GitRepo, run_id: str) -> tuple[str, ...]:
    """The run's private worktrees (named ``<run>-<NN>``); run ids hold no ``-``."""
    folder = worktrees.worktree_path(repo, run_id).parent
    names = sorted(p.name for p in folder.glob(f"{run_id}-*")) if folder.is_dir() else []
    for name in names:
        worktrees.remove(repo, name)
    return tuple(names)


def _describe(run_id: str, removed: Removed, *, purge: bool) -> str:
    lines = [
        f"deleted branch {short_branch(name)} (was {sha[:10]})"
        for name, sha in sorted(removed.branches.items())
    ]
    if not removed.branches:
        lines.append(f"run {run_id} has no branches left")
    if purge:
        lines += [f"removed worktree {name}" for name in removed.worktrees]
        lines.append(f"purged run {run_id}: its ledger refs/talkgit/runs/{run_id} is deleted")
    else:
        lines.append(
            f"kept run {run_id}'s ledger (its steps and notes stay readable); "
            f"`talkgit discard --purge {run_id}` deletes it too"
        )
    return "\n".join(lines) + "\n"


def gc(
    directory: Path,
    *,
    older_than: float,
    dry_run: bool = False,
    out: TextIO | None = None,
    clock: Callable[[], datetime] = now,
) -> int:
    """Purge every run not in progress and last updated more than ``older_than`` seconds ago."""
    if older_than < 0:
        raise UsageError(f"--older-than must not be negative (got {older_than:g} s)")
    out = out or sys.stdout
    repo = GitRepo.discover(directory)
    cutoff = clock() - timedelta(seconds=older_than)
    old = [run_id for run_id in list_runs(repo) if _collect(repo, run_id, cutoff, dry_run, out)]
    if not old:
        out.write(f"no run was last updated more than {_duration(older_than)} ago\n")
    return exit_codes.OK


def _collect(repo: GitRepo, run_id: str, cutoff: datetime, dry_run: bool, out: TextIO) -> bool:
    """Purge run ``run_id`` if it is older than ``cutoff`` and idle; say what became of it.

    Returns whether the run was that old (removed, or kept for a reason given).
    """
    try:
        record = open_run(repo, run_id).record
    except (TalkgitError, ValueError) as exc:  # ValueError: a run.json this version cannot read
        out.write(f"skipped run {run_id}: cannot read it ({str(exc).splitlines()[0]})\n")
        return False
    if record.updated >= cutoff:
        return False
    what = _shorten(
        f"run {run_id} ({record.status}, updated {record.updated:%Y-%m-%d %H:%M}): {record.task}"
    )
    if record.status in IN_PROGRESS:
        out.write(f"kept {what} — in progress\n")
    elif dry_run:
        out.write(f"would remove {what}\n")
    else:
        out.write(_purge(repo, run_id, what))
    return True


def _purge(repo: GitRepo, run_id: str, what: str) -> str:
    try:
        removed = remove_run(repo, Ledger(repo, run_id), purge=True)
    except UsageError as exc:  # a branch checked out somewhere: leave this run alone
        return f"kept {what} — {exc}\n"
    count = len(removed.branches)
    return f"removed {what} — {count} branch{'es' if count != 1 else ''}\n"


def _shorten(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
