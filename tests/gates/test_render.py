from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from talkgit.errors import UsageError
from talkgit.gates.base import Finding, Severity, Target
from talkgit.gates.evaluate import GateReport, GateResult, evaluate
from talkgit.gates.fingerprint import fingerprint
from talkgit.gates.placeholder import PlaceholderGate
from talkgit.gates.policy import GatePolicy, WaivedFinding, Waiver
from talkgit.gates.render import (
    FORMATS,
    JSON_SCHEMA,
    MARKDOWN_LIMIT,
    outcome,
    render,
    render_json,
    render_markdown,
    render_text,
)

DOCS = Path(__file__).parents[2] / "docs" / "gates.md"


def finding(
    line: int,
    rule: str = "B307",
    severity: Severity = Severity.MEDIUM,
    path: str = "pkg/mod.py",
    message: str = "Use of possibly insecure function - consider using safer ast.literal_eval.",
) -> Finding:
    return Finding(
        "bandit", rule, severity, path, line, 5, message, fingerprint(rule, path, str(line), 0)
    )


EXPIRED = Waiver("B101", "tests/**", "asserts are how pytest works", date(2026, 1, 31))
WAIVER = Waiver("B603", "scripts/**", "fixed argument lists only")

BANDIT = GateResult(
    tool="bandit",
    version="1.7.9",
    verdict="fail",
    policy=GatePolicy(severity=Severity.MEDIUM),
    new=(finding(12), finding(30, "B311", Severity.LOW, message="random is not for @security")),
    preexisting=(finding(3, "B105"),),
    waived=(WaivedFinding(finding(4, "B603", path="scripts/run.py"), WAIVER),),
    fixed=2,
    duration_s=0.42,
)
MYPY = GateResult("mypy", "", "error", GatePolicy(), error="`mypy` is not installed or not on PATH")
RUFF = GateResult("ruff", "0.6.1", "pass", GatePolicy(), preexisting=(finding(9, "E501"),))
PYTEST = GateResult("pytest", "", "skip", GatePolicy(mode="off"))
REPORT = GateReport((BANDIT, RUFF, MYPY, PYTEST), expired_waivers=(EXPIRED,))


# --- text --------------------------------------------------------------------------------------


def test_text_has_a_line_per_gate_then_its_findings() -> None:
    lines = render_text(REPORT).splitlines()
    assert lines[0].startswith("bandit 1.7.9  fail ")
    assert "2 new, 1 pre-existing, 2 fixed, 1 waived  0.42 s" in lines[0]
    assert lines[1] == (
        "  pkg/mod.py:12:5: B307 [medium] Use of possibly insecure function - consider using "
        "safer ast.literal_eval."
    )
    assert lines[2] == "  pkg/mod.py:30:5: B311 [low, below threshold] random is not for @security"
    assert lines[3] == "  scripts/run.py:4:5: B603 waived: fixed argument lists only"
    assert lines[4].startswith("ruff 0.6.1    pass ")
    assert lines[5].startswith("mypy          error  tool failed: `mypy` is not installed")
    assert lines[6].startswith("pytest        skip   off")


def test_text_reports_expired_waivers_and_the_result() -> None:
    tail = render_text(REPORT).splitlines()[-3:]
    assert tail == [
        "expired waivers (no longer applied; renew or remove them in .talkgit/waivers.toml):",
        "  B101 on tests/**, expired 2026-01-31: asserts are how pytest works",
        "result: error (a tool failed: mypy)",
    ]


def test_text_lists_preexisting_findings_when_they_are_judged() -> None:
    judged = GateResult(
        "ruff", "0.6.1", "fail", GatePolicy(block_preexisting=True), preexisting=(finding(9),)
    )
    text = render_text(GateReport((judged,)))
    assert "0 new, 1 pre-existing (judged too)" in text
    assert "  pkg/mod.py:9:5: B307 [pre-existing, medium] " in text
    assert text.endswith("result: fail (blocking new findings: ruff)\n")


def test_text_of_a_clean_report() -> None:
    assert render_text(GateReport((RUFF,))).endswith("result: pass (no blocking new findings)\n")


def test_locations_leave_out_what_the_tool_did_not_give() -> None:
    no_line = Finding("pytest", "pytest:error", Severity.HIGH, "tests/test_a.py", 0, 0, "boom")
    no_column = Finding("mypy", "misc", Severity.HIGH, "pkg/a.py", 7, 0, "bad")
    result = GateResult("x", "1", "fail", GatePolicy(), new=(no_line, no_column))
    text = render_text(GateReport((result,)))
    assert "  tests/test_a.py: pytest:error [high] boom" in text
    assert "  pkg/a.py:7: misc [high] bad" in text


# --- JSON --------------------------------------------------------------------------------------


def test_json_shape() -> None:
    data = json.loads(render_json(REPORT))
    assert list(data) == [
        "schema",
        "result",
        "blocking",
        "tool_failed",
        "compared_to_base",
        "gates",
        "expired_waivers",
        "rules_from_base",
        "held_back",
    ]
    assert (data["schema"], data["result"], data["blocking"], data["tool_failed"]) == (
        JSON_SCHEMA,
        "error",
        True,
        True,
    )
    bandit = data["gates"][0]
    assert bandit["policy"] == {"mode": "block", "severity": "medium", "block_preexisting": False}
    assert bandit["counts"] == {"new": 2, "preexisting": 1, "fixed": 2, "waived": 1}
    assert [f["decisive"] for f in bandit["new"]] == [True, False]
    assert bandit["new"][0] == {
        "tool": "bandit",
        "rule": "B307",
        "severity": "medium",
        "path": "pkg/mod.py",
        "line": 12,
        "column": 5,
        "message": BANDIT.new[0].message,
        "fingerprint": BANDIT.new[0].fingerprint,
        "decisive": True,
    }
    assert bandit["waived"][0]["waiver"] == {
        "rule": "B603",
        "path": "scripts/**",
        "reason": "fixed argument lists only",
        "expires": None,
    }
    assert data["gates"][2]["error"] == "`mypy` is not installed or not on PATH"
    assert data["expired_waivers"] == [
        {
            "rule": "B101",
            "path": "tests/**",
            "reason": "asserts are how pytest works",
            "expires": "2026-01-31",
        }
    ]


