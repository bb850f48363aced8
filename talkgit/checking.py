"""The gates on a change as the working tree configures them: `talkgit check` and the hooks.

`talkgit check`, `check-staged` and `check-push` read the same rules (which gates, their
policies, the waivers, the test time-out) once per command and render one report per change.
Configuration and the gates are imported only when there is something to check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from talkgit.gates.base import Change
from talkgit.git.repo import GitRepo

if TYPE_CHECKING:
    from talkgit.gates.change import HeadStart
    from talkgit.gates.render import Format
    from talkgit.gates.rules import GateRules

NOTHING_TO_CHECK = "result: pass (no change to check)\n"


def working_tree_rules(
    repo: GitRepo, gates: Sequence[str], environ: Mapping[str, str] | None
) -> GateRules:
    """The gate rules of the working tree's configuration and waivers (``check_gates``
    unless ``gates`` are given), assembled as `review` and runs assemble theirs."""
    # Imported here, not at the top: a commit with nothing to check should not pay for them.
    from talkgit.config import gate_rules, load_settings, read_from_directory
    from talkgit.gates.policy import load_waivers

    read = read_from_directory(repo.workdir)
    settings = load_settings(read, environ=environ)
    return gate_rules(settings, load_waivers(read), default="check_gates", gates=gates)


def judge_change(
    repo: GitRepo,
    change: Change,
    rules: GateRules,
    output_format: Format = "text",
    head_start: HeadStart | None = None,
) -> tuple[str, int]:
    """The rendered report on ``change`` and the exit code it calls for."""
    from talkgit.gates.change import judge_with_rules
    from talkgit.gates.render import render

    report = judge_with_rules(repo, change, rules, today=date.today(), head_start=head_start)
    return render(report, output_format), report.exit_code
