from __future__ import annotations

import pytest

from talkgit.globs import glob_matches


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("app/**/*.py", "app/models.py", True),
        ("app/**/*.py", "app/db/deep/user.py", True),
        ("app/**/*.py", "lib/app/models.py", False),
        ("app/*.py", "app/db/user.py", False),
        ("**", "any/path.txt", True),
        ("docs/?.md", "docs/a.md", True),
        ("docs/?.md", "docs/ab.md", False),
        ("a.py", "xa.py", False),  # the whole path, never a part of it
    ],
)
def test_glob_matches(pattern: str, path: str, matches: bool) -> None:
    assert glob_matches(pattern, path) is matches
