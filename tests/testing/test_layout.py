"""Import roots and top-level packages, from the layouts and packaging files real projects use."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkgit.testing.layout import import_roots, own_packages
from tests.gates.conftest import write_tree


def _roots(root: Path) -> list[str]:
    return [path.relative_to(root.resolve()).as_posix() for path in import_roots(root)]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pkg/__init__.py": ""}, ["."]),
        ({"src/pkg/__init__.py": ""}, ["src", "."]),
        (
            {"pyproject.toml": '[tool.setuptools.package-dir]\n"" = "lib"\n', "lib/p.py": ""},
            ["lib", "."],
        ),
        (
            {
                "pyproject.toml": '[tool.setuptools.packages.find]\nwhere = ["code"]\n',
                "code/p.py": "",
            },
            ["code", "."],
        ),
        (
            {
                "pyproject.toml": '[tool.hatch.build.targets.wheel]\npackages = ["py/pkg"]\n',
                "py/pkg/__init__.py": "",
            },
            ["py", "."],
        ),
        (
            {
                "pyproject.toml": '[tool.poetry]\npackages = [{include = "p", from = "lib"}]\n',
                "lib/p/__init__.py": "",
            },
            ["lib", "."],
        ),
        (
            {"pyproject.toml": '[tool.pdm.build]\npackage-dir = "lib"\n', "lib/p.py": ""},
            ["lib", "."],
        ),
        ({"setup.cfg": "[options]\npackage_dir =\n    =lib\n", "lib/p.py": ""}, ["lib", "."]),
        (
            {"setup.cfg": "[options.packages.find]\nwhere = lib\n", "lib/p/__init__.py": ""},
            ["lib", "."],
        ),
        ({"pyproject.toml": "not [ toml", "src/p.py": ""}, ["src", "."]),
    ],
)
def test_import_roots_come_from_the_layout_and_its_packaging(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    assert _roots(write_tree(tmp_path, files)) == expected


def test_a_root_outside_the_tree_is_never_used(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (outside / "p").mkdir(parents=True)
    root = write_tree(
        tmp_path / "tree",
        {"pyproject.toml": '[tool.setuptools.package-dir]\n"" = "../elsewhere"\n'},
    )
    (root / "src").symlink_to(outside)
    assert _roots(root) == ["."]


def test_own_packages_are_the_trees_modules_not_its_tests_or_the_standard_library(
    tmp_path: Path,
) -> None:
    root = write_tree(
        tmp_path,
        {
            "src/flask/__init__.py": "",
            "src/namespace_pkg/mod.py": "",
            "src/single.py": "",
            "src/conftest.py": "",
            "tests/__init__.py": "",
            "types/__init__.py": "",  # the standard library's name: not guarded
            "tool/__init__.py": "",
            "setup.py": "",
        },
    )
    roots = import_roots(root)
    assert own_packages(root, roots) == ("flask", "namespace_pkg", "single", "tool")
