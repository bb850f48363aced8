"""Does `talkgit check` agree with ruff, mypy and bandit run by hand on real projects, and
how long does it take beside them?

For each project of the fidelity suite (tests/realprojects: two released sdists committed
as base and head), it prints how many of the by-hand findings in the changed files talkgit
reports on the same rule, path and line (agree), how many it misses or invents, and how
many it calls new wrongly or fails to call new (see tests/support/fidelity.py for the
oracle). Then the wall time of `talkgit check --base --head` (both commits, the changed
files) beside the three tools run by hand one after another on the head (the whole
project, as its developers run them): cold, in a new repository with fresh caches, and
warm, the same command again.

    python benchmarks/real_projects.py [--project NAME ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.fidelity import PROJECTS, ProjectCheck, by_hand, check_project, talkgit_check

COUNTS = ("agree", "missed", "invented", "wrongly new", "not new")


def measure(check: ProjectCheck, scratch: Path) -> tuple[float, float]:
    """Warm times: talkgit check and the tools by hand, each run a second time."""
    talkgit = talkgit_check(check.change).seconds
    stock = by_hand(check.head_tree, check.change, scratch / "head-cache").seconds
    return talkgit, stock


def print_counts(checks: list[ProjectCheck]) -> None:
    print(f"{'project':<32} {'tool':<7}" + "".join(f"{name:>12}" for name in COUNTS))
    for check in checks:
        label = f"{check.project.name} {check.project.base} -> {check.project.head}"
        for tool, c in check.comparisons.items():
            wrong = (c.missed, c.invented, c.wrongly_new, c.not_called_new)
            counts = (c.agree, *(len(findings) for findings in wrong))
            failed = "  (gate failed)" if c.error else ""
            print(f"{label:<32} {tool:<7}" + "".join(f"{n:>12}" for n in counts) + failed)


def print_times(rows: list[tuple[ProjectCheck, float, float]]) -> None:
    print(f"{'':<32} {'talkgit check':>16} {'by hand':>16} {'talkgit / by hand':>20}")
    print(f"{'project':<32} {'cold':>8}{'warm':>8} {'cold':>8}{'warm':>8} {'cold':>10}{'warm':>10}")
    for check, talkgit_warm, stock_warm in rows:
        talkgit_cold, stock_cold = check.talkgit_seconds, check.by_hand_seconds
        print(
            f"{check.project.name:<32} {talkgit_cold:7.2f}s{talkgit_warm:7.2f}s"
            f" {stock_cold:7.2f}s{stock_warm:7.2f}s"
            f" {talkgit_cold / stock_cold:9.2f}x{talkgit_warm / stock_warm:9.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", action="append", help="only this project (repeatable)")
    args = parser.parse_args()
    projects = [p for p in PROJECTS if not args.project or p.name in args.project]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for project in projects:
            where = Path(scratch) / project.id
            check = check_project(project, where)
            if check is None:
                print(f"{project.id}: its sdists cannot be downloaded; left out")
                continue
            rows.append((check, *measure(check, where)))
    print(f"{len(rows)} projects; {os.cpu_count()} cores; one run each, cold then warm\n")
    print_counts([row[0] for row in rows])
    print()
    print_times(rows)


if __name__ == "__main__":
    main()
