"""The parts of a long file that a step names, so a model sees them and not 2,000 other lines.

A small model given a whole 700-line module loses the thread (Qwen2.5-Coder 1.5B echoed
the prompt's example instead of editing flask's helpers.py); given the function the task
names, with a few lines around it, it edits it. Python files are cut along their
definitions with ``ast``; other files are not excerpted (the caller names them instead).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator

CONTEXT_LINES = 3  # unchanged lines kept around each part, so SEARCH blocks can anchor
GAP = "⋮"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")

Span = tuple[int, int]  # first and last line, 1-based, inclusive


def named_words(*texts: str) -> frozenset[str]:
    """The identifiers a task, a goal or feedback names."""
    return frozenset(word for text in texts for word in _WORD.findall(text))


def excerpt(path: str, text: str, names: Collection[str]) -> str | None:
    """The definitions of ``text`` whose names are in ``names``, with their line numbers,
    or None when it is not Python or names none of them."""
    if not path.endswith((".py", ".pyi")):
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):  # ValueError: NUL bytes
        return None
    lines = text.splitlines(keepends=True)
    spans = _merged(sorted(_spans(tree, names)), len(lines))
    if not spans:
        return None
    parts = ["".join(lines[first - 1 : last]) for first, last in spans]
    where = ", ".join(f"{first}-{last}" for first, last in spans)
    head = f"{path} (lines {where} of {len(lines)}: the parts this step names; read_file for more)"
    body = f"{GAP}\n".join(part if part.endswith("\n") else part + "\n" for part in parts)
    return f"{head}\n```\n{body}```"


def _spans(tree: ast.Module, names: Collection[str]) -> Iterator[Span]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if node.name in names and node.end_lineno is not None:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            yield first, node.end_lineno


def _merged(spans: list[Span], count: int) -> list[Span]:
    """Spans widened by CONTEXT_LINES and joined where they touch or nest."""
    merged: list[Span] = []
    for first, last in spans:
        first, last = max(first - CONTEXT_LINES, 1), min(last + CONTEXT_LINES, count)
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
