"""Merging a step's commit into the integration branch, in memory."""

from __future__ import annotations

from collections.abc import Iterator

import pygit2

from talkgit.edits.fsck import blob_problem
from talkgit.errors import TalkgitError
from talkgit.git.repo import GitRepo, translate_git_errors
from talkgit.git.trees import commit_tree


class MergeConflict(TalkgitError):
    """The step's changes overlap changes already integrated; the step must be redone."""

    def __init__(self, paths: tuple[str, ...]) -> None:
        self.paths = paths
        super().__init__(f"merge conflict in {', '.join(paths)}")


def merge(repo: GitRepo, ours: str, theirs: str, message: str) -> str:
    """The commit integrating ``theirs`` into ``ours``: a fast-forward when possible.

    Nothing moves: the caller publishes the result with a compare-and-swap on its branch.
    """
    with repo.lock, translate_git_errors("cannot merge"):
        if ours == theirs or repo.objects.descendant_of(ours, theirs):
            return ours
        if repo.objects.descendant_of(theirs, ours):
            return theirs
        base = repo.objects.merge_base(ours, theirs)
        check_merge(repo, base, ours, theirs)
        index = repo.objects.merge_trees(base, ours, theirs)
        if index.conflicts is not None:
            raise MergeConflict(tuple(sorted({_path(c) for c in index.conflicts})))
        tree = index.write_tree(repo.objects)
    return commit_tree(repo, tree, message, [ours, theirs])


def check_merge(repo: GitRepo, base: pygit2.Oid, ours: str, theirs: str) -> None:
    """Raise MergeConflict when merging ``theirs`` into ``ours`` would make a .gitmodules
    (or .gitattributes) that git's fsck refuses; call it before merging, which writes blobs.

    Each side was checked when it was written, but merging two safe files can make an unsafe
    one: a ``[submodule]`` header one side adds above a ``path = -x`` the other side wrote
    under ``[core]``. Only files ``theirs`` changed are looked at, so the cost follows it.
    """
    with repo.lock:
        raw = repo.objects
        trees = (raw[base].peel(pygit2.Tree), repo.commit(ours).tree, repo.commit(theirs).tree)
        changed = _changed_files_git_reads(trees[0], trees[2])
        unsafe = tuple(path for path in changed if _merges_unsafely(raw, path, *trees))
    if unsafe:
        raise MergeConflict(unsafe)


def _changed_files_git_reads(
    old: pygit2.Tree | None, new: pygit2.Tree, prefix: str = ""
) -> Iterator[str]:
    for entry in new:
        name = str(entry.name)
        before = old[name] if old is not None and name in old else None
        if before is not None and before.id == entry.id:
            continue
        if isinstance(entry, pygit2.Tree):
            subtree = before if isinstance(before, pygit2.Tree) else None
            yield from _changed_files_git_reads(subtree, entry, f"{prefix}{name}/")
        elif name in (".gitmodules", ".gitattributes"):
            yield f"{prefix}{name}"


def _merges_unsafely(
    raw: pygit2.Repository, path: str, base: pygit2.Tree, ours: pygit2.Tree, theirs: pygit2.Tree
) -> bool:
    ancestor, mine, their = (_blob_entry(tree, path) for tree in (base, ours, theirs))
    if mine is None or their is None or mine.id == their.id:
        return False  # deleted on our side (a conflict) or the same on both
    if ancestor is not None and mine.id == ancestor.id:
        return False  # ours left it alone: the merge keeps theirs, checked when written
    merged = raw.merge_file_from_index(ancestor, mine, their)
    text = merged if isinstance(merged, str) else merged.contents
    return blob_problem(path.rsplit("/", 1)[-1], text.encode()) is not None


def _blob_entry(tree: pygit2.Tree, path: str) -> pygit2.IndexEntry | None:
    try:
        entry = tree[path]
    except KeyError:
        return None
    return (
        pygit2.IndexEntry(path, entry.id, entry.filemode)
        if isinstance(entry, pygit2.Blob)
        else None
    )


def _path(conflict: tuple[pygit2.IndexEntry | None, ...]) -> str:
    return next(str(entry.path) for entry in conflict if entry is not None)