def test_json_is_stable() -> None:
    assert render_json(REPORT) == render_json(REPORT)
    assert render_json(REPORT).endswith("}\n")


def test_the_documented_json_example_has_the_real_shape(tmp_path: Path) -> None:
    (example,) = re.findall(r"```json\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    documented = json.loads(example)
    actual = json.loads(render_json(REPORT))
    assert list(documented) == list(actual)
    assert list(documented["gates"][0]) == list(actual["gates"][0])
    assert list(documented["gates"][0]["new"][0]) == list(actual["gates"][0]["new"][0])
    assert list(documented["gates"][0]["counts"]) == list(actual["gates"][0]["counts"])


# --- Markdown ----------------------------------------------------------------------------------


def test_markdown_starts_with_a_verdict_table() -> None:
    lines = render_markdown(REPORT).splitlines()
    assert lines[0] == "### 💥 talkgit gates: a gate's tool failed"
    assert lines[2] == "| gate | verdict | new | pre-existing | fixed | waived | time |"
    assert lines[4] == "| bandit 1.7.9 | ❌ fail | 2 | 1 | 2 | 1 | 0.4 s |"
    assert lines[5] == "| ruff 0.6.1 | ✅ pass | 0 | 1 | 0 | 0 | 0.0 s |"
    assert lines[6] == "| mypy | 💥 error | | | | | |"
    assert lines[7] == "| pytest | ⏭️ skip | | | | | |"


def test_markdown_lists_new_findings_errors_waivers_and_expired_waivers() -> None:
    text = render_markdown(REPORT)
    assert "- **mypy**: `` `mypy` is not installed or not on PATH ``" in text
    assert "#### bandit: findings" in text
    assert (
        "- `pkg/mod.py:12:5` **B307** (medium): `Use of possibly insecure function - "
        "consider using safer ast.literal_eval.`"
    ) in text
    assert (
        "- `pkg/mod.py:30:5` **B311** (low, below threshold): `random is not for @security`" in text
    )
    assert "<details><summary>1 waived</summary>" in text
    assert "- `scripts/run.py:4:5` `B603`: `fixed argument lists only`" in text
    assert "- `B101 on tests/**, expired 2026-01-31: asserts are how pytest works`" in text
    assert "#### ruff" not in text  # nothing new: nothing to list


def test_markdown_never_formats_or_mentions_from_tool_text() -> None:
    nasty = finding(1, message="see @octocat | `code` <b>bold</b> **x**\nsecond line")
    result = GateResult("bandit", "1", "fail", GatePolicy(), new=(nasty,))
    text = render_markdown(GateReport((result,)))
    line = next(line for line in text.splitlines() if "octocat" in line)
    assert line.endswith("(medium): ``see @octocat | `code` <b>bold</b> **x** second line``")


def test_markdown_caps_the_findings_per_gate() -> None:
    many = tuple(finding(n) for n in range(1, MARKDOWN_LIMIT + 8))
    waived = tuple(WaivedFinding(finding(n, "B603"), WAIVER) for n in range(MARKDOWN_LIMIT + 3))
    result = GateResult("bandit", "1", "fail", GatePolicy(), new=many, waived=waived)
    text = render_markdown(GateReport((result,)))
    assert text.count("**B307**") == MARKDOWN_LIMIT
    assert text.count("`B603`") == MARKDOWN_LIMIT
    assert "- … and 7 more" in text and "- … and 3 more" in text


def test_markdown_headline_when_clean_or_blocking() -> None:
    assert render_markdown(GateReport((RUFF,))).startswith(
        "### ✅ talkgit gates: no blocking new findings"
    )
    assert render_markdown(GateReport((BANDIT,))).startswith(
        "### ❌ talkgit gates: blocking new findings"
    )


# --- every format --------------------------------------------------------------------------------


def test_render_dispatches_every_format() -> None:
    outputs = {format: render(REPORT, format) for format in FORMATS}
    assert outputs["text"] == render_text(REPORT)
    assert json.loads(outputs["json"])["schema"] == JSON_SCHEMA
    assert outputs["markdown"].startswith("### ")
    assert json.loads(outputs["sarif"])["version"] == "2.1.0"


def test_an_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown format 'xml': choose one of text, json"):
        render(REPORT, "xml")  # type: ignore[arg-type]


def test_outcome_error_wins_over_fail() -> None:
    assert outcome(REPORT) == "error"
    assert outcome(GateReport((BANDIT, RUFF))) == "fail"
    assert outcome(GateReport((RUFF, PYTEST))) == "pass"
    assert outcome(GateReport(())) == "pass"


def test_a_real_evaluation_renders_in_every_format(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("def f():\n    pass  # TODO: finish\n")
    head = Target(tmp_path, ("mod.py",), tmp_path / ".cache")
    report = evaluate([PlaceholderGate()], head, None, {}, [], today=date(2026, 6, 1))
    text = render(report, "text")
    assert "mod.py:1:1: stub [medium] function `f` is a stub" in text
    assert "mod.py:2:13: todo [low] TODO marker: # TODO: finish" in text
    assert json.loads(render(report, "json"))["gates"][0]["counts"]["new"] == 2
