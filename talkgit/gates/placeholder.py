"""The placeholder gate: stub functions and TODO/FIXME/PLACEHOLDER markers, in pure Python.

An agent that cannot finish a piece of work tends to leave a stub behind and call it
done. This gate reports, in the files a change touches:

- ``stub``: a function whose body is only ``pass``, ``...`` or ``raise NotImplementedError``
  (a docstring before it is allowed). Abstract methods, ``@overload`` signatures, members
  of a ``Protocol`` class and everything in ``.pyi`` stub files are what they should be,
  and are not reported.
- ``todo``, ``fixme``, ``placeholder``: the upper-case marker as a word, in a Python
  comment or on any line of another text file.

Like every gate it reports all it sees; comparing base and head leaves what a change added.
A Python file that does not parse, a binary file and a file that is not UTF-8 are skipped.
"""

from __future__ import annotations

import ast
import io
import re
import time
import tokenize
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from talkgit import __version__
from talkgit.gates.base import Finding, GateRun, Severity, Target

NAME = "placeholder"
MARKERS = {"TODO": Severity.LOW, "FIXME": Severity.MEDIUM, "PLACEHOLDER": Severity.MEDIUM}
STUB_SEVERITY = Severity.MEDIUM

_MARKER = re.compile(r"\b(" + "|".join(MARKERS) + r")\b")
_EXEMPT_DECORATORS = frozenset(
    {"abstractmethod", "abstractproperty", "abstractclassmethod", "abstractstaticmethod"}
    | {"overload"}
)
_PYTHON_SUFFIXES = (".py", ".pyi")
_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class PlaceholderGate:
    """Stubs and placeholder markers in the target's files; needs no external tool."""

    name = NAME

    def run(self, target: Target) -> GateRun:
        started = time.perf_counter()
        findings = tuple(
            finding for path in target.files for finding in scan_file(target.root, path)
        )
        return GateRun(NAME, __version__, findings, time.perf_counter() - started)


def scan_file(root: Path, path: str) -> tuple[Finding, ...]:
    """The placeholder findings in ``root / path`` (a repository-relative path)."""
    text = _read_text(root, path)
    if text is None:
        return ()
    if path.endswith(_PYTHON_SUFFIXES):
        return scan_python(path, text)
    return tuple(_text_markers(path, text))


def scan_python(path: str, text: str) -> tuple[Finding, ...]:
    """Stub functions and comment markers in Python source; () when it does not parse."""
    try:
        tree = ast.parse(text, filename=path)
        comments = tuple(_comment_markers(path, text))
    except (SyntaxError, ValueError, RecursionError, tokenize.TokenError):
        return ()
    stubs = () if path.endswith(".pyi") else tuple(_stubs(path, tree))
    return tuple(sorted((*stubs, *comments), key=lambda f: (f.line, f.column)))


def _read_text(root: Path, path: str) -> str | None:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts:
        return None
    file = root / relative
    # A symlink may point anywhere; what it points at is not the change's text.
    if file.is_symlink() or not file.is_file():
        return None
    try:
        data = file.read_bytes()
        return None if b"\0" in data else data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


# --- stubs -------------------------------------------------------------------------------------


def _stubs(path: str, tree: ast.Module) -> Iterator[Finding]:
    exempt = _protocol_members(tree)
    for node in ast.walk(tree):
        if not isinstance(node, _FunctionNode) or id(node) in exempt or _is_exempt(node):
            continue
        kind = stub_kind(node)
        if kind is not None:
            message = f"function `{node.name}` is a stub: its body is only `{kind}`"
            yield Finding(
                NAME, "stub", STUB_SEVERITY, path, node.lineno, node.col_offset + 1, message
            )


def stub_kind(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """``"pass"``, ``"..."`` or ``"raise NotImplementedError"`` when that is the whole body."""
    body = function.body
    if len(body) > 1 and _is_docstring(body[0]):
        body = body[1:]
    if len(body) != 1:
        return None
    statement = body[0]
    if isinstance(statement, ast.Pass):
        return "pass"
    if isinstance(statement, ast.Expr) and _is_constant(statement.value, Ellipsis):
        return "..."
    if isinstance(statement, ast.Raise) and _raises_not_implemented(statement.exc):
        return "raise NotImplementedError"
    return None


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _is_constant(node: ast.expr, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def _raises_not_implemented(exc: ast.expr | None) -> bool:
    if isinstance(exc, ast.Call):
        exc = exc.func
    return exc is not None and _last_name(exc) == "NotImplementedError"


def _last_name(node: ast.expr) -> str | None:
    """``name`` for ``name``, ``module.name``, ``name(...)`` and ``name[...]``."""
    if isinstance(node, (ast.Call, ast.Subscript)):
        return _last_name(node.func if isinstance(node, ast.Call) else node.value)
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _is_exempt(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(_last_name(d) in _EXEMPT_DECORATORS for d in function.decorator_list)


def _protocol_members(tree: ast.Module) -> frozenset[int]:
    """The ids of the function nodes defined directly in a ``Protocol`` class's body."""
    members: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            _last_name(base) == "Protocol" for base in node.bases
        ):
            members.update(id(item) for item in node.body if isinstance(item, _FunctionNode))
    return frozenset(members)


# --- markers -----------------------------------------------------------------------------------


def _comment_markers(path: str, text: str) -> Iterator[Finding]:
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            line, column = token.start
            yield from _markers(path, line, column, token.string)


def _text_markers(path: str, text: str) -> Iterator[Finding]:
    for line, content in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        yield from _markers(path, line, 0, content)


def _markers(path: str, line: int, offset: int, text: str) -> Iterator[Finding]:
    for match in _MARKER.finditer(text):
        marker = match.group(1)
        message = f"{marker} marker: {_shorten(text.strip())}"
        column = offset + match.start() + 1
        yield Finding(NAME, marker.lower(), MARKERS[marker], path, line, column, message)


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
