"""What every gate shares: the Finding, what a gate looks at, and what one run of it gives.

Each tool has its own module that turns its machine output into Findings. Comparing the
findings at a base and at a head (only new ones count), the policy and the renderers
are separate modules; a gate only reports what its tool says about one tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol

from talkgit.proc import StartedCommands

Verdict = Literal["pass", "fail", "warn", "skip", "error"]


class Severity(str, Enum):
    """Ordered from least to most serious; a policy threshold compares them by ``rank``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


@dataclass(frozen=True)
class Finding:
    """One thing a tool found, in one shape for every tool.

    ``path`` is repository-relative with forward slashes; ``line`` and ``column`` are
    1-based (0 when the tool gives none). ``fingerprint`` names the finding across line
    shifts (rule + path + normalised line text + occurrence) and ``text_key`` is the same
    without the occurrence; gates leave both empty and ``fingerprint_all`` fills them in
    before the comparison. ``anchor``, when a gate sets it, is fingerprinted in place of
    the line's text: the pytest gate puts the test id there, so a failing test is the same
    finding wherever its code moves.
    """

    tool: str
    rule: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    fingerprint: str = ""
    anchor: str = ""
    text_key: str = ""


@dataclass(frozen=True)
class Target:
    """The tree a gate checks: files on disk at ``root``, and which of them matter.

    ``files`` are the repository-relative paths the change touches (the gate may look at
    more when its tool needs them, as mypy does for imports); ``cache_dir`` is a private
    directory under .git/talkgit/ the gate may keep caches in between runs. ``started``
    holds tool commands already running on this tree (see ``talkgit.gates.change.start_head``):
    a gate about to run one of them takes it instead.

    ``tree`` is the git tree id of what is at ``root`` when it is known: results that
    depend only on the tree (a test run) are then kept under ``suite_cache``, which every
    worktree of the repository shares. ``test_command`` is the project's test command
    (the ``test_command`` setting); None lets the pytest gate run pytest its own way.
    """

    root: Path
    files: tuple[str, ...]
    cache_dir: Path
    timeout: float = 600.0
    started: StartedCommands | None = field(default=None, compare=False, repr=False)
    tree: str = ""
    suite_cache: Path | None = None
    test_command: tuple[str, ...] | None = None


def plain_file(root: Path, path: str) -> bool:
    """Whether ``root / path`` is a file of the tree itself, which a gate may read or give
    its tool: no ``..``, and no symbolic link on the way (the file, or a folder above it),
    so it cannot be a file elsewhere on the machine. A link may point anywhere; what it
    points at is not the change's text.
    """
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        return False
    below = root
    for part in relative.parts:
        below = below / part
        if below.is_symlink():
            return False
    return below.is_file()


@dataclass(frozen=True)
class GateRun:
    """One gate's result on one tree. ``error`` set means the tool crashed or is missing:
    its findings cannot be trusted and the verdict is ``error``, never ``pass``."""

    tool: str
    version: str
    findings: tuple[Finding, ...] = ()
    duration_s: float = 0.0
    error: str | None = None
    extra: dict[str, int] = field(default_factory=dict)  # e.g. {"tests": 12} for pytest


class Gate(Protocol):
    """A static-analysis agent: runs its tool on a target, reports findings."""

    name: str

    def run(self, target: Target) -> GateRun: ...


@dataclass(frozen=True)
class Change:
    """``head`` (a commit) against ``base`` (a commit, or None: every finding is new)."""

    head: str
    base: str | None
    files: tuple[str, ...]
