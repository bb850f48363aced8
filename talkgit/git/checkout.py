"""Bringing a finished run into a user's branch: the one place talkgit touches a checkout.

Only ``talkgit finish`` uses this. It builds the commit that brings the integration head
into the branch (in memory, like every talkgit commit), then moves the branch by
compare-and-swap. When the branch is the one checked out here, the index and working tree
follow it for the paths the commit changes and for no others, the way ``git checkout``
carries local changes across a branch switch; a path the user has touched (modified,
staged, untracked or ignored) that the commit would change is refused before anything
moves. A branch checked out in another worktree is refused too: moving it would make that
checkout look edited.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pygit2

from talkgit.errors import NoSpaceError, TalkgitError, UsageError
from talkgit.git.command import git
from talkgit.git.merge import MergeConflict, check_merge
from talkgit.git.names import short_branch
from talkgit.git.repo import GitRepo, translate_git_errors
from talkgit.git.transaction import Transaction
from talkgit.git.trees import commit_tree
from talkgit.proc import environ_without

# Hooks export these; they would point our git commands at another index or tree.
_GIT_LOCATION_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX")
_SHOWN_PATHS = 10


class CheckoutConflict(TalkgitError):
    """The user's uncommitted changes touch paths the finish would change; nothing moved."""

    def __init__(self, branch: str, paths: tuple[str, ...]) -> None:
        self.paths = paths
        shown = ", ".join(paths[:_SHOWN_PATHS])
        more = f" and {len(paths) - _SHOWN_PATHS} more" if len(paths) > _SHOWN_PATHS else ""
        super().__init__(
            f"your uncommitted changes touch paths this finish changes: {shown}{more}; "
            f"nothing was changed — commit, stash or move them first, "
            f"or finish --into a branch other than {short_branch(branch)}"
        )


def head_branch(repo: GitRepo) -> str | None:
    """The branch HEAD is on (``refs/heads/…``), or None when HEAD is detached."""
    with translate_git_errors("cannot read HEAD"):
        return None if repo.raw.head_is_detached else str(repo.raw.head.name)


def checked_out_branches(repo: GitRepo) -> dict[str, Path]:
    """Every branch some worktree of the repository has checked out, with that worktree."""
    listing = _git(repo.workdir, "worktree", "list", "--porcelain", "-z").split("\0")
    branches: dict[str, Path] = {}
    path: Path | None = None
    for line in listing:
        if line.startswith("worktree "):
            path = Path(line.removeprefix("worktree "))
        elif line.startswith("branch ") and path is not None:
            branches[line.removeprefix("branch ")] = path
    return branches


def finish_commit(
    repo: GitRepo, target: str, integration: str, message: str, *, squash: bool
) -> str:
    """The commit bringing ``integration`` into ``target``; no ref moves.

    Its tree is ``integration``'s when ``target`` has not moved since the run's base, else
    an in-memory three-way merge (a conflict raises MergeConflict). A squash has the one
    parent ``target``; a merge has ``[target, integration]``. Raises UsageError when
    ``target`` already has every change, or shares no history with the run.
    """
    tree = _merged_tree(repo, target, integration)
    if tree == repo.commit(target).tree_id:
        raise UsageError(
            f"nothing to finish: {integration[:10]} brings no change into {target[:10]}"
        )
    parents = [target] if squash else [target, integration]
    return commit_tree(repo, tree, message, parents)


def _merged_tree(repo: GitRepo, target: str, integration: str) -> pygit2.Oid:
    with repo.lock, translate_git_errors("cannot merge"):
        base = repo.objects.merge_base(target, integration)
        if base is None:
            raise UsageError(f"{target[:10]} shares no history with the run")
        if str(base) == target:
            return repo.commit(integration).tree_id
        if str(base) == integration:
            return repo.commit(target).tree_id
        check_merge(repo, base, target, integration)
        index = repo.objects.merge_trees(base, target, integration)
        if index.conflicts is not None:
            raise MergeConflict(tuple(sorted({_conflict_path(c) for c in index.conflicts})))
        return index.write_tree(repo.objects)


def _conflict_path(conflict: tuple[pygit2.IndexEntry | None, ...]) -> str:
    return next(str(entry.path) for entry in conflict if entry is not None)


def advance_branch(repo: GitRepo, tx: Transaction, branch: str, *, old: str, new: str) -> int:
    """Move ``branch`` from ``old`` to ``new`` by committing ``tx``, with what it already holds.

    When ``branch`` is checked out here, the index and working tree are brought to ``new``
    for the paths that differ, and the user's other changes stay exactly as they were;
    returns how many paths were updated (0 when the branch is not checked out here).
    """
    here = _checked_out_here(repo, branch)
    tx.set_ref(branch, new, expected=old)
    if not here:
        tx.commit()
        return 0
    paths = changed_paths(repo, old, new)
    _refuse_overlap(repo, branch, paths)
    try:
        _update_checkout(repo, old, new)
    except NoSpaceError as full:
        _restore_paths(repo, old, paths, full)
        raise
    try:
        tx.commit()
    except BaseException as exc:  # a lost CAS, or Ctrl-C: the branch did not move
        _put_back(repo, new, old, exc)
        raise
    return len(paths)


