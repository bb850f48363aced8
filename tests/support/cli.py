"""The real `talkgit` CLI in a process of its own, as a user, a hook or the Action starts it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# This checkout's talkgit, whichever one the environment has installed.
SOURCE = Path(__file__).resolve().parents[2]


def talkgit_process(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`python -m talkgit ARGS` in ``cwd``, with ``env`` over this environment."""
    environment = {**os.environ, "PYTHONPATH": str(SOURCE), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "talkgit", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
