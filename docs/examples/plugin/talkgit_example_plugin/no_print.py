"""The ``no-print`` gate: every ``print(...)`` call in the Python files of a change."""

from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from pathlib import Path

from talkgit.gates.base import Finding, GateRun, Severity, Target

from . import __version__

NAME = "no-print"
MESSAGE = "print() call: use logging, or write to a stream you were given"


class NoPrintGate:
    name = NAME

    def run(self, target: Target) -> GateRun:
        started = time.perf_counter()
        findings = tuple(
            finding
            for path in target.files
            if path.endswith(".py")
            for finding in _prints(target.root / path, path)
        )
        # Every print there is: talkgit compares with the base and keeps the new ones.
        return GateRun(NAME, __version__, findings, time.perf_counter() - started)


def _prints(file: Path, path: str) -> Iterator[Finding]:
    if file.is_symlink() or not file.is_file():
        return  # deleted by the change, or not a file of the tree
    try:
        tree = ast.parse(file.read_bytes(), filename=path)
    except (SyntaxError, ValueError):
        return  # a file that does not parse is ruff's to report
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "print"
        ):
            column = node.col_offset + 1
            yield Finding(NAME, "print", Severity.MEDIUM, path, node.lineno, column, MESSAGE)
