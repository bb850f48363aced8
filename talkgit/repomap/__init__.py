"""A map of a repository for the planner and the coder: files and what they define, ranked
by relevance to a task, cut to a token budget (the way aider's repository map works).

- ``symbols``: what one file defines (classes, functions, signatures) and refers to;
- ``index``: one commit's files, their symbols and the reference graph (``build_index``),
  cached per blob and per tree (``cache``), parsed in a process pool when cold (``parsing``);
- ``graph``: the links between files and PageRank over them;
- ``rank``: the files ordered for a task, personalised towards what it names;
- ``render``: the map as text within a budget of the caller's tokens.

Nothing here imports litellm: the caller brings the model's token counter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from talkgit.git.repo import GitRepo
from talkgit.repomap.cache import cache_location
from talkgit.repomap.index import RepoIndex, build_index
from talkgit.repomap.rank import rank as _rank  # the name ``rank`` stays the module's
from talkgit.repomap.render import render_map
from talkgit.repomap.symbols import FileSymbols, Symbol, extract

__all__ = [
    "FileSymbols",
    "RepoIndex",
    "Symbol",
    "build_index",
    "cache_location",
    "extract",
    "render_map",
    "repository_map",
]


def repository_map(
    repo: GitRepo,
    commit: str,
    text: str,
    focus: Iterable[str],
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    cache_dir: Path | None,
) -> str:
    """The map of ``commit`` for ``text`` (a task or a step) and ``focus`` (files it is
    about), in at most ``budget_tokens`` as ``count_tokens`` counts them.

    ``cache_dir``: usually ``cache_location(repo.private_dir)``; None builds without one.
    """
    index = build_index(repo, commit, cache_dir)
    return render_map(index, _rank(index, text, focus), budget_tokens, count_tokens)
