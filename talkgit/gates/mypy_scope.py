"""Which changed files the mypy gate checks: those the project's own ``mypy`` would check.

Run with no arguments, mypy checks the ``files`` of its configuration, crawling the
directories among them minus what ``exclude`` excludes, and checks a module once: from
its ``.pyi`` when a ``.py`` sits beside one. Given files on its command line, as the gate
gives them, mypy applies none of that; so the gate picks its files here, the way mypy's
crawl (``mypy/find_sources.py``) would. Imported before pydantic on every commit hook
(see ``talkgit.gates.commands``): it reads one configuration file and stats a few paths.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from talkgit.gates.base import plain_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # tomli is tomllib's backport, a dependency on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

CONFIG_FILES = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")  # mypy's order
SHARED_CONFIG_FILES = ("pyproject.toml", "setup.cfg")  # they count only with a mypy section
SKIPPED_NAMES = ("__pycache__", "site-packages", "node_modules")  # and names starting "."
GLOB_MAGIC = re.compile(r"[*?[]")


class MypyScope(NamedTuple):
    """What of a repository its own ``mypy`` checks: the repository-relative ``files``
    entries (None: none configured) and the ``exclude`` regexes."""

    files: tuple[str, ...] | None
    exclude: tuple[str, ...]


def files_to_check(root: Path, changed: Iterable[str]) -> list[str]:
    """Of the ``changed`` Python files under ``root``, those the project's ``mypy`` checks.

    A ``.py`` that mypy would check from its ``.pyi`` gives the ``.pyi``, and a module is
    never named twice: mypy stops on a module found twice.
    """
    scope = read_scope(root)
    existing = [p for p in changed if p.endswith((".py", ".pyi")) and plain_file(root, p)]
    checked = [c for c in (_checked_as(root, scope, p) for p in existing) if c is not None]
    stubs = {path for path in checked if path.endswith(".pyi")}
    return [p for p in dict.fromkeys(checked) if not (p.endswith(".py") and f"{p}i" in stubs)]


def _checked_as(root: Path, scope: MypyScope, path: str) -> str | None:
    """The file mypy checks ``path``'s module from, or None when it does not check it."""
    if scope.files is None:
        return _crawled(root, ".", path, scope.exclude)
    if path in scope.files:
        return path  # named in the configuration: mypy checks it as it is, excluded or not
    for entry in scope.files:
        if entry == "." or path.startswith(f"{entry}/"):
            found = _crawled(root, entry, path, scope.exclude)
            if found is not None:
                return found
    return None


def _crawled(root: Path, directory: str, path: str, exclude: Sequence[str]) -> str | None:
    """The file mypy's crawl of ``directory`` checks ``path``'s module from: ``path``, or
    the ``.pyi`` beside it; None when the crawl skips it or a directory above it."""
    base = "" if directory == "." else f"{directory}/"
    parts = path[len(base) :].split("/")
    below = [base + "/".join(parts[: i + 1]) for i in range(len(parts))]
    # mypy matches each directory as "dir/", with forward slashes, relative to the root.
    if any(not _kept(f"{d}/", exclude) for d in below[:-1]) or not _kept(path, exclude):
        return None
    stub = f"{path}i"
    if path.endswith(".py") and plain_file(root, stub) and _kept(stub, exclude):
        return stub
    return path


def _kept(path: str, exclude: Sequence[str]) -> bool:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if name in SKIPPED_NAMES or name.startswith("."):
        return False
    return not any(_search(pattern, path) for pattern in exclude)


def _search(pattern: str, path: str) -> bool:
    try:
        return re.search(pattern, path) is not None
    except re.error:
        return False  # mypy says so itself when it crawls; it does not on the gate's files


def read_scope(root: Path) -> MypyScope:
    """``files`` and ``exclude`` from the file mypy reads its configuration from."""
    found = mypy_section(lambda name: _read(root / name))
    return MypyScope(None, ()) if found is None else _scope(root, found[1], toml=found[0])


def mypy_section(read: Callable[[str], str | None]) -> tuple[bool, dict[str, Any]] | None:
    """The mypy section of the file mypy reads its configuration from, and whether that
    file is TOML: the first of mypy.ini, .mypy.ini, pyproject.toml ([tool.mypy]),
    setup.cfg ([mypy]) that it can parse, the last two only with a mypy section.
    ``read`` gives a file's text (None: absent), from a tree or from a commit."""
    for name in CONFIG_FILES:
        text = read(name)
        if text is None:
            continue
        toml = name.endswith(".toml")
        section = _toml_section(text) if toml else _ini_section(text, name)
        if section is not None:
            return toml, section
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None  # mypy complains and moves on to the next file, and so does the gate


def _toml_section(text: str) -> dict[str, Any] | None:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None  # mypy complains and moves on to the next file, and so does the gate
    tool = document.get("tool")
    section = tool.get("mypy") if isinstance(tool, dict) else None
    return section if isinstance(section, dict) else None


def _ini_section(text: str, name: str) -> dict[str, Any] | None:
    import configparser  # only for the projects that keep an INI file

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    if parser.has_section("mypy"):
        return dict(parser["mypy"])
    # A mypy.ini without [mypy] is still the file mypy reads (it says so, and uses defaults).
    return None if name in SHARED_CONFIG_FILES else {}


def _scope(root: Path, section: dict[str, Any], *, toml: bool) -> MypyScope:
    files = section.get("files")
    exclude = section.get("exclude")
    # An empty `files` is none at all to mypy (it then asks for something to check).
    entries = _expanded(root, _split(files)) or None
    if toml:  # a regex or a list of them
        patterns = _strings([exclude] if isinstance(exclude, str) else exclude)
        patterns = [p.strip() for p in patterns if p.strip()]
    else:  # one regex, multi-line in verbose mode perhaps, never split
        patterns = [] if exclude is None else [str(exclude).strip()]
    return MypyScope(entries, tuple(patterns))


def _split(files: object) -> list[str]:
    """mypy's reading of ``files``: a comma-separated string, or (in TOML) a list."""
    if isinstance(files, str):
        return [p.strip() for p in files.split(",") if p.strip()]
    return [p.strip() for p in _strings(files) if p.strip()]


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _expanded(root: Path, entries: list[str]) -> tuple[str, ...]:
    """The entries as repository-relative paths, globs expanded as mypy expands them
    (a glob that matches nothing stays as it is)."""
    paths: list[str] = []
    for entry in entries:
        expanded = str(Path(_expand_variables(entry, root)).expanduser())
        paths += _glob(root, expanded) if GLOB_MAGIC.search(expanded) else [expanded]
    return tuple(dict.fromkeys(_relative(root, p) for p in paths))


def _expand_variables(text: str, root: Path) -> str:
    """``os.path.expandvars`` as mypy runs it: with MYPY_CONFIG_FILE_DIR set to the
    configuration file's directory."""
    environ = {**os.environ, "MYPY_CONFIG_FILE_DIR": str(root)}
    return re.sub(
        r"\$(\w+|\{[^}]*\})",
        lambda match: environ.get(match.group(1).strip("{}"), match.group(0)),
        text,
    )


def _glob(root: Path, pattern: str) -> list[str]:
    import glob  # only for configurations that use one

    # glob.glob, as mypy: Path.glob differs (it matches hidden names with "*", for one).
    found = glob.glob(pattern, root_dir=root, recursive=True)  # noqa: PTH207
    return found or [pattern]


def _relative(root: Path, path: str) -> str:
    return Path(os.path.relpath(root / path, root)).as_posix()
