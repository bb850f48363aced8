"""The server: talkgit's check path imported once, each command run in-process.

One command at a time, each with the caller's working directory and environment (so
``GIT_INDEX_FILE`` and ``TALKGIT_*`` mean what they would mean in the caller). The gate tools
still run as their own processes. It exits after ``idle`` seconds without a command.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from talkgit.proc import IN_PROCESS, Output, find_program

IDLE_SECONDS = 600.0


def serve(path: Path, idle: float = IDLE_SECONDS) -> None:
    listener = _bind(path)
    if listener is None:
        return  # another server has this socket
    pid_file, log_file = path.with_suffix(".pid"), path.with_suffix(".log")
    pid_file.write_text(f"{os.getpid()}\n")
    _warm_up()
    try:
        with listener:
            listener.settimeout(idle)
            while True:
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    return
                with connection:
                    served = _answer(connection)
                if served is not None:
                    with log_file.open("a", encoding="utf-8") as log:
                        log.write(served + "\n")
    finally:
        for leftover in (path, pid_file, log_file):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _bind(path: Path) -> socket.socket | None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
    except OSError:
        if _alive(path):
            listener.close()
            return None
        path.unlink(missing_ok=True)  # left by a server that died
        listener.bind(str(path))
    path.chmod(0o600)
    listener.listen(8)
    return listener


def _alive(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


# The in-process tools read the working directory and bandit swaps process-wide state
# (sys.argv, sys.stdout): they take turns. Each run takes milliseconds once warm.
_TURN = threading.Lock()


def mypy_here(args: Sequence[str], cwd: Path) -> Output | None:
    """mypy through its own API in this process (None: start the program as usual)."""
    if not _installed_here("mypy"):
        return None
    from mypy import api

    with _TURN, _inside(cwd):
        stdout, stderr, code = api.run(list(args))
    return Output(code, stdout, stderr)


def bandit_here(args: Sequence[str], cwd: Path) -> Output | None:
    """bandit's own command line in this process (None: start the program as usual)."""
    if not _installed_here("bandit"):
        return None
    from bandit.cli import main as bandit_cli

    out, err = _Captured(), io.StringIO()
    with _TURN, _inside(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        saved, sys.argv = sys.argv, ["bandit", *args]
        try:
            bandit_cli.main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        finally:
            sys.argv = saved
    return Output(code, out.getvalue(), err.getvalue())


class _Captured(io.StringIO):
    """bandit writes its report to a file it then closes, unless it is standard output."""

    name = "<stdout>"

    def close(self) -> None:
        return


def _installed_here(program: str) -> bool:
    """Whether the ``program`` a command would run is the one beside this interpreter:
    then its in-process run is the same code, with the same plug-ins."""
    found = find_program(program)
    return found is not None and Path(found).parent == Path(sys.executable).parent


@contextlib.contextmanager
def _inside(directory: Path) -> Iterator[None]:
    saved = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(saved)


WARM_MODULES = (
    "talkgit.cli",
    "talkgit.checking",
    "talkgit.commands.check",
    "talkgit.commands.hook_gates",
    "talkgit.config",
    "talkgit.gates.evaluate",
    "talkgit.gates.registry",
    "talkgit.gates.render",
    "talkgit.git.repo",
    "mypy.api",
    "bandit.cli.main",
)


def _warm_up() -> None:
    """Import what a check needs now, not on the first commit; mypy and bandit run in-process."""
    for module in WARM_MODULES:
        importlib.import_module(module)
    IN_PROCESS.update(mypy=mypy_here, bandit=bandit_here)


def _answer(connection: socket.socket) -> str | None:
    """Run the request on ``connection`` and reply; a line for the log, None when it failed."""
    connection.settimeout(5.0)  # a client sends its request at once
    try:
        data = b"".join(iter(lambda: connection.recv(65536), b""))
        request = json.loads(data)
        started = time.monotonic()
        reply = run_request(request["argv"], request["cwd"], request["env"])
        connection.settimeout(None)
        connection.sendall(json.dumps(reply).encode())
    except (OSError, ValueError, KeyError, TypeError):
        return None  # the client gets no reply and runs the command itself
    seconds = time.monotonic() - started
    return f"{' '.join(request['argv'])} -> exit {reply['code']} in {seconds:.3f} s"


def run_request(argv: list[str], cwd: str, env: dict[str, str]) -> dict[str, Any]:
    """Run one talkgit command as the caller would have, capturing what it prints."""
    from talkgit.cli import main

    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def run(argv: list[str]) -> int:
    """``python -m talkgit.server SOCKET [IDLE-SECONDS]``."""
    if not argv:
        sys.stderr.write("usage: python -m talkgit.server SOCKET [IDLE-SECONDS]\n")
        return 2
    serve(Path(argv[0]), float(argv[1]) if len(argv) > 1 else IDLE_SECONDS)
    return 0
