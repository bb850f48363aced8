"""`talkgit hooks install | uninstall`: talkgit's plain git hooks, for those without pre-commit.

The scripts ship as package data, ``talkgit/data/hook-<name>`` (the repository's ``hooks/``
links to them). They go into the directory git runs hooks from, so ``core.hooksPath`` is
respected. A hook file is talkgit's when it carries the marker line; anything else there is
someone's own hook: install refuses to replace it unless forced, and then keeps it as
``<name>.talkgit-backup``, which uninstall puts back.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Final, TextIO

from talkgit import exit_codes
from talkgit.errors import RepositoryError, UsageError
from talkgit.git.command import git

HOOKS: Final = ("pre-commit", "commit-msg", "pre-push")
MARKER: Final = "# talkgit-hook:"
BACKUP_SUFFIX: Final = ".talkgit-backup"
_MARKER_WITHIN: Final = 512  # bytes: the marker is on the script's second line


def hook_script(name: str) -> str:
    """The text of talkgit's hook ``name`` (one of HOOKS), as installed."""
    if name not in HOOKS:
        raise UsageError(f"unknown hook {name!r}: talkgit has {', '.join(HOOKS)}")
    return (resources.files("talkgit") / "data" / f"hook-{name}").read_text("utf-8")


def hooks_directory(directory: Path) -> Path:
    """Where git runs this repository's hooks from: ``core.hooksPath``, else ``.git/hooks``."""
    if not directory.is_dir():
        raise RepositoryError(f"not a git repository: {directory}")
    found = git(
        "rev-parse",
        "--is-bare-repository",
        "--git-path",
        "hooks",
        cwd=directory,
        check=False,
        hooks_path_as_configured=True,
    )
    if found.returncode != 0:
        raise RepositoryError(f"not a git repository: {directory}")
    bare, hooks = found.stdout.splitlines()
    if bare == "true":  # nothing is ever committed there, so the hooks would never run
        raise RepositoryError(f"bare repository at {directory}: hooks need a working tree")
    return (directory / hooks.strip()).resolve()


def install(directory: Path, *, force: bool = False, out: TextIO | None = None) -> int:
    """Install talkgit's hooks, replacing older copies of them.

    Someone else's hook in the way is refused (UsageError) unless ``force``; then it is kept
    as ``<name>.talkgit-backup``. Nothing is written unless every hook can be installed.
    """
    target = hooks_directory(directory)
    foreign = [name for name in HOOKS if _is_foreign(target / name)]
    _refuse_to_lose(target, foreign, force=force)
    target.mkdir(parents=True, exist_ok=True)
    say = _printer(out)
    for name in foreign:
        (target / name).rename(_backup(target / name))
        say(f"kept your {name} hook as {_backup(target / name).name}")
    for name in HOOKS:
        _write_executable(target / name, hook_script(name))
    say(f"installed talkgit's {', '.join(HOOKS)} hooks in {_shown(target, directory)}")
    return exit_codes.OK


def uninstall(directory: Path, *, out: TextIO | None = None) -> int:
    """Remove talkgit's hooks and put back the ones ``install --force`` replaced.

    A hook that is not talkgit's is left alone, and so is its backup.
    """
    target = hooks_directory(directory)
    say = _printer(out)
    removed = []
    for name in HOOKS:
        path, backup = target / name, _backup(target / name)
        if _is_foreign(path):
            say(f"{name}: not talkgit's hook, left alone")
            continue
        if _present(path):
            path.unlink()
            removed.append(name)
        if _present(backup):
            backup.rename(path)
            say(f"restored your {name} hook from {backup.name}")
    where = _shown(target, directory)
    if removed:
        say(f"removed talkgit's {', '.join(removed)} hooks from {where}")
    else:
        say(f"no talkgit hook in {where}")
    return exit_codes.OK


def is_talkgit_hook(path: Path) -> bool:
    """Whether the file at ``path`` is one of talkgit's hook scripts (any version)."""
    try:
        with path.open("rb") as file:
            return MARKER.encode() in file.read(_MARKER_WITHIN)
    except OSError:  # a directory, a dangling link, unreadable: not ours to touch
        return False


def _refuse_to_lose(target: Path, foreign: Sequence[str], *, force: bool) -> None:
    if foreign and not force:
        raise UsageError(
            f"hooks that are not talkgit's are in the way in {target}: {', '.join(foreign)}; "
            f"`talkgit hooks install --force` replaces them, keeping each as <name>{BACKUP_SUFFIX}"
        )
    taken = [_backup(target / name) for name in foreign if _present(_backup(target / name))]
    if taken:
        raise UsageError(f"{taken[0]} already exists: move it away first, so no hook is lost")


def _write_executable(path: Path, text: str) -> None:
    # A new file renamed into place: never half a script, and never written through a
    # symlink that happened to be there.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        Path(temporary).chmod(0o755)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _is_foreign(path: Path) -> bool:
    return _present(path) and not is_talkgit_hook(path)


def _present(path: Path) -> bool:
    return os.path.lexists(path)


def _backup(path: Path) -> Path:
    return path.with_name(path.name + BACKUP_SUFFIX)


def _shown(target: Path, directory: Path) -> str:
    root = directory.resolve()
    return str(target.relative_to(root)) if target.is_relative_to(root) else str(target)


def _printer(out: TextIO | None) -> Callable[[str], None]:
    stream = out or sys.stdout

    def say(line: str) -> None:
        stream.write(line + "\n")

    return say
