"""Paths that name no file: a placeholder copied from an example, or a name misremembered.

Small models copy ``path/to/file.py`` from the prompt's format example. Such a path would
create a new file beside the one meant, so it is refused, and the model is told the files
it most likely meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

MAX_CANDIDATES = 5

_PLACEHOLDER_PREFIXES = ("path/to/", "path/of/", "/path/to/", "your/", "some/path/")


def looks_like_placeholder(path: str) -> bool:
    """Whether ``path`` reads like an example's stand-in (``path/to/x.py``, ``<file>``)."""
    return path.lower().startswith(_PLACEHOLDER_PREFIXES) or "<" in path or ">" in path


def candidates(path: str, paths: Iterable[str]) -> list[str]:
    """Up to MAX_CANDIDATES files of ``paths`` that ``path`` may mean: same name first."""
    known = list(dict.fromkeys(paths))
    name = path.rsplit("/", 1)[-1]
    same_name = [p for p in known if p.rsplit("/", 1)[-1] == name]
    close = difflib.get_close_matches(path, known, n=MAX_CANDIDATES)
    return list(dict.fromkeys([*same_name, *close]))[:MAX_CANDIDATES]


def did_you_mean(path: str, paths: Iterable[str]) -> str:
    """ " (did you mean a.py or b/a.py?)", or "" when nothing is close."""
    found = candidates(path, paths)
    if not found:
        return ""
    names = [f"'{p}'" for p in found]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f" (did you mean {listed}?)"


def placeholder_reason(path: str, paths: Iterable[str]) -> str:
    """Why an edit of the placeholder ``path`` is refused, naming the files it may mean."""
    found = did_you_mean(path, paths)
    return (
        f"{path!r} is not a file of this repository and looks like a placeholder from an "
        f"example{found}: use the real path of the file"
    )
