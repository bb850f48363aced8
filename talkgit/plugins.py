"""Plug-ins: third-party agents and gates, found through Python entry points.

A distribution registers an agent in the entry-point group ``talkgit.agents`` and a gate in
``talkgit.gates``; the entry point names a class, or a function taking no arguments, that
makes the object. The object is checked attribute by attribute against the protocol
(``talkgit.agents.base.Agent``, ``talkgit.gates.base.Gate``) and its ``name`` must be the
entry point's. Whatever goes wrong with one plug-in — it does not import, making it raises,
it does not fit the protocol, a built-in has its name (the built-in wins) — becomes a
``PluginProblem``: that plug-in is skipped and talkgit carries on without it. Nothing in this
module raises. Each group is scanned at most once per process.
"""

from __future__ import annotations

import inspect
import re
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Generic, TextIO, TypeVar, cast

from talkgit.errors import TalkgitError, ToolError
from talkgit.gates.base import Gate, GateRun, Target

if TYPE_CHECKING:
    from talkgit.agents.base import Agent, StepContext, StepOutcome

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


class _Unfit(Exception):
    """Why one plug-in cannot be used, in words for its author."""


# --- scanning --------------------------------------------------------------------------------


@cache
def agent_plugins() -> Found[Agent]:
    """The installed agent plug-ins (scanned once per process)."""
    points, problems = _entry_points(AGENTS_GROUP)
    found = load_agents(points)
    return Found(found.plugins, problems + found.problems)


@cache
def gate_plugins() -> Found[Callable[[], Gate]]:
    """The installed gate plug-ins, as factories of fresh gates (scanned once per process)."""
    points, problems = _entry_points(GATES_GROUP)
    found = load_gates(points)
    return Found(found.plugins, problems + found.problems)


def load_agents(points: Iterable[EntryPoint]) -> Found[Agent]:
    """Load and check the agents ``points`` name (uncached: ``agent_plugins`` is the scan)."""
    return _load(AGENTS_GROUP, points, _agent)


def load_gates(points: Iterable[EntryPoint]) -> Found[Callable[[], Gate]]:
    """Load and check the gates ``points`` name (uncached: ``gate_plugins`` is the scan)."""
    return _load(GATES_GROUP, points, _gate_factory)


def _entry_points(group: str) -> tuple[list[EntryPoint], tuple[PluginProblem, ...]]:
    try:
        return list(entry_points(group=group)), ()
    except Exception as exc:  # a malformed entry_points.txt of any installed distribution
        reason = f"the installed packages' metadata cannot be read: {_describe(exc)}"
        return [], (PluginProblem(group, "*", UNKNOWN_DIST, reason),)


def _load(group: str, points: Iterable[EntryPoint], make: Callable[[str, object], T]) -> Found[T]:
    builtin = _builtin_names(group)
    plugins: dict[str, Plugin[T]] = {}
    problems: list[PluginProblem] = []
    for point in points:
        dist = _dist_name(point)
        try:
            _check_entry_name(point.name, builtin, plugins)
            value = make(point.name, _imported(point))
            plugins[point.name] = Plugin(group, point.name, dist, value)
        except _Unfit as exc:
            problems.append(PluginProblem(group, point.name, dist, _one_line(str(exc))))
        except (Exception, SystemExit) as exc:  # a property or __eq__ of the plug-in raised
            problems.append(PluginProblem(group, point.name, dist, _describe(exc)))
    return Found(tuple(plugins.values()), tuple(problems))


def _builtin_names(group: str) -> frozenset[str]:
    # Imported here: the registries import this module lazily, and only one side may do so.
    if group == AGENTS_GROUP:
        from talkgit.agents.registry import builtin_agents

        return frozenset(builtin_agents())
    from talkgit.gates.registry import GATES

    return frozenset(GATES)


def _check_entry_name(name: str, builtin: frozenset[str], taken: dict[str, Plugin[T]]) -> None:
    if name in builtin:
        raise _Unfit("talkgit has a built-in of that name, which is used instead")
    if name in taken:
        raise _Unfit(f"{taken[name].dist} has a plug-in of that name already, which is used")
    if not NAME_PATTERN.match(name):
        raise _Unfit("the name must be lower-case letters, digits, '.', '_' or '-'")


