"""The pytest gate running real pytest on small test suites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from talkgit.gates.base import GateRun, Severity
from talkgit.gates.compare import new_findings
from talkgit.gates.fingerprint import fingerprint_all, line_reader
from talkgit.gates.pytest_gate import PytestGate
from talkgit.testing.junit import node_id
from tests.gates.conftest import MakeTarget

PASSING = """\
    def test_one():
        assert 1 + 1 == 2


    class TestGroup:
        def test_two(self):
            assert "a" < "b"
    """
FAILING = """\
    import pytest


    def test_ok():
        pass


    def test_wrong():
        assert 1 == 2, "one is not two"


    class TestGroup:
        def test_inside(self):
            raise ValueError("bad value")


    @pytest.fixture
    def broken():
        raise RuntimeError("fixture broke")


    def test_needs_fixture(broken):
        pass


    @pytest.mark.parametrize("n", [1, 2])
    def test_param(n):
        assert n == 1
    """


@pytest.fixture(autouse=True)
def no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner pytest skips this environment's plugins: it starts in 0.3 s instead of 2 s."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def _gate() -> PytestGate:
    return PytestGate(python=sys.executable)


def _rows(run: GateRun) -> set[tuple[str, str, int, str]]:
    return {(f.rule, f.path, f.line, f.anchor) for f in run.findings}


def test_a_passing_suite_passes_and_leaves_the_tree_as_it_was(
    make_target: MakeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # byte code is written
    target = make_target({"tests/test_math.py": PASSING, "pkg/mod.py": "X = 1\n"}, changed=())
    before = sorted(p.relative_to(target.root) for p in target.root.rglob("*"))
    run = _gate().run(target)
    assert (run.error, run.findings, run.extra) == (None, (), {"tests": 2, "failed": 0})
    said = subprocess.run(
        [sys.executable, "-m", "pytest", "--version"], capture_output=True, text=True, check=True
    )
    assert run.version == said.stdout.split()[1]
    assert sorted(p.relative_to(target.root) for p in target.root.rglob("*")) == before
    # The byte code went to the cache, and the run's JUnit file went away with its run.
    assert [p.name for p in target.cache_dir.iterdir()] == ["pycache"]
    assert any((target.cache_dir / "pycache").rglob("test_math*.pyc"))


def test_each_failing_or_erroring_test_is_a_finding_named_by_its_test_id(
    make_target: MakeTarget,
) -> None:
    run = _gate().run(make_target({"tests/test_suite.py": FAILING}))
    assert run.error is None
    assert run.extra == {"tests": 6, "failed": 4}
    file = "tests/test_suite.py"
    assert _rows(run) == {
        ("pytest:failed", file, 8, f"{file}::test_wrong"),
        ("pytest:failed", file, 13, f"{file}::TestGroup::test_inside"),
        ("pytest:error", file, 22, f"{file}::test_needs_fixture"),
        ("pytest:failed", file, 26, f"{file}::test_param[2]"),  # a decorated test's first line
    }
    by_id = {f.anchor: f for f in run.findings}
    assert (
        by_id[f"{file}::test_wrong"].message
        == f"{file}::test_wrong: AssertionError: one is not two"
    )
    assert all(f.message.startswith(f"{f.anchor}: ") for f in run.findings)
    assert {(f.tool, f.severity, f.column) for f in run.findings} == {("pytest", Severity.HIGH, 0)}


def test_an_old_failure_that_moved_is_preexisting_and_a_new_one_is_new(
    make_target: MakeTarget,
) -> None:
    target = make_target({"tests/test_suite.py": FAILING})
    base_run = _gate().run(target)
    base = fingerprint_all(base_run.findings, line_reader(target.root))
    source = target.root / "tests/test_suite.py"
    # Two lines above every test; test_wrong's line changes, test_ok starts failing.
    head_source = "# two lines above\n# every test\n" + source.read_text()
    head_source = head_source.replace("def test_wrong():", "def test_wrong(tmp_path):")
    source.write_text(
        head_source.replace("def test_ok():\n    pass", "def test_ok():\n    assert 0")
    )
    head_run = _gate().run(target)
    head = fingerprint_all(head_run.findings, line_reader(target.root))
    comparison = new_findings(base, head)
    assert [f.anchor for f in comparison.new] == ["tests/test_suite.py::test_ok"]
    assert {f.anchor for f in comparison.preexisting} == {f.anchor for f in base_run.findings}
    lines = {f.anchor: f.line for f in base_run.findings}
    assert all(f.line == lines[f.anchor] + 2 for f in comparison.preexisting)


def test_no_tests_passes_with_zero_tests(make_target: MakeTarget) -> None:
    run = _gate().run(make_target({"pkg/mod.py": "X = 1\n"}))
    assert (run.error, run.findings, run.extra) == (None, (), {"tests": 0, "failed": 0})


def test_a_test_file_that_does_not_parse_is_an_error_finding(make_target: MakeTarget) -> None:
    files = {"tests/test_ok.py": PASSING, "tests/test_broken.py": "def test_x(:\n    pass\n"}
    run = _gate().run(make_target(files))
    assert run.error is None
    (finding,) = run.findings
    assert (finding.rule, finding.path, finding.line) == ("pytest:error", "tests/test_broken.py", 0)
    assert finding.anchor == "tests/test_broken.py"
    assert finding.message.startswith("tests/test_broken.py: ")


def test_the_tests_run_without_the_callers_secrets(
    make_target: MakeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "APP_SECRET", "KEEP_ME"):
        monkeypatch.setenv(name, "value")
    probe = """\
        import os


        def test_no_secrets():
            secret = ("_API_KEY", "_TOKEN", "_PASSWORD", "_SECRET")
            assert [name for name in os.environ if name.endswith(secret)] == []


        def test_the_rest_is_kept():
            assert os.environ["KEEP_ME"] == "value"
        """
    run = _gate().run(make_target({"tests/test_env.py": probe}))
    assert (run.error, run.findings, run.extra) == (None, (), {"tests": 2, "failed": 0})


def test_an_injected_environment_is_the_one_used(make_target: MakeTarget) -> None:
    probe = """\
        import os


        def test_marker():
            assert os.environ["MARKER"] == "injected"
            assert "SERVICE_API_KEY" not in os.environ
        """
    environ = {"PATH": "/usr/bin:/bin", "MARKER": "injected", "SERVICE_API_KEY": "sk-x"}
    environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    run = PytestGate(python=sys.executable, environ=environ).run(
        make_target({"tests/test_env.py": probe})
    )
    assert (run.error, run.findings) == (None, ())


@pytest.mark.parametrize(
    "files",
    [
        {"pytest.ini": "[pytest]\naddopts = --no-such-option\n", "tests/test_a.py": PASSING},
        {"conftest.py": "raise ImportError('conftest is broken')\n", "tests/test_a.py": PASSING},
    ],
    ids=["usage-error", "broken-conftest"],
)
def test_pytest_that_cannot_start_is_an_error(
    make_target: MakeTarget, files: dict[str, str]
) -> None:
    run = _gate().run(make_target(files))
    assert run.error is not None
    assert run.error.startswith("pytest exited 4: ")
    assert "\n" not in run.error
    assert run.findings == ()


def test_a_suite_that_runs_too_long_is_an_error(make_target: MakeTarget) -> None:
    slow = "import time\n\n\ndef test_slow():\n    time.sleep(60)\n"
    run = _gate().run(make_target({"tests/test_slow.py": slow}, timeout=0.5))
    assert run.error is not None
    assert "did not finish within 0.5 s" in run.error


def test_a_missing_python_is_an_error(make_target: MakeTarget, empty_path: None) -> None:
    run = PytestGate().run(make_target({"tests/test_a.py": PASSING}))
    assert run.error is not None
    assert "`python` is not installed or not on PATH" in run.error


def test_an_interpreter_without_pytest_is_an_error(make_target: MakeTarget, tmp_path: Path) -> None:
    bare = tmp_path / "bare-python"
    bare.write_text(f'#!/bin/sh\nexec {sys.executable} -I -S "$@"\n')
    bare.chmod(0o755)
    run = PytestGate(python=str(bare)).run(make_target({"tests/test_a.py": PASSING}))
    assert run.error is not None
    assert "No module named pytest" in run.error


_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True)


@given(
    folders=st.lists(_NAME, max_size=3),
    module=_NAME,
    classes=st.lists(_NAME.map(str.title), max_size=2),
    name=_NAME.map(lambda n: f"test_{n}"),
    params=st.sampled_from(["", "[1]", "[a.b-c]", "[x::y]"]),
)
def test_node_ids_are_rebuilt_from_pytests_junit_names(folders, module, classes, name, params):
    path = "/".join([*folders, f"{module}.py"])
    classname = ".".join([*folders, module, *classes])  # what pytest's JUnit writer puts there
    expected = "::".join([path, *classes, name + params])
    assert node_id(path, classname, name + params) == expected
