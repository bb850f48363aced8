"""`talkgit check-message FILE`: the commit-msg hook's check of talkgit's trailers.

A message that claims talkgit provenance (any ``Talkgit-*`` trailer) must carry it in the
form git and talkgit read back; a human message that claims none passes untouched.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from talkgit import exit_codes
from talkgit.errors import NotFoundError, UsageError
from talkgit.provenance.talkgit_trailers import check_talkgit_trailers


def check_message(path: Path, *, shown: str | None = None, out: TextIO | None = None) -> int:
    """Print each fault in the message file at ``path`` as ``FILE:LINE: reason``.

    Returns 0 when the message makes no talkgit claim or a well-formed one, 1 otherwise.
    ``shown`` is the name to print for the file (default: ``path`` as given).
    """
    name = str(path) if shown is None else shown
    problems = check_talkgit_trailers(_read_message(path, name))
    stream = out or sys.stdout
    for problem in problems:
        stream.write(f"{name}:{problem.line}: {problem.reason}\n")
    return exit_codes.FAILURE if problems else exit_codes.OK


def _read_message(path: Path, name: str) -> str:
    # Bytes, not text mode: a CRLF message must reach the parser as git sees it, and a
    # message in another encoding must not stop the commit (trailer keys are ASCII).
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        raise NotFoundError(f"{name}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{name}: cannot read ({exc.strerror})") from None
