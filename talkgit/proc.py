"""The one subprocess helper: argument lists only, never a shell."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from talkgit.errors import ToolError


class Output(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


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
    try:
        done = subprocess.run(
            list(cmd),
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


def environ_without(*names: str) -> dict[str, str]:
    """A copy of the environment without ``names`` (e.g. GIT_DIR leaking from a hook)."""
    return {k: v for k, v in os.environ.items() if k not in names}


SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET", "_PASSWORD")


def without_secrets(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for code talkgit did not write (tests, tools): no keys to leak."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if not k.upper().endswith(SECRET_SUFFIXES)}
