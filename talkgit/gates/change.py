"""Judging a change in a repository: the gates on its head, compared with its base.

This is what `talkgit check`, the runner, the hooks and `talkgit review` share: both
sides are checked out in private worktrees (never the user's checkout), the base's
findings are cached per base commit, and only what the change adds is judged, with the
change's diff saying where each head line was at the base.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from talkgit.filenames import as_bytes
from talkgit.gates.base import Change, Target
from talkgit.gates.base_rules import restore_from_base, rules_touched
from talkgit.gates.commands import command_for
from talkgit.git import worktrees
from talkgit.git.diff import Hunk, line_hunks
from talkgit.git.repo import GitRepo
from talkgit.proc import StartedCommands
from talkgit.testing.location import repository_cache

if TYPE_CHECKING:  # imported when judging: start_head runs before them, to start tools sooner
    from talkgit.gates.evaluate import GateReport
    from talkgit.gates.policy import GatePolicy, Waiver
    from talkgit.gates.rules import GateRules

DEFAULT_TIMEOUT = 600.0


@dataclass(frozen=True)
class HeadStart:
    """A change's head checked out in its lane's worktree, with gates' tools running on it."""

    change: Change
    lane: str
    target: Target

    def close(self) -> None:
        """Kill the tools no gate took over (and, after an error, those still running)."""
        if self.target.started is not None:
            self.target.started.close()


def start_head(
    repo: GitRepo, change: Change, gates: Sequence[str], *, lane: str = "check"
) -> HeadStart:
    """Check out the change's head and start the tools of ``gates`` on it, before judging.

    For a caller that has yet to read its configuration: the tools run meanwhile, and
    ``judge(..., head_start=)`` takes over those its gates run, exactly as they would
    have run them. ``gates`` is a guess (only the built-in tool gates start); ``close``
    the HeadStart afterwards, in a ``finally``, to kill the rest.
    """
    started = StartedCommands()
    target = _target(repo, f"{lane}-head", change.head, change.files, DEFAULT_TIMEOUT)
    target = replace(target, started=started)
    for gate in dict.fromkeys(gates):
        command = command_for(gate, target)
        if command is not None:
            started.start(*command, cwd=target.root)
    return HeadStart(change, lane, target)


def judge(
    repo: GitRepo,
    change: Change,
    *,
    gates: Sequence[str],
    policies: dict[str, GatePolicy],
    waivers: Sequence[Waiver],
    today: date,
    lane: str = "check",
    timeout: float = DEFAULT_TIMEOUT,
    head_start: HeadStart | None = None,
    test_command: Sequence[str] | None = None,
    rules_from_base: bool = False,
) -> GateReport:
    """Run ``gates`` on the change and judge what it adds. No file changed: no tool runs.

    ``head_start`` (from ``start_head`` on this change and lane) has the head checked out
    and some tools running already. ``test_command`` is the project's (the pytest gate
    runs it when it runs pytest); a tree's test run is shared by every lane and kept.
    ``rules_from_base``: the head is untrusted (a pull request, a model's step), so the
    tool configuration it touches is judged as the base has it (``talkgit.gates.base_rules``).
    """
    from talkgit.gates.evaluate import BaseCache, GateReport, evaluate
    from talkgit.gates.policy import expired_waivers
    from talkgit.gates.registry import make_gates

    if not change.files:
        return GateReport((), expired_waivers(waivers, today), change.base is not None)
    cache_root = repo.private_dir / "cache" / "gates"
    tests = tuple(test_command) if test_command is not None else None
    head = replace(_head_target(repo, change, lane, timeout, head_start), test_command=tests)
    set_aside = _base_rules(repo, change, head) if rules_from_base else ()
    if set_aside:  # the worktree no longer holds the head's tree: nothing to share by it
        head = replace(head, tree="")
    base = (
        _Once(repo, f"{lane}-base", change.base, change.files, timeout, tests)
        if change.base
        else None
    )
    report = evaluate(
        make_gates(gates),
        head,
        base,
        policies,
        waivers,
        base_cache=BaseCache(cache_root / "base"),
        base_key=_base_key(change),
        today=today,
        hunks=lambda: _hunks(repo, change),
    )
    return replace(report, base_rules=set_aside)


def judge_with_rules(
    repo: GitRepo,
    change: Change,
    rules: GateRules,
    *,
    today: date,
    lane: str = "check",
    head_start: HeadStart | None = None,
    rules_from_base: bool = False,
) -> GateReport:
    """``judge`` with the rules ``talkgit.gates.rules.gate_rules`` assembled: how `talkgit
    check`, `talkgit review` and a run's lanes judge a change."""
    return judge(
        repo,
        change,
        gates=rules.gates,
        policies=dict(rules.policies),
        waivers=rules.waivers,
        today=today,
        lane=lane,
        timeout=rules.timeout,
        head_start=head_start,
        test_command=rules.test_command,
        rules_from_base=rules_from_base,
    )


def _head_target(
    repo: GitRepo, change: Change, lane: str, timeout: float, head_start: HeadStart | None
) -> Target:
    """The head's worktree: the one ``head_start`` checked out, or a new checkout."""
    if head_start is None:
        return _target(repo, f"{lane}-head", change.head, change.files, timeout)
    if head_start.change == change and head_start.lane == lane:
        return replace(head_start.target, timeout=timeout)
    # Checking out again would pull the tree from under the running tools.
    raise ValueError("head_start was started on another change or lane")


def _hunks(repo: GitRepo, change: Change) -> dict[str, tuple[Hunk, ...]]:
    return line_hunks(repo, change.base, change.head, change.files) if change.base else {}


def _base_rules(repo: GitRepo, change: Change, head: Target) -> tuple[str, ...]:
    """Put the base's version of the rules the change touches into the head's worktree."""
    if change.base is None:
        return ()
    touched = rules_touched(repo, change.base, change.files)
    restore_from_base(repo, change.base, head.root, touched)
    return touched


def _target(
    repo: GitRepo,
    name: str,
    commit: str,
    files: tuple[str, ...],
    timeout: float,
    test_command: tuple[str, ...] | None = None,
) -> Target:
    root = worktrees.materialize(repo, name, commit)
    # A link is checked out as a file holding its text (talkgit.git.worktrees): no tool
    # reads it, as none reads a link elsewhere (talkgit.gates.base.plain_file).
    links = repo.links(commit, files)
    # A cache per worktree: head and base run at once, and mypy's cache is tied to paths.
    cache_dir = repo.private_dir / "cache" / "gates" / name
    cache_dir.mkdir(parents=True, exist_ok=True)
    return Target(
        root=root,
        files=tuple(path for path in files if path not in links),
        cache_dir=cache_dir,
        timeout=timeout,
        tree=repo.tree_of(commit),
        suite_cache=repository_cache(repo.private_dir),
        test_command=test_command,
    )


class _Once:
    """The base's worktree, made the first time a gate needs it (not at all when cached)."""

    def __init__(
        self,
        repo: GitRepo,
        name: str,
        commit: str,
        files: tuple[str, ...],
        timeout: float,
        test_command: tuple[str, ...] | None,
    ) -> None:
        self.args = (repo, name, commit, files, timeout, test_command)
        self.lock = threading.Lock()
        self.target: Target | None = None

    def __call__(self) -> Target:
        with self.lock:
            if self.target is None:
                self.target = _target(*self.args)
            return self.target


def _base_key(change: Change) -> str:
    files = hashlib.sha256(as_bytes("\0".join(change.files))).hexdigest()
    return f"{change.base}:{files}"
