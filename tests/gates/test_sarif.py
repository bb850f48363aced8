from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no types-jsonschema in the test extra
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talkgit.gates.base import Finding, Severity, Target
from talkgit.gates.evaluate import GateReport, GateResult, evaluate
from talkgit.gates.fingerprint import fingerprint
from talkgit.gates.placeholder import PlaceholderGate
from talkgit.gates.policy import GatePolicy, WaivedFinding, Waiver
from talkgit.gates.sarif import FINGERPRINT_KEY, SARIF_VERSION, render_sarif, to_sarif

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)


def valid(log: dict[str, Any]) -> dict[str, Any]:
    VALIDATOR.validate(log)
    return log


def finding(
    line: int,
    rule: str = "B307",
    severity: Severity = Severity.MEDIUM,
    path: str = "pkg/mod.py",
    column: int = 5,
) -> Finding:
    return Finding(
        "bandit",
        rule,
        severity,
        path,
        line,
        column,
        f"{rule} here",
        fingerprint(rule, path, "", line),
    )


WAIVER = Waiver("B603", "scripts/**", "fixed argument lists only")
BANDIT = GateResult(
    tool="bandit",
    version="1.7.9",
    verdict="fail",
    policy=GatePolicy(),
    new=(finding(12, severity=Severity.HIGH), finding(30, "B311", Severity.LOW)),
    preexisting=(finding(3, "B105"),),
    waived=(WaivedFinding(finding(4, "B603", path="scripts/run.py"), WAIVER),),
)
JUDGED_OLD = GateResult(
    "ruff",
    "0.6.1",
    "fail",
    GatePolicy(block_preexisting=True),
    new=(finding(2, "E501", Severity.INFO, path="my docs/read me.py", column=0),),
    preexisting=(finding(0, "F401", column=0),),
)
MYPY = GateResult("mypy", "", "error", GatePolicy(), error="`mypy` is not installed or not on PATH")
SKIPPED = GateResult("pytest", "", "skip", GatePolicy(mode="off"))
REPORT = GateReport((BANDIT, JUDGED_OLD, MYPY, SKIPPED))


def test_the_schema_is_the_oasis_sarif_2_1_0_schema() -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["version"]["enum"] == ["2.1.0"]


def test_the_log_validates_against_the_schema() -> None:
    log = valid(json.loads(render_sarif(REPORT)))
    assert log["version"] == SARIF_VERSION
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")


def test_the_validator_would_notice_a_broken_log() -> None:
    log = to_sarif(REPORT)
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        valid(log)


def test_one_run_per_gate_that_ran() -> None:
    runs = to_sarif(REPORT)["runs"]
    assert [run["tool"]["driver"]["name"] for run in runs] == ["bandit", "ruff", "mypy"]
    assert runs[0]["tool"]["driver"]["version"] == "1.7.9"
    assert "version" not in runs[2]["tool"]["driver"]


def test_a_failed_tool_is_an_unsuccessful_invocation() -> None:
    (invocation,) = to_sarif(REPORT)["runs"][2]["invocations"]
    assert invocation == {
        "executionSuccessful": False,
        "toolExecutionNotifications": [
            {"level": "error", "message": {"text": "`mypy` is not installed or not on PATH"}}
        ],
    }
    assert to_sarif(REPORT)["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def test_rules_are_listed_once_and_results_point_at_them() -> None:
    run = to_sarif(REPORT)["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == ["B307", "B311", "B603"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]


def test_results_carry_location_level_and_our_fingerprint() -> None:
    first = to_sarif(REPORT)["runs"][0]["results"][0]
    assert first["ruleId"] == "B307"
    assert first["level"] == "error"
    assert first["message"] == {"text": "B307 here"}
    assert first["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "pkg/mod.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 12, "startColumn": 5},
            }
        }
    ]
    assert first["partialFingerprints"] == {FINGERPRINT_KEY: BANDIT.new[0].fingerprint}
    assert first["properties"] == {"severity": "high"}


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "warning"),
        (Severity.INFO, "note"),
    ],
)
def test_level_follows_severity(severity: Severity, level: str) -> None:
    result = GateResult("x", "1", "fail", GatePolicy(), new=(finding(1, severity=severity),))
    (sarif,) = to_sarif(GateReport((result,)))["runs"][0]["results"]
    assert sarif["level"] == level


def test_uris_are_relative_and_escaped_and_regions_only_hold_what_is_known() -> None:
    new, old = to_sarif(REPORT)["runs"][1]["results"]
    assert new["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "my%20docs/read%20me.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2},
    }
    assert old["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "pkg/mod.py", "uriBaseId": "%SRCROOT%"}
    }


def test_baseline_state_says_new_or_unchanged() -> None:
    bandit, ruff = to_sarif(REPORT)["runs"][:2]
    assert [r["baselineState"] for r in bandit["results"]] == ["new", "new", "new"]
    assert [r["baselineState"] for r in ruff["results"]] == ["new", "unchanged"]
    no_base = GateReport((BANDIT,), compared_to_base=False)
    assert all("baselineState" not in r for r in to_sarif(no_base)["runs"][0]["results"])


def test_preexisting_findings_are_results_only_when_judged() -> None:
    bandit = to_sarif(REPORT)["runs"][0]
    assert "B105" not in {r["ruleId"] for r in bandit["results"]}


def test_waived_findings_are_suppressed_with_the_reason() -> None:
    waived = to_sarif(REPORT)["runs"][0]["results"][-1]
    assert waived["ruleId"] == "B603"
    assert waived["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "fixed argument lists only"}
    ]


def test_a_real_evaluation_against_a_base_validates(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    base.mkdir()
    (base / "old.py").write_text("def old():\n    pass\n")
    shutil.copytree(base, head)
    (head / "old.py").write_text("# TODO: tidy\ndef old():\n    pass\n\n\ndef new():\n    ...\n")
    head_target, base_target = (Target(root, ("old.py",), tmp_path / "c") for root in (head, base))
    report = evaluate([PlaceholderGate()], head_target, base_target, {}, [], today=date(2026, 6, 1))
    (run,) = valid(to_sarif(report))["runs"]
    assert [(r["ruleId"], r["baselineState"]) for r in run["results"]] == [
        ("todo", "new"),
        ("stub", "new"),
    ]


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
findings = st.builds(
    Finding,
    tool=st.just("tool"),
    rule=st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=8),
    severity=st.sampled_from(list(Severity)),
    path=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=20),
    line=st.integers(0, 10_000),
    column=st.integers(0, 500),
    message=texts,
    fingerprint=st.text("0123456789abcdef", min_size=64, max_size=64),
)


@settings(max_examples=50)
@given(
    new=st.lists(findings, max_size=5), old=st.lists(findings, max_size=3), error=st.none() | texts
)
def test_property_every_report_validates(
    new: list[Finding], old: list[Finding], error: str | None
) -> None:
    policy = GatePolicy(block_preexisting=True)
    result = GateResult("tool", "", "fail", policy, tuple(new), tuple(old), error=error)
    valid(json.loads(render_sarif(GateReport((result,)))))
