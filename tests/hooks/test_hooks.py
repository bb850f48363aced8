"""`talkgit hooks install | uninstall` on real repositories, and the scripts they install."""

from __future__ import annotations

import io
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.cli import main
from talkgit.commands.hooks import (
    BACKUP_SUFFIX,
    HOOKS,
    hook_script,
    hooks_directory,
    install,
    is_talkgit_hook,
    uninstall,
)
from talkgit.errors import UsageError
from tests.support.gitrepo import git

CHECKOUT = Path(__file__).resolve().parents[2]
FOREIGN = "#!/bin/sh\necho my own hook\n"


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A repository with no commit yet: hooks are often installed first thing."""
    path = tmp_path / "fresh"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    return path


def _install(repo: Path, force: bool = False) -> str:
    out = io.StringIO()
    assert install(repo, force=force, out=out) == exit_codes.OK
    return out.getvalue()


def _uninstall(repo: Path) -> str:
    out = io.StringIO()
    assert uninstall(repo, out=out) == exit_codes.OK
    return out.getvalue()


def _executable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def _foreign(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FOREIGN)
    path.chmod(0o750)
    return path


def test_install_writes_the_three_scripts_executable(fresh: Path) -> None:
    assert "installed talkgit's pre-commit, commit-msg, pre-push" in _install(fresh)
    for name in HOOKS:
        hook = fresh / ".git" / "hooks" / name
        assert hook.read_text() == hook_script(name)
        assert _executable(hook) and is_talkgit_hook(hook)


def test_the_repository_hooks_folder_is_the_packaged_scripts() -> None:
    # One copy of each script: hooks/<name> links to the package data that install uses.
    for name in HOOKS:
        shipped = CHECKOUT / "hooks" / name
        assert shipped.read_text() == hook_script(name)
        assert _executable(shipped)
        assert shipped.read_text().startswith("#!/bin/sh\n")


@pytest.mark.parametrize("shell", ["sh", "dash", "bash"])
@pytest.mark.parametrize("name", HOOKS)
def test_the_scripts_are_posix_shell(shell: str, name: str) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    args = [shell, "-n", str(CHECKOUT / "hooks" / name)]
    if shell == "bash":
        args.insert(1, "--posix")
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_core_hooks_path_is_respected(fresh: Path) -> None:
    git(fresh, "config", "core.hooksPath", "tools/githooks")
    assert hooks_directory(fresh) == (fresh / "tools" / "githooks").resolve()
    assert "in tools/githooks" in _install(fresh)
    assert sorted(p.name for p in (fresh / "tools" / "githooks").iterdir()) == sorted(HOOKS)
    assert not (fresh / ".git" / "hooks" / "pre-commit").exists()
    assert "removed" in _uninstall(fresh)
    assert list((fresh / "tools" / "githooks").iterdir()) == []


def test_a_foreign_hook_is_refused_and_nothing_is_written(fresh: Path) -> None:
    mine = _foreign(fresh / ".git" / "hooks" / "commit-msg")
    with pytest.raises(UsageError, match=r"not talkgit's .*commit-msg.*--force"):
        install(fresh, out=io.StringIO())
    assert mine.read_text() == FOREIGN
    assert not (fresh / ".git" / "hooks" / "pre-commit").exists()


def test_force_keeps_a_backup_that_uninstall_restores(fresh: Path) -> None:
    hooks = fresh / ".git" / "hooks"
    _foreign(hooks / "pre-push")
    said = _install(fresh, force=True)
    assert f"kept your pre-push hook as pre-push{BACKUP_SUFFIX}" in said
    backup = hooks / f"pre-push{BACKUP_SUFFIX}"
    assert backup.read_text() == FOREIGN
    assert is_talkgit_hook(hooks / "pre-push")
    said = _uninstall(fresh)
    assert "restored your pre-push hook" in said
    assert (hooks / "pre-push").read_text() == FOREIGN
    assert stat.S_IMODE((hooks / "pre-push").stat().st_mode) == 0o750
    assert not backup.exists()
    assert not (hooks / "pre-commit").exists() and not (hooks / "commit-msg").exists()


def test_reinstalling_replaces_talkgits_own_hooks_without_force(fresh: Path) -> None:
    hook = fresh / ".git" / "hooks" / "pre-commit"
    _install(fresh)
    hook.write_text("#!/bin/sh\n# talkgit-hook: pre-commit (an older version)\n")
    _install(fresh)
    assert hook.read_text() == hook_script("pre-commit")
    assert not (hook.parent / f"pre-commit{BACKUP_SUFFIX}").exists()


def test_a_symlinked_hook_is_backed_up_as_the_link_and_its_target_untouched(
    fresh: Path, tmp_path: Path
) -> None:
    target = _foreign(tmp_path / "shared" / "pre-commit")
    hook = fresh / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.symlink_to(target)
    _install(fresh, force=True)
    assert target.read_text() == FOREIGN
    assert not hook.is_symlink() and is_talkgit_hook(hook)
    assert (hook.parent / f"pre-commit{BACKUP_SUFFIX}").resolve() == target
    _uninstall(fresh)
    assert hook.is_symlink() and hook.resolve() == target


def test_force_refuses_to_overwrite_an_earlier_backup(fresh: Path) -> None:
    hooks = fresh / ".git" / "hooks"
    _foreign(hooks / "pre-commit")
    _foreign(hooks / f"pre-commit{BACKUP_SUFFIX}")
    with pytest.raises(UsageError, match="already exists"):
        install(fresh, force=True, out=io.StringIO())
    assert not is_talkgit_hook(hooks / "pre-commit")


def test_uninstall_leaves_a_foreign_hook_alone(fresh: Path) -> None:
    _install(fresh)
    mine = _foreign(fresh / ".git" / "hooks" / "pre-commit")
    said = _uninstall(fresh)
    assert "pre-commit: not talkgit's hook, left alone" in said
    assert mine.read_text() == FOREIGN
    assert not (fresh / ".git" / "hooks" / "commit-msg").exists()
    assert "no talkgit hook" in _uninstall(fresh)


def test_the_command_line(fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(fresh), "hooks", "install"]) == exit_codes.OK
    assert "installed" in capsys.readouterr().out
    _foreign(fresh / ".git" / "hooks" / "pre-commit")
    assert main(["-C", str(fresh), "hooks", "install"]) == exit_codes.USAGE
    err = capsys.readouterr().err
    assert err.startswith("talkgit: error: hooks that are not talkgit's") and err.count("\n") == 1
    assert main(["-C", str(fresh), "hooks", "uninstall"]) == exit_codes.OK
    assert main(["-C", str(tmp_path / "nowhere"), "hooks", "install"]) == exit_codes.REPOSITORY


def test_install_in_a_bare_repository_is_a_repository_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(tmp_path, "init", "-q", "--bare", "bare.git")
    bare = tmp_path / "bare.git"
    assert main(["-C", str(bare), "hooks", "install"]) == exit_codes.REPOSITORY
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bare repository" in err
    assert not (bare / "hooks" / "pre-commit").exists()
