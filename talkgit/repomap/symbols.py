"""What one file defines and what it refers to: the raw material of the repository map.

Python is read with the stdlib ``ast``: exact signatures (multi-line ones, decorators, async,
return annotations), methods one level into a class, and references that are names in code,
not words in comments or strings. ``ast`` costs five to six times the regular expressions
(benchmarks/repo_map.py, one process: Django 5.0.6's 465,000 lines in 4.8-8.2 s against
0.9-1.4 s). It is worth it: its accuracy is what the planner reads, a blob is parsed once
(the cache is per blob), and a cold build divides the parsing among the cores (``parsing``)
and still maps 10,000 files in seconds.

Everything else, and Python that does not parse, goes through ``fallback``: one regular
expression per kind of definition for the common languages, and the file's words as
references. Binary files, files over ``MAX_BYTES``, lockfiles and minified files define and
refer to nothing, and so do files under vendored folders (``node_modules``, ``vendor``):
they are not worth a model's tokens.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Final

MAX_BYTES: Final = 1 << 20
MIN_IDENTIFIER: Final = 3  # shorter names (i, db, x1) link files that have nothing in common
SIGNATURE_LIMIT: Final = 160  # characters: a default value may be a page long
LONG_LINES: Final = 300  # average bytes per line above which a file is minified, not source
BINARY_PROBE: Final = 8000  # bytes searched for a NUL, as git does
LOCKFILES: Final = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "Cargo.lock",
        "poetry.lock",
        "Pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "composer.lock",
        "Gemfile.lock",
        "go.sum",
        "packages.lock.json",
    }
)
# Folders of other projects' code, copied in: their hundreds of generic names (escape,
# title, count) would answer every task's plain words. Their paths stay in the map.
VENDORED: Final = frozenset(
    {"node_modules", "vendor", "vendors", "third_party", "third-party", "bower_components"}
)


@dataclass(frozen=True)
class Symbol:
    """A definition: ``kind`` is function, class, method, constant (or a language's own:
    struct, enum, trait, interface, type, module...); ``line`` counts from 1."""

    name: str
    kind: str
    line: int
    signature: str


@dataclass(frozen=True)
class FileSymbols:
    """A file's definitions in source order, and the identifiers it uses."""

    defines: tuple[Symbol, ...] = ()
    references: frozenset[str] = frozenset()


NOTHING: Final = FileSymbols()
SCRIPT: Final = "script"


