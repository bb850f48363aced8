"""The settings every git command of talkgit's carries, read back through git itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkgit.errors import RepositoryError
from talkgit.git.command import NO_HOOKS, git
from tests.support.gitrepo import git as plain_git


def _setting(repo: Path, key: str, *, hooks_path_as_configured: bool = False) -> str:
    done = git(
        *("config", "--get", key),
        cwd=repo,
        check=False,
        hooks_path_as_configured=hooks_path_as_configured,
    )
    return done.stdout.strip()


def test_hooks_fsmonitor_and_command_urls_are_off_whatever_the_config_says(repo: Path) -> None:
    plain_git(repo, "config", "core.hooksPath", ".husky")
    plain_git(repo, "config", "core.fsmonitor", "true")
    assert _setting(repo, "core.hooksPath") == NO_HOOKS
    assert _setting(repo, "core.fsmonitor") == ""
    assert _setting(repo, "protocol.ext.allow") == "never"
    # `talkgit hooks install` asks where the user's hooks live: there, it is as configured.
    assert _setting(repo, "core.hooksPath", hooks_path_as_configured=True) == ".husky"


def test_every_configured_filter_driver_is_emptied_in_every_scope(repo: Path) -> None:
    plain_git(repo, "config", "--global", "filter.lfs.process", "git-lfs filter-process")
    plain_git(repo, "config", "--global", "filter.lfs.required", "true")
    plain_git(repo, "config", "filter.Crypt.Smudge", "decrypt")  # a name keeps its case
    for driver in ("lfs", "Crypt"):
        for key in ("clean", "smudge", "process"):
            assert _setting(repo, f"filter.{driver}.{key}") == ""
        assert _setting(repo, f"filter.{driver}.required") == "false"


def test_a_driver_whose_name_no_option_can_spell_is_refused(repo: Path) -> None:
    plain_git(repo, "config", "filter.a=b.smudge", "evil")
    with pytest.raises(RepositoryError, match=r"cannot switch off the git filter 'a=b'"):
        git("status", cwd=repo)


def test_a_config_git_cannot_read_is_one_line(repo: Path) -> None:
    with (repo / ".git" / "config").open("a") as config:
        config.write("[broken\n")
    with pytest.raises(RepositoryError, match=r"^cannot read git's configuration: "):
        git("status", cwd=repo)
