"""The placeholder gate: stub functions and TODO/FIXME/PLACEHOLDER markers, in pure Python.

An agent that cannot finish a piece of work tends to leave a stub behind and call it
done. This gate reports, in the files a change touches:

- ``stub``: code whose body only pretends. A function whose body is only ``pass``,
  ``...`` or ``raise NotImplementedError`` (a docstring before it is allowed) is one;
  a method is one unless it is an override point or a deliberate no-op (docs/gates.md).
  Abstract methods, ``@overload`` signatures, members of a ``Protocol`` class, what
  ``if TYPE_CHECKING:`` declares and everything in ``.pyi`` stub files are declarations,
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
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from talkgit import __version__
from talkgit.gates.base import Finding, GateRun, Severity, Target, plain_file

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
_RAISES = "raise NotImplementedError"


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
    if not plain_file(root, path):
        return None
    try:
        data = (root / path).read_bytes()
        return None if b"\0" in data else data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


# --- stubs -------------------------------------------------------------------------------------


def _stubs(path: str, tree: ast.Module) -> Iterator[Finding]:
    classes = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    for function, owner in _functions(tree.body, None):
        kind = _stub(function, owner, classes)
        if kind is not None:
            message = f"function `{function.name}` is a stub: its body is only `{kind}`"
            yield Finding(
                NAME, "stub", STUB_SEVERITY, path, function.lineno, function.col_offset + 1, message
            )


def _functions(
    nodes: Iterable[ast.AST], owner: ast.ClassDef | None
) -> Iterator[tuple[_FunctionNode, ast.ClassDef | None]]:
    """Every function under ``nodes``, with the class it is a method of (None for a plain
    function); what ``if TYPE_CHECKING:`` declares never runs, so it is left out."""
    for node in nodes:
        if isinstance(node, _FunctionNode):
            yield node, owner
            yield from _functions(_statements(node), None)
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node.body, node)
        elif isinstance(node, ast.If) and _last_name(node.test) == "TYPE_CHECKING":
            yield from _functions(node.orelse, owner)
        else:
            yield from _functions(_statements(node), owner)


def _statements(node: ast.AST) -> Iterator[ast.AST]:
    """The blocks of statements in ``node``: only those hold functions, and Python limits
    how deep they nest, unlike expressions."""
    blocks = (ast.stmt, ast.excepthandler, ast.match_case)
    return (child for child in ast.iter_child_nodes(node) if isinstance(child, blocks))


def _stub(
    function: _FunctionNode, owner: ast.ClassDef | None, classes: Mapping[str, ast.ClassDef]
) -> str | None:
    """The stub body of ``function``, None when it is not a stub.

    A method may be an override point: ``raise NotImplementedError`` asks a subclass for
    the body, loudly. A no-op method that promises no value is a deliberate default when
    it is documented (a hook), a dunder, or in a class that does real work.
    """
    kind = stub_kind(function)
    if kind is None or _is_exempt(function) or (kind != _RAISES and _is_group(function)):
        return None
    if owner is None:  # nothing can give a plain function another body
        return kind
    if _is_protocol(owner) or kind == _RAISES:
        return None
    if _promises_value(function):
        return kind
    if _is_documented(function) or _is_dunder(function.name) or _works(owner, classes):
        return None
    return kind


def stub_kind(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """``"pass"``, ``"..."`` or ``"raise NotImplementedError"`` when that is the whole body."""
    body = _undocumented_body(function)
    if len(body) != 1:
        return None
    statement = body[0]
    if isinstance(statement, ast.Pass):
        return "pass"
    if isinstance(statement, ast.Expr) and _is_constant(statement.value, Ellipsis):
        return "..."
    if isinstance(statement, ast.Raise) and _raises_not_implemented(statement.exc):
        return _RAISES
    return None


def _undocumented_body(function: _FunctionNode) -> list[ast.stmt]:
    body = function.body
    return body[1:] if len(body) > 1 and _is_docstring(body[0]) else body


def _is_documented(function: _FunctionNode) -> bool:
    return len(function.body) > 1 and _is_docstring(function.body[0])


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


def _is_exempt(function: _FunctionNode) -> bool:
    return any(_last_name(d) in _EXEMPT_DECORATORS for d in function.decorator_list)


def _is_group(function: _FunctionNode) -> bool:
    """A click command group (``@click.group()``, ``@cli.group()``): its body runs before
    each subcommand, and with nothing to do there it is ``pass``, as click documents it."""
    return any(_last_name(d) == "group" for d in function.decorator_list)


def _is_protocol(cls: ast.ClassDef) -> bool:
    return any(_last_name(base) == "Protocol" for base in cls.bases)


def _promises_value(function: _FunctionNode) -> bool:
    """A return annotation other than None: a no-op body would break that promise."""
    returns = function.returns
    return returns is not None and not (
        _is_constant(returns, None) or _is_constant_text(returns, "None")
    )


def _is_constant_text(node: ast.expr, text: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == text


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _works(cls: ast.ClassDef, classes: Mapping[str, ast.ClassDef]) -> bool:
    """Whether ``cls``, or a base class of it in the same module, has a method that does
    real work: a class that does its job, whose no-op methods are choices. ``__init__``
    does not count: storing the arguments is what every unfinished class does too."""
    seen: set[str] = set()
    pending = [cls]
    while pending:
        current = pending.pop()
        seen.add(current.name)
        if any(_does_work(item) for item in current.body):
            return True
        bases = (classes.get(_last_name(base) or "") for base in current.bases)
        pending.extend(base for base in bases if base is not None and base.name not in seen)
    return False


def _does_work(node: ast.stmt) -> bool:
    return (
        isinstance(node, _FunctionNode)
        and node.name != "__init__"
        and stub_kind(node) is None
        and not (len(node.body) == 1 and _is_docstring(node.body[0]))
    )


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
