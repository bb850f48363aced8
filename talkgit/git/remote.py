"""Sharing talkgit's refs with a remote: fetch aside, merge locally, push without force.

Every network operation is the git CLI (``talkgit.git.command``), so the user's remotes,
credentials and proxies apply (hooks do not). Nothing is ever force-pushed and no local
ref is ever moved backwards or sideways:

* fetch copies the remote's ``refs/notes/talkgit/*`` and ``refs/talkgit/runs/*`` into
  remote-tracking refs under ``refs/talkgit-remote/<remote>/`` (only those follow the
  remote wherever it goes, as ``refs/remotes/`` do);
* notes refs merge with ``git notes merge -s ours``: the two sides almost always annotate
  different commits, and JSON notes cannot be concatenated, so for one commit annotated
  differently on both sides ours is kept, and reported;
* a run ledger only fast-forwards; a ledger that diverged is reported and left alone;
* the push is a plain one; when someone pushed meanwhile it is rejected as non-fast-
  forward, and the whole fetch-merge-push is tried again, a bounded number of times.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final, Literal, NamedTuple

import pygit2

from talkgit.errors import ConcurrentUpdateError, NotFoundError, RepositoryError
from talkgit.git.command import git
from talkgit.git.names import LEDGER_PREFIX, RUN_NOTES_REF, STEP_NOTES_REF
from talkgit.git.repo import GitRepo, translate_git_errors
from talkgit.git.transaction import Transaction
from talkgit.proc import Output, environ_without

NOTES_PREFIX: Final = "refs/notes/talkgit/"
TRACKING_ROOT: Final = "refs/talkgit-remote/"
PUSH_ATTEMPTS: Final = 3
REWRITE_REFS: Final = (STEP_NOTES_REF, RUN_NOTES_REF)
# Where a notes merge is computed before it is swapped in: under refs/notes/ because
# `git notes merge` only merges into notes refs, and outside talkgit/ so it is never shared.
_SCRATCH_PREFIX: Final = "refs/notes/talkgit-sync/"
# git's reasons for refusing a push that lost a race: the remote moved since we fetched.
_RACE_REASONS: Final = frozenset({"non-fast-forward", "fetch first"})

Outcome = Literal["created", "fast-forwarded", "merged", "up to date", "ahead", "diverged"]
_CHANGES: Final = frozenset({"created", "fast-forwarded", "merged", "diverged"})


@dataclass(frozen=True)
class RefSync:
    """What became of one local ref: it is ``local`` now; the remote had ``remote``."""

    ref: str
    outcome: Outcome
    local: str | None
    remote: str | None
    kept_ours: tuple[str, ...] = ()  # commits annotated differently on both sides

    @property
    def needs_push(self) -> bool:
        return self.outcome in ("merged", "ahead")


@dataclass(frozen=True)
class SyncReport:
    """A whole sync: every ref that changed or diverged, what was pushed, how many tries."""

    remote: str
    refs: tuple[RefSync, ...]
    pushed: tuple[str, ...]
    push_attempts: int
    rewrite_refs_added: tuple[str, ...]

    @property
    def diverged(self) -> tuple[RefSync, ...]:
        return tuple(ref for ref in self.refs if ref.outcome == "diverged")


class _PushStatus(NamedTuple):
    ref: str
    flag: str  # git's: " " fast-forward, "*" new, "=" up to date, "!" rejected, ...
    reason: str

    @property
    def rejected(self) -> bool:
        return self.flag == "!"

    @property
    def raced(self) -> bool:
        return self.rejected and self.reason in _RACE_REASONS

    @property
    def updated(self) -> bool:
        return self.flag not in ("!", "=")


@dataclass(frozen=True)
class _Push:
    pushed: tuple[str, ...]
    raced: tuple[str, ...]


def sync_talkgit_refs(repo: GitRepo, remote: str, *, attempts: int = PUSH_ATTEMPTS) -> SyncReport:
    """Fetch, merge and push talkgit's notes and ledgers; see the module docstring.

    Raises NotFoundError for an unknown remote, ConcurrentUpdateError when the push is
    still rejected as non-fast-forward after ``attempts`` rounds.
    """
    check_remote(repo, remote)
    added = ensure_rewrite_refs(repo)
    seen: dict[str, RefSync] = {}
    pushed: list[str] = []
    for attempt in range(1, attempts + 1):
        fetch(repo, remote)
        round_results = integrate(repo, remote)
        for result in round_results:
            _remember(seen, result)
        push = push_refs(repo, remote, [r.ref for r in round_results if r.needs_push])
        pushed += [ref for ref in push.pushed if ref not in pushed]
        if not push.raced:
            changed = tuple(r for r in seen.values() if r.outcome in _CHANGES)
            return SyncReport(remote, changed, tuple(pushed), attempt, added)
    raise ConcurrentUpdateError(
        f"{remote} kept moving: the push of {', '.join(push.raced)} was rejected as "
        f"non-fast-forward {attempts} times; run `talkgit sync {remote}` again"
    )


def check_remote(repo: GitRepo, remote: str) -> None:
    """Only a configured remote: its name becomes part of the remote-tracking refs."""
    if _git(repo, "remote", "get-url", "--", remote, check=False).returncode != 0:
        raise NotFoundError(f"no remote named {remote!r} (see `git remote -v`)")


def tracking_ref(remote: str, ref: str) -> str:
    """Where fetch keeps the remote's copy of a local notes ref or ledger ref."""
    if ref.startswith(NOTES_PREFIX):
        return f"{TRACKING_ROOT}{remote}/notes/{ref.removeprefix(NOTES_PREFIX)}"
    return f"{TRACKING_ROOT}{remote}/runs/{ref.removeprefix(LEDGER_PREFIX)}"


