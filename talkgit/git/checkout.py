"""Bringing a finished run into a user's branch: the one place talkgit touches a checkout.

Only ``talkgit finish`` uses this. It builds the commit that brings the integration head
into the branch (in memory, like every talkgit commit), then moves the branch by
compare-and-swap. When the branch is the one checked out here, the index and working tree
follow it for the paths the commit changes and for no others, the way ``git checkout``
carries local changes across a branch switch; a path the user has touched (modified,
staged, untracked or ignored) that the commit would change is refused before anything
moves. A branch checked out in another worktree is refused too: moving it would make that
checkout look edited. Files are renamed into place, the branch moves last, and an intent
record (``talkgit.git.intent``) lets the next command complete or undo a finish that died.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pygit2

from talkgit.errors import TalkgitError, UsageError, is_no_space, no_space
from talkgit.git.command import git
from talkgit.git.intent import FinishIntent, abandoned
from talkgit.git.merge import MergeConflict, check_merge
from talkgit.git.names import LEDGER_PREFIX, RUN_NOTES_REF, short_branch
from talkgit.git.repo import GitRepo, translate_git_errors
from talkgit.git.transaction import Transaction, clear_stale_lock, clear_stale_locks
from talkgit.git.trees import commit_tree
from talkgit.proc import environ_without

# Hooks export these; they would point our git commands at another index or tree.
_GIT_LOCATION_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX")
_SHOWN_PATHS = 10
# git and talkgit hold a lock for milliseconds: one this old, of a dead finish, is its own.
STALE_LOCK_S = 2.0


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


def advance_branch(
    repo: GitRepo, tx: Transaction, branch: str, *, old: str, new: str, run: str
) -> int:
    """Move ``branch`` from ``old`` to ``new`` by committing ``tx``, with what it already holds.

    When ``branch`` is checked out here, the index and working tree are brought to ``new``
    for the paths that differ, and the user's other changes stay exactly as they were;
    returns how many paths were updated (0 when the branch is not checked out here).
    An intent record (``talkgit.git.intent``) lives from before the first write to after
    the branch moved, so a process killed half-way is repaired by the next command.
    """
    here = _checked_out_here(repo, branch)
    tx.set_ref(branch, new, expected=old)
    paths = changed_paths(repo, old, new) if here else ()
    if here:
        _refuse_overlap(repo, branch, paths)
    with repo.lock:  # the index is about to name the new commit's blobs: on disk first
        repo.publish_objects()
    record = FinishIntent.begin(repo, run=run, branch=branch, old=old, new=new, paths=paths)
    try:
        _write_checkout(repo, new, paths)
        tx.commit()
    except BaseException as exc:  # a lost CAS, a full disk, or Ctrl-C: the branch did not move
        _put_back(repo, record, exc)
        raise
    record.end(repo)
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


def put_paths(repo: GitRepo, commit: str, paths: Sequence[str]) -> None:
    """Make ``paths`` in the working tree and the index what they are in ``commit``.

    Only for paths that held no local change: what is there is replaced. Every file is
    written under a temporary name and renamed into place, so a full disk or a kill leaves
    a path old or new, never truncated; the index is written whole (its lock, then a
    rename) after the files, then its file stats are refreshed.
    """
    if not paths:
        return
    with repo.lock, translate_git_errors("cannot read the finish commit"):
        tree = repo.commit(commit).tree
        entries = {path: _entry(tree, path) for path in paths}
    # Removals first: a path may turn from a file into a folder, or back.
    for path, entry in sorted(entries.items(), key=lambda item: item[1] is not None):
        _put_file(repo, path, entry)
    with repo.lock, translate_git_errors("cannot update the index"):
        index = repo.raw.index
        index.read(force=True)
        for path, entry in entries.items():
            if entry is None:
                if path in index:
                    index.remove(path)
            else:
                index.add(pygit2.IndexEntry(path, entry.id, entry.filemode))
        index.write()
    _git(repo.workdir, "update-index", "-q", "--refresh", check=False)


def _write_checkout(repo: GitRepo, commit: str, paths: Sequence[str]) -> None:
    try:
        put_paths(repo, commit, paths)
    except OSError as exc:
        if is_no_space(exc):
            raise no_space("writing the working tree") from exc
        raise TalkgitError(f"cannot write the working tree: {exc.strerror or exc}") from exc


def _entry(tree: pygit2.Tree, path: str) -> pygit2.Object | None:
    try:
        return tree[path]
    except KeyError:
        return None


def _put_file(repo: GitRepo, path: str, entry: pygit2.Object | None) -> None:
    target = repo.workdir / path
    if any((repo.workdir / folder).is_symlink() for folder in Path(path).parents[:-1]):
        # git's checkout never writes through a symlinked folder; nor does finish.
        raise TalkgitError(f"{path} lies under a symbolic link in the working tree")
    if entry is None or entry.filemode == pygit2.enums.FileMode.COMMIT:
        if target.is_symlink() or target.is_file():
            target.unlink()
        _prune_empty_parents(repo.workdir, target.parent)
        if entry is not None:  # a submodule: git checks out an empty folder for it
            target.mkdir(parents=True, exist_ok=True)
        return
    data = repo.raw[entry.id].read_raw()
    if _holds(target, data, entry.filemode):
        return
    if target.is_dir() and not target.is_symlink():
        target.rmdir()  # an empty folder left by a removal; a full one is an error
    target.parent.mkdir(parents=True, exist_ok=True)
    draft = _draft(target, os.getpid())
    try:
        if entry.filemode == pygit2.enums.FileMode.LINK:
            draft.symlink_to(os.fsdecode(data))
        else:
            draft.write_bytes(data)
            draft.chmod(0o755 if entry.filemode == pygit2.enums.FileMode.BLOB_EXECUTABLE else 0o644)
        draft.replace(target)
    except BaseException:
        draft.unlink(missing_ok=True)
        raise


def _draft(target: Path, pid: int) -> Path:
    """Where process ``pid`` writes ``target`` before renaming it into place."""
    return target.with_name(f".{target.name[:32]}.talkgit-{pid}.tmp")


def _holds(target: Path, data: bytes, mode: int) -> bool:
    """Whether ``target`` already is that blob, so that a repair writes nothing."""
    if mode == pygit2.enums.FileMode.LINK:
        return target.is_symlink() and os.fsencode(target.readlink()) == data
    if target.is_symlink() or not target.is_file():
        return False
    executable = bool(target.stat().st_mode & 0o100)
    return executable == (mode == pygit2.enums.FileMode.BLOB_EXECUTABLE) and (
        target.read_bytes() == data
    )


def _prune_empty_parents(workdir: Path, folder: Path) -> None:
    while folder != workdir and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _put_back(repo: GitRepo, record: FinishIntent, cause: BaseException) -> None:
    """The branch did not move: return the checkout to the old commit, or leave it to repair."""
    try:
        put_paths(repo, record.old, record.paths)
    except (OSError, TalkgitError) as exc:
        raise TalkgitError(
            f"{cause}; the working tree could not be put back ({exc}): "
            "the next talkgit command will put it back"
        ) from cause
    record.end(repo)


def repair_finishes(repo: GitRepo, say: Callable[[str], object]) -> None:
    """Put right what a killed `talkgit finish` left half-done here, saying so in one line.

    Its intent record says what it was doing. The branch moved last, so where the branch
    points decides: at the new commit, the finish is completed (paths not yet written are
    written); at the old one, it is undone (paths already written are put back). The git
    locks the dead process held on the branch, the run's refs and the index are removed.
    """
    for record in abandoned(repo):
        _clear_locks_of(repo, record)
        for path in record.paths:  # the one file it was writing when it died
            _draft(repo.workdir / path, record.pid).unlink(missing_ok=True)
        tip = repo.ref_target(record.branch)
        name, run = short_branch(record.branch), record.run
        switched = bool(record.paths) and head_branch(repo) != record.branch
        if switched or tip not in (record.old, record.new):
            say(f"talkgit: a finish of run {run} was interrupted; {name} has moved since: left it")
        elif tip == record.new:
            put_paths(repo, record.new, record.paths)
            say(f"talkgit: completed the interrupted finish of run {run} into {name} ({tip[:10]})")
        else:
            put_paths(repo, record.old, record.paths)
            say(f"talkgit: undid the interrupted finish of run {run}: {name} is back at {tip[:10]}")
        record.end(repo)


def _clear_locks_of(repo: GitRepo, record: FinishIntent) -> None:
    refs = [record.branch, RUN_NOTES_REF, f"{LEDGER_PREFIX}{record.run}"]
    clear_stale_locks(repo, refs, STALE_LOCK_S)
    clear_stale_lock(Path(repo.raw.path) / "index.lock", STALE_LOCK_S)


def _git(workdir: Path, *args: str, check: bool = True) -> str:
    env = environ_without(*_GIT_LOCATION_VARIABLES)
    return git(*args, cwd=workdir, env=env, check=check).stdout
