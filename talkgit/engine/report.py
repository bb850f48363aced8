"""Progress for people: rich on a terminal, plain lines otherwise, nothing for --json."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from talkgit.plan import Plan


class Reporter(Protocol):
    def line(self, text: str, style: str = "") -> None: ...


class PlainReporter:
    """One plain line per event, for logs and pipes."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr

    def line(self, text: str, style: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()


class RichReporter:
    """Coloured lines on a terminal (rich is imported only when one is used)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        from rich.console import Console

        self.console = Console(file=stream or sys.stderr, highlight=False)

    def line(self, text: str, style: str = "") -> None:
        self.console.print(text, style=style or None, markup=False)


class SilentReporter:
    def line(self, text: str, style: str = "") -> None:
        return


def reporter_for(as_json: bool, stream: TextIO | None = None) -> Reporter:
    if as_json:
        return SilentReporter()
    stream = stream or sys.stderr
    return RichReporter(stream) if stream.isatty() else PlainReporter(stream)


def describe_plan(plan: Plan) -> list[str]:
    """The plan as lines: one per step, with its agent, goal and dependencies."""
    lines = []
    for step in plan.steps:
        after = f"  (after {', '.join(step.depends_on)})" if step.depends_on else ""
        lines.append(f"  {step.id:<20} {step.agent:<8} {step.goal}{after}")
    return lines
