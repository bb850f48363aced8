"""Fingerprints that survive line shifts: rule + path + normalised line text + occurrence.

A finding's line number changes whenever code is added above it, so it cannot name the
finding in reports that outlive one commit (SARIF, pull-request comments). The text of its
line, with whitespace collapsed, does not change; the occurrence (the n-th finding with
the same rule, path and text, counted from the top of the file) tells identical lines
apart. The ``text_key`` leaves the occurrence out: comparing a head with its base pairs
findings by it when the change's hunks cannot (see ``compare``), and an occurrence
counted from the top shifts whenever an identical line is added above.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path, PurePosixPath

from talkgit.filenames import as_bytes
from talkgit.gates.base import Finding

ReadLine = Callable[[str, int], str]
"""(repository-relative path, 1-based line) -> that line's text, or "" when there is none."""


def normalise(text: str) -> str:
    """``text`` with runs of whitespace collapsed to one blank and the ends stripped."""
    return " ".join(text.split())


def fingerprint(rule: str, path: str, text: str, occurrence: int) -> str:
    """The hex sha256 that identifies one finding; ``text`` is normalised here."""
    # NUL cannot occur in a rule, a path or a line of text, so the parts cannot run together.
    key = "\0".join((rule, path, normalise(text), str(occurrence)))
    return hashlib.sha256(as_bytes(key)).hexdigest()


def text_key(rule: str, path: str, text: str) -> str:
    """The hex sha256 of what a finding says about which text: its fingerprint less the
    occurrence. ``text`` is normalised here."""
    key = "\0".join((rule, path, normalise(text)))
    return hashlib.sha256(as_bytes(key)).hexdigest()


def fingerprint_all(findings: Iterable[Finding], read_line: ReadLine) -> tuple[Finding, ...]:
    """``findings`` in the same order, each with its ``fingerprint`` and ``text_key`` set.

    The text is the finding's ``anchor`` when it has one, else its line as ``read_line``
    gives it. Occurrences are counted in (line, column) order, so they do not depend on
    the order the tool reported findings in.
    """
    given = tuple(findings)
    texts = [_text(finding, read_line) for finding in given]
    order = sorted(range(len(given)), key=lambda i: (given[i].line, given[i].column, i))
    seen: Counter[tuple[str, str, str]] = Counter()
    stamped: dict[int, Finding] = {}
    for index in order:
        finding, text = given[index], texts[index]
        key = (finding.rule, finding.path, text)
        stamped[index] = replace(
            finding,
            fingerprint=fingerprint(*key, seen[key]),
            text_key=text_key(*key),
        )
        seen[key] += 1
    return tuple(stamped[index] for index in range(len(given)))


def _text(finding: Finding, read_line: ReadLine) -> str:
    if finding.anchor:
        return normalise(finding.anchor)
    return normalise(read_line(finding.path, finding.line)) if finding.line > 0 else ""


def line_reader(root: Path) -> ReadLine:
    """A ReadLine over the files under ``root``; each file is read once.

    Missing, unreadable and out-of-tree files, and lines past the end, read as "".
    """
    files: dict[str, list[str]] = {}

    def read_line(path: str, line: int) -> str:
        if path not in files:
            files[path] = _lines(root, path)
        lines = files[path]
        return lines[line - 1] if 0 < line <= len(lines) else ""

    return read_line


def _lines(root: Path, path: str) -> list[str]:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts:
        return []
    try:
        data = (root / relative).read_bytes()
    except OSError:
        return []
    # Split on newlines only, as tools count lines; str.splitlines would also split on
    # form feeds and other separators and put the numbers out of step.
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n")
