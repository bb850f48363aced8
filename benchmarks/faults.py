"""Faults injected into talkgit, how many it survived, and how many lost something.

Runs the fault-injection suite (``tests/faults/``) once and reads its JUnit report. A test
that injects many faults records them (``faults``, ``survived``, ``lost``) with pytest's
``record_property``: ``finish`` killed at 32 instants, ``git gc --prune=now`` racing runs.
Any other test there injects one fault (a full disk at one moment, one odd file name): it
survived when it passed, and a failure counts as a loss. Target (issue 16): 0 lost.

    python benchmarks/faults.py [PYTEST_ARGS...]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from xml.etree.ElementTree import Element  # the type only; our own pytest's report

import defusedxml.ElementTree as SafeTree

ROOT = Path(__file__).resolve().parents[1]
COUNTED = ("faults", "survived", "lost")


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "faults.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += [f"--junitxml={report}", "-o", "junit_family=xunit1", "tests/faults", *argv]
        done = subprocess.run(command, cwd=ROOT, check=False)
        tree = SafeTree.parse(report).getroot()
    if tree is None:
        print("pytest wrote no report")
        return 1
    totals = _totals(list(tree.iter("testcase")))
    _print(totals)
    lost = sum(counts["lost"] for counts in totals.values())
    print(f"target: 0 lost: {'met' if lost == 0 else 'MISSED'}")
    return done.returncode


def _totals(cases: list[Element]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTED, 0))
    for case in cases:
        if case.find("skipped") is not None:
            continue
        group = Path(case.get("file", "?")).stem.removeprefix("test_")
        counts = _counts(case)
        for name in COUNTED:
            totals[group][name] += counts[name]
    return dict(totals)


def _counts(case: Element) -> dict[str, int]:
    recorded = {
        prop.get("name", ""): int(prop.get("value", "0"))
        for prop in case.iter("property")
        if prop.get("name") in COUNTED
    }
    failed = case.find("failure") is not None or case.find("error") is not None
    if len(recorded) == len(COUNTED):
        return recorded
    return {"faults": 1, "survived": 0 if failed else 1, "lost": 1 if failed else 0}


def _print(totals: dict[str, dict[str, int]]) -> None:
    print(f"\n{'fault suite':<20}" + "".join(f"{name:>10}" for name in COUNTED))
    for group, counts in sorted(totals.items()):
        print(f"{group:<20}" + "".join(f"{counts[name]:>10}" for name in COUNTED))
    overall = {name: sum(counts[name] for counts in totals.values()) for name in COUNTED}
    print(f"{'all':<20}" + "".join(f"{overall[name]:>10}" for name in COUNTED))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