def fetch(repo: GitRepo, remote: str) -> None:
    """Copy the remote's talkgit refs into remote-tracking refs; local refs are not touched.

    The tracking refs are force-updated and pruned (``+``, ``--prune``): they mirror the
    remote, whatever it did, so the merge that follows sees what is really there.
    """
    specs = [
        f"+{NOTES_PREFIX}*:{tracking_ref(remote, NOTES_PREFIX + '*')}",
        f"+{LEDGER_PREFIX}*:{tracking_ref(remote, LEDGER_PREFIX + '*')}",
    ]
    output = _git(
        repo,
        *("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--prune", remote),
        *specs,
        check=False,
    )
    if output.returncode != 0:
        raise RepositoryError(f"cannot fetch from {remote}: {_last_line(output)}")


def integrate(repo: GitRepo, remote: str) -> list[RefSync]:
    """Bring each fetched ref into its local ref: notes merge, ledgers fast-forward only."""
    return [
        _integrate(repo, ref, remote)
        for prefix in (NOTES_PREFIX, LEDGER_PREFIX)
        for ref in _local_and_tracked(repo, remote, prefix)
    ]


def push_refs(repo: GitRepo, remote: str, refs: Iterable[str]) -> _Push:
    """Push ``refs`` to the same names, never forced; report the ones that lost a race.

    Any other refusal (a hook, permissions) is a RepositoryError naming the ref and reason.
    """
    specs = [f"{ref}:{ref}" for ref in refs]
    if not specs:
        return _Push((), ())
    output = _git(repo, "push", "--porcelain", remote, *specs, check=False)
    statuses = _push_statuses(output.stdout)
    refused = [status for status in statuses if status.rejected and not status.raced]
    if refused:
        raise RepositoryError(f"{remote} refused the push of {refused[0].ref}: {refused[0].reason}")
    raced = tuple(status.ref for status in statuses if status.raced)
    if output.returncode != 0 and not raced:
        raise RepositoryError(f"cannot push to {remote}: {_last_line(output)}")
    return _Push(tuple(status.ref for status in statuses if status.updated), raced)