def extract(path: str, data: bytes) -> FileSymbols:
    """The symbols of ``data``, the content of the file at ``path`` (its name picks the
    language); nothing for files that are not source code."""
    reader = reader_of(path)
    language = shebang_language(data) if reader == SCRIPT else reader
    if language is None or not is_source(data):
        return NOTHING
    text = data.decode("utf-8", "replace")
    if language == "python":
        try:
            return python_symbols(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass  # ValueError: a NUL past the probe; RecursionError: absurd nesting
    return fallback(language, text)


def reader_of(path: str) -> str | None:
    """What decides how the file at ``path`` is read: its language by extension, ``SCRIPT``
    when it has none (its ``#!`` line decides), None when it is not read at all.

    ``extract``'s result depends on the path only through this: a cache keyed by blob id
    and reader is exact.
    """
    folders, _, name = path.rpartition("/")
    if name in LOCKFILES or ".min." in name or not VENDORED.isdisjoint(folders.split("/")):
        return None
    stem, dot, extension = name.rpartition(".")
    if dot and stem:
        return _EXTENSIONS.get(extension.lower())
    return SCRIPT


def shebang_language(data: bytes) -> str | None:
    """The language a ``#!`` line names, for files without an extension."""
    if not data.startswith(b"#!"):
        return None
    first = data[:120].split(b"\n", 1)[0].decode("ascii", "replace")
    return next((language for word, language in _SHEBANGS if word in first), None)


def is_source(data: bytes) -> bool:
    """Whether ``data`` is worth reading: not binary, huge or minified."""
    if len(data) > MAX_BYTES or b"\0" in data[:BINARY_PROBE]:
        return False
    return len(data) < LONG_LINES or len(data) / (data.count(b"\n") + 1) <= LONG_LINES


_EXTENSIONS: Final = {
    "py": "python",
    "pyi": "python",
    "js": "javascript",
    "jsx": "javascript",
    "mjs": "javascript",
    "cjs": "javascript",
    "ts": "javascript",
    "tsx": "javascript",
    "mts": "javascript",
    "cts": "javascript",
    "go": "go",
    "rs": "rust",
    "java": "java",
    "cs": "java",
    "kt": "java",
    "kts": "java",
    "scala": "java",
    "c": "c",
    "h": "c",
    "cc": "c",
    "cpp": "c",
    "cxx": "c",
    "hh": "c",
    "hpp": "c",
    "hxx": "c",
    "m": "c",
    "rb": "ruby",
    "rake": "ruby",
    "sh": "shell",
    "bash": "shell",
    "zsh": "shell",
    "ksh": "shell",
}
_SHEBANGS: Final = (("python", "python"), ("bash", "shell"), ("/sh", "shell"), ("zsh", "shell"))


# --- Python, with ast ------------------------------------------------------------------------

_CONSTANT: Final = re.compile(r"_*[A-Z][A-Z0-9_]*")
_Function = ast.FunctionDef | ast.AsyncFunctionDef


def python_symbols(text: str) -> FileSymbols:
    """Definitions and references of Python source; SyntaxError when it does not parse."""
    module = ast.parse(text)
    lines = text.splitlines()
    defines = [symbol for node in _module_level(module.body) for symbol in _defined(node, lines)]
    return FileSymbols(tuple(defines), _python_references(module))


def _module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements run at import, including those under ``if``/``try``/``with`` blocks
    (``if TYPE_CHECKING:``, version switches, optional imports)."""
    found: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If):
            found += _module_level(node.body) + _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            blocks = [node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)]
            found += [inner for block in blocks for inner in _module_level(block)]
        elif isinstance(node, ast.With):
            found += _module_level(node.body)
        else:
            found.append(node)
    return found


def _defined(node: ast.stmt, lines: list[str]) -> list[Symbol]:
    if isinstance(node, _Function):
        return [Symbol(node.name, "function", node.lineno, _function_signature(node))]
    if isinstance(node, ast.ClassDef):
        methods = [
            Symbol(inner.name, "method", inner.lineno, _function_signature(inner))
            for inner in node.body
            if isinstance(inner, _Function)
        ]
        return [Symbol(node.name, "class", node.lineno, _class_signature(node)), *methods]
    return [
        Symbol(name, "constant", node.lineno, _constant_signature(node, lines))
        for name in _constant_names(node)
    ]


def _function_signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    text = f"{_decorators(node)}{prefix} {node.name}({ast.unparse(node.args)}){returns}"
    return _shortened(text)


def _class_signature(node: ast.ClassDef) -> str:
    bases = [ast.unparse(base) for base in node.bases]
    bases += [ast.unparse(keyword) for keyword in node.keywords]
    listed = f"({', '.join(bases)})" if bases else ""
    return _shortened(f"{_decorators(node)}class {node.name}{listed}")


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
    return "".join(f"@{ast.unparse(decorator)} " for decorator in node.decorator_list)


def _constant_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign):
        targets = [node.target]
    else:
        return []
    names = [target.id for target in targets if isinstance(target, ast.Name)]
    return [name for name in names if _CONSTANT.fullmatch(name)]


def _constant_signature(node: ast.stmt, lines: list[str]) -> str:
    """The assignment's first line as written: a big literal is cut, not re-printed."""
    first = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
    more = node.end_lineno is not None and node.end_lineno > node.lineno
    return _shortened(first + (" ..." if more else ""))


def _python_references(module: ast.Module) -> frozenset[str]:
    names: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.update(node.name.split("."))
            if node.asname:
                names.add(node.asname)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update(node.module.split("."))
    return frozenset(name for name in names if len(name) >= MIN_IDENTIFIER)


# --- every other language, and Python that does not parse -----------------------------------

_START = r"^[ \t]*"
_JAVA_MODIFIERS = (
    r"(?:(?:public|private|protected|internal|static|final|abstract|sealed|open|data|"
    r"partial|inline|value|enum|annotation|case|override|virtual|readonly|async)[ \t]+)*"
)
# Each pattern's group "name" is the symbol; the kind comes with it.
_PATTERNS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "python": (
        (r"^(?:[ \t]*)(?:async[ \t]+)?def[ \t]+(?P<name>\w+)[ \t]*\(", "function"),
        (r"^class[ \t]+(?P<name>\w+)", "class"),
        (r"^(?P<name>_*[A-Z][A-Z0-9_]*)[ \t]*(?::[^=\n]*)?=(?!=)", "constant"),
    ),
    "javascript": (
        (
            _START + r"(?:export[ \t]+(?:default[ \t]+)?)?(?:async[ \t]+)?"
            r"function\b[ \t]*\*?[ \t]*(?P<name>[\w$]+)",
            "function",
        ),
        (
            _START + r"(?:export[ \t]+(?:default[ \t]+)?)?(?:abstract[ \t]+)?"
            r"class[ \t]+(?P<name>[\w$]+)",
            "class",
        ),
        (r"^(?:export[ \t]+)?(?:const|let|var)[ \t]+(?P<name>[\w$]+)[ \t]*(?::[^=\n]*)?=", "const"),
        (r"^(?:export[ \t]+)?(?:declare[ \t]+)?interface[ \t]+(?P<name>[\w$]+)", "interface"),
        (r"^(?:export[ \t]+)?(?:declare[ \t]+)?type[ \t]+(?P<name>[\w$]+)[^=\n]*=", "type"),
        (r"^(?:export[ \t]+)?(?:const[ \t]+)?enum[ \t]+(?P<name>[\w$]+)", "enum"),
    ),
    "go": (
        (r"^func[ \t]+(?:\([^)]*\)[ \t]*)?(?P<name>\w+)", "function"),
        (r"^type[ \t]+(?P<name>\w+)", "type"),
        (r"^[ \t]+(?P<name>\w+)[ \t]+(?:struct|interface)[ \t]*\{", "type"),
    ),
    "rust": (
        (
            _START + r"(?:pub(?:\([^)]*\))?[ \t]+)?(?:const[ \t]+)?(?:async[ \t]+)?"
            r"(?:unsafe[ \t]+)?(?:extern[ \t]+\"[^\"]*\"[ \t]+)?fn[ \t]+(?P<name>\w+)",
            "function",
        ),
        (_START + r"(?:pub(?:\([^)]*\))?[ \t]+)?struct[ \t]+(?P<name>\w+)", "struct"),
        (_START + r"(?:pub(?:\([^)]*\))?[ \t]+)?enum[ \t]+(?P<name>\w+)", "enum"),
        (
            _START + r"(?:pub(?:\([^)]*\))?[ \t]+)?(?:unsafe[ \t]+)?trait[ \t]+(?P<name>\w+)",
            "trait",
        ),
        (
            _START + r"(?:unsafe[ \t]+)?impl\b(?:<[^>\n]*>)?[ \t]+(?:[\w:]+(?:<[^>\n]*>)?"
            r"[ \t]+for[ \t]+)?(?P<name>\w+)",
            "impl",
        ),
        (_START + r"(?:pub(?:\([^)]*\))?[ \t]+)?type[ \t]+(?P<name>\w+)", "type"),
        (_START + r"(?:pub(?:\([^)]*\))?[ \t]+)?mod[ \t]+(?P<name>\w+)", "module"),
    ),
    "java": (
        (
            _START + _JAVA_MODIFIERS + r"(?:class|interface|record|object|struct|trait)"
            r"[ \t]+(?P<name>\w+)",
            "class",
        ),
        (_START + _JAVA_MODIFIERS + r"enum[ \t]+(?:class[ \t]+)?(?P<name>\w+)", "enum"),
        (
            _START + r"(?:(?:public|private|protected|internal|static|final|abstract|"
            r"override|open|suspend|inline|operator|infix|tailrec)[ \t]+)*"
            r"fun[ \t]+(?:<[^>\n]*>[ \t]*)?(?:[\w.]+\.)?(?P<name>\w+)",
            "function",
        ),
        (
            # One greedy run up to the bracket, then back: modifiers, type and name each
            # matched by their own repetition would try every split of a long line.
            r"^[ \t]+(?:public|private|protected|internal|static|final|abstract|virtual|"
            r"override|async|synchronized|native)\b[^(\n=;]*[ \t](?P<name>\w+)[ \t]*\(",
            "method",
        ),
    ),
    "c": (
        (r"^(?:typedef[ \t]+)?(?:struct|union|enum|class)[ \t]+(?P<name>\w+)[ \t]*[:{]", "struct"),
        (r"^(?:typedef[ \t]+)?(?:struct|union|enum|class)[ \t]+(?P<name>\w+)[ \t]*$", "struct"),
        (r"^typedef[^;(\n]*?\b(?P<name>\w+)[ \t]*;", "type"),
        (r"^#[ \t]*define[ \t]+(?P<name>\w+)", "macro"),
        (
            r"^(?!(?:return|else|if|for|while|switch|case|do|goto|typedef)\b)"
            r"(?:[\w:<>,~]+[ \t*&]+)+(?P<name>[\w:~]+)[ \t]*\(",
            "function",
        ),
    ),
    "ruby": (
        (_START + r"def[ \t]+(?:self\.)?(?P<name>\w+[?!=]?)", "method"),
        (_START + r"class[ \t]+(?:[\w:]+::)?(?P<name>\w+)", "class"),
        (_START + r"module[ \t]+(?:[\w:]+::)?(?P<name>\w+)", "module"),
    ),
    "shell": (
        (_START + r"(?:function[ \t]+)?(?P<name>[\w-]+)[ \t]*\(\)", "function"),
        (_START + r"function[ \t]+(?P<name>[\w-]+)[ \t]*(?:\{|$)", "function"),
    ),
}
_COMPILED: Final = {
    language: tuple((re.compile(pattern, re.MULTILINE), kind) for pattern, kind in patterns)
    for language, patterns in _PATTERNS.items()
}
_WORD: Final = re.compile(rf"[A-Za-z_][A-Za-z0-9_]{{{MIN_IDENTIFIER - 1},}}")
_PYTHON_METHOD: Final = re.compile(r"^([ \t]+)(?:async[ \t]+)?def\b", re.MULTILINE)


