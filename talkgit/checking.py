"""The gates on a change as the working tree configures them: `talkgit check` and the hooks.

`talkgit check`, `check-staged` and `check-push` read the same rules (which gates, their
policies, the waivers, the test time-out) once per command and render one report per change.
Configuration and the gates are imported only when there is something to check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from talkgit.gates.base import Change
from talkgit.git.repo import GitRepo

if TYPE_CHECKING:
    from talkgit.gates.change import HeadStart
    from talkgit.gates.policy import GatePolicy, Waiver
    from talkgit.gates.render import Format

NOTHING_TO_CHECK = "result: pass (no change to check)\n"


@dataclass(frozen=True)
class GateRules:
    """The gates to run and how to judge them, read once per command."""

    gates: tuple[str, ...]
    policies: dict[str, GatePolicy]
    waivers: tuple[Waiver, ...]
    timeout: float


def gate_rules(repo: GitRepo, gates: Sequence[str], environ: Mapping[str, str] | None) -> GateRules:
    """Configuration and waivers from the working tree; ``gates`` override ``check_gates``."""
    # Imported here, not at the top: a commit with nothing to check should not pay for them.
    from talkgit.config import load_settings, read_from_directory
    from talkgit.gates.policy import load_waivers

    read = read_from_directory(repo.workdir)
    settings = load_settings(read, environ=environ)
    chosen = tuple(gates) or tuple(settings.check_gates)
    return GateRules(
        chosen, settings.gate_policies(chosen), tuple(load_waivers(read)), settings.test_timeout
    )


def judge_change(
    repo: GitRepo,
    change: Change,
    rules: GateRules,
    output_format: Format = "text",
    head_start: HeadStart | None = None,
) -> tuple[str, int]:
    """The rendered report on ``change`` and the exit code it calls for."""
    from talkgit.gates.change import judge
    from talkgit.gates.render import render

    report = judge(
        repo,
        change,
        gates=rules.gates,
        policies=rules.policies,
        waivers=rules.waivers,
        today=date.today(),
        timeout=rules.timeout,
        head_start=head_start,
    )
    return render(report, output_format), report.exit_code
