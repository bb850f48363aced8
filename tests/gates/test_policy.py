from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from talkgit import exit_codes
from talkgit.config import read_from_directory
from talkgit.errors import ConfigError
from talkgit.gates.base import Finding, GateRun, Severity
from talkgit.gates.policy import (
    GatePolicy,
    Waiver,
    decisive_findings,
    expired_waivers,
    load_waivers,
    parse_waivers,
    split_waived,
    verdict,
    waiver_for,
)

TODAY = date(2026, 6, 1)
OK_RUN = GateRun("bandit", "1.7.9")
FAILED_RUN = GateRun("bandit", "", error="`bandit` is not installed or not on PATH")


def finding(
    path: str = "pkg/mod.py", rule: str = "B101", severity: Severity = Severity.LOW
) -> Finding:
    return Finding("bandit", rule, severity, path, 3, 1, "assert used", "f" * 64)


# --- GatePolicy --------------------------------------------------------------------------------


def test_policy_defaults() -> None:
    policy = GatePolicy()
    assert (policy.mode, policy.severity, policy.block_preexisting) == (
        "block",
        Severity.LOW,
        False,
    )


def test_policy_reads_config_values() -> None:
    policy = GatePolicy.model_validate({"mode": "warn", "severity": "high"})
    assert (policy.mode, policy.severity) == ("warn", Severity.HIGH)


@pytest.mark.parametrize(
    "values", [{"mode": "blocking"}, {"severity": "critical"}, {"block": True}, {"mode": 1}]
)
def test_policy_rejects_unknown_keys_and_values(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        GatePolicy.model_validate(values)


# --- waivers -----------------------------------------------------------------------------------

WAIVERS = """\
[[waiver]]
rule = "B101"
path = "tests/**"
reason = "asserts are how pytest works"

[[waiver]]
rule = "*"
path = "legacy/*.py"
reason = "  rewritten next quarter  "
expires = 2026-07-01
"""


def test_parse_waivers() -> None:
    assert parse_waivers(WAIVERS) == (
        Waiver("B101", "tests/**", "asserts are how pytest works"),
        Waiver("*", "legacy/*.py", "rewritten next quarter", date(2026, 7, 1)),
    )


def test_load_waivers_reads_the_waivers_file(tmp_path: Path) -> None:
    assert load_waivers(read_from_directory(tmp_path)) == ()
    (tmp_path / ".talkgit").mkdir()
    (tmp_path / ".talkgit" / "waivers.toml").write_text(WAIVERS)
    assert len(load_waivers(read_from_directory(tmp_path))) == 2


def test_load_waivers_reads_through_the_given_reader() -> None:
    read = {".talkgit/waivers.toml": WAIVERS}.get  # e.g. a base commit in review mode
    assert [w.rule for w in load_waivers(read)] == ["B101", "*"]


def test_an_empty_file_has_no_waivers() -> None:
    assert parse_waivers("") == ()


GOOD = 'rule = "B101"\npath = "tests/**"\nreason = "ok"\n'


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ('rule = "B101"\npath = "tests/**"\n', "waiver #2: reason: is required"),
        (GOOD.replace('"ok"', '"   "'), "waiver #2: reason: must not be empty"),
        (GOOD.replace('"B101"', '""'), "waiver #2: rule: must not be empty"),
        (GOOD.replace('"B101"', "101"), "waiver #2: rule: expected a string"),
        (GOOD + "owner = 'me'\n", "waiver #2: owner: unknown key"),
        (GOOD + "expires = 2027-01-31T10:00:00\n", "waiver #2: expires: expected a date"),
        (GOOD + "expires = 20270131\n", "waiver #2: expires: expected a date"),
        (GOOD + "expires = 'next year'\n", "waiver #2: expires: expected a date"),
    ],
)
def test_bad_waivers_are_config_errors_naming_file_and_index(second: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_waivers(f"[[waiver]]\n{GOOD}\n[[waiver]]\n{second}")
    assert str(caught.value).startswith(f".talkgit/waivers.toml: {message}")
    assert caught.value.exit_code == exit_codes.CONFIG


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[waiver]\n", ".talkgit/waivers.toml: "),
        ("waiver = 1\n", ".talkgit/waivers.toml: waiver: expected [[waiver]] tables"),
        ("[[waivers]]\n" + GOOD, ".talkgit/waivers.toml: waivers: unknown key"),
    ],
)
def test_malformed_waiver_files(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match="^" + message.replace("[", r"\[")):
        parse_waivers(text)


