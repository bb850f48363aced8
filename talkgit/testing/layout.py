"""Where a tree's own code is imported from: its import roots and its top-level packages.

A project installed the usual way (``pip install -e .``) puts the user's checkout on
``sys.path``; tests started in a private worktree would import that checkout, not the
step's code. The roots found here go first on the test run's import path instead. They
come from the packaging configuration the tree itself commits (setuptools, hatch, poetry,
pdm), a ``src`` directory, and the tree's root, and every one must lie inside the tree:
the configuration is the tree's, so it may point anywhere.
"""

from __future__ import annotations

import configparser
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # tomli is tomllib's backport, a dependency on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

# Names a tree may well have at its root that are not the code under test, or that the
# standard library owns (a tree's `test/` is not why `import test` finds the stdlib's).
_NOT_PACKAGES = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "benchmarks"})


def import_roots(root: Path) -> tuple[Path, ...]:
    """The directories of ``root`` that its code imports from, most specific first.

    Configured package directories, then ``src`` when it exists, then ``root`` itself.
    """
    named = [*_pyproject_roots(root), *_setup_cfg_roots(root), "src"]
    found = [path for path in (_inside(root, name) for name in named) if path is not None]
    return tuple(dict.fromkeys([*found, root.resolve()]))


def own_packages(root: Path, roots: tuple[Path, ...]) -> tuple[str, ...]:
    """The top-level module and package names the tree's import roots provide.

    At the tree's root only regular packages (with ``__init__.py``) count: loose scripts
    there (``setup.py``, ``conftest.py``) are not what the tests import by name.
    """
    names: dict[str, None] = {}
    for directory in roots:
        at_root = directory == root.resolve()
        for name in _modules_in(directory, regular_only=at_root):
            if name not in _NOT_PACKAGES and name not in sys.stdlib_module_names:
                names[name] = None
    return tuple(sorted(names))


def _modules_in(directory: Path, *, regular_only: bool) -> Iterator[str]:
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return
    for entry in entries:
        if not entry.name.isidentifier() and not entry.name.endswith(".py"):
            continue
        if entry.is_dir() and (entry / "__init__.py").is_file():
            yield entry.name
        elif regular_only:
            continue
        elif entry.is_dir() and any(entry.glob("*.py")):
            yield entry.name  # a namespace package
        elif entry.suffix == ".py" and entry.stem.isidentifier() and entry.stem != "conftest":
            yield entry.stem


def _inside(root: Path, name: str) -> Path | None:
    """``root / name`` when it is a directory inside the tree (symlinks resolved)."""
    if not name or Path(name).is_absolute():
        return None
    resolved_root = root.resolve()
    path = (root / name).resolve()
    if path == resolved_root or not path.is_relative_to(resolved_root) or not path.is_dir():
        return None
    return path


def _pyproject_roots(root: Path) -> list[str]:
    document = _toml(root / "pyproject.toml")
    tool = _table(document, "tool")
    setuptools = _table(tool, "setuptools")
    roots = _strings(_table(setuptools, "package-dir").get(""))
    roots += _strings(_table(_table(setuptools, "packages"), "find").get("where"))
    hatch_wheel = _table(_table(_table(_table(tool, "hatch"), "build"), "targets"), "wheel")
    roots += [str(Path(package).parent) for package in _strings(hatch_wheel.get("packages"))]
    poetry_packages = _table(tool, "poetry").get("packages")
    if isinstance(poetry_packages, list):
        roots += [str(p["from"]) for p in poetry_packages if isinstance(p, dict) and "from" in p]
    roots += _strings(_table(_table(tool, "pdm"), "build").get("package-dir"))
    return [name for name in roots if name not in ("", ".")]


def _setup_cfg_roots(root: Path) -> list[str]:
    parser = configparser.ConfigParser()
    try:
        parser.read_string((root / "setup.cfg").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return []
    roots: list[str] = []
    mapping = parser.get("options", "package_dir", fallback="")
    for line in mapping.replace(";", "\n").splitlines():
        key, _, value = line.partition("=")
        if _ and not key.strip() and value.strip():
            roots.append(value.strip())
    where = parser.get("options.packages.find", "where", fallback="").strip()
    return [*roots, *where.split()] if where else roots


def _toml(path: Path) -> dict[str, Any]:
    try:
        document: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return document


def _table(document: object, key: str) -> dict[str, Any]:
    value = document.get(key) if isinstance(document, dict) else None
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
