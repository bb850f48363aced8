"""The gates by name: a typed registry, so mypy checks every gate against the protocol.

Plug-in gates (the ``talkgit.gates`` entry points, see ``talkgit.plugins``) are looked
for only when a name is not built in: `talkgit check` and the hooks with built-in gates
scan no entry point and import nothing more (not even ``talkgit.plugins``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING, cast

from talkgit.errors import ConfigError
from talkgit.gates.bandit import BanditGate
from talkgit.gates.base import Gate, GateRun, Target
from talkgit.gates.mypy import MypyGate
from talkgit.gates.placeholder import PlaceholderGate
from talkgit.gates.pytest_gate import PytestGate
from talkgit.gates.ruff import RuffGate

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from talkgit.plugins import Found

# Gates that run the change's own code (its tests, their conftest.py): never next to a secret.
RUNS_THE_CHANGE = frozenset({"pytest"})

GATES: dict[str, Callable[[], Gate]] = {
    "ruff": RuffGate,
    "mypy": MypyGate,
    "bandit": BanditGate,
    "pytest": PytestGate,
    "placeholder": PlaceholderGate,
}


def make_gates(names: Iterable[str]) -> list[Gate]:
    """A fresh gate for each of ``names``, in order.

    An unknown name is a ConfigError that names the gates there are, plug-ins included.
    """
    wanted = list(names)
    unknown = unknown_gates(wanted)
    if unknown:
        raise ConfigError(f"unknown gate {unknown[0]!r}: the gates are {', '.join(gate_names())}")
    return [(GATES.get(name) or _plugin_gates()[name])() for name in wanted]


def unknown_gates(names: Iterable[str]) -> list[str]:
    """The names that are neither a built-in nor a working plug-in gate."""
    return [name for name in names if name not in GATES and name not in _plugin_gates()]


def gate_names() -> list[str]:
    """Every gate's name, built-in and plug-in, sorted."""
    return sorted({*GATES, *_plugin_gates()})


def _plugin_gates() -> dict[str, Callable[[], Gate]]:
    from talkgit import plugins  # only for a name that is not built in

    found = gate_plugins()
    plugins.report(found.problems)
    return found.by_name()


@cache
def gate_plugins() -> Found[Callable[[], Gate]]:
    """The installed gate plug-ins, as factories of fresh gates (scanned once per process)."""
    from talkgit import plugins

    return plugins.scan(plugins.GATES_GROUP, frozenset(GATES), _gate_factory)


def load_gates(points: Iterable[EntryPoint]) -> Found[Callable[[], Gate]]:
    """Load and check the gates ``points`` name (uncached: ``gate_plugins`` is the scan)."""
    from talkgit import plugins

    return plugins.load(plugins.GATES_GROUP, points, frozenset(GATES), _gate_factory)


def _gate_factory(name: str, factory: object) -> Callable[[], Gate]:
    from talkgit.plugins import Unfit, check_common, describe_error, made

    check_common(name, made(factory))  # the first one tells whether the plug-in fits

    def make() -> Gate:
        try:
            gate = made(factory)
            check_common(name, gate)
        except Unfit as exc:  # it worked when scanned: run it as a failed tool, never a pass
            return _BrokenGate(name, str(exc))
        except (Exception, SystemExit) as exc:
            return _BrokenGate(name, describe_error(exc))
        return cast(Gate, gate)

    return make


class _BrokenGate:
    """A gate plug-in that could not be made this time: its verdict is ``error``."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def run(self, target: Target) -> GateRun:
        return GateRun(self.name, "", error=f"the plug-in could not be made: {self.reason}")
