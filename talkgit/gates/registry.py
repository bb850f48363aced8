"""The gates by name: a typed registry, so mypy checks every gate against the protocol."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from talkgit.errors import ConfigError
from talkgit.gates.bandit import BanditGate
from talkgit.gates.base import Gate
from talkgit.gates.mypy import MypyGate
from talkgit.gates.placeholder import PlaceholderGate
from talkgit.gates.pytest_gate import PytestGate
from talkgit.gates.ruff import RuffGate

GATES: dict[str, Callable[[], Gate]] = {
    "ruff": RuffGate,
    "mypy": MypyGate,
    "bandit": BanditGate,
    "pytest": PytestGate,
    "placeholder": PlaceholderGate,
}


def make_gates(names: Iterable[str]) -> list[Gate]:
    """A fresh gate for each of ``names``, in order.

    An unknown name is a ConfigError that names the gates there are.
    """
    wanted = list(names)
    unknown = [name for name in wanted if name not in GATES]
    if unknown:
        known = ", ".join(sorted(GATES))
        raise ConfigError(f"unknown gate {unknown[0]!r}: the gates are {known}")
    return [GATES[name]() for name in wanted]