def _dist_name(point: EntryPoint) -> str:
    name = getattr(getattr(point, "dist", None), "name", None)
    return name if isinstance(name, str) and name else UNKNOWN_DIST


def _imported(point: EntryPoint) -> object:
    try:
        return point.load()
    except (Exception, SystemExit) as exc:  # an import error, or any error the module raises
        raise _Unfit(f"{point.value} cannot be imported: {_describe(exc)}") from exc


def _made(factory: object) -> object:
    if not callable(factory):
        kind = type(factory).__name__
        raise _Unfit(f"it names an object of type {kind}, not a class or a function")
    try:
        return factory()
    except (Exception, SystemExit) as exc:
        raise _Unfit(f"making it raised {_describe(exc)}") from exc


# --- the protocols, checked --------------------------------------------------------------------


def _agent(name: str, factory: object) -> Agent:
    agent = _made(factory)
    _check_common(name, agent)
    if not isinstance(getattr(agent, "needs_model", None), bool):
        raise _Unfit("needs_model must be True or False")
    description = getattr(agent, "description", None)
    if description is not None and not isinstance(description, str):
        raise _Unfit("description, when there is one, must be a string")
    return _GuardedAgent(cast("Agent", agent))


def _gate_factory(name: str, factory: object) -> Callable[[], Gate]:
    _check_common(name, _made(factory))  # the first one tells whether the plug-in fits

    def make() -> Gate:
        try:
            gate = _made(factory)
            _check_common(name, gate)
        except _Unfit as exc:  # it worked when scanned: run it as a failed tool, never a pass
            return _BrokenGate(name, str(exc))
        except (Exception, SystemExit) as exc:
            return _BrokenGate(name, _describe(exc))
        return cast(Gate, gate)

    return make


def _check_common(name: str, plugin: object) -> None:
    """What both protocols ask: ``name`` (the entry point's) and ``run(one argument)``."""
    own = getattr(plugin, "name", None)
    if not isinstance(own, str):
        raise _Unfit("it has no name attribute (a str)")
    if own != name:
        raise _Unfit(f"its name is {own!r}, not the entry point's {name!r}")
    run = getattr(plugin, "run", None)
    if not callable(run):
        raise _Unfit("it has no run method")
    try:
        signature = inspect.signature(run).replace(return_annotation=inspect.Signature.empty)
    except (TypeError, ValueError):
        return  # a callable without a signature Python can read: trust it
    try:
        signature.bind(None)
    except TypeError as exc:
        raise _Unfit(f"run{signature} cannot be called with one argument") from exc


def description(agent: object) -> str | None:
    """An agent's optional ``description`` on one line, or None when it has none."""
    text = getattr(agent, "description", None)
    if not isinstance(text, str):
        return None
    return " ".join(text.split()) or None


class _GuardedAgent:
    """A plug-in agent whose bugs fail its step instead of the run.

    The runner turns a TalkgitError into a failed step; any other exception would stop
    the whole run, so it becomes a ToolError naming the plug-in.
    """

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.name = agent.name
        self.needs_model = agent.needs_model
        self.description = description(agent)

    def run(self, context: StepContext) -> StepOutcome:
        from talkgit.agents.base import StepOutcome

        try:
            outcome = self.agent.run(context)
        except TalkgitError:
            raise
        except Exception as exc:
            raise ToolError(f"plug-in agent {self.name!r} raised {_describe(exc)}") from exc
        if not isinstance(outcome, StepOutcome):
            kind = type(outcome).__name__
            raise ToolError(f"plug-in agent {self.name!r} returned a {kind}, not a StepOutcome")
        return outcome


class _BrokenGate:
    """A gate plug-in that could not be made this time: its verdict is ``error``."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def run(self, target: Target) -> GateRun:
        return GateRun(self.name, "", error=f"the plug-in could not be made: {self.reason}")


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


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return _one_line(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _REASON_LIMIT else flat[: _REASON_LIMIT - 1] + "…"
