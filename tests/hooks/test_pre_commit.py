"""talkgit's hooks under the real pre-commit framework: try-repo, install, commits, pushes.

pre-commit builds a virtualenv for the hook repository and installs talkgit into it, which
takes most of a minute. try-repo always builds its own, in a store it throws away; every
other test shares one PRE_COMMIT_HOME, whose environment the module fixture starts building
in the background at once, so the two installs overlap.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.gitrepo import git, make_repo

CHECKOUT = Path(__file__).resolve().parents[2]
SHELL = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
APP = "def add(a: int, b: int) -> int:\n    return a + b\n"
BROKEN = "Add a step\n\nTalkgit-Run: a1b2c3d4\nTalkgit-Step: 3/parse\nTalkgit-Agent: coder\n"
IDENTITY = ("-c", "user.name=Test User", "-c", "user.email=test@example.com")
HOOKS = ("talkgit-check", "talkgit-placeholders", "talkgit-trailers", "talkgit-push")


@dataclass(frozen=True)
class HookRepo:
    """This checkout as a hook repository: where pre-commit finds it, at which commit."""

    path: Path
    rev: str
    home: Path  # PRE_COMMIT_HOME, shared so the hook environment is built once
    builder: subprocess.Popen[str]  # `pre-commit install-hooks` into ``home``

    def ready(self) -> None:
        """Wait until the shared hook environment is built; fail the test if it was not."""
        output, _ = self.builder.communicate(timeout=240)
        assert self.builder.returncode == 0, output


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookRepo]:
    source = _copy_of_the_checkout(tmp_path_factory.mktemp("talkgit-source"))
    rev = git(source, "rev-parse", "HEAD").strip()
    scratch = tmp_path_factory.mktemp("pre-commit")
    git(scratch, "init", "-q")  # pre-commit runs inside a repository, even to install
    home = scratch / "home"
    config = scratch / "config.yaml"
    config.write_text(_config(source, rev, *HOOKS))
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "HOME": str(scratch)}
    builder = subprocess.Popen(
        [sys.executable, "-m", "pre_commit", "install-hooks", "--config", str(config)],
        cwd=scratch,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield HookRepo(source, rev, home, builder)
    if builder.poll() is None:
        builder.kill()
    builder.communicate()


def _copy_of_the_checkout(source: Path) -> Path:
    """This checkout's files as they are now (committed or not), committed in ``source``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=CHECKOUT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if os.path.lexists(CHECKOUT / name):  # a deleted file is still listed until staged
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CHECKOUT / name, source / name, follow_symlinks=False)
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, *IDENTITY, "commit", "-q", "-m", "talkgit as it is in the checkout")
    return source


def _config(source: Path, rev: str, *hooks: str) -> str:
    listed = "".join(f"      - id: {hook}\n" for hook in hooks)
    return f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n{listed}"


def _project(tmp_path: Path, hook_repo: HookRepo, *hooks: str) -> Path:
    """A repository with an old finding (legacy/shell.py:5) and a pre-commit config."""
    files = {"app.py": APP, "legacy/shell.py": SHELL}
    files[".pre-commit-config.yaml"] = _config(hook_repo.path, hook_repo.rev, *hooks)
    return make_repo(tmp_path / "project", files)


def _run(repo: Path, hook_repo: HookRepo, *command: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(hook_repo.home),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    if command[0] == "pre-commit":
        command = (sys.executable, "-m", "pre_commit", *command[1:])
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, check=False)


