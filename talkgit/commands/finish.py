"""`talkgit finish RUN`: bring a done run's integration branch into the user's branch.

One new commit on the target branch — a squash or a merge — with the run's trailers and a
run note (``talkgit.engine.finish``); the working tree follows only when the target is
checked out here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from talkgit import exit_codes
from talkgit.engine.finish import Mode, finish_run
from talkgit.engine.state import now
from talkgit.git.repo import GitRepo


def finish(
    directory: Path,
    run_prefix: str,
    *,
    mode: Mode = "squash",
    into: str | None = None,
    out: TextIO | None = None,
    clock: Callable[[], datetime] = now,
) -> int:
    """Bring run ``run_prefix`` into ``into`` (default: the branch HEAD is on)."""
    out = out or sys.stdout
    repo = GitRepo.discover(directory)
    say = lambda line: out.write(line + "\n")  # noqa: E731
    out.write(finish_run(repo, run_prefix, say=say, mode=mode, into=into, clock=clock))
    return exit_codes.OK
