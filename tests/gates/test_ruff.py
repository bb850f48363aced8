"""The ruff gate against the real ruff on small trees."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from talkgit.gates.base import GateRun, Severity
from talkgit.gates.ruff import RuffGate
from tests.gates.conftest import FakeTool, MakeTarget

# Every tree names its rules: ruff's default selection changes between versions.
CONFIG = """\
[tool.ruff.lint]
select = ["F", "E", "S101"]

[tool.ruff.lint.per-file-ignores]
"tests/*" = ["S101"]
"""


def _rows(run: GateRun) -> set[tuple[str, str, int, int, Severity]]:
    return {(f.rule, f.path, f.line, f.column, f.severity) for f in run.findings}


def test_findings_carry_rule_path_line_and_column(make_target: MakeTarget) -> None:
    target = make_target(
        {
            "pyproject.toml": CONFIG,
            "pkg/app.py": "import os\n\n\ndef f():\n    return missing\n",
        }
    )
    run = RuffGate().run(target)
    assert run.error is None
    assert _rows(run) == {
        ("F401", "pkg/app.py", 1, 8, Severity.MEDIUM),
        ("F821", "pkg/app.py", 5, 12, Severity.MEDIUM),
    }
    assert {f.tool for f in run.findings} == {"ruff"}
    assert any("missing" in f.message for f in run.findings)


def test_version_is_what_ruff_says(make_target: MakeTarget) -> None:
    run = RuffGate().run(make_target({"a.py": "X = 1\n"}))
    said = subprocess.run(["ruff", "--version"], capture_output=True, text=True, check=True)
    assert run.error is None
    assert run.version == said.stdout.split()[1]
    assert run.duration_s > 0


def test_only_the_targets_python_files_are_linted(make_target: MakeTarget) -> None:
    target = make_target(
        {"pyproject.toml": CONFIG, "old.py": "import os\n", "new.py": "import sys\n", "n.md": "x"},
        changed=("new.py", "n.md", "deleted.py"),
    )
    run = RuffGate().run(target)
    assert run.error is None
    assert {(f.rule, f.path) for f in run.findings} == {("F401", "new.py")}


def test_a_link_or_a_file_below_one_is_never_given_to_ruff(
    make_target: MakeTarget, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".env").write_text("GH_TOKEN=ghp_secretvalue\n")
    (elsewhere / "mod.py").write_text("TOKEN = ghp_secretvalue\n")
    target = make_target(
        {"pyproject.toml": CONFIG, "new.py": "import sys\n"},
        changed=("new.py", "leak.py", "vendor/mod.py"),
    )
    (target.root / "leak.py").symlink_to(elsewhere / ".env")
    (target.root / "vendor").symlink_to(elsewhere)
    run = RuffGate().run(target)
    assert run.error is None
    assert {(f.rule, f.path) for f in run.findings} == {("F401", "new.py")}


def test_the_repositorys_per_file_ignores_and_excludes_apply(make_target: MakeTarget) -> None:
    config = CONFIG + '\n[tool.ruff]\nextend-exclude = ["legacy"]\n'
    target = make_target(
        {
            "pyproject.toml": config,
            "app.py": "assert True\n",
            "tests/test_app.py": "assert True\n",
            "legacy/old.py": "import os\n",
        }
    )
    run = RuffGate().run(target)
    assert run.error is None
    assert {(f.rule, f.path) for f in run.findings} == {("S101", "app.py")}


def test_a_syntax_error_is_a_high_finding(make_target: MakeTarget) -> None:
    run = RuffGate().run(make_target({"pyproject.toml": CONFIG, "bad.py": "def f(:\n"}))
    assert run.error is None
    assert run.findings
    assert {(f.rule, f.path, f.severity) for f in run.findings} == {
        ("invalid-syntax", "bad.py", Severity.HIGH)
    }


def test_no_python_files_passes_without_running_ruff(
    make_target: MakeTarget, empty_path: None
) -> None:
    run = RuffGate().run(make_target({"README.md": "# hi\n"}))
    assert (run.error, run.findings) == (None, ())


def test_the_tree_is_left_as_it_was(make_target: MakeTarget) -> None:
    target = make_target({"pyproject.toml": CONFIG, "a.py": "import os\n"})
    before = sorted(p.relative_to(target.root) for p in target.root.rglob("*"))
    assert RuffGate().run(target).findings
    assert sorted(p.relative_to(target.root) for p in target.root.rglob("*")) == before
    assert (target.cache_dir / "ruff").is_dir()


def test_a_missing_ruff_is_an_error(make_target: MakeTarget, empty_path: None) -> None:
    run = RuffGate().run(make_target({"a.py": "X = 1\n"}))
    assert run.error is not None
    assert "ruff" in run.error and "\n" not in run.error
    assert run.findings == ()


def test_a_broken_configuration_is_an_error(make_target: MakeTarget) -> None:
    run = RuffGate().run(make_target({"pyproject.toml": "[tool.ruff\n", "a.py": "X = 1\n"}))
    assert run.error is not None
    assert run.error.startswith("ruff exited 2: ")
    assert "\n" not in run.error


@pytest.mark.parametrize("stdout", ["Segmentation fault", '{"not": "a list"}', '[{"code": 1}]'])
def test_output_that_is_not_ruffs_report_is_an_error(
    make_target: MakeTarget, fake_tool: FakeTool, stdout: str
) -> None:
    fake_tool("ruff", stdout)
    run = RuffGate().run(make_target({"a.py": "X = 1\n"}))
    assert run.error is not None
    assert run.error.startswith("ruff printed something other than its JSON report")
    assert "\n" not in run.error
