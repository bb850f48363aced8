"""Judging a change in a repository: the gates on its head, compared with its base.

This is what `talkgit check`, the runner, the hooks and `talkgit review` share: both
sides are checked out in private worktrees (never the user's checkout), the base's
findings are cached per base commit, and only what the change adds is judged.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from datetime import date

from talkgit.gates.base import Change, Target
from talkgit.gates.evaluate import BaseCache, GateReport, evaluate
from talkgit.gates.policy import GatePolicy, Waiver, expired_waivers
from talkgit.gates.registry import make_gates
from talkgit.git import worktrees
from talkgit.git.repo import GitRepo


def judge(
    repo: GitRepo,
    change: Change,
    *,
    gates: Sequence[str],
    policies: dict[str, GatePolicy],
    waivers: Sequence[Waiver],
    today: date,
    lane: str = "check",
    timeout: float = 600.0,
) -> GateReport:
    """Run ``gates`` on the change and judge what it adds. No file changed: no tool runs."""
    if not change.files:
        return GateReport((), expired_waivers(waivers, today), change.base is not None)
    cache_root = repo.private_dir / "cache" / "gates"
    head = _target(repo, f"{lane}-head", change.head, change.files, timeout)
    base = _Once(repo, f"{lane}-base", change.base, change.files, timeout) if change.base else None
    return evaluate(
        make_gates(gates),
        head,
        base,
        policies,
        waivers,
        base_cache=BaseCache(cache_root / "base"),
        base_key=_base_key(change),
        today=today,
    )


def _target(
    repo: GitRepo, name: str, commit: str, files: tuple[str, ...], timeout: float
) -> Target:
    root = worktrees.materialize(repo, name, commit)
    # A cache per worktree: head and base run at once, and mypy's cache is tied to paths.
    cache_dir = repo.private_dir / "cache" / "gates" / name
    cache_dir.mkdir(parents=True, exist_ok=True)
    return Target(root=root, files=files, cache_dir=cache_dir, timeout=timeout)


class _Once:
    """The base's worktree, made the first time a gate needs it (not at all when cached)."""

    def __init__(
        self, repo: GitRepo, name: str, commit: str, files: tuple[str, ...], timeout: float
    ) -> None:
        self.args = (repo, name, commit, files, timeout)
        self.lock = threading.Lock()
        self.target: Target | None = None

    def __call__(self) -> Target:
        with self.lock:
            if self.target is None:
                self.target = _target(*self.args)
            return self.target


def _base_key(change: Change) -> str:
    files = hashlib.sha256("\0".join(change.files).encode()).hexdigest()
    return f"{change.base}:{files}"
