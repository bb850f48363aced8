"""Which changed files the mypy gate checks, read from real configuration files on disk.

These do not run mypy (test_mypy.py does, on the same rules); they pin each rule of mypy's
own file discovery that the selection copies.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from talkgit.gates.mypy_scope import MypyScope, files_to_check, read_scope
from tests.gates.conftest import write_tree

LAYOUT = {
    "src/pkg/__init__.py": "",
    "src/pkg/core.py": "",
    "tests/test_core.py": "",
    "tests/typing/check_core.py": "",
    "tools/release.py": "",
}


def _select(tmp_path: Path, config: dict[str, str], changed: tuple[str, ...] = ()) -> list[str]:
    root = write_tree(tmp_path / "repo", {**LAYOUT, **config})
    return files_to_check(root, changed or tuple(LAYOUT))


@pytest.mark.parametrize(
    "config",
    [
        {"pyproject.toml": '[tool.mypy]\nfiles = ["src", "tests/typing"]\n'},
        {"pyproject.toml": '[tool.mypy]\nfiles = "src, tests/typing"\n'},
        {"setup.cfg": "[mypy]\nfiles = src,\n    tests/typing\n"},
        {"mypy.ini": "[mypy]\nfiles = src, tests/typing,\n"},
        {".mypy.ini": "[mypy]\nfiles = ./src/, tests/typing/../typing\n"},
        {"mypy.ini": "[mypy]\nfiles = $MYPY_CONFIG_FILE_DIR/src, ${MYPY_CONFIG_FILE_DIR}/*/ty*\n"},
    ],
)
def test_files_limits_the_check_to_those_directories(
    tmp_path: Path, config: dict[str, str]
) -> None:
    assert _select(tmp_path, config) == [
        "src/pkg/__init__.py",
        "src/pkg/core.py",
        "tests/typing/check_core.py",
    ]


def test_no_files_checks_every_changed_python_file(tmp_path: Path) -> None:
    config = {"pyproject.toml": "[tool.mypy]\nstrict = true\n", "notes.txt": ""}
    chosen = _select(tmp_path, config, (*LAYOUT, "notes.txt", "deleted.py"))
    assert chosen == list(LAYOUT)


def test_files_may_name_files_and_globs(tmp_path: Path) -> None:
    config = {
        "pyproject.toml": '[tool.mypy]\nfiles = ["tools/release.py", "tests/**/check_*.py"]\n'
    }
    assert _select(tmp_path, config) == ["tests/typing/check_core.py", "tools/release.py"]


def test_the_first_configuration_mypy_reads_wins(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "repo",
        {
            "pyproject.toml": "[tool.black]\nline-length = 99\n",  # no mypy section: skipped
            "setup.cfg": "[mypy]\nfiles = tools\n",
        },
    )
    assert read_scope(root).files == ("tools",)
    write_tree(root, {".mypy.ini": "[mypy]\nfiles = src\n"})
    assert read_scope(root).files == ("src",)
    # mypy.ini is read even without a [mypy] section: mypy says so and uses its defaults.
    write_tree(root, {"mypy.ini": "[mypy-pkg.*]\nignore_errors = True\n"})
    assert read_scope(root) == MypyScope(None, ())


def test_a_configuration_that_does_not_parse_is_passed_over(tmp_path: Path) -> None:
    files = {"pyproject.toml": "[tool.mypy\n", "setup.cfg": "[mypy]\nfiles = src\n"}
    assert read_scope(write_tree(tmp_path / "repo", files)).files == ("src",)


@pytest.mark.parametrize(
    "config",
    [
        {"pyproject.toml": '[tool.mypy]\nfiles = ["."]\nexclude = "^tests/|release"\n'},
        {"pyproject.toml": "[tool.mypy]\nexclude = ['^tests/$', 'release\\.py$']\n"},
        {"pyproject.toml": "[tool.mypy]\nexclude = '''(?x)(\n  ^tests/\n  | release\n)'''\n"},
        {"setup.cfg": "[mypy]\nexclude = (?x)(\n    ^tests/\n    | release\n  )\n"},
    ],
)
def test_exclude_drops_what_mypys_crawl_would(tmp_path: Path, config: dict[str, str]) -> None:
    assert _select(tmp_path, config) == ["src/pkg/__init__.py", "src/pkg/core.py"]


def test_a_file_files_names_is_checked_though_excluded(tmp_path: Path) -> None:
    config = {"mypy.ini": "[mypy]\nfiles = src, tools/release.py\nexclude = release|core\n"}
    assert _select(tmp_path, config) == ["src/pkg/__init__.py", "tools/release.py"]


def test_hidden_and_vendored_directories_are_not_crawled(tmp_path: Path) -> None:
    files = {".github/bump.py": "", "web/node_modules/x.py": "", "src/pkg/.cache.py": ""}
    root = write_tree(tmp_path / "repo", {**LAYOUT, **files})
    assert files_to_check(root, tuple(files)) == []


def test_a_stub_stands_for_its_module_and_a_module_is_named_once(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"pkg/more.py": "", "pkg/more.pyi": "", "pkg/b.py": ""})
    assert files_to_check(root, ("pkg/more.py", "pkg/b.py")) == ["pkg/more.pyi", "pkg/b.py"]
    assert files_to_check(root, ("pkg/more.py", "pkg/more.pyi")) == ["pkg/more.pyi"]
    assert files_to_check(root, ("pkg/more.pyi", "pkg/more.py")) == ["pkg/more.pyi"]


def test_an_excluded_stub_leaves_its_module_to_the_py(tmp_path: Path) -> None:
    files = {"mypy.ini": "[mypy]\nexclude = \\.pyi$\n", "m.py": "", "m.pyi": ""}
    assert files_to_check(write_tree(tmp_path / "repo", files), ("m.py",)) == ["m.py"]


def test_an_invalid_regex_excludes_nothing(tmp_path: Path) -> None:
    config = {"pyproject.toml": '[tool.mypy]\nfiles = ["tools"]\nexclude = "("\n'}
    assert _select(tmp_path, config) == ["tools/release.py"]


def test_links_and_what_is_below_them_are_not_checked(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"pkg/m.py": "", "pkg/real.pyi": ""})
    (root / "leak.py").symlink_to(tmp_path / "elsewhere.env")
    (root / "linked").symlink_to(root / "pkg")
    (root / "pkg" / "m.pyi").symlink_to(root / "pkg" / "real.pyi")  # a link's stub: not one
    changed = ("leak.py", "linked/m.py", "pkg/m.py")
    assert files_to_check(root, changed) == ["pkg/m.py"]