def ensure_rewrite_refs(repo: GitRepo) -> tuple[str, ...]:
    """Set ``notes.rewriteRef`` so amend and rebase copy talkgit's notes; return what was added.

    A value already configured in any scope (by us, or by the user globally) is not
    added twice; new values go into the repository's own config.
    """
    output = _git(repo, "config", "--get-all", "notes.rewriteRef", check=False)
    if output.returncode not in (0, 1):  # 1: the key is not set at all
        raise RepositoryError(f"cannot read notes.rewriteRef: {_last_line(output)}")
    existing = set(output.stdout.split())
    added = tuple(ref for ref in REWRITE_REFS if ref not in existing)
    for ref in added:
        _git(repo, "config", "--local", "--add", "notes.rewriteRef", ref)
    return added


def _remember(seen: dict[str, RefSync], result: RefSync) -> None:
    """Keep what a ref went through across rounds: a later round's "up to date" hides nothing."""
    earlier = seen.get(result.ref)
    if earlier is None or result.outcome in _CHANGES:
        kept = tuple(dict.fromkeys((earlier.kept_ours if earlier else ()) + result.kept_ours))
        seen[result.ref] = replace(result, kept_ours=kept)


def _local_and_tracked(repo: GitRepo, remote: str, prefix: str) -> list[str]:
    """Local refs under ``prefix`` and the local names of their fetched counterparts."""
    tracked_prefix = tracking_ref(remote, prefix)
    tracked = (name.removeprefix(tracked_prefix) for name in repo.refs_under(tracked_prefix))
    return sorted(set(repo.refs_under(prefix)) | {prefix + rest for rest in tracked})


def _integrate(repo: GitRepo, ref: str, remote: str) -> RefSync:
    tracked = tracking_ref(remote, ref)
    local, theirs = repo.ref_target(ref), repo.ref_target(tracked)
    outcome = _relation(repo, local, theirs)
    if theirs is not None and outcome in ("created", "fast-forwarded"):
        _move(repo, ref, theirs, expected=local)
        return RefSync(ref, outcome, theirs, theirs)
    if local is None or theirs is None or outcome != "diverged" or ref.startswith(LEDGER_PREFIX):
        return RefSync(ref, outcome, local, theirs)
    merged = _merge_notes(repo, ref, local, tracked)
    _move(repo, ref, merged, expected=local)
    return RefSync(ref, "merged", merged, theirs, _annotated_differently(repo, local, theirs))


def _relation(repo: GitRepo, local: str | None, theirs: str | None) -> Outcome:
    """How the remote's value relates to ours, as a fast-forward-only update sees it."""
    if local == theirs:
        return "up to date"
    if theirs is None:
        return "ahead"
    if local is None:
        return "created"
    with translate_git_errors("cannot compare histories"):
        if repo.raw.descendant_of(theirs, local):
            return "fast-forwarded"
        if repo.raw.descendant_of(local, theirs):
            return "ahead"
    return "diverged"


def _move(repo: GitRepo, ref: str, new: str, *, expected: str | None) -> None:
    """Compare-and-swap: a talkgit run that wrote a note meanwhile is never overwritten."""
    tx = Transaction(repo, message="talkgit sync")
    tx.set_ref(ref, new, expected=expected)
    tx.commit()


def _merge_notes(repo: GitRepo, ref: str, local: str, tracked: str) -> str:
    """``git notes merge -s ours`` into a scratch ref started at ``local``; its result.

    The real notes ref is moved afterwards by compare-and-swap, so a note written
    meanwhile is not lost; notes merges never touch the working tree.
    """
    scratch = f"{_SCRATCH_PREFIX}{secrets.token_hex(4)}/{ref.removeprefix(NOTES_PREFIX)}"
    _git(repo, "update-ref", scratch, local, "")  # "": the scratch ref must be new
    try:
        merge = _git(
            repo, "notes", f"--ref={scratch}", "merge", "-s", "ours", "-q", tracked, check=False
        )
        merged = repo.ref_target(scratch)
    finally:
        _git(repo, "update-ref", "-d", scratch, check=False)
    if merge.returncode != 0 or merged is None:
        raise RepositoryError(f"cannot merge {tracked} into {ref}: {_last_line(merge)}")
    return merged