def _output(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


def _stage(repo: Path, name: str, text: str) -> None:
    (repo / name).write_text(text)
    git(repo, "add", name)


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def installed(tmp_path: Path, hook_repo: HookRepo) -> Path:
    """A project with talkgit-check, -trailers and -push installed by `pre-commit install`."""
    hook_repo.ready()
    repo = _project(tmp_path, hook_repo, "talkgit-check", "talkgit-trailers", "talkgit-push")
    done = _run(
        repo, hook_repo, "pre-commit", "install", "-t", "pre-commit", "-t", "commit-msg",
        "-t", "pre-push",
    )  # fmt: skip
    assert done.returncode == 0, _output(done)
    return repo


# --- the manifest ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "file"),
    [
        ("validate-manifest", ".pre-commit-hooks.yaml"),
        ("validate-config", ".pre-commit-config.yaml"),
    ],
)
def test_the_manifest_and_talkgits_own_config_are_valid(command: str, file: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", command, str(CHECKOUT / file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in (done.stdout + done.stderr).lower()


# --- try-repo ----------------------------------------------------------------------------------


def test_try_repo_refuses_a_new_bandit_finding(tmp_path: Path, hook_repo: HookRepo) -> None:
    repo = _project(tmp_path, hook_repo)
    _stage(repo, "tool.py", SHELL)
    done = _run(
        repo, hook_repo, "pre-commit", "try-repo", str(hook_repo.path), "talkgit-check",
        "--ref", hook_repo.rev,
    )  # fmt: skip
    assert done.returncode == 1, _output(done)
    assert "talkgit gates" in done.stdout and "Failed" in done.stdout
    assert "tool.py:5:12: B602 [high]" in done.stdout
    assert "legacy/shell.py" not in done.stdout  # the same finding, already committed


# --- installed hooks under real commits and pushes ---------------------------------------------


def test_a_commit_adding_a_bandit_finding_is_refused(installed: Path, hook_repo: HookRepo) -> None:
    before = _head(installed)
    _stage(installed, "tool.py", SHELL)
    done = _run(installed, hook_repo, "git", "commit", "-m", "add a tool")
    assert done.returncode != 0
    assert "tool.py:5:12: B602 [high]" in _output(done)
    assert _head(installed) == before


def test_a_clean_commit_and_an_old_finding_pass(installed: Path, hook_repo: HookRepo) -> None:
    _stage(installed, "app.py", APP + "\n\ndef sub(a: int, b: int) -> int:\n    return a - b\n")
    done = _run(installed, hook_repo, "git", "commit", "-m", "subtract")
    assert done.returncode == 0, _output(done)
    assert "talkgit gates" in _output(done) and "Passed" in _output(done)
    # The old shell=True call moves down two lines; its line is untouched, so it stays old.
    _stage(installed, "legacy/shell.py", '"""Shell helpers."""\n\n' + SHELL)
    done = _run(installed, hook_repo, "git", "commit", "-m", "document the legacy module")
    assert done.returncode == 0, _output(done)


def test_a_broken_talkgit_trailer_is_refused(installed: Path, hook_repo: HookRepo) -> None:
    before = _head(installed)
    done = _run(installed, hook_repo, "git", "commit", "--allow-empty", "-m", BROKEN)
    assert done.returncode != 0
    assert ".git/COMMIT_EDITMSG:4: Talkgit-Step: '3/parse' is not <NN>/<step-id>" in _output(done)
    assert _head(installed) == before
    good = BROKEN.replace("3/parse", "03/parse")
    done = _run(installed, hook_repo, "git", "commit", "--allow-empty", "-m", good)
    assert done.returncode == 0, _output(done)


def test_a_push_of_a_range_adding_a_finding_is_refused(
    installed: Path, hook_repo: HookRepo, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(installed, "remote", "add", "origin", str(remote))
    # The first push has no base on the remote: every file would count, the old one too.
    done = _run(installed, hook_repo, "git", "push", "-q", "--no-verify", "origin", "main")
    assert done.returncode == 0, _output(done)
    pushed = _head(installed)
    _stage(installed, "tool.py", SHELL)
    assert _run(installed, hook_repo, "git", "commit", "--no-verify", "-m", "tool").returncode == 0
    done = _run(installed, hook_repo, "git", "push", "origin", "main")
    assert done.returncode != 0
    assert "talkgit gates on the push" in done.stdout + done.stderr
    assert "tool.py:5:12: B602 [high]" in _output(done)
    assert "legacy/shell.py" not in _output(done)
    assert git(remote, "rev-parse", "main").strip() == pushed


def test_placeholders_runs_that_gate_alone(tmp_path: Path, hook_repo: HookRepo) -> None:
    hook_repo.ready()
    repo = _project(tmp_path, hook_repo, "talkgit-placeholders")
    _stage(repo, "tool.py", SHELL)
    _stage(repo, "notes.md", "Plan\nFIXME: write it\n")
    done = _run(repo, hook_repo, "pre-commit", "run", "talkgit-placeholders")
    assert done.returncode == 1, _output(done)
    assert "notes.md:2:1: fixme" in done.stdout
    assert "mypy" not in done.stdout and "B602" not in done.stdout
    _stage(repo, "notes.md", "Plan\nWrite it.\n")
    done = _run(repo, hook_repo, "pre-commit", "run", "talkgit-placeholders")
    assert done.returncode == 0, _output(done)


# --- talkgit's own configuration ---------------------------------------------------------------


def test_talkgits_own_config_runs_the_installed_talkgit(
    tmp_path: Path, hook_repo: HookRepo
) -> None:
    repo = make_repo(tmp_path / "project", {"app.py": APP})
    _stage(repo, "tool.py", SHELL)
    own = ("pre-commit", "run", "--config", str(CHECKOUT / ".pre-commit-config.yaml"))
    done = _run(repo, hook_repo, *own, "talkgit-check")
    assert done.returncode == 1, _output(done)
    assert "tool.py:5:12: B602 [high]" in done.stdout
