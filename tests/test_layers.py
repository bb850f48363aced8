"""The layers of docs/architecture.md, read from the code: every import counts.

Each package under talkgit/ (and each top-level module) is one unit. An import anywhere in
a module — at the top, inside a function, under ``if TYPE_CHECKING:`` — is an edge from its
unit to the unit it names. The edges must go down the layers below and never form a cycle,
and only cli.py may import click (only git/ pygit2).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import pytest

PACKAGE = Path(__file__).parents[1] / "talkgit"

# Top first. A unit imports only units of the layers below its own.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__main__",),  # python -m talkgit
    ("entry",),  # the process: the check server first, else the CLI
    ("server",),  # the warm check server runs the CLI in its process
    ("cli",),  # options -> typed calls; the only click
    ("commands",),  # one module per subcommand, none importing another
    ("engine", "github"),  # runs (plan, step, gate, merge, finish); the pull-request side
    ("agents", "checking", "reviewing"),  # step agents; the gates on a change, configured
    ("config",),  # settings from files and environment
    ("gates", "provenance", "repomap"),  # tools and verdicts; trailers and notes; the map
    ("git",),  # the git store: everything that touches pygit2
    ("edits", "llm", "skills", "testing"),  # pure edits; model calls; playbooks; test runs
)
# Shared types and helpers that import no layer: they may use one another (no cycle).
FOUNDATION = (
    "__init__",
    "errors",
    "exit_codes",
    "filenames",
    "files",
    "globs",
    "plan",
    "plugins",
    "proc",
    "redaction",
    "secret_env",
    "userdirs",
)
# Third-party modules only one place may import: the boundary translates their errors.
ONLY_IN = {"click": ("cli",), "pygit2": ("git",)}


class Edge(NamedTuple):
    source: str  # the unit that imports
    target: str  # the unit imported
    where: str  # path:line of the import


def modules(root: Path) -> dict[str, Path]:
    """Every module under ``root`` (a package directory) by dotted name."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = (root.name, *path.relative_to(root).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported_names(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every dotted name ``module`` imports, wherever the import statement is, with its line."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            # `from pkg import mod` imports the module pkg.mod; `from mod import name`, mod.
            yield from ((f"{base}.{alias.name}", node.lineno) for alias in node.names)


def unit_of(name: str, known: Mapping[str, Path]) -> str | None:
    """The unit a dotted name under the package belongs to; None for a name outside it."""
    while name not in known:
        name, dot, _ = name.rpartition(".")
        if not dot:
            return None
    parts = name.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def edges(root: Path) -> list[Edge]:
    """The imports between units of the package at ``root``."""
    known = modules(root)
    found = []
    for module, path in known.items():
        source = unit_of(module, known)
        for name, line in imported_names(module, path):
            target = unit_of(name, known)
            if source is not None and target is not None and target != source:
                where = f"{path.relative_to(root.parent)}:{line}"
                found.append(Edge(source, target, where))
    return found


def find_cycle(graph: Mapping[str, Sequence[Edge]]) -> list[Edge] | None:
    """One cycle of ``graph`` (unit -> its outgoing edges) as its edges, or None."""
    done: set[str] = set()

    def visit(unit: str, path: list[Edge], on_path: set[str]) -> list[Edge] | None:
        for edge in graph.get(unit, ()):
            if edge.target in on_path:
                start = next(i for i, e in enumerate(path) if e.source == edge.target)
                return [*path[start:], edge] if path else [edge]
            if edge.target not in done:
                cycle = visit(edge.target, [*path, edge], on_path | {edge.target})
                if cycle is not None:
                    return cycle
        done.add(unit)
        return None

    for unit in sorted(graph):
        if unit not in done:
            cycle = visit(unit, [], {unit})
            if cycle is not None:
                return cycle
    return None


def by_source(found: Sequence[Edge]) -> dict[str, list[Edge]]:
    graph: dict[str, list[Edge]] = {}
    for edge in found:
        graph.setdefault(edge.source, []).append(edge)
    return graph


def third_party_users(root: Path, library: str) -> set[str]:
    """The units of the package at ``root`` that import ``library`` (or a module of it)."""
    known = modules(root)
    return {
        unit
        for module, path in known.items()
        if (unit := unit_of(module, known)) is not None
        for name, _ in imported_names(module, path)
        if name == library or name.startswith(f"{library}.")
    }


def layer_of(unit: str) -> int:
    """Lower is deeper; the foundation is 0."""
    if unit in FOUNDATION:
        return 0
    for depth, layer in enumerate(reversed(LAYERS), 1):
        if unit in layer:
            return depth
    raise AssertionError(f"talkgit.{unit} has no layer: add it to LAYERS and docs/architecture.md")


def _described(cycle: Sequence[Edge]) -> str:
    return "\n".join(f"  {e.source} -> {e.target}  ({e.where})" for e in cycle)


# --- talkgit itself ----------------------------------------------------------------------------


def test_no_import_cycle_between_talkgit_packages() -> None:
    cycle = find_cycle(by_source(edges(PACKAGE)))
    assert cycle is None, "an import cycle:\n" + _described(cycle or [])


def test_every_import_goes_down_the_layers() -> None:
    upward = [
        edge
        for edge in edges(PACKAGE)
        if layer_of(edge.source) <= layer_of(edge.target)
        and not (layer_of(edge.source) == layer_of(edge.target) == 0)
    ]
    assert upward == [], "imports that do not go down a layer:\n" + _described(upward)


def test_every_unit_has_a_layer() -> None:
    units = {unit_of(module, modules(PACKAGE)) for module in modules(PACKAGE)}
    listed = {*FOUNDATION, *(unit for layer in LAYERS for unit in layer)}
    assert units == listed


@pytest.mark.parametrize("library", sorted(ONLY_IN))
def test_only_its_boundary_imports_a_library(library: str) -> None:
    """click only in cli.py, pygit2 only in the git store."""
    assert third_party_users(PACKAGE, library) <= set(ONLY_IN[library])


# --- the checks themselves catch what they are for ---------------------------------------------


def _package(tmp_path: Path, files: Mapping[str, str]) -> Path:
    root = tmp_path / "talkgit"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_cycle_through_a_lazy_and_a_type_only_import_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "git/__init__.py": "",
            "git/repo.py": "def f():\n    from talkgit.engine import runner\n",
            "engine/__init__.py": "",
            "engine/runner.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from talkgit.git.repo import f\n"
            ),
            "errors.py": "",
        },
    )
    cycle = find_cycle(by_source(edges(root)))
    assert cycle is not None
    assert {(e.source, e.target) for e in cycle} == {("git", "engine"), ("engine", "git")}
    assert {e.where for e in cycle} == {"talkgit/git/repo.py:2", "talkgit/engine/runner.py:3"}


def test_relative_and_from_package_imports_name_their_unit(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "git/__init__.py": "from . import repo\n",
            "git/repo.py": "from ..errors import Oops\nfrom talkgit import plugins\n",
            "errors.py": "",
            "plugins.py": "from talkgit import errors\n",
        },
    )
    pairs = sorted((e.source, e.target) for e in edges(root))
    assert pairs == [("git", "errors"), ("git", "plugins"), ("plugins", "errors")]
    assert find_cycle(by_source(edges(root))) is None


def test_click_outside_cli_py_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "cli.py": "import click\n",
            "commands/__init__.py": "",
            "commands/ask.py": "def ask():\n    from click import prompt\n",
        },
    )
    assert third_party_users(root, "click") == {"cli", "commands"}