def _annotated_differently(repo: GitRepo, ours: str, theirs: str) -> tuple[str, ...]:
    """Commits whose note both sides changed, differently, since the merge base: a conflict."""
    with translate_git_errors("cannot read notes"):
        base = repo.raw.merge_base(ours, theirs)
    mine, yours = _notes_tree(repo, ours), _notes_tree(repo, theirs)
    before = _notes_tree(repo, str(base)) if base is not None else {}
    return tuple(
        sorted(
            target
            for target in mine.keys() | yours.keys()
            if len({mine.get(target), yours.get(target), before.get(target)}) == 3
        )
    )


def _notes_tree(repo: GitRepo, commit: str) -> dict[str, str]:
    """Annotated commit -> note blob, with git's fan-out (``ab/cdef…``) folded back."""
    notes: dict[str, str] = {}

    def visit(tree: pygit2.Tree, prefix: str) -> None:
        for entry in tree:
            name = prefix + (entry.name or "")
            if isinstance(entry, pygit2.Tree):
                visit(entry, name)
            else:
                notes[name] = str(entry.id)

    visit(repo.commit(commit).tree, "")
    return notes


def _push_statuses(porcelain: str) -> list[_PushStatus]:
    """``git push --porcelain`` lines: ``<flag>\\t<src>:<dst>\\t<summary> (<reason>)``."""
    statuses = []
    for line in porcelain.splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and ":" in fields[1]:
            flag, refs, summary = fields
            reason = summary.partition("(")[2].rstrip(")") or summary
            statuses.append(_PushStatus(refs.partition(":")[2], flag, reason))
    return statuses


def _git(repo: GitRepo, *args: str, check: bool = True) -> Output:
    return git(*args, cwd=repo.workdir, env=_environment(repo), check=check)


def _environment(repo: GitRepo) -> dict[str, str]:
    """The user's environment (credentials, proxies) with an identity for notes merges.

    GIT_DIR and friends are dropped: a hook that runs talkgit must not redirect our git.
    """
    env = environ_without("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
    signature = repo.signature()
    for role in ("AUTHOR", "COMMITTER"):
        env.setdefault(f"GIT_{role}_NAME", signature.name)
        env.setdefault(f"GIT_{role}_EMAIL", signature.email)
    return env


def _last_line(output: Output) -> str:
    lines = (output.stderr or output.stdout).strip().splitlines()
    return lines[-1] if lines else f"git exited {output.returncode}"


def fetch_for_review(
    repo: GitRepo, remote: str, commits: Iterable[str], token: str | None = None
) -> str | None:
    """Fetch what a shallow CI checkout may lack: ``commits`` and talkgit's notes.

    The token (for a checkout made with ``persist-credentials: false``) goes to git through
    the environment, never on its command line, so no error message can carry it. Notes
    are fetched without force: local notes, if any, are kept. Returns why the fetch
    failed, or None; the caller decides whether what it needs is there anyway.
    """
    env = _environment(repo)
    if token:
        credentials = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(
            GIT_CONFIG_COUNT="1",
            GIT_CONFIG_KEY_0="http.extraheader",
            GIT_CONFIG_VALUE_0=f"AUTHORIZATION: basic {credentials}",
        )
    notes = "refs/notes/talkgit/*:refs/notes/talkgit/*"
    args = ("fetch", "--no-tags", "--quiet", remote, *commits, notes)
    done = git(*args, cwd=repo.workdir, env=env, check=False)
    return None if done.returncode == 0 else _last_line(done)
