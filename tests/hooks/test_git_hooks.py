"""The plain git hooks, installed by `talkgit hooks install`, under real commits and pushes."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.hooks import install
from tests.support.gitrepo import git, make_repo

SHELL = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
APP = "def add(a: int, b: int) -> int:\n    return a + b\n"
BROKEN = "Add a step\n\nTalkgit-Run: a1b2c3d4\nTalkgit-Step: 3/parse\nTalkgit-Agent: coder\n"
GOOD = BROKEN.replace("3/parse", "03/parse")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository with an old bandit finding (legacy/shell.py:5) and talkgit's hooks."""
    repo = make_repo(tmp_path / "project", {"app.py": APP, "legacy/shell.py": SHELL})
    assert install(repo, out=io.StringIO()) == exit_codes.OK
    return repo


def _path_with(*directories: Path) -> str:
    return os.pathsep.join([*(str(d) for d in directories), os.environ["PATH"]])


def _run(repo: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    """A real git command; the hooks find this interpreter's `talkgit` first on PATH."""
    env = {**os.environ, "PATH": path or _path_with(Path(sys.executable).parent)}
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )


def _path_without_talkgit(tmp_path: Path) -> str:
    """A PATH with git, and Pythons that cannot import talkgit."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for python in ("python3", "python"):
        (bin_dir / python).write_text("#!/bin/sh\nexit 1\n")
        (bin_dir / python).chmod(0o755)
    git_dir = Path(shutil.which("git") or "/usr/bin/git").parent
    return f"{bin_dir}{os.pathsep}{git_dir}"


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def _stage(repo: Path, name: str, text: str) -> None:
    (repo / name).write_text(text)
    git(repo, "add", name)


def test_a_commit_adding_a_bandit_finding_is_refused(project: Path) -> None:
    before = _head(project)
    _stage(project, "tool.py", SHELL)
    done = _run(project, "commit", "-m", "add a tool")
    assert done.returncode != 0
    assert "tool.py:5:12: B602 [high]" in done.stdout + done.stderr
    assert "legacy/shell.py" not in done.stdout + done.stderr
    assert _head(project) == before


def test_a_clean_commit_passes(project: Path) -> None:
    before = _head(project)
    _stage(project, "app.py", APP + "\n\ndef sub(a: int, b: int) -> int:\n    return a - b\n")
    done = _run(project, "commit", "-m", "subtract")
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(project, "rev-parse", "HEAD~1").strip() == before


def test_an_old_finding_on_an_untouched_line_does_not_block(project: Path) -> None:
    _stage(project, "legacy/shell.py", '"""Shell helpers."""\n\nTIMEOUT = 5\n' + SHELL)
    done = _run(project, "commit", "-m", "document the legacy module")
    assert done.returncode == 0, done.stdout + done.stderr


def test_commit_all_is_judged_as_it_will_be_committed(project: Path) -> None:
    (project / "app.py").write_text(APP + "\n\n" + SHELL)
    done = _run(project, "commit", "-a", "-m", "shell out")
    assert done.returncode != 0
    assert "app.py:9:12: B602" in done.stdout + done.stderr


def test_a_message_with_a_broken_talkgit_trailer_is_refused(project: Path) -> None:
    before = _head(project)
    done = _run(project, "commit", "--allow-empty", "-m", BROKEN)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert ".git/COMMIT_EDITMSG:4: Talkgit-Step: '3/parse' is not <NN>/<step-id>" in output
    assert _head(project) == before
    assert _run(project, "commit", "--allow-empty", "-m", GOOD).returncode == 0


def test_a_push_of_a_range_adding_a_finding_is_refused(project: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    assert _run(project, "push", "-q", "--no-verify", "origin", "main").returncode == 0
    pushed = _head(project)
    _stage(project, "tool.py", SHELL)
    assert _run(project, "commit", "--no-verify", "-m", "add a tool").returncode == 0
    done = _run(project, "push", "origin", "main")
    assert done.returncode != 0
    assert "tool.py:5:12: B602" in done.stdout + done.stderr
    assert git(remote, "rev-parse", "main").strip() == pushed
    # A new branch with a clean commit goes through, judged from where it left main.
    git(project, "switch", "-q", "-c", "clean", pushed)
    _stage(project, "notes.md", "All fine.\n")
    assert _run(project, "commit", "-m", "notes").returncode == 0
    done = _run(project, "push", "origin", "clean")
    assert done.returncode == 0, done.stdout + done.stderr


def test_without_talkgit_on_path_the_hook_uses_python(project: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A script, not a link: a virtual environment's python finds its packages through the
    # path it was started by (pyvenv.cfg beside it), and a link elsewhere would lose them.
    python3 = bin_dir / "python3"
    python3.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python3.chmod(0o755)
    for tool in ("ruff", "mypy", "bandit"):  # the gates look their tools up on PATH
        (bin_dir / tool).symlink_to(Path(sys.executable).parent / tool)
    git_dir = Path(shutil.which("git") or "/usr/bin/git").parent
    _stage(project, "tool.py", SHELL)
    done = _run(project, "commit", "-m", "tool", path=f"{bin_dir}{os.pathsep}{git_dir}")
    assert done.returncode != 0
    assert "tool.py:5:12: B602" in done.stdout + done.stderr


def test_without_talkgit_anywhere_the_hook_says_so_and_blocks(
    project: Path, tmp_path: Path
) -> None:
    _stage(project, "notes.md", "fine\n")
    done = _run(project, "commit", "-m", "notes", path=_path_without_talkgit(tmp_path))
    assert done.returncode != 0
    assert "talkgit is not installed" in done.stderr and "--no-verify" in done.stderr


def test_nothing_to_check_starts_no_python(project: Path, tmp_path: Path) -> None:
    # Nothing staged and a message that never says talkgit-: the scripts answer alone.
    path = _path_without_talkgit(tmp_path)
    done = _run(project, "commit", "--allow-empty", "-m", "Empty\n\nTested-by: me", path=path)
    assert done.returncode == 0, done.stderr
    done = _run(project, "commit", "--allow-empty", "-m", BROKEN, path=path)
    assert "talkgit is not installed" in done.stderr  # a claim to check needs talkgit
