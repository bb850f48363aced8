"""`talkgit check-staged` and `talkgit check-push`: the gates as git hooks run them.

check-staged is the pre-commit stage: the index git is about to commit, against HEAD. It
reads the index through git, so ``GIT_INDEX_FILE`` counts and ``git commit -a`` or
``git commit PATHS`` are judged as they will be committed.

check-push is the pre-push stage: each range being pushed, taken from pre-commit's
``PRE_COMMIT_FROM_REF``/``PRE_COMMIT_TO_REF`` or from the lines git writes on a pre-push
hook's stdin (githooks(5)). A deleted ref is skipped; a branch new to the remote is judged
from where it leaves the remote's default branch (``refs/remotes/<remote>/HEAD``), else from
the parent of its first commit the remote does not have; a history the remote has none of
is judged whole, every finding counting.

As with `talkgit check`, only the findings a change adds count; exit 0, 1 or 8.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from talkgit import exit_codes
from talkgit.checking import NOTHING_TO_CHECK, judge_change, working_tree_rules
from talkgit.errors import RepositoryError, UsageError
from talkgit.gates.base import Change
from talkgit.git.command import git
from talkgit.git.repo import GitRepo
from talkgit.git.snapshot import changed_paths, index_tree, snapshot_commit
from talkgit.git.treeview import CommitTree

if TYPE_CHECKING:
    from talkgit.gates.rules import GateRules


class RefUpdate(NamedTuple):
    """One line git gives a pre-push hook: what is pushed where, and what is there now."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str


class PushRange(NamedTuple):
    """What one pushed ref adds: ``base`` (None: the remote has none of it) to ``head``."""

    ref: str
    base: str | None
    head: str


