"""A change as a unified diff, the way `git diff` prints it: what reviewers read."""

from __future__ import annotations

import pygit2

from talkgit.git.repo import GitRepo, translate_git_errors


def patch_text(repo: GitRepo, base: str, head: str, *, context_lines: int = 3) -> str:
    """The unified diff from ``base`` to ``head`` (commits or trees); binary files are named."""
    with repo.lock, translate_git_errors("cannot diff"):
        base_tree = repo.raw[base].peel(pygit2.Tree)
        head_tree = repo.raw[head].peel(pygit2.Tree)
        diff = base_tree.diff_to_tree(head_tree, context_lines=context_lines)
        return diff.patch or ""
