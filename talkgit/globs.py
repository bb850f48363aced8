"""Path globs on repository-relative paths, as waivers and skills write them.

``*`` and ``?`` stay inside one directory, ``**`` crosses directories: ``tests/**``,
``**/conftest.py``, ``app/**/*.py``. A glob matches the whole path, never a part of it.
"""

from __future__ import annotations

import re
from functools import lru_cache


def glob_matches(pattern: str, path: str) -> bool:
    """Whether the repository-relative ``path`` matches the glob ``pattern``."""
    return path_glob(pattern).fullmatch(path) is not None


@lru_cache(maxsize=256)
def path_glob(pattern: str) -> re.Pattern[str]:
    """The glob ``pattern`` as a regular expression, to be used with ``fullmatch``."""
    parts: list[str] = []
    rest = pattern
    while rest:
        if rest.startswith("**/"):
            parts.append("(?:.*/)?")  # zero or more directories
            rest = rest[3:]
        elif rest.startswith("**"):
            parts.append(".*")
            rest = rest[2:]
        else:
            parts.append({"*": "[^/]*", "?": "[^/]"}.get(rest[0], re.escape(rest[0])))
            rest = rest[1:]
    return re.compile("".join(parts))