def check_staged(
    directory: Path,
    *,
    gates: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Judge what is staged against HEAD; ``gates`` picks some gates (default: check_gates).

    ``environ`` is the environment git gave the hook: its ``GIT_INDEX_FILE`` names the index
    being committed, and ``TALKGIT_*`` settings apply. Before the first commit there is
    nothing to compare with: it says so and passes.
    """
    env = os.environ if environ is None else environ
    stream = out or sys.stdout
    try:
        repo = GitRepo.discover(directory)
    except RepositoryError:
        if not _is_unborn(directory):
            raise
        stream.write("talkgit: no commit yet, so nothing to compare with: not checked\n")
        return exit_codes.OK
    head = repo.head()
    tree = index_tree(repo, env)
    change = Change(snapshot_commit(repo, tree, head), head, changed_paths(repo, head, tree))
    if not change.files:  # the common case: answer before loading configuration and gates
        stream.write(NOTHING_TO_CHECK)
        return exit_codes.OK
    return _judge(repo, change, working_tree_rules(repo, chosen_gates(gates), env), stream)


def check_push(
    directory: Path,
    remote: str | None = None,
    *,
    stdin: TextIO | None = None,
    gates: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Judge each range being pushed to ``remote``; the worst exit code wins (8, then 1).

    The ranges come from pre-commit's environment when it ran us, else from ``stdin`` in
    the format git gives a pre-push hook.
    """
    env = os.environ if environ is None else environ
    stream = out or sys.stdout
    repo = GitRepo.discover(directory)
    ranges = _ranges_to_check(repo, remote, stdin, env)
    if not ranges:
        stream.write("talkgit: this push adds no commit to check\n")
        return exit_codes.OK
    rules = working_tree_rules(repo, chosen_gates(gates), env)
    codes = []
    for pushed in ranges:
        stream.write(f"talkgit: {_describe(pushed)}\n")
        codes.append(_judge(repo, _change_of(repo, pushed), rules, stream))
    return _worst(codes)


def chosen_gates(gates: Sequence[str]) -> tuple[str, ...]:
    """``gates`` without repeats; UsageError for a name that is no gate."""
    from talkgit.gates.registry import gate_names, unknown_gates

    unknown = unknown_gates(gates)  # plug-ins are looked for only for a name not built in
    if unknown:
        known = ", ".join(gate_names())
        raise UsageError(f"unknown gate {unknown[0]!r}: the gates are {known}")
    return tuple(dict.fromkeys(gates))


def parse_updates(text: str) -> list[RefUpdate]:
    """The lines git writes on a pre-push hook's stdin; UsageError for any other line."""
    updates = []
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 4:
            raise UsageError(f"expected '<local ref> <sha> <remote ref> <sha>', got {line!r}")
        updates.append(RefUpdate(*fields))
    return updates


def push_ranges(repo: GitRepo, updates: Sequence[RefUpdate], remote: str | None) -> list[PushRange]:
    """What each update adds to ``remote``: deletions and pushes of known commits drop out."""
    ranges = []
    for update in updates:
        if _is_zero(update.local_sha):
            continue  # a deletion adds nothing
        pushed = _range_of(repo, update, remote)
        if pushed is not None:
            ranges.append(pushed)
    return ranges


def _range_of(repo: GitRepo, update: RefUpdate, remote: str | None) -> PushRange | None:
    head = update.local_sha
    if not _is_zero(update.remote_sha) and _is_commit(repo, update.remote_sha):
        return PushRange(update.local_ref, update.remote_sha, head)
    # New to the remote (or the remote moved to a commit we have not fetched).
    default = _git(repo, "rev-parse", "--verify", "--quiet", f"refs/remotes/{remote}/HEAD")
    fork = _git(repo, "merge-base", default, head) if remote and default else None
    if fork:
        return PushRange(update.local_ref, fork, head)
    remotes = f"--remotes={remote}" if remote else "--remotes"
    new = _git(repo, "rev-list", "--topo-order", "--reverse", head, "--not", remotes)
    if not new:
        return None  # the remote has every commit already
    first = new.split()[0]
    parent = _git(repo, "rev-parse", "--verify", "--quiet", f"{first}^")
    return PushRange(update.local_ref, parent, head)


def _ranges_to_check(
    repo: GitRepo, remote: str | None, stdin: TextIO | None, env: Mapping[str, str]
) -> list[PushRange]:
    from_ref, to_ref = env.get("PRE_COMMIT_FROM_REF"), env.get("PRE_COMMIT_TO_REF")
    local = env.get("PRE_COMMIT_LOCAL_BRANCH")
    if from_ref and to_ref:
        return [PushRange(local or to_ref, repo.resolve(from_ref), repo.resolve(to_ref))]
    if env.get("PRE_COMMIT") == "1":
        # pre-commit has read git's stdin; with no range it is pushing a whole history.
        if not local:
            raise UsageError(
                "no push range: run check-push at the pre-push stage, or give pre-commit "
                "--from-ref and --to-ref"
            )
        return [PushRange(local, None, repo.resolve(local))]
    if stdin is None or stdin.isatty():
        raise UsageError("check-push reads the refs being pushed on stdin, as git gives a hook")
    return push_ranges(repo, parse_updates(stdin.read()), remote)


def _change_of(repo: GitRepo, pushed: PushRange) -> Change:
    if pushed.base is None:
        return Change(pushed.head, None, tuple(sorted(CommitTree(repo, pushed.head).paths())))
    return Change(pushed.head, pushed.base, changed_paths(repo, pushed.base, pushed.head))


def _describe(pushed: PushRange) -> str:
    if pushed.base is None:
        return f"{pushed.ref}: new to the remote with all its history, every file checked"
    return f"{pushed.ref}: {pushed.base[:12]}..{pushed.head[:12]}"


def _worst(codes: Sequence[int]) -> int:
    """A failed tool wins over a blocking finding, as in one report."""
    if exit_codes.TOOL in codes:
        return exit_codes.TOOL
    return exit_codes.FAILURE if exit_codes.FAILURE in codes else exit_codes.OK


def _is_zero(sha: str) -> bool:
    return set(sha) == {"0"}


def _is_commit(repo: GitRepo, sha: str) -> bool:
    return _git(repo, "rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}") is not None


def _is_unborn(directory: Path) -> bool:
    """A repository with a working tree and no commit yet; an empty bare one is no such case."""
    bare = git("rev-parse", "--is-bare-repository", cwd=directory, check=False)
    head = git("rev-parse", "--verify", "--quiet", "HEAD", cwd=directory, check=False)
    return bare.returncode == 0 and bare.stdout.strip() == "false" and head.returncode != 0


def _git(repo: GitRepo, *args: str) -> str | None:
    """git's output, stripped; None when it exits non-zero or prints nothing."""
    done = git(*args, cwd=repo.workdir, check=False)
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def _judge(repo: GitRepo, change: Change, rules: GateRules, out: TextIO) -> int:
    text, code = judge_change(repo, change, rules)
    out.write(text)
    return code
