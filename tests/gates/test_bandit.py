"""The bandit gate against the real bandit on small trees."""

from __future__ import annotations

import subprocess

import pytest

from talkgit.gates.bandit import BanditGate
from talkgit.gates.base import Severity
from tests.gates.conftest import FakeTool, MakeTarget

RISKY = """\
    import subprocess


    def run(command):
        assert command
        return subprocess.call(command, shell=True)
    """


def test_findings_carry_test_id_severity_and_issue_text(make_target: MakeTarget) -> None:
    run = BanditGate().run(make_target({"pkg/risky.py": RISKY}))
    assert run.error is None
    rows = {(f.rule, f.path, f.line, f.column, f.severity) for f in run.findings}
    assert rows == {
        ("B404", "pkg/risky.py", 1, 1, Severity.LOW),
        ("B101", "pkg/risky.py", 5, 5, Severity.LOW),
        ("B602", "pkg/risky.py", 6, 12, Severity.HIGH),
    }
    (assert_used,) = [f for f in run.findings if f.rule == "B101"]
    assert assert_used.message.startswith("Use of assert detected.")
    assert assert_used.tool == "bandit"
    said = subprocess.run(["bandit", "--version"], capture_output=True, text=True, check=True)
    assert run.version == said.stdout.split()[1]


def test_only_the_targets_python_files_are_scanned(make_target: MakeTarget) -> None:
    files = {"old.py": RISKY, "new.py": "assert True\n", "README.md": "assert True\n"}
    run = BanditGate().run(make_target(files, changed=("new.py", "README.md", "gone.py")))
    assert run.error is None
    assert {(f.rule, f.path) for f in run.findings} == {("B101", "new.py")}


@pytest.mark.parametrize(
    ("name", "config"),
    [
        ("pyproject.toml", '[tool.bandit]\nskips = ["B101"]\n'),
        (".bandit", "[bandit]\nskips = B101\n"),
    ],
)
def test_the_repositorys_configuration_applies(
    make_target: MakeTarget, name: str, config: str
) -> None:
    run = BanditGate().run(make_target({name: config, "a.py": RISKY}, changed=("a.py",)))
    assert run.error is None
    assert {f.rule for f in run.findings} == {"B404", "B602"}


def test_a_pyproject_without_a_bandit_table_is_not_bandits_config(
    make_target: MakeTarget,
) -> None:
    files = {"pyproject.toml": "[tool.other]\nskips = 1\n", "a.py": "assert True\n"}
    run = BanditGate().run(make_target(files, changed=("a.py",)))
    assert run.error is None
    assert [f.rule for f in run.findings] == ["B101"]


def test_a_file_bandit_cannot_parse_is_a_high_finding(make_target: MakeTarget) -> None:
    run = BanditGate().run(make_target({"bad.py": "def f(:\n", "ok.py": "X = 1\n"}))
    assert run.error is None
    assert [(f.rule, f.path, f.severity) for f in run.findings] == [
        ("invalid-syntax", "bad.py", Severity.HIGH)
    ]


@pytest.mark.parametrize(
    "pyproject",
    ["[tool.bandit]\nskips = 5\n", "[tool.bandit\nskips = []\n"],
    ids=["bad-value", "bad-toml"],
)
def test_a_configuration_that_crashes_bandit_is_an_error(
    make_target: MakeTarget, pyproject: str
) -> None:
    run = BanditGate().run(make_target({"pyproject.toml": pyproject, "a.py": RISKY}, ("a.py",)))
    assert run.error is not None
    assert run.error.startswith("bandit exited ")
    assert "\n" not in run.error
    assert run.findings == ()


def test_a_missing_bandit_is_an_error(make_target: MakeTarget, empty_path: None) -> None:
    run = BanditGate().run(make_target({"a.py": RISKY}))
    assert run.error is not None
    assert "bandit" in run.error


def test_output_that_is_not_bandits_report_is_an_error(
    make_target: MakeTarget, fake_tool: FakeTool
) -> None:
    fake_tool("bandit", '{"results": []}')
    run = BanditGate().run(make_target({"a.py": RISKY}))
    assert run.error is not None
    assert run.error.startswith("bandit printed something other than its JSON report")
    assert "errors" in run.error