def test_an_iso_date_string_is_accepted() -> None:
    (waiver,) = parse_waivers(f"[[waiver]]\n{GOOD}expires = '2027-01-31'\n")
    assert waiver.expires == date(2027, 1, 31)


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("tests/**", "tests/test_a.py", True),
        ("tests/**", "tests/unit/deep/test_a.py", True),
        ("tests/**", "src/tests/test_a.py", False),
        ("tests/**", "tests", False),
        ("*.py", "setup.py", True),
        ("*.py", "pkg/mod.py", False),
        ("**/*.py", "pkg/mod.py", True),
        ("**/*.py", "mod.py", True),
        ("**/conftest.py", "a/b/conftest.py", True),
        ("pkg/**/gen_*.py", "pkg/gen_x.py", True),
        ("pkg/**/gen_*.py", "pkg/a/b/gen_x.py", True),
        ("pkg/**/gen_*.py", "pkg/a/b/x.py", False),
        ("mod?.py", "mod1.py", True),
        ("mod?.py", "mod/.py", False),
        ("a+b[1].py", "a+b[1].py", True),  # everything but * and ? is literal
        ("a+b[1].py", "ab1.py", False),
    ],
)
def test_waiver_path_globs(glob: str, path: str, matches: bool) -> None:
    assert Waiver("B101", glob, "why").covers(finding(path)) is matches


def test_waiver_rules_are_exact_or_any() -> None:
    assert Waiver("B101", "**", "why").covers(finding(rule="B101"))
    assert not Waiver("B10", "**", "why").covers(finding(rule="B101"))
    assert not Waiver("b101", "**", "why").covers(finding(rule="B101"))
    assert Waiver("*", "**", "why").covers(finding(rule="E501"))


def test_a_waiver_stops_applying_on_its_expiry_day() -> None:
    waiver = Waiver("B101", "**", "why", expires=TODAY)
    assert waiver_for(finding(), [waiver], date(2026, 5, 31)) == waiver
    assert waiver_for(finding(), [waiver], TODAY) is None
    assert expired_waivers([waiver, Waiver("*", "**", "no expiry")], TODAY) == (waiver,)


def test_split_waived_pairs_each_finding_with_its_waiver() -> None:
    waiver = Waiver("B101", "tests/**", "pytest")
    kept, waived = split_waived([finding("tests/t.py"), finding("pkg/m.py")], [waiver], TODAY)
    assert [f.path for f in kept] == ["pkg/m.py"]
    assert [(w.finding.path, w.waiver) for w in waived] == [("tests/t.py", waiver)]


# --- verdict -----------------------------------------------------------------------------------

BLOCK, WARN, OFF = GatePolicy(), GatePolicy(mode="warn"), GatePolicy(mode="off")
MEDIUM_UP = GatePolicy(severity=Severity.MEDIUM)
LOW, MEDIUM = finding(severity=Severity.LOW), finding(severity=Severity.MEDIUM)
WAIVE_ALL = Waiver("*", "**", "accepted")
EXPIRED = Waiver("*", "**", "was accepted", expires=date(2026, 1, 1))


@pytest.mark.parametrize(
    ("run", "new", "policy", "waivers", "expected"),
    [
        (OK_RUN, [], BLOCK, [], "pass"),
        (OK_RUN, [LOW], BLOCK, [], "fail"),
        (OK_RUN, [LOW], WARN, [], "warn"),
        (OK_RUN, [LOW], OFF, [], "skip"),
        (FAILED_RUN, [], BLOCK, [], "error"),
        (FAILED_RUN, [], WARN, [], "error"),
        (FAILED_RUN, [], OFF, [], "skip"),  # the user turned it off: not their problem
        (OK_RUN, [LOW], MEDIUM_UP, [], "pass"),  # below the threshold decides nothing
        (OK_RUN, [LOW, MEDIUM], MEDIUM_UP, [], "fail"),
        (OK_RUN, [LOW], BLOCK, [WAIVE_ALL], "pass"),
        (OK_RUN, [LOW], BLOCK, [EXPIRED], "fail"),
    ],
)
def test_verdict(
    run: GateRun, new: list[Finding], policy: GatePolicy, waivers: list[Waiver], expected: str
) -> None:
    assert verdict(run, new, policy, waivers, TODAY) == expected


def test_decisive_findings() -> None:
    waived_high = finding("tests/t.py", severity=Severity.HIGH)
    found = [LOW, MEDIUM, waived_high]
    waivers = [Waiver("*", "tests/**", "tests")]
    assert decisive_findings(found, MEDIUM_UP, waivers, TODAY) == (MEDIUM,)


severities = st.sampled_from(list(Severity))


@given(
    threshold=severities,
    mode=st.sampled_from(["block", "warn"]),
    findings=st.lists(severities, max_size=4),
)
def test_property_a_failed_tool_never_passes(
    threshold: Severity, mode: str, findings: list[Severity]
) -> None:
    policy = GatePolicy.model_validate({"mode": mode, "severity": threshold.value})
    new = [finding(severity=s) for s in findings]
    assert verdict(FAILED_RUN, new, policy, [], TODAY) == "error"
    judged = verdict(OK_RUN, new, policy, [], TODAY)
    blocks = any(s.rank >= threshold.rank for s in findings)
    assert judged == (("fail" if mode == "block" else "warn") if blocks else "pass")


def test_the_documented_waivers_parse() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "gates.md").read_text()
    (example,) = [
        block for block in re.findall(r"```toml\n(.*?)```", docs, re.S) if "[[waiver]]" in block
    ]
    waivers = parse_waivers(example)
    assert [w.rule for w in waivers] == ["B101", "*", "*"]
    assert waivers[1].expires == date(2027, 1, 31)
    assert waivers[2].covers(finding("docs/gates.md", rule="todo"))
