"""Ref names and run ids — the layout contract of DESIGN.md, in one place."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from talkgit.errors import NotFoundError, UsageError

BRANCH_PREFIX = "refs/heads/talkgit/"
LEDGER_PREFIX = "refs/talkgit/runs/"
STEP_NOTES_REF = "refs/notes/talkgit/steps"
RUN_NOTES_REF = "refs/notes/talkgit/runs"

_RUN_ID = re.compile(r"^[0-9a-z]{4,32}$")
_STEP_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
RUN_ID_LENGTH = 8


def new_run_id(existing: Iterable[str]) -> str:
    """A short random id, unique among ``existing`` (hex, like a commit sha prefix)."""
    taken = set(existing)
    while True:
        candidate = secrets.token_hex(RUN_ID_LENGTH // 2)
        if candidate not in taken and not candidate.isdigit():
            return candidate


def check_run_id(run_id: str) -> str:
    if not _RUN_ID.match(run_id):
        raise UsageError(f"not a run id: {run_id!r} (lowercase letters and digits)")
    return run_id


def check_step_id(step_id: str) -> str:
    if not _STEP_ID.match(step_id):
        raise UsageError(
            f"not a step id: {step_id!r} (lowercase letters, digits, '.', '_' and '-'; 63 at most)"
        )
    return step_id


def resolve_run_id(prefix: str, known: Iterable[str]) -> str:
    """The one known run id starting with ``prefix``; an unknown or ambiguous prefix is an error."""
    if not prefix:  # every id starts with "": it would pick a run nobody named
        raise UsageError(
            "the run id is empty: give a run id or a prefix of one (see `talkgit runs`)"
        )
    matches = sorted(run for run in known if run.startswith(prefix))
    if not matches:
        raise NotFoundError(f"no run matches {prefix!r} (see `talkgit runs`)")
    if len(matches) > 1 and prefix not in matches:
        raise NotFoundError(f"run prefix {prefix!r} is ambiguous: {', '.join(matches[:5])}")
    return prefix if prefix in matches else matches[0]


def ledger_ref(run_id: str) -> str:
    return LEDGER_PREFIX + check_run_id(run_id)


def step_branch(run_id: str, index: int, step_id: str) -> str:
    """``refs/heads/talkgit/<run>/<NN>-<step>``: one per step attempt that changed files."""
    return f"{BRANCH_PREFIX}{check_run_id(run_id)}/{index:02d}-{check_step_id(step_id)}"


def integration_branch(run_id: str) -> str:
    # Never a bare talkgit/<run> branch: a ref cannot be both a file and a folder.
    return f"{BRANCH_PREFIX}{check_run_id(run_id)}/integration"


def run_branches_prefix(run_id: str) -> str:
    return f"{BRANCH_PREFIX}{check_run_id(run_id)}/"


def short_branch(ref: str) -> str:
    """``refs/heads/x`` -> ``x`` for messages and git commands a user will type."""
    return ref.removeprefix("refs/heads/")
