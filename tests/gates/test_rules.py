"""The one assembly of gate rules that `check`, `review` and a run's lanes share."""

from __future__ import annotations

from talkgit.config import Settings, gate_rules, load_settings
from talkgit.gates.base import Severity
from talkgit.gates.policy import GatePolicy, Waiver

PYPROJECT = """\
[tool.talkgit]
check_gates = ["ruff", "placeholder"]
run_gates = ["ruff", "bandit", "pytest"]
test_command = "python -m pytest -x"
test_timeout = "5m"
gates.ruff.mode = "warn"
"""
WAIVER = Waiver(rule="S101", path="tests/**", reason="asserts belong in tests")


def _settings() -> Settings:
    return load_settings({"pyproject.toml": PYPROJECT}.get, environ={}, use_dotenv=False)


def test_check_and_runs_each_run_their_own_list_unless_given_gates() -> None:
    settings = _settings()
    assert gate_rules(settings, (), default="check_gates").gates == ("ruff", "placeholder")
    assert gate_rules(settings, (), default="run_gates").gates == ("ruff", "bandit", "pytest")
    given = gate_rules(settings, (), default="run_gates", gates=["mypy"])
    assert given.gates == ("mypy",) and set(given.policies) == {"mypy"}


def test_every_rule_comes_from_the_settings_and_the_waivers() -> None:
    settings = _settings()
    rules = gate_rules(settings, [WAIVER], default="run_gates")
    assert rules.policies == {
        "ruff": GatePolicy(mode="warn"),
        "bandit": GatePolicy(severity=Severity.MEDIUM),  # bandit's own default
        "pytest": GatePolicy(),
    }
    assert rules.waivers == (WAIVER,)
    assert rules.test_command == ("python", "-m", "pytest", "-x")
    assert rules.timeout == 300.0


def test_fail_on_replaces_every_severity_threshold_and_nothing_else() -> None:
    settings = _settings()
    rules = gate_rules(settings, (), default="run_gates", fail_on=Severity.HIGH)
    assert rules.policies["ruff"] == GatePolicy(mode="warn", severity=Severity.HIGH)
    assert {policy.severity for policy in rules.policies.values()} == {Severity.HIGH}


def test_gates_held_back_keep_their_policy() -> None:
    settings = _settings()
    rules = gate_rules(settings, (), default="run_gates", fail_on=Severity.HIGH)
    held = rules.without({"pytest"})
    assert held.gates == ("ruff", "bandit")
    assert held.policies["pytest"] == GatePolicy(severity=Severity.HIGH)
