"""The mypy gate against the real mypy on small trees.

mypy is the slow tool (about 2 s on a cold cache), so most tests share one module-wide
cache; the incremental test has its own, to see it start empty.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from textwrap import dedent

import pytest

from talkgit.gates.base import Severity
from talkgit.gates.mypy import MypyGate
from tests.gates.conftest import FakeTool, MakeTarget

APP = """\
    from helper import double


    def f(x: int) -> int:
        return double(x)


    f("s")
    reveal_type(f)
    """
HELPER = """\
    def double(x: int) -> int:
        return x * 2


    y: int = "not an int"
    """


def _cached_bytes(cache: Path) -> int:
    markers = {"CACHEDIR.TAG", ".gitignore"}  # written before anything is checked
    return sum(p.stat().st_size for p in cache.rglob("*") if p.is_file() and p.name not in markers)


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


def test_errors_become_findings_and_notes_are_dropped(
    make_target: MakeTarget, shared_cache: Path
) -> None:
    target = make_target({"app.py": APP, "helper.py": HELPER}, ("app.py",), shared_cache)
    run = MypyGate().run(target)
    assert run.error is None
    rows = {(f.rule, f.path, f.line, f.column, f.severity) for f in run.findings}
    # mypy follows app.py's import of helper.py for its types, and reports helper.py's
    # own error too; that one is not app.py's to answer for.
    assert rows == {("arg-type", "app.py", 8, 3, Severity.HIGH)}
    assert all("Revealed type" not in f.message for f in run.findings)
    said = subprocess.run(["mypy", "--version"], capture_output=True, text=True, check=True)
    assert run.version == said.stdout.split()[1]


def test_the_repositorys_configuration_applies(make_target: MakeTarget, shared_cache: Path) -> None:
    config = """\
        [tool.mypy]
        disallow_untyped_defs = true

        [[tool.mypy.overrides]]
        module = "legacy"
        ignore_errors = true
        """
    untyped = "def f(x):\n    return x\n"
    files = {"pyproject.toml": config, "new.py": untyped, "legacy.py": untyped}
    run = MypyGate().run(make_target(files, cache_dir=shared_cache))
    assert run.error is None
    assert {(f.rule, f.path, f.line) for f in run.findings} == {("no-untyped-def", "new.py", 1)}


def test_a_syntax_error_is_a_high_finding(make_target: MakeTarget, shared_cache: Path) -> None:
    run = MypyGate().run(make_target({"bad.py": "def f(:\n"}, cache_dir=shared_cache))
    assert run.error is None
    assert run.findings
    assert {(f.rule, f.path, f.severity) for f in run.findings} == {
        ("syntax", "bad.py", Severity.HIGH)
    }


def test_the_second_run_uses_the_incremental_cache(
    make_target: MakeTarget, request: pytest.FixtureRequest
) -> None:
    target = make_target({"app.py": APP, "helper.py": HELPER}, ("app.py",))
    cold_started = time.perf_counter()
    cold = MypyGate().run(target)
    cold_s = time.perf_counter() - cold_started
    assert _cached_bytes(target.cache_dir / "mypy") > 100_000  # typeshed's builtins at least
    (target.root / "app.py").write_text(dedent(APP) + "z: str = 1\n")
    warm_started = time.perf_counter()
    warm = MypyGate().run(target)
    warm_s = time.perf_counter() - warm_started
    assert (cold.error, warm.error) == (None, None)
    assert len(warm.findings) == len(cold.findings) + 1  # the edit was checked, not replayed
    request.node.user_properties.append(("mypy_cold_s", round(cold_s, 2)))
    request.node.user_properties.append(("mypy_warm_s", round(warm_s, 2)))
    print(f"mypy: cold {cold_s:.2f} s, warm {warm_s:.2f} s")  # a note, not an assertion


def test_only_python_files_that_exist_are_checked(
    make_target: MakeTarget, shared_cache: Path
) -> None:
    files = {"ok.py": "X: int = 1\n", "notes.txt": "x"}
    target = make_target(files, ("ok.py", "notes.txt", "deleted.py"), shared_cache)
    run = MypyGate().run(target)
    assert (run.error, run.findings) == (None, ())


def test_a_plugin_that_cannot_load_is_an_error(make_target: MakeTarget, shared_cache: Path) -> None:
    config = '[tool.mypy]\nplugins = ["no_such_plugin"]\n'
    run = MypyGate().run(
        make_target({"pyproject.toml": config, "a.py": "X = 1\n"}, None, shared_cache)
    )
    assert run.error is not None
    assert run.error.startswith("mypy stopped at pyproject.toml")
    assert "no_such_plugin" in run.error
    assert run.findings == ()


def test_a_module_found_twice_is_an_error(make_target: MakeTarget, shared_cache: Path) -> None:
    run = MypyGate().run(
        make_target({"a/m.py": "X = 1\n", "b/m.py": "X = 2\n"}, None, shared_cache)
    )
    assert run.error is not None
    assert "Duplicate module" in run.error


def test_a_configuration_mypy_cannot_read_is_an_error(
    make_target: MakeTarget, shared_cache: Path
) -> None:
    files = {"mypy.ini": "[mypy]\nstrict = banana\n", "a.py": "X = 1\n"}
    run = MypyGate().run(make_target(files, cache_dir=shared_cache))
    assert run.error is not None
    assert run.error.startswith("mypy could not read its configuration: mypy.ini")
    assert "\n" not in run.error


def test_an_option_mypy_does_not_know_is_only_its_warning(
    make_target: MakeTarget, shared_cache: Path
) -> None:
    files = {"mypy.ini": "[mypy]\nno_such_option = True\n", "a.py": "X: int = ''\n"}
    run = MypyGate().run(make_target(files, cache_dir=shared_cache))
    assert run.error is None
    assert [f.rule for f in run.findings] == ["assignment"]


def test_a_python_version_older_than_mypy_supports_is_only_its_warning(
    make_target: MakeTarget, shared_cache: Path
) -> None:
    # flask 3.1 sets 3.9; this mypy checks for 3.10 and says so, in the project's CI too.
    files = {"pyproject.toml": '[tool.mypy]\npython_version = "3.8"\n', "a.py": "X: int = ''\n"}
    run = MypyGate().run(make_target(files, cache_dir=shared_cache))
    assert run.error is None
    assert [f.rule for f in run.findings] == ["assignment"]


def test_a_missing_mypy_is_an_error(make_target: MakeTarget, empty_path: None) -> None:
    run = MypyGate().run(make_target({"a.py": "X = 1\n"}))
    assert run.error is not None
    assert "mypy" in run.error


def test_an_error_outside_the_json_lines_is_shown(
    make_target: MakeTarget, fake_tool: FakeTool
) -> None:
    fake_tool("mypy", "a.py:1: error: something  [misc]")
    run = MypyGate().run(make_target({"a.py": "X = 1\n"}))
    assert run.error == (
        "mypy printed an error outside its JSON lines: a.py:1: error: something  [misc]"
    )


def test_a_json_line_of_another_shape_is_an_error(
    make_target: MakeTarget, fake_tool: FakeTool
) -> None:
    fake_tool("mypy", '{"file": "a.py", "line": "one"}')
    run = MypyGate().run(make_target({"a.py": "X = 1\n"}))
    assert run.error is not None
    assert run.error.startswith("mypy printed a JSON line talkgit cannot read: ")


def test_a_stub_beside_its_module_is_checked_in_its_place(
    make_target: MakeTarget, shared_cache: Path
) -> None:
    # more-itertools' layout: more.py and more.pyi side by side, both changed.
    files = {
        "pkg/__init__.py": "",
        "pkg/more.py": "def first(x):\n    return x[0]\n\n\nA: int = 'py'\n",
        "pkg/more.pyi": "def first(x: list[int]) -> int: ...\n\nA: int = 'pyi'\n",
    }
    for changed in (("pkg/more.py", "pkg/more.pyi"), ("pkg/more.py",)):
        run = MypyGate().run(make_target(files, changed, shared_cache))
        assert run.error is None
        assert {(f.rule, f.path, f.line) for f in run.findings} == {
            ("assignment", "pkg/more.pyi", 3)
        }


@pytest.mark.parametrize("typed", [True, False])
def test_a_note_about_unused_configuration_is_not_an_error(
    make_target: MakeTarget, shared_cache: Path, typed: bool
) -> None:
    config = """\
        [tool.mypy]
        warn_unused_configs = true

        [[tool.mypy.overrides]]
        module = "unchecked.*"
        ignore_errors = true
        """
    code = "X: int = 1\n" if typed else "X: int = ''\n"
    files = {"pyproject.toml": config, "a.py": code, "unchecked/__init__.py": ""}
    run = MypyGate().run(make_target(files, ("a.py",), shared_cache))
    assert run.error is None
    assert [f.rule for f in run.findings] == ([] if typed else ["assignment"])


def test_a_crash_is_reported_in_mypys_own_words(
    make_target: MakeTarget, shared_cache: Path
) -> None:
    files = {
        "mypy.ini": "[mypy]\nplugins = crashing_plugin.py\n",
        "crashing_plugin.py": "def plugin(version):\n    raise RuntimeError('no')\n",
        "a.py": "X = 1\n",
    }
    run = MypyGate().run(make_target(files, ("a.py",), shared_cache))
    assert run.error is not None
    assert run.error.startswith("mypy exited 2: ")
    assert "Error calling the plugin(version) entry point of crashing_plugin.py" in run.error
    assert "INTERNAL ERROR" in run.error
    assert "JSON" not in run.error


def test_a_usage_error_is_reported_in_mypys_own_words(
    make_target: MakeTarget, shared_cache: Path
) -> None:
    files = {"mypy.ini": "[mypy]\npython_version = 2.7\n", "a.py": "X = 1\n"}
    run = MypyGate().run(make_target(files, cache_dir=shared_cache))
    assert run.error is not None
    assert run.error.startswith("mypy exited 2: mypy: error: Mypy no longer supports")
    assert "\n" not in run.error


SCOPED = {
    "src/pkg/__init__.py": "",
    "src/pkg/core.py": "def f(x):\n    return x\n",
    "tests/test_core.py": "def test_f():\n    pass\n",
    "tests/typing/check_core.py": "def check(x):\n    return x\n",
}


@pytest.mark.parametrize(
    "config",
    [
        {"pyproject.toml": '[tool.mypy]\nstrict = true\nfiles = ["src", "tests/typing"]\n'},
        {"setup.cfg": "[mypy]\nstrict = True\nfiles = src, tests/typing\n"},
        {"mypy.ini": "[mypy]\nstrict = True\nfiles =\n    src,\n    tests/typing\n"},
    ],
)
def test_only_changed_files_within_the_configured_files_are_checked(
    make_target: MakeTarget, shared_cache: Path, config: dict[str, str]
) -> None:
    # flask's and click's layout: `files` leaves most of tests/ unchecked.
    run = MypyGate().run(make_target({**SCOPED, **config}, tuple(SCOPED), shared_cache))
    assert run.error is None
    assert {(f.rule, f.path) for f in run.findings} == {
        ("no-untyped-def", "src/pkg/core.py"),
        ("no-untyped-def", "tests/typing/check_core.py"),
    }


def test_a_change_outside_the_configured_files_runs_no_mypy(
    make_target: MakeTarget, empty_path: None
) -> None:
    config = {"pyproject.toml": '[tool.mypy]\nfiles = ["src"]\n'}
    run = MypyGate().run(make_target({**SCOPED, **config}, ("tests/test_core.py",)))
    assert (run.version, run.error, run.findings) == ("", None, ())  # mypy is not even there


@pytest.mark.parametrize(
    "exclude",
    [
        "exclude = '/test_[^/]*$'",
        "exclude = ['^tests/test_', 'unrelated']",
        "exclude = '''(?x)(\n    ^tests/test_.*\\.py$\n  | ^build/\n)'''",
    ],
)
def test_what_exclude_excludes_is_not_checked(
    make_target: MakeTarget, shared_cache: Path, exclude: str
) -> None:
    config = {"pyproject.toml": f"[tool.mypy]\nstrict = true\n{exclude}\n"}
    run = MypyGate().run(make_target({**SCOPED, **config}, tuple(SCOPED), shared_cache))
    assert run.error is None
    assert {f.path for f in run.findings} == {"src/pkg/core.py", "tests/typing/check_core.py"}


@pytest.mark.parametrize(
    "layout",
    [
        # a package under src/: its __init__.py makes src/pkg/legacy.py the module pkg.legacy
        {"pyproject.toml": '[tool.mypy]\nfiles = ["src"]\n', "src/pkg/__init__.py": ""},
        # a namespace package: only the package base src/ makes it pkg.legacy, not src.pkg...
        {
            "pyproject.toml": (
                '[tool.mypy]\nfiles = ["src"]\nexplicit_package_bases = true\nmypy_path = "src"\n'
            )
        },
    ],
)
def test_per_module_overrides_apply_to_a_src_layout(
    make_target: MakeTarget, shared_cache: Path, layout: dict[str, str]
) -> None:
    overrides = """\
        disallow_untyped_defs = true

        [[tool.mypy.overrides]]
        module = "pkg.*"
        disallow_untyped_defs = false
        """
    files = {
        **layout,
        "src/pkg/legacy.py": "def legacy(x):\n    return x\n",
        "src/other/fresh.py": "def fresh(x):\n    return x\n",
    }
    files["pyproject.toml"] += dedent(overrides)
    changed = ("src/pkg/legacy.py", "src/other/fresh.py")
    run = MypyGate().run(make_target(files, changed, shared_cache))
    assert run.error is None
    assert {(f.rule, f.path) for f in run.findings} == {("no-untyped-def", "src/other/fresh.py")}


def test_mypy_path_finds_the_projects_own_stubs(
    make_target: MakeTarget, shared_cache: Path
) -> None:
    files = {
        "mypy.ini": "[mypy]\nmypy_path = $MYPY_CONFIG_FILE_DIR/stubs\n",
        "stubs/vendor_lib.pyi": "def scale(x: int) -> int: ...\n",
        "app.py": "from vendor_lib import scale\n\nscale('2')\n",
    }
    run = MypyGate().run(make_target(files, ("app.py",), shared_cache))
    assert run.error is None
    assert {(f.rule, f.path, f.line) for f in run.findings} == {("arg-type", "app.py", 3)}


def test_errors_in_the_modules_a_file_imports_are_theirs_not_the_changes(
    make_target: MakeTarget, shared_cache: Path
) -> None:
    # attrs 24.2: a changed file imports an untouched module with old errors of its own;
    # mypy reports them too, and an added import would have made them look new.
    files = {
        "pkg/__init__.py": "",
        "pkg/old.py": "def helper(x):\n    return x\n\n\nOLD: int = 'old'\n",
        "pkg/new.py": "from pkg.old import helper\n\nNEW: int = 'new'\n",
    }
    run = MypyGate().run(make_target(files, ("pkg/new.py",), shared_cache))
    assert run.error is None
    assert {(f.path, f.line) for f in run.findings} == {("pkg/new.py", 3)}