def _checked_out_here(repo: GitRepo, branch: str) -> bool:
    """Whether this worktree has ``branch`` checked out; another worktree's is refused."""
    if head_branch(repo) == branch:
        if repo.raw.state() != pygit2.enums.RepositoryState.NONE:
            raise UsageError(
                "a merge, rebase, cherry-pick or bisect is in progress here: finish it first"
            )
        return True
    elsewhere = checked_out_branches(repo).get(branch)
    if elsewhere is not None:
        raise UsageError(
            f"{short_branch(branch)} is checked out in the worktree at {elsewhere}: "
            "finish from there, or choose another branch with --into"
        )
    return False


def changed_paths(repo: GitRepo, old: str, new: str) -> tuple[str, ...]:
    """Every path whose entry differs between the trees of commits ``old`` and ``new``."""
    with repo.lock, translate_git_errors("cannot compare trees"):
        diff = repo.commit(old).tree.diff_to_tree(repo.commit(new).tree)
        paths = {p for delta in diff.deltas for p in (delta.old_file.path, delta.new_file.path)}
    return tuple(sorted(paths))


def dirty_paths(repo: GitRepo) -> tuple[str, ...]:
    """What the user has in hand: staged, modified, untracked and ignored paths.

    A wholly ignored directory is one entry ending in ``/``. ``--no-optional-locks`` keeps
    this a pure read: git would otherwise refresh (rewrite) the user's index.
    """
    status = _git(
        repo.workdir,
        "--no-optional-locks",
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--ignored=matching",
    )
    return tuple(sorted(_status_paths(status.split("\0"))))


def _status_paths(fields: list[str]) -> set[str]:
    paths: set[str] = set()
    renamed_from = False
    for field in fields:
        if renamed_from:  # a rename's or copy's source follows its entry as its own field
            paths.add(field)
            renamed_from = False
        elif len(field) > 3:
            paths.add(field[3:])
            renamed_from = field[0] in "RC"
    return paths


def overlapping(dirty: Iterable[str], changed: Iterable[str]) -> tuple[str, ...]:
    """The dirty paths that are, contain, or lie inside a changed path."""
    changed = tuple(changed)
    return tuple(
        sorted(path for path in dirty if any(_overlaps(path.rstrip("/"), c) for c in changed))
    )


def _overlaps(dirty: str, changed: str) -> bool:
    return dirty == changed or changed.startswith(dirty + "/") or dirty.startswith(changed + "/")


def _refuse_overlap(repo: GitRepo, branch: str, changed: tuple[str, ...]) -> None:
    touched = overlapping(dirty_paths(repo), changed)
    if touched:
        raise CheckoutConflict(branch, touched)


def _update_checkout(repo: GitRepo, old: str, new: str) -> None:
    """Carry the index and working tree from ``old`` to ``new`` as ``git checkout`` would.

    ``read-tree -m -u`` with two trees changes only the paths that differ and refuses,
    before writing anything, if one of them holds local changes; it trusts the index's
    file stats, so they are refreshed first (else a merely touched file counts as changed).
    """
    _git(repo.workdir, "update-index", "-q", "--refresh", check=False)
    _git(repo.workdir, "read-tree", "-m", "-u", old, new)


def _restore_paths(repo: GitRepo, old: str, paths: tuple[str, ...], full: NoSpaceError) -> None:
    """A checkout that ran out of room wrote some of ``paths`` (one perhaps half) but not
    the index, which still holds ``old``: rewrite those from it, and remove the new ones.

    None of them held the user's changes (``_refuse_overlap``), and the half-written file
    frees the room its old text needs, unless that was larger.
    """
    tree = repo.commit(old).tree
    kept = [path for path in paths if path in tree]
    for path in paths:
        if path not in tree:
            (repo.workdir / path).unlink(missing_ok=True)
    try:
        if kept:
            _git(repo.workdir, "checkout-index", "--force", "--quiet", "--", *kept)
    except NoSpaceError as again:
        raise full.then(f"run `git checkout-index --force -- {' '.join(kept)}`") from again


def _put_back(repo: GitRepo, new: str, old: str, cause: BaseException) -> None:
    """The branch did not move: return the checkout to ``old``, or say how to."""
    try:
        _update_checkout(repo, new, old)
    except TalkgitError as exc:
        raise TalkgitError(
            f"{cause}; the working tree could not be put back ({exc}): "
            f"run `git read-tree -m -u {new} {old}`"
        ) from cause


def _git(workdir: Path, *args: str, check: bool = True) -> str:
    env = environ_without(*_GIT_LOCATION_VARIABLES)
    return git(*args, cwd=workdir, env=env, check=check).stdout
