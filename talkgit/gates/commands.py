"""The command line each tool gate runs, apart from how the gate reads the tool's output.

They are kept out of the gates' own modules so that `talkgit check` can start the tools
before it imports what reading their output takes (pydantic): see
``talkgit.gates.change.start_head``. Each gate runs exactly these commands.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from talkgit.filenames import is_utf8
from talkgit.gates.base import Target, plain_file
from talkgit.gates.mypy_scope import files_to_check

if sys.version_info >= (3, 11):
    import tomllib
else:  # tomli is tomllib's backport, a dependency on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

PYTHON_SUFFIXES = (".py", ".pyi")

Command = Callable[[Target, list[str]], list[str]]
"""A tool's command line on some of a target's files."""

Selection = Callable[[Target], list[str]]
"""Which of a target's files a tool runs on."""


def python_files(target: Target) -> list[str]:
    """The target's Python files that still exist (a change may delete some), but links."""
    return [f for f in target.files if f.endswith(PYTHON_SUFFIXES) and plain_file(target.root, f)]


def mypy_files(target: Target) -> list[str]:
    """The target's Python files the project's own `mypy` checks, as it checks them:
    within its ``files``, minus its ``exclude``, a ``.pyi`` in place of its ``.py``."""
    # Not a name that is not UTF-8: mypy stops on an internal error.
    return [f for f in files_to_check(target.root, target.files) if is_utf8(f)]


def ruff_files(target: Target) -> list[str]:
    """The target's Python files whose names are UTF-8: ruff fails to write its cache for
    any other (and names it with U+FFFD). bandit and the placeholder gate check those."""
    return [f for f in python_files(target) if is_utf8(f)]


def ruff(target: Target, files: list[str]) -> list[str]:
    # --force-exclude: the repository's `exclude` settings apply to files named explicitly too,
    # as in ruff's own pre-commit hook; the cache lives under .git/talkgit/, not in the tree.
    return [
        *("ruff", "check", "--output-format", "json", "--no-fix", "--exit-zero"),
        *("--force-exclude", "--cache-dir", str(target.cache_dir / "ruff"), "--", *files),
    ]


def mypy(target: Target, files: list[str]) -> list[str]:
    return [
        *("mypy", "-O", "json", "--no-error-summary"),
        *("--cache-dir", str(target.cache_dir / "mypy"), "--", *files),
    ]


def bandit(target: Target, files: list[str]) -> list[str]:
    return ["bandit", "-f", "json", "-q", *_bandit_config(target.root), "--", *files]


def _bandit_config(root: Path) -> list[str]:
    """Point bandit at the repository's configuration: it finds neither file by itself
    when it is given files rather than a directory to walk."""
    arguments = ["-c", "pyproject.toml"] if _has_bandit_table(root / "pyproject.toml") else []
    if (root / ".bandit").is_file():
        arguments += ["--ini", ".bandit"]
    return arguments


def _has_bandit_table(pyproject: Path) -> bool:
    if not pyproject.is_file():
        return False
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True  # bandit reads it and says what is wrong, and the gate reports an error
    tool = document.get("tool")
    return isinstance(tool, dict) and "bandit" in tool


COMMANDS: dict[str, Command] = {"ruff": ruff, "mypy": mypy, "bandit": bandit}
SELECTIONS: dict[str, Selection] = {"mypy": mypy_files, "ruff": ruff_files}  # others: python_files


def command_for(gate: str, target: Target) -> list[str] | None:
    """What the built-in gate named ``gate`` runs on ``target``; None when it runs no command."""
    command = COMMANDS.get(gate)
    if command is None:
        return None
    files = SELECTIONS.get(gate, python_files)(target)
    return command(target, files) if files else None
