"""The gates by name: a typed registry, so mypy checks every gate against the protocol.

Plug-in gates (the ``talkgit.gates`` entry points, see ``talkgit.plugins``) are looked
for only when a name is not built in: `talkgit check` and the hooks with built-in gates
scan no entry point and import nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from talkgit.errors import ConfigError
from talkgit.gates.bandit import BanditGate
from talkgit.gates.base import Gate
from talkgit.gates.mypy import MypyGate
from talkgit.gates.placeholder import PlaceholderGate
from talkgit.gates.pytest_gate import PytestGate
from talkgit.gates.ruff import RuffGate

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

    found = plugins.gate_plugins()
    plugins.report(found.problems)
    return found.by_name()
