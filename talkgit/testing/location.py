"""Where a repository keeps its test runs: a path only, so `talkgit check` loads nothing more."""

from __future__ import annotations

from pathlib import Path


def repository_cache(private_dir: Path) -> Path:
    """The folder of a repository's kept test runs, under talkgit's private directory."""
    return private_dir / "cache" / "tests"
