"""The `talkgit` command: a warm check server first, when one is wanted, else the CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from talkgit.server.client import try_server

    code = try_server(args)
    if code is not None:
        return code
    from talkgit.cli import main as cli_main

    return cli_main(args)
