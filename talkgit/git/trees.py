"""Building trees and commits in memory from a base tree plus file changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pygit2

from talkgit.edits.fsck import change_problem
from talkgit.errors import EditError
from talkgit.git.repo import GitRepo

if TYPE_CHECKING:
    # The one shape of a change, edits to commits. A type only: importing the edits
    # package (its parsers and matchers) would cost every `talkgit check` ~20 ms.
    from talkgit.edits.model import FileChange

MODE_FILE = pygit2.enums.FileMode.BLOB
MODE_EXECUTABLE = pygit2.enums.FileMode.BLOB_EXECUTABLE
MODE_TREE = pygit2.enums.FileMode.TREE


# A nested plan of what to do under one directory: name -> blob id (write), None (delete),
# or a further plan (descend).
_Plan = dict[str, "tuple[pygit2.Oid, int] | _Plan | None"]


def write_tree(
    repo: GitRepo, base_tree: pygit2.Oid | None, changes: Iterable[FileChange]
) -> pygit2.Oid:
    """Write the blobs for ``changes`` and the trees on their paths; return the new root tree id.

    ``base_tree`` is the id of the tree the changes apply to (None: an empty one). Only the
    trees along changed paths are rewritten, so the cost follows the change, not the
    repository's size. A directory emptied by deletions disappears, as it does in git.

    A change git's fsck would refuse (a look-alike of .git, an unsafe .gitmodules: see
    talkgit.edits.fsck) raises EditError before any object is written, whichever agent or
    plug-in made it.
    """
    changes = list(changes)
    for change in changes:
        problem = change_problem(change.path, change.data)
        if problem is not None:
            raise EditError(f"refusing to write {change.path!r}: {problem}")
    with repo.lock:  # objects go wherever ``repo.objects`` points for the lock's holder
        raw = repo.objects
        plan: _Plan = {}
        for change in changes:
            entry = None
            if change.data is not None:
                mode = MODE_EXECUTABLE if change.executable else MODE_FILE
                with repo.writing("cannot write blob", len(change.data)):
                    entry = (raw.create_blob(change.data), mode)
            _plan_insert(plan, change.path.split("/"), entry)
        with repo.writing("cannot write tree"):
            base = raw[base_tree].peel(pygit2.Tree) if base_tree is not None else None
            tree_id = _write_level(repo, base, plan)
            return tree_id if tree_id is not None else raw.TreeBuilder().write()


def _plan_insert(plan: _Plan, parts: list[str], entry: tuple[pygit2.Oid, int] | None) -> None:
    head, *rest = parts
    if not rest:
        if isinstance(plan.get(head), dict):  # keeping one would drop the other's changes
            raise EditError(f"the change writes both a file and a directory at {head!r}")
        plan[head] = entry
        return
    sub = plan.setdefault(head, {})
    if not isinstance(sub, dict):
        raise EditError(f"the change writes both a file and a directory at {head!r}")
    _plan_insert(sub, rest, entry)


def _write_level(repo: GitRepo, tree: pygit2.Tree | None, plan: _Plan) -> pygit2.Oid | None:
    raw = repo.objects
    entries: dict[str, tuple[pygit2.Oid, int] | None] = {}
    for name, action in plan.items():
        existing = _entry(tree, name)
        if isinstance(action, dict):
            if existing is not None and not isinstance(existing, pygit2.Tree):
                raise EditError(f"the change puts files under {name!r}, which is a file")
            sub_id = _write_level(repo, existing, action)
            entries[name] = None if sub_id is None else (sub_id, MODE_TREE)
        else:
            if action is not None and isinstance(existing, pygit2.Tree):
                raise EditError(f"the change writes a file at {name!r}, which is a directory")
            entries[name] = action
    spliced = _spliced(tree, entries)
    if spliced is not None:
        return repo.write_object(pygit2.enums.ObjectType.TREE, spliced)
    builder = raw.TreeBuilder(tree) if tree is not None else raw.TreeBuilder()
    for name, entry in entries.items():
        _set(builder, name, entry)
    return builder.write() if len(builder) else None


def _spliced(
    tree: pygit2.Tree | None, entries: dict[str, tuple[pygit2.Oid, int] | None]
) -> bytes | None:
    """``tree``'s bytes with each entry's id (and file mode) replaced in place, or None.

    Most changes modify files that exist, so most trees on their path only swap one entry's
    id: done on the stored bytes, that costs a search, where rebuilding a wide tree entry
    by entry costs most of a step (0.6 ms for 1,000 entries). Adding or removing an entry,
    or turning a file into a directory, reorders the tree: None, and the TreeBuilder does
    it. So does a record that occurs more than once (a crafted name could contain another
    entry's record): only a record found exactly once is the entry itself.
    """
    if tree is None:
        return None
    swaps = []
    for name, entry in entries.items():
        old = _entry(tree, name)
        if entry is None or old is None or (old.filemode == MODE_TREE) != (entry[1] == MODE_TREE):
            return None  # before reading the tree's bytes: no use for them
        swaps.append((old, entry))
    data = tree.read_raw()
    for old, (new_id, new_mode) in swaps:
        record = b"%o %s\0%s" % (old.filemode, old.raw_name, old.id.raw)
        if data.count(record) != 1:
            return None
        data = data.replace(record, b"%o %s\0%s" % (new_mode, old.raw_name, new_id.raw))
    return data


def _entry(tree: pygit2.Tree | None, name: str) -> pygit2.Object | None:
    return tree[name] if tree is not None and name in tree else None


def _set(builder: pygit2.TreeBuilder, name: str, entry: tuple[pygit2.Oid, int] | None) -> None:
    if entry is None:
        if builder.get(name) is not None:
            builder.remove(name)
    else:
        builder.insert(name, *entry)


def create_commit(
    repo: GitRepo,
    *,
    base: str | None,
    changes: Sequence[FileChange],
    message: str,
    parents: Sequence[str] | None = None,
) -> str:
    """Create a commit object (no ref moves) whose tree is ``base``'s tree plus ``changes``.

    ``parents`` defaults to ``[base]``; the ledger passes extra parents to keep step commits alive.
    """
    base_tree = repo.commit(base).tree_id if base is not None else None
    tree_id = write_tree(repo, base_tree, changes)
    return commit_tree(
        repo, tree_id, message, [base] if parents is None and base else parents or []
    )


def commit_tree(repo: GitRepo, tree_id: pygit2.Oid, message: str, parents: Sequence[str]) -> str:
    """Write a commit object for an existing tree, signed by the repository's identity.

    Messages hold a task, step goals and summaries, words a person or a model wrote, so
    they are redacted first (``talkgit.redaction``).
    """
    # Imported here: `talkgit check` loads this module but commits nothing.
    from talkgit.redaction import redactor

    message = redactor()(message)
    signature = repo.signature()
    with repo.lock, repo.writing("cannot create commit"):
        oid = repo.objects.create_commit(
            None, signature, signature, message, tree_id, [pygit2.Oid(hex=p) for p in parents]
        )
    return str(oid)
