"""The `talkgit` command: a warm check server first, when one is wanted, else the CLI."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The process's entry point (console script and ``python -m talkgit``), nothing else's."""
    args = list(sys.argv[1:] if argv is None else argv)
    from talkgit.server.handoff import try_server

    code = try_server(args)
    if code is not None:
        return code
    from talkgit.secret_env import protect_process, secret_names

    if secret_names():  # before any code talkgit did not write can start
        protect_process()
    from talkgit.cli import main as cli_main

    code = cli_main(args)
    # The process ends next. Python's last garbage collection would walk every object
    # litellm loaded, about a second after a run has finished and said so; the OS frees
    # the memory anyway. Frozen objects are left out of that walk (exit handlers still run).
    gc.freeze()
    return code
