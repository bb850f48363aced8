"""The map is cheap to load: importing it loads no litellm."""

from __future__ import annotations

from tests.llm.test_imports import run_python


def test_importing_the_map_does_not_load_litellm():
    out = run_python(
        """
        import sys
        import talkgit.repomap
        from talkgit.repomap import index, rank, render, symbols
        print('litellm' in sys.modules, callable(rank.rank))
        """
    )

    assert out == "False True"
