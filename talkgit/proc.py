"""The one subprocess helper: argument lists only, never a shell."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from talkgit.errors import ToolError
from talkgit.secret_env import is_secret_name


class Output(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


InProcess = Callable[[Sequence[str], Path], "Output | None"]
"""Runs a program's arguments in ``cwd`` inside this process; None means "start it after all"."""

# Programs a long-lived process (the check server) runs in-process, by name: a warm
# import instead of an interpreter start per run. Empty in every other process.
IN_PROCESS: dict[str, InProcess] = {}


def _in_process(cmd: Sequence[str], cwd: Path | str | None) -> Output | None:
    runner = IN_PROCESS.get(cmd[0]) if cmd else None
    return runner(cmd[1:], Path(cwd or Path.cwd())) if runner is not None else None


# talkgit's own tools, found beside its interpreter when PATH has none: installed with pipx,
# or into a virtual environment that is not active, they are there and off PATH. Not python
# or pytest: a test run must use the project's environment, or it judges the wrong one.
OWN_TOOLS = frozenset({"ruff", "mypy", "bandit"})


def find_program(name: str) -> str | None:
    """Where ``name`` runs from: PATH first (a project's pinned tools win), then, for
    talkgit's own tools, beside the Python running talkgit."""
    return shutil.which(name) or _beside_interpreter(name)


def _beside_interpreter(name: str) -> str | None:
    if name not in OWN_TOOLS:
        return None
    for directory in dict.fromkeys(
        (sysconfig.get_path("scripts"), str(Path(sys.executable).parent))
    ):
        found = shutil.which(name, path=directory)
        if found is not None:
            return found
    return None


def _resolved(cmd: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
    """``cmd``, with one of talkgit's own tools looked for beside its interpreter when PATH
    has none; anything else is left for the operating system to find."""
    program = cmd[0]
    path = (env if env is not None else os.environ).get("PATH")
    if program not in OWN_TOOLS or shutil.which(program, path=path) is not None:
        return list(cmd)
    beside = _beside_interpreter(program)
    return [beside, *cmd[1:]] if beside is not None else list(cmd)


class CommandFailed(ToolError):
    """A command exited non-zero where success was required; the message carries both streams."""

    def __init__(self, cmd: Sequence[str], output: Output) -> None:
        self.cmd = tuple(cmd)
        self.output = output
        detail = (output.stderr or output.stdout).strip().splitlines()
        last = detail[-1] if detail else "no output"
        super().__init__(f"`{' '.join(cmd)}` exited {output.returncode}: {last}")


def cmd_output(
    *cmd: str,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> Output:
    """Run ``cmd`` and return its exit code and text output.

    A missing executable or a time-out becomes a ToolError naming the command; a
    non-zero exit raises CommandFailed unless ``check`` is false.
    """
    if env is None and stdin is None and (ran := _in_process(cmd, cwd)) is not None:
        if check and ran.returncode != 0:
            raise CommandFailed(cmd, ran)
        return ran
    try:
        done = subprocess.run(
            _resolved(cmd, env),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolError(f"`{cmd[0]}` is not installed or not on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"`{' '.join(cmd)}` did not finish within {timeout:g} s") from exc
    output = Output(done.returncode, done.stdout, done.stderr)
    if check and done.returncode != 0:
        raise CommandFailed(cmd, output)
    return output


class Started:
    """A command started now and waited for later: ``cmd_output(check=False)`` in two halves.

    A thread reads its output from the start, so a tool that prints more than a pipe holds
    runs on to its end before anyone asks for the output.
    """

    def __init__(self, *cmd: str, cwd: Path | str | None = None) -> None:
        self.cmd = cmd
        self.started = time.monotonic()
        self.process: subprocess.Popen[str] | None = None
        self._ran: Output | None = None
        self._failed: ToolError | None = None
        if cmd and cmd[0] in IN_PROCESS:
            reader = threading.Thread(target=self._run_here, args=(cwd,), daemon=True)
        else:
            self.process = self._popen(cwd)
            reader = threading.Thread(target=self._read, args=(self.process,), daemon=True)
        self._streams = ("", "")
        self._reader = reader
        self._reader.start()

    def _popen(self, cwd: Path | str | None) -> subprocess.Popen[str]:
        try:
            return subprocess.Popen(
                _resolved(self.cmd),
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        except FileNotFoundError as exc:
            raise ToolError(f"`{self.cmd[0]}` is not installed or not on PATH") from exc

    def _run_here(self, cwd: Path | str | None) -> None:
        ran = _in_process(self.cmd, cwd)
        if ran is not None:
            self._ran = ran
            return
        try:  # the runner declined: start the program after all
            self.process = self._popen(cwd)
        except ToolError as exc:
            self._failed = exc
            return
        self._read(self.process)

    def _read(self, process: subprocess.Popen[str]) -> None:
        self._streams = process.communicate()

    def output(self, timeout: float | None = None) -> Output:
        """Its exit code and output; killed, and a ToolError, ``timeout`` s after it started."""
        left = None if timeout is None else max(0.0, self.started + timeout - time.monotonic())
        self._reader.join(left)
        if self._reader.is_alive():
            self.kill()
            raise ToolError(f"`{' '.join(self.cmd)}` did not finish within {timeout:g} s")
        if self._failed is not None:
            raise self._failed
        if self._ran is not None:
            return self._ran
        stdout, stderr = self._streams
        returncode = self.process.returncode if self.process is not None else -1
        return Output(returncode, stdout, stderr)

    def kill(self) -> None:
        """Kill it if it still runs, and wait until it is reaped (or, in-process, ends)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        self._reader.join()


class StartedCommands:
    """Commands started before the code that needs their output knows it does.

    Whoever then runs exactly the same command in the same directory ``take``s the running
    one instead of starting it again; ``close`` kills what nobody took (and, after an
    error, what is still running).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[tuple[str, tuple[str, ...]], Started] = {}
        self._taken: list[Started] = []

    def start(self, *cmd: str, cwd: Path | str) -> Started | None:
        """Start ``cmd`` in ``cwd`` (once); a missing program is left for its real run to report."""
        key = (str(cwd), cmd)
        with self._lock:
            if key in self._waiting:
                return self._waiting[key]
            try:
                started = Started(*cmd, cwd=cwd)
            except ToolError:
                return None
            self._waiting[key] = started
        return started

    def take(self, cmd: Sequence[str], cwd: Path | str) -> Started | None:
        """The running ``cmd`` in ``cwd``, at most once; None when it was not started."""
        with self._lock:
            started = self._waiting.pop((str(cwd), tuple(cmd)), None)
            if started is not None:
                self._taken.append(started)
        return started

    def pending(self) -> tuple[Started, ...]:
        """The commands started and not taken (yet)."""
        with self._lock:
            return tuple(self._waiting.values())

    def close(self) -> None:
        with self._lock:
            started, self._waiting = [*self._waiting.values(), *self._taken], {}
        for command in started:
            command.kill()


def environ_without(*names: str) -> dict[str, str]:
    """A copy of the environment without ``names`` (e.g. GIT_DIR leaking from a hook)."""
    return {k: v for k, v in os.environ.items() if k not in names}


def without_secrets(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for code talkgit did not write (tests, tools): no keys to leak."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if not is_secret_name(k)}


def holder_alive(holder: dict[str, object]) -> bool:
    """Is a lock's holder (its ``pid`` and ``host``) running? Another host's is assumed to be."""
    pid = holder.get("pid")
    if not isinstance(pid, int):
        return False  # an unreadable lock: its writer died while writing it
    if holder.get("host") != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
