"""The one way talkgit runs the git CLI: with the programs a repository's config names off.

git runs programs its configuration names: hooks (``core.hooksPath``, and from git 2.54
``hook.<name>.command``), an fsmonitor (``core.fsmonitor``) and filter drivers
(``filter.<name>.clean``/``smudge``/``process``, applied to the paths a committed
``.gitattributes`` assigns them). That configuration is often written by tooling, and
points into the repository: husky sets ``core.hooksPath=.husky``, so a pull request's
``.husky/post-checkout`` ran when talkgit checked the pull request out. So every command
carries, after any ``-c`` it inherits (the last value wins):

- ``core.hooksPath=/dev/null``: a file, so no hook can exist below it (git 2.9+);
- ``hook.<name>.enabled=false`` and ``hook.<name>.event=`` for every configured hook
  (git 2.54+; older versions ignore them);
- ``core.fsmonitor=`` (empty): off both where it is a hook path (before git 2.36) and
  where it is a boolean;
- for every configured filter driver, empty ``clean``, ``smudge`` and ``process`` (git
  then applies none) and ``required=false`` (else a filter that did not run is an error);
- ``protocol.ext.allow=never``: no remote URL runs a command.

The names are read with ``git config`` in the same directory and environment as the
command itself, so includes and conditional includes are read the same way. Diff drivers
(``diff.external``, ``diff.<name>.textconv``) run only where git makes a diff: talkgit
makes its diffs with libgit2, which runs no external program (nor any hook or filter
driver), so none of these commands does; one that does must add ``--no-ext-diff
--no-textconv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

from talkgit.errors import NO_SPACE_TEXT, RepositoryError, no_space
from talkgit.files import nearly_full
from talkgit.proc import CommandFailed, Output, cmd_output

NO_HOOKS: Final = "/dev/null"
_ALWAYS: Final = ("core.fsmonitor=", "protocol.ext.allow=never")
# What switches each configured driver off: filter.<name>.* and hook.<name>.* alike.
_SWITCHED_OFF: Final = {
    "filter": ("clean=", "smudge=", "process=", "required=false"),
    "hook": ("enabled=false", "event="),
}
_CONFIGURED = r"^(filter|hook)\..+\."
# How git says a disk is full: strerror(ENOSPC), or its own words for a short write.
_NO_SPACE_WORDS: Final = (NO_SPACE_TEXT, "Out of diskspace")


def git(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    hooks_path_as_configured: bool = False,
) -> Output:
    """Run ``git args`` in ``cwd`` (None: here) with the switches above; ``env`` None
    inherits talkgit's environment.

    ``hooks_path_as_configured`` leaves ``core.hooksPath`` alone, for the one command that
    asks where the user's hooks live (``rev-parse --git-path hooks``) and runs none.
    """
    settings = _switched_off(cwd, env)
    if not hooks_path_as_configured:
        settings.insert(0, f"core.hooksPath={NO_HOOKS}")
    options = [word for setting in settings for word in ("-c", setting)]
    output = cmd_output("git", *options, *args, cwd=cwd, env=env, check=False)
    if output.returncode != 0 and _out_of_space(output.stderr, cwd):
        raise no_space(f"running git {_subcommand(args)}")
    if output.returncode != 0 and check:
        raise CommandFailed(["git", *options, *args], output)
    return output


def _out_of_space(stderr: str, cwd: Path | None) -> bool:
    """Whether git failed for want of room: it says so in one of its ways, or it could not
    write a file (a checkout loses the errno) where the disk is full."""
    if any(text in stderr for text in _NO_SPACE_WORDS):
        return True
    return "unable to write" in stderr and nearly_full(cwd or Path())


def _subcommand(args: tuple[str, ...]) -> str:
    """The git command's name in ``args``, past any ``-c name=value`` before it."""
    words = iter(args)
    for word in words:
        if word == "-c":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return "git"


def _switched_off(cwd: Path | None, env: Mapping[str, str] | None) -> list[str]:
    """The settings (for ``-c``), but ``core.hooksPath``, that switch off what git's
    configuration in ``cwd`` would run."""
    settings = list(_ALWAYS)
    for section, name in _configured_drivers(cwd, env):
        settings += [f"{section}.{name}.{setting}" for setting in _SWITCHED_OFF[section]]
    return settings


def _configured_drivers(
    cwd: Path | None, env: Mapping[str, str] | None
) -> dict[tuple[str, str], None]:
    listed = cmd_output(
        *("git", "config", "--null", "--name-only", "--get-regexp", _CONFIGURED),
        cwd=cwd,
        env=env,
        check=False,
    )
    if listed.returncode not in (0, 1):  # 1: none configured
        raise RepositoryError(f"cannot read git's configuration: {_last_line(listed)}")
    drivers: dict[tuple[str, str], None] = {}
    for key in filter(None, listed.stdout.split("\0")):
        section, _, rest = key.partition(".")
        name = rest.rpartition(".")[0]
        if "=" in name:  # `-c` splits at the first "=": this driver could not be named
            raise RepositoryError(
                f"cannot switch off the git {section} {name!r} configured here: "
                "rename it without '='"
            )
        drivers[(section, name)] = None
    return drivers


def _last_line(output: Output) -> str:
    lines = (output.stderr or output.stdout).strip().splitlines()
    return lines[-1] if lines else f"git exited {output.returncode}"