def fallback(language: str, text: str) -> FileSymbols:
    """Definitions found by ``language``'s patterns, and every word as a reference."""
    starts: dict[int, tuple[str, str]] = {}  # the first pattern to claim a line wins
    for pattern, kind in _COMPILED[language]:
        for match in pattern.finditer(text):
            starts.setdefault(match.start(), (match["name"], kind))
    found: list[tuple[int, Symbol]] = []
    line, counted = 1, 0
    for start in sorted(starts):
        line += text.count("\n", counted, start)  # counted once: a file may define thousands
        counted = start
        name, kind = starts[start]
        found.append((start, Symbol(name, kind, line, _line_signature(text, start))))
    if language == "python":
        found = _python_nesting(found, text)
    return FileSymbols(tuple(symbol for _, symbol in found), frozenset(_WORD.findall(text)))


def _python_nesting(found: list[tuple[int, Symbol]], text: str) -> list[tuple[int, Symbol]]:
    """Top-level definitions, and a class's methods at its body's first indentation.

    The function pattern matches at any indentation; the indent of its line decides.
    """
    kept: list[tuple[int, Symbol]] = []
    body: str | None = None  # the indentation of the methods of the class above, if any
    for start, symbol in found:
        head = text[start : start + 80]
        indent = head[: len(head) - len(head.lstrip(" \t"))]
        if not indent:
            body = _method_indent(text, start) if symbol.kind == "class" else None
            kept.append((start, symbol))
        elif symbol.kind == "function" and indent == body:
            kept.append((start, Symbol(symbol.name, "method", symbol.line, symbol.signature)))
    return kept


def _method_indent(text: str, start: int) -> str | None:
    match = _PYTHON_METHOD.search(text, start)
    return match[1] if match else None


def _line_signature(text: str, start: int) -> str:
    """The definition's line, continued while its brackets are open (a multi-line signature),
    without the ``{`` or ``:`` that opens its body."""
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    header = text[start:end]
    extra = 0
    while _open_brackets(header) > 0 and end < len(text) and extra < 8:
        following = text.find("\n", end + 1)
        following = len(text) if following < 0 else following
        header += " " + text[end + 1 : following].strip()
        end, extra = following, extra + 1
    header = " ".join(header.split()).rstrip("{").rstrip()
    return _shortened(header.removesuffix(":") if header.endswith(":") else header)


def _open_brackets(text: str) -> int:
    return text.count("(") + text.count("[") - text.count(")") - text.count("]")


def _shortened(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SIGNATURE_LIMIT else text[: SIGNATURE_LIMIT - 3] + "..."
