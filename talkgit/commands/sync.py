"""`talkgit sync [REMOTE]`: share step notes, run notes and run ledgers, clobbering no one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from talkgit import exit_codes
from talkgit.git.names import LEDGER_PREFIX
from talkgit.git.remote import RefSync, SyncReport, sync_talkgit_refs, tracking_ref
from talkgit.git.repo import GitRepo


def sync(directory: Path, remote: str = "origin", *, out: TextIO | None = None) -> int:
    """Fetch, merge and push talkgit's refs; exit 1 when a run ledger diverged (left as is)."""
    out = out or sys.stdout
    report = sync_talkgit_refs(GitRepo.discover(directory), remote)
    out.writelines(line + "\n" for line in describe(report))
    return exit_codes.FAILURE if report.diverged else exit_codes.OK


def describe(report: SyncReport) -> list[str]:
    """What happened, one line per fact; nothing about refs that were already in step."""
    lines = []
    if report.rewrite_refs_added:
        added = ", ".join(report.rewrite_refs_added)
        lines.append(f"notes.rewriteRef += {added} (amend and rebase now carry the notes)")
    lines += [_describe_ref(result, report.remote) for result in report.refs]
    if report.pushed:
        lines.append(f"pushed to {report.remote}: {', '.join(map(_name, report.pushed))}")
    if report.push_attempts > 1:
        lines.append(
            f"{report.remote} moved meanwhile: fetched, merged and pushed again "
            f"({report.push_attempts} attempts, never forced)"
        )
    verdict = "diverged runs need a look" if report.diverged else "in sync"
    lines.append(f"{report.remote}: {verdict}")
    return lines


def _describe_ref(result: RefSync, remote: str) -> str:
    name = _name(result.ref)
    if result.outcome == "diverged":
        return (
            f"{name}: diverged from {remote} (here {_short(result.local)}, "
            f"{remote} {_short(result.remote)}); both left as they are — compare with "
            f"`git log --oneline {result.ref}...{tracking_ref(remote, result.ref)}`"
        )
    line = f"{name}: {result.outcome} from {remote}"
    if result.kept_ours:
        commits = ", ".join(sha[:10] for sha in result.kept_ours[:5])
        more = f" and {len(result.kept_ours) - 5} more" if len(result.kept_ours) > 5 else ""
        line += (
            f"; {len(result.kept_ours)} commit(s) annotated differently on both sides "
            f"kept our note: {commits}{more}"
        )
    return line


def _name(ref: str) -> str:
    """``refs/talkgit/runs/<id>`` -> ``run <id>``; notes refs keep their full name."""
    return f"run {ref.removeprefix(LEDGER_PREFIX)}" if ref.startswith(LEDGER_PREFIX) else ref


def _short(sha: str | None) -> str:
    return sha[:10] if sha else "nothing"
