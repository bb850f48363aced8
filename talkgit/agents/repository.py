"""What an agent is shown of the repository: the map of its files, ranked for the work at hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from talkgit.agents.dialogue import TokenCounter
from talkgit.git.repo import GitRepo
from talkgit.repomap import build_index, cache_location, render_map
from talkgit.repomap.rank import mentioned, rank


@dataclass(frozen=True)
class RepositoryView:
    """The map's text for the prompt, every file of the tree (most relevant first), and
    the files the text points at (by path, file name, or a name they define or use)."""

    text: str
    ranked: Sequence[str]
    pointed_at: frozenset[str]

    def best_pointed_at(self, count: int) -> list[str]:
        """The ``count`` best-ranked files the text points at."""
        return [path for path in self.ranked if path in self.pointed_at][:count]


def repository_view(
    repo: GitRepo,
    commit: str,
    *,
    text: str,
    focus: Sequence[str],
    tokens: int,
    counter: TokenCounter,
) -> RepositoryView:
    """The repository map of ``commit`` ranked for ``text`` and ``focus``, in ``tokens``."""
    index = build_index(repo, commit, cache_location(repo.private_dir))
    ranked = rank(index, text, focus)
    pointed_at = frozenset(index.paths[file] for file in mentioned(index, text, focus).files)
    header = (
        f"Repository map: the repository's {len(ranked)} files, the most relevant to this "
        "work first, with their top-level symbols (cut to fit; look up the rest):"
    )
    body = render_map(index, ranked, max(tokens - counter.text(header), 0), counter.text)
    return RepositoryView(f"{header}\n{body}", ranked, pointed_at)
