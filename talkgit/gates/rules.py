"""Which gates judge a change, and by what rules: one assembly for `check`, `review` and runs.

Each caller reads its settings where it must — `talkgit check` and the hooks from the
working tree, `talkgit review` from the base commit (a change cannot loosen the gates that
judge it), a run from the session that started it — and turns them into rules here, the
same way for all three: the gates asked for, else the configured list; each gate's policy
(``gates.<name>``, or the defaults), ``fail_on`` replacing every severity threshold; the
waivers; the project's test command and its time limit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # imported by `talkgit check` before it knows there is anything to judge
    from talkgit.gates.policy import GatePolicy, Waiver

GateList = Literal["check_gates", "run_gates"]
"""The configured list a command runs when it is given no gates: `check` and the hooks
run ``check_gates``; a run's steps and `review` run ``run_gates``."""


@dataclass(frozen=True)
class GateRules:
    """The gates to run and how to judge them, read once per command."""

    gates: tuple[str, ...]
    policies: Mapping[str, GatePolicy]
    waivers: tuple[Waiver, ...]
    timeout: float  # for each tool run (the test suite's limit, the longest of them)
    test_command: tuple[str, ...] | None = None  # the pytest gate runs it when it runs pytest

    def without(self, held: Collection[str]) -> GateRules:
        """The same rules with the gates ``held`` left out (their policies stay known)."""
        return replace(self, gates=tuple(gate for gate in self.gates if gate not in held))
