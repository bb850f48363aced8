"""talkgit.plugins on entry points that name the objects of tests/plugins/samples.py."""

from __future__ import annotations

import io
from datetime import date
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import cast

import pytest

from talkgit import plugins
from talkgit.agents.base import StepContext, StepOutcome
from talkgit.agents.registry import load_agents
from talkgit.errors import ToolError
from talkgit.gates.base import Target
from talkgit.gates.evaluate import evaluate
from talkgit.gates.registry import load_gates
from talkgit.plugins import AGENTS_GROUP, GATES_GROUP, UNKNOWN_DIST, PluginProblem

SAMPLES = "tests.plugins.samples"


def _agent(name: str, target: str) -> EntryPoint:
    return EntryPoint(name, f"{SAMPLES}:{target}", AGENTS_GROUP)


def _gate(name: str, target: str) -> EntryPoint:
    return EntryPoint(name, f"{SAMPLES}:{target}", GATES_GROUP)


def test_a_good_agent_is_loaded_with_its_description() -> None:
    found = load_agents([_agent("sample", "GoodAgent")])
    assert found.problems == ()
    (plugin,) = found.plugins
    assert (plugin.group, plugin.name, plugin.dist) == (AGENTS_GROUP, "sample", UNKNOWN_DIST)
    agent = found.by_name()["sample"]
    assert agent.name == "sample" and agent.needs_model is False
    assert plugins.description(agent) == "does a sample thing"
    assert agent.run(cast(StepContext, None)) == StepOutcome(ok=True, summary="sampled")


@pytest.mark.parametrize(
    ("name", "target", "reason"),
    [
        ("sample", "NoSuchClass", f"{SAMPLES}:NoSuchClass cannot be imported: AttributeError"),
        ("sample", "NOT_A_CLASS", "it names an object of type int, not a class"),
        ("sample", "failing_factory", "making it raised RuntimeError: no licence key"),
        ("sample", "NamelessAgent", "it has no name attribute (a str)"),
        ("sample", "NumberNamedAgent", "it has no name attribute (a str)"),
        ("sample", "OtherNameAgent", "its name is 'other', not the entry point's 'sample'"),
        ("sample", "VagueAgent", "needs_model must be True or False"),
        ("sample", "RunlessAgent", "it has no run method"),
        ("sample", "NoArgumentRunAgent", "run() cannot be called with one argument"),
        ("sample", "NumberDescriptionAgent", "description, when there is one, must be a string"),
        ("coder", "GoodAgent", "talkgit has a built-in of that name, which is used instead"),
        ("Sample", "GoodAgent", "the name must be lower-case letters"),
    ],
)
def test_a_broken_agent_is_a_problem_never_an_exception(
    name: str, target: str, reason: str
) -> None:
    found = load_agents([_agent(name, target)])
    assert found.plugins == ()
    (problem,) = found.problems
    assert (problem.group, problem.name, problem.dist) == (AGENTS_GROUP, name, UNKNOWN_DIST)
    assert problem.reason.startswith(reason)


def test_a_module_that_does_not_import_is_named() -> None:
    found = load_gates([EntryPoint("gone", "talkgit_no_such_module:Gate", GATES_GROUP)])
    (problem,) = found.problems
    assert problem.reason == (
        "talkgit_no_such_module:Gate cannot be imported: "
        "ModuleNotFoundError: No module named 'talkgit_no_such_module'"
    )


def test_the_first_of_two_plugins_with_one_name_is_kept() -> None:
    found = load_agents([_agent("sample", "GoodAgent"), _agent("sample", "GoodAgent")])
    assert [p.name for p in found.plugins] == ["sample"]
    (problem,) = found.problems
    assert problem.reason == f"{UNKNOWN_DIST} has a plug-in of that name already, which is used"


def test_a_bug_in_a_plugin_agent_fails_its_step_not_the_run() -> None:
    found = load_agents(
        [_agent("raiser", "RaisingAgent"), _agent("wrong-outcome", "WrongOutcomeAgent")]
    )
    agents = found.by_name()
    # The runner turns a TalkgitError into a failed step; anything else would end the run.
    with pytest.raises(ToolError, match=r"^plug-in agent 'raiser' raised ValueError: a bug in"):
        agents["raiser"].run(cast(StepContext, None))
    with pytest.raises(ToolError, match=r"returned a str, not a StepOutcome$"):
        agents["wrong-outcome"].run(cast(StepContext, None))


def test_gates_are_factories_of_fresh_gates() -> None:
    found = load_gates([_gate("sample-gate", "GoodGate")])
    make = found.by_name()["sample-gate"]
    first, second = make(), make()
    assert first is not second and first.name == "sample-gate"


def test_a_plugin_gate_that_raises_or_returns_nonsense_is_an_error_never_a_pass(
    tmp_path: Path,
) -> None:
    found = load_gates(
        [
            _gate("raising-gate", "RaisingGate"),
            _gate("none-gate", "NoneGate"),
            _gate("sample-gate", "GoodGate"),
        ]
    )
    assert found.problems == ()
    gates = [make() for make in found.by_name().values()]
    target = Target(tmp_path, ("a.py",), tmp_path / "cache")
    report = evaluate(gates, target, None, {}, (), today=date(2026, 1, 1))
    assert report.verdicts() == {
        "raising-gate": "error",
        "none-gate": "error",
        "sample-gate": "fail",
    }
    raised, returned_none, _ = report.gates
    assert raised.error == "RuntimeError: boom in the plug-in"
    assert returned_none.error == "the gate returned a NoneType"


def test_a_problem_is_reported_once_per_process_on_one_line() -> None:
    problem = PluginProblem(GATES_GROUP, "explodes", "broken-plugin", "it has no run method")
    other = PluginProblem(GATES_GROUP, "explodes-too", "broken-plugin", "it has no run method")
    stream = io.StringIO()
    plugins.report([problem], stream)
    plugins.report([problem, other], stream)
    assert stream.getvalue() == (
        "talkgit: plug-in 'explodes' (talkgit.gates, from broken-plugin) skipped: "
        "it has no run method\n"
        "talkgit: plug-in 'explodes-too' (talkgit.gates, from broken-plugin) skipped: "
        "it has no run method\n"
    )


def test_long_and_multi_line_reasons_become_one_short_line() -> None:
    found = load_agents([_agent("sample", "loud_factory")])
    (problem,) = found.problems
    assert problem.reason.startswith("making it raised RuntimeError: first line second line xx")
    assert len(problem.reason) == 300 and problem.reason.endswith("…")
