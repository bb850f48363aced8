"""New findings only: what a head has that its base did not, matched by fingerprint.

A legacy repository full of old findings passes a clean change, because only the findings
whose fingerprints are not at the base count. For pytest a failing test is a finding whose
fingerprint comes from its test id: failing at head but not at base is new (a regression
or a new failing test); failing at both is pre-existing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from talkgit.gates.base import Finding


class Comparison(NamedTuple):
    """A head's findings split against its base's."""

    new: tuple[Finding, ...]  # at head, not at base
    preexisting: tuple[Finding, ...]  # at head and at base
    fixed: tuple[Finding, ...]  # at base, gone at head (the base's findings)


def new_findings(base: Sequence[Finding], head: Sequence[Finding]) -> Comparison:
    """Compare two fingerprinted runs of one gate; each part keeps its input order.

    Raises ValueError when a finding has no fingerprint (``fingerprint_all`` first).
    """
    base_prints = _fingerprints(base)
    head_prints = _fingerprints(head)
    return Comparison(
        new=tuple(f for f in head if f.fingerprint not in base_prints),
        preexisting=tuple(f for f in head if f.fingerprint in base_prints),
        fixed=tuple(f for f in base if f.fingerprint not in head_prints),
    )


def _fingerprints(findings: Sequence[Finding]) -> frozenset[str]:
    if any(not finding.fingerprint for finding in findings):
        raise ValueError("findings must be fingerprinted (fingerprint_all) before comparing")
    return frozenset(finding.fingerprint for finding in findings)
