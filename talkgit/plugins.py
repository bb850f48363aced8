"""Plug-ins: third-party agents and gates, found through Python entry points.

A distribution registers an agent in the entry-point group ``talkgit.agents`` and a gate in
``talkgit.gates``; the entry point names a class, or a function taking no arguments, that
makes the object. The object is checked attribute by attribute against the protocol
(``talkgit.agents.base.Agent``, ``talkgit.gates.base.Gate``) and its ``name`` must be the
entry point's. Whatever goes wrong with one plug-in — it does not import, making it raises,
it does not fit the protocol, a built-in has its name (the built-in wins) — becomes a
``PluginProblem``: that plug-in is skipped and talkgit carries on without it. Nothing in this
module raises.

This module knows neither protocol: it scans a group and checks what every plug-in must
have. The registries (``talkgit.agents.registry``, ``talkgit.gates.registry``) check their
own protocol, say which names are built in, and scan their group at most once per process;
they import this module, never the other way round.
"""

from __future__ import annotations

import inspect
import re
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TextIO, TypeVar

AGENTS_GROUP = "talkgit.agents"
GATES_GROUP = "talkgit.gates"
# A name goes into trailers (Talkgit-Agent, Talkgit-Gates), plans and configuration keys.
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}\Z")
UNKNOWN_DIST = "an unknown distribution"
_REASON_LIMIT = 300

T = TypeVar("T")


@dataclass(frozen=True)
class PluginProblem:
    """Why the plug-in ``name`` of ``group``, from the distribution ``dist``, is skipped."""

    group: str
    name: str
    dist: str
    reason: str

    def __str__(self) -> str:
        return f"plug-in {self.name!r} ({self.group}, from {self.dist}) skipped: {self.reason}"


@dataclass(frozen=True)
class Plugin(Generic[T]):
    """A working plug-in: an agent, or a gate factory."""

    group: str
    name: str
    dist: str
    value: T


@dataclass(frozen=True)
class Found(Generic[T]):
    """What scanning one group gave: the plug-ins that work, and why the others do not."""

    plugins: tuple[Plugin[T], ...] = ()
    problems: tuple[PluginProblem, ...] = ()

    def by_name(self) -> dict[str, T]:
        return {plugin.name: plugin.value for plugin in self.plugins}


class Unfit(Exception):
    """Why one plug-in cannot be used, in words for its author."""


# --- scanning --------------------------------------------------------------------------------


def scan(group: str, builtin: frozenset[str], make: Callable[[str, object], T]) -> Found[T]:
    """The plug-ins installed in ``group``, each made and checked by ``make``."""
    points, problems = _entry_points(group)
    found = load(group, points, builtin, make)
    return Found(found.plugins, problems + found.problems)


def _entry_points(group: str) -> tuple[list[EntryPoint], tuple[PluginProblem, ...]]:
    try:
        return list(entry_points(group=group)), ()
    except Exception as exc:  # a malformed entry_points.txt of any installed distribution
        reason = f"the installed packages' metadata cannot be read: {describe_error(exc)}"
        return [], (PluginProblem(group, "*", UNKNOWN_DIST, reason),)


def load(
    group: str,
    points: Iterable[EntryPoint],
    builtin: frozenset[str],
    make: Callable[[str, object], T],
) -> Found[T]:
    """Load ``points`` and make each with ``make``, which raises Unfit for a misfit; a name in
    ``builtin`` is a built-in's and is skipped."""
    plugins: dict[str, Plugin[T]] = {}
    problems: list[PluginProblem] = []
    for point in points:
        dist = _dist_name(point)
        try:
            _check_entry_name(point.name, builtin, plugins)
            value = make(point.name, _imported(point))
            plugins[point.name] = Plugin(group, point.name, dist, value)
        except Unfit as exc:
            problems.append(PluginProblem(group, point.name, dist, _one_line(str(exc))))
        except (Exception, SystemExit) as exc:  # a property or __eq__ of the plug-in raised
            problems.append(PluginProblem(group, point.name, dist, describe_error(exc)))
    return Found(tuple(plugins.values()), tuple(problems))


def _check_entry_name(name: str, builtin: frozenset[str], taken: dict[str, Plugin[T]]) -> None:
    if name in builtin:
        raise Unfit("talkgit has a built-in of that name, which is used instead")
    if name in taken:
        raise Unfit(f"{taken[name].dist} has a plug-in of that name already, which is used")
    if not NAME_PATTERN.match(name):
        raise Unfit("the name must be lower-case letters, digits, '.', '_' or '-'")


def _dist_name(point: EntryPoint) -> str:
    name = getattr(getattr(point, "dist", None), "name", None)
    return name if isinstance(name, str) and name else UNKNOWN_DIST


def _imported(point: EntryPoint) -> object:
    try:
        return point.load()
    except (Exception, SystemExit) as exc:  # an import error, or any error the module raises
        raise Unfit(f"{point.value} cannot be imported: {describe_error(exc)}") from exc


def made(factory: object) -> object:
    """What calling ``factory`` makes; Unfit when it is not callable or raises."""
    if not callable(factory):
        kind = type(factory).__name__
        raise Unfit(f"it names an object of type {kind}, not a class or a function")
    try:
        return factory()
    except (Exception, SystemExit) as exc:
        raise Unfit(f"making it raised {describe_error(exc)}") from exc


# --- what every plug-in must have ---------------------------------------------------------


def check_common(name: str, plugin: object) -> None:
    """What both protocols ask: ``name`` (the entry point's) and ``run(one argument)``."""
    own = getattr(plugin, "name", None)
    if not isinstance(own, str):
        raise Unfit("it has no name attribute (a str)")
    if own != name:
        raise Unfit(f"its name is {own!r}, not the entry point's {name!r}")
    run = getattr(plugin, "run", None)
    if not callable(run):
        raise Unfit("it has no run method")
    try:
        signature = inspect.signature(run).replace(return_annotation=inspect.Signature.empty)
    except (TypeError, ValueError):
        return  # a callable without a signature Python can read: trust it
    try:
        signature.bind(None)
    except TypeError as exc:
        raise Unfit(f"run{signature} cannot be called with one argument") from exc


def description(agent: object) -> str | None:
    """An agent's optional ``description`` on one line, or None when it has none."""
    text = getattr(agent, "description", None)
    if not isinstance(text, str):
        return None
    return " ".join(text.split()) or None


# --- reporting ---------------------------------------------------------------------------------

_reported: set[PluginProblem] = set()
_reported_lock = threading.Lock()


def report(problems: Iterable[PluginProblem], stream: TextIO | None = None) -> None:
    """Write each problem not yet reported by this process as one line (default: stderr)."""
    out = stream or sys.stderr
    for problem in problems:
        with _reported_lock:
            if problem in _reported:
                continue
            _reported.add(problem)
        out.write(f"talkgit: {problem}\n")


def describe_error(exc: BaseException) -> str:
    """An exception as one short line: its type and its message."""
    text = str(exc)
    return _one_line(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _REASON_LIMIT else flat[: _REASON_LIMIT - 1] + "…"
