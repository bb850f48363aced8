"""The gate registry: names to gates, and a clear error for a name it does not know."""

from __future__ import annotations

import pytest

from talkgit import exit_codes
from talkgit.errors import ConfigError
from talkgit.gates.base import Gate, Target
from talkgit.gates.registry import GATES, make_gates
from tests.gates.conftest import MakeTarget


def test_every_gate_is_registered_under_its_own_name() -> None:
    assert set(GATES) == {"ruff", "mypy", "bandit", "pytest", "placeholder"}
    for name, factory in GATES.items():
        gate: Gate = factory()
        assert gate.name == name


def test_make_gates_keeps_the_order_asked_for_and_makes_fresh_gates() -> None:
    first = make_gates(["pytest", "ruff", "bandit"])
    second = make_gates(("pytest", "ruff", "bandit"))
    assert [gate.name for gate in first] == ["pytest", "ruff", "bandit"]
    assert all(a is not b for a, b in zip(first, second, strict=True))


def test_an_unknown_gate_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        make_gates(["ruff", "pylint"])
    assert (
        str(caught.value)
        == "unknown gate 'pylint': the gates are bandit, mypy, placeholder, pytest, ruff"
    )
    assert caught.value.exit_code == exit_codes.CONFIG


def test_every_registered_gate_runs_on_a_tree_with_nothing_to_check(
    make_target: MakeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the inner pytest starts faster
    target: Target = make_target({"README.md": "# nothing to check\n"})
    runs = [gate.run(target) for gate in make_gates(GATES)]
    assert [(run.tool, run.error, run.findings) for run in runs] == [
        (name, None, ()) for name in GATES
    ]
    assert {run.tool: run.extra for run in runs}["pytest"] == {"tests": 0, "failed": 0}
