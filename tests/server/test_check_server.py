"""The resident check server, through the real `talkgit` command and a real socket."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.server import handoff as client
from tests.support.gitrepo import commit_file, git, make_repo

RISKY = "import subprocess\n\n\ndef run(cmd: str) -> None:\n    subprocess.call(cmd, shell=True)\n"


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private runtime directory for the socket; any server started is stopped after."""
    directory = Path("/tmp") / f"tg-{os.getpid()}-{time.monotonic_ns()}"  # sockets need short paths
    directory.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(directory))
    # The `mypy` the gates start is the one beside this interpreter, as in a venv or pre-commit.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    yield directory / "talkgit"
    for pid_file in directory.glob("talkgit/*.pid"):
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def staged(repo: Path) -> Path:
    (repo / "pkg" / "risky.py").write_text(RISKY)
    git(repo, "add", "pkg/risky.py")
    return repo


def _talkgit(repo: Path, *args: str, server: str | None = "1") -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    env.pop("TALKGIT_CHECK_SERVER", None)
    if server is not None:
        env["TALKGIT_CHECK_SERVER"] = server
    return subprocess.run(
        [sys.executable, "-m", "talkgit", "-C", str(repo), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _wait(condition: Callable[[], bool], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _findings(output: str) -> list[tuple[str, str, str, int]]:
    document = json.loads(output)
    return sorted(
        (gate["tool"], f["rule"], f["path"], f["line"])
        for gate in document["gates"]
        for f in gate["new"]
    )


def test_a_served_check_reports_what_an_unserved_one_does(staged: Path, runtime: Path) -> None:
    inline = _talkgit(staged, "check", "--staged", "--format", "json", server=None)
    assert inline.returncode == exit_codes.FAILURE, inline.stderr
    assert not runtime.exists()  # off by default: nothing started, nothing created

    first = _talkgit(staged, "check", "--staged", "--format", "json")  # starts the server
    assert first.returncode == exit_codes.FAILURE
    _wait(lambda: any(runtime.glob("*.sock")))
    served = _talkgit(staged, "check", "--staged", "--format", "json")

    assert served.returncode == exit_codes.FAILURE, served.stderr
    assert _findings(served.stdout) == _findings(inline.stdout)
    assert ("bandit", "B602", "pkg/risky.py", 5) in _findings(served.stdout)
    (log,) = runtime.glob("*.log")
    assert "check --staged --format json -> exit 1" in log.read_text()


def test_the_hook_command_is_served_with_the_callers_environment(
    staged: Path, runtime: Path
) -> None:
    _talkgit(staged, "check-staged")
    _wait(lambda: any(runtime.glob("*.sock")))
    # The caller's GIT_INDEX_FILE names what is being committed: an index without the file.
    other_index = staged / ".git" / "other-index"
    env = {**os.environ, "TALKGIT_CHECK_SERVER": "1", "GIT_INDEX_FILE": str(other_index)}
    subprocess.run(["git", "read-tree", "HEAD"], cwd=staged, env=env, check=True)
    clean = subprocess.run(
        [sys.executable, "-m", "talkgit", "check-staged"],
        cwd=staged,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert clean.returncode == exit_codes.OK, clean.stderr
    assert _talkgit(staged, "check-staged").returncode == exit_codes.FAILURE
    (log,) = runtime.glob("*.log")
    assert log.read_text().count("check-staged -> exit") == 2


def test_a_server_that_answers_nothing_leaves_the_command_to_run_here(
    staged: Path, runtime: Path
) -> None:
    path = client.socket_path()
    assert path is not None
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)

    def hang_up() -> None:  # a server that dies while answering
        connection, _ = listener.accept()
        connection.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    done = _talkgit(staged, "check", "--staged")
    thread.join(5)
    listener.close()
    assert done.returncode == exit_codes.FAILURE
    assert "B602" in done.stdout


def test_an_idle_server_goes_away_and_cleans_up(runtime: Path) -> None:
    path = client.socket_path()
    assert path is not None
    server = subprocess.Popen([sys.executable, "-m", "talkgit.server", path, "1"])
    _wait(lambda: Path(path).exists())
    assert server.wait(timeout=30) == 0
    assert list(runtime.iterdir()) == []


def test_the_fingerprint_follows_the_code(tmp_path: Path) -> None:
    package = tmp_path / "talkgit"
    package.mkdir()
    (package / "a.py").write_text("A = 1\n")
    before = client.code_fingerprint(str(package))
    assert client.code_fingerprint(str(package)) == before
    (package / "a.py").write_text("A = 22\n")
    assert client.code_fingerprint(str(package)) != before


@pytest.mark.parametrize(
    ("argv", "switch", "config", "expected"),
    [
        (["check", "--staged"], "1", "", True),
        (["-C", "sub", "check"], "on", "", True),
        (["check", "--help"], "1", "", False),
        (["run", "task"], "1", "", False),
        (["check"], None, "[tool.talkgit]\ncheck_server = true\n", True),
        (["check"], "0", "[tool.talkgit]\ncheck_server = true\n", False),
        (["check"], None, "", False),
    ],
)
def test_when_the_server_is_wanted(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    switch: str | None,
    config: str,
    expected: bool,
) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "sub").mkdir()
    if config:
        commit_file(repo, "pyproject.toml", config)
    monkeypatch.chdir(repo)
    monkeypatch.delenv("TALKGIT_CHECK_SERVER", raising=False)
    if switch is not None:
        monkeypatch.setenv("TALKGIT_CHECK_SERVER", switch)
    assert client.wanted(argv) is expected


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # stevedore, imported by bandit
def test_tools_run_in_process_only_when_they_are_the_servers_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from talkgit.server.serve import bandit_here, mypy_here

    other = tmp_path / "bin"
    other.mkdir()
    for name in ("mypy", "bandit"):
        (other / name).write_text("#!/bin/sh\nexit 0\n")
        (other / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{other}{os.pathsep}{os.environ['PATH']}")
    assert mypy_here(["--version"], tmp_path) is None  # another mypy: start it as usual
    assert bandit_here(["--version"], tmp_path) is None
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    ran = mypy_here(["--version"], tmp_path)
    assert ran is not None and ran.returncode == 0 and ran.stdout.startswith("mypy ")
    ran = bandit_here(["--version"], tmp_path)
    assert ran is not None and ran.returncode == 0 and "bandit" in ran.stdout
