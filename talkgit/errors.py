"""The one error hierarchy: every expected failure is a TalkgitError with an exit code.

The CLI prints ``talkgit: error: <message>`` and exits with ``exit_code``; codes are
documented in docs/exit-codes.md. Third-party errors are translated into these at the
module that owns the dependency (git store, llm, gates), never further out.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar, Final

from talkgit import exit_codes


class TalkgitError(Exception):
    """Root of every error talkgit reports to a user as one line."""

    exit_code: ClassVar[int] = exit_codes.FAILURE


class UsageError(TalkgitError):
    """The command line asked for something that cannot be done as stated."""

    exit_code = exit_codes.USAGE


class ConfigError(TalkgitError):
    """A configuration file or variable is malformed, unknown or ill-typed."""

    exit_code = exit_codes.CONFIG


class RepositoryError(TalkgitError):
    """The repository cannot be used: not one, bare, empty, or shallow where history matters."""

    exit_code = exit_codes.REPOSITORY


class NotFoundError(TalkgitError):
    """A run, revision, note or file that was asked for does not exist (or is ambiguous)."""

    exit_code = exit_codes.NOT_FOUND


class ConcurrentUpdateError(TalkgitError):
    """Another writer moved a ref between our read and our write (compare-and-swap lost)."""

    exit_code = exit_codes.CONFLICT


class ModelError(TalkgitError):
    """The model provider refused or failed: bad key, unknown model, limits, script exhausted."""

    exit_code = exit_codes.MODEL


class ToolError(TalkgitError):
    """An external tool (git, ruff, mypy, bandit, pytest) is missing or crashed."""

    exit_code = exit_codes.TOOL


class EditError(TalkgitError):
    """A model's edit could not be parsed, is unsafe, or does not apply."""

    exit_code = exit_codes.FAILURE


class NoSpaceError(TalkgitError):
    """The disk ran full during a write; what was half-written is removed, refs are consistent."""

    exit_code = exit_codes.NO_SPACE

    def __init__(self, doing: str, next_step: str = "retry") -> None:
        super().__init__(
            f"no space left on device while {doing}; free some space, then {next_step}"
        )
        self.doing = doing

    def then(self, next_step: str) -> NoSpaceError:
        """The same error, telling what to do once space is free (resume a run, say)."""
        return NoSpaceError(self.doing, next_step)


# How the C library words ENOSPC: libgit2 and the git CLI pass it on as text, without errno.
NO_SPACE_TEXT: Final = "No space left on device"


def is_no_space(exc: BaseException) -> bool:
    """Whether ``exc`` says a disk is full: ENOSPC, or an error quoting its text."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return NO_SPACE_TEXT in str(exc)


def no_space(doing: str) -> NoSpaceError:
    """The one error for a full disk; ``doing`` completes "while …"."""
    return NoSpaceError(doing)


@contextmanager
def translate_no_space(doing: str) -> Iterator[None]:
    """Turn a full disk's OSError (errno or text) inside the block into a NoSpaceError."""
    try:
        yield
    except OSError as exc:
        if not is_no_space(exc):
            raise
        raise no_space(doing) from exc
