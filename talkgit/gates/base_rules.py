"""An untrusted head judged by its base's rules: tool configuration from the base commit.

A pull request, or a model's step, that edits ``ruff.toml`` to ``ignore = ["ALL"]``, adds
``skips`` to ``[tool.bandit]``, sets ``ignore_errors`` in ``mypy.ini`` or ``addopts`` that
deselect every test, would otherwise pass the gates by the rules it wrote itself. So,
before the tools run on the head's private worktree, every configuration file the change
touches is put back as the base has it (or removed, when the base has none), and so is a
mypy plugin the base's configuration names: its code runs inside mypy. The edit is not
lost: it is the change's, and the report names each file judged by the base's version.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from talkgit.errors import RepositoryError
from talkgit.gates.mypy_scope import mypy_section
from talkgit.git.repo import GitRepo

# What ruff (at any depth), mypy, bandit and pytest read their settings from.
RULE_FILES = frozenset(
    {"pyproject.toml", "ruff.toml", ".ruff.toml", "mypy.ini", ".mypy.ini", "setup.cfg"}
    | {".bandit", "pytest.ini", ".pytest.ini", "tox.ini"}
)


def rules_touched(repo: GitRepo, base: str, changed: Iterable[str]) -> tuple[str, ...]:
    """The changed paths that hold tool rules: configuration files, and mypy plugins the
    base's configuration names."""
    paths = tuple(changed)
    plugins = _plugin_files(repo, base)
    return tuple(p for p in paths if PurePosixPath(p).name in RULE_FILES or p in plugins)


def restore_from_base(repo: GitRepo, base: str, root: Path, paths: Iterable[str]) -> None:
    """Make each of ``paths`` under ``root`` (a private worktree) what ``base`` has there.

    Never through a symlink the head put on the way: a file is written or removed only
    inside ``root``, in folders that are real folders.
    """
    for path in paths:
        target = _inside(root, path)
        data = repo.read_file(base, path)
        if data is None:
            if target.is_symlink() or target.is_file():
                target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()
        target.write_bytes(data)


def _inside(root: Path, path: str) -> Path:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts:
        raise RepositoryError(f"refusing to write {path!r} outside the worktree")
    current = root
    for part in relative.parts[:-1]:
        current = current / part
        try:
            mode = current.lstat().st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(mode):
            raise RepositoryError(f"refusing to write {path!r}: {current.name} is not a folder")
    return root / relative


def _plugin_files(repo: GitRepo, base: str) -> frozenset[str]:
    """The repository files that may be the base's mypy plugins (``a.b`` or ``a/b.py``)."""
    files: set[str] = set()
    for entry in _plugins(repo, base):
        name = entry.split(":", 1)[0].strip()
        if name.endswith(".py"):
            files.add(PurePosixPath(name).as_posix().removeprefix("./"))
            continue
        module = name.replace(".", "/")
        for prefix in ("", "src/"):
            files.update({f"{prefix}{module}.py", f"{prefix}{module}/__init__.py"})
    return frozenset(files)


def _plugins(repo: GitRepo, base: str) -> list[str]:
    """The ``plugins`` of the base's mypy configuration, from the file mypy would read."""

    def read(name: str) -> str | None:
        data = repo.read_file(base, name)
        return None if data is None else data.decode("utf-8", "replace")

    found = mypy_section(read)
    return [] if found is None else _as_list(found[1].get("plugins"))


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.replace("\n", ",").split(",")) if part]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
