"""Real projects, installed editable in a real virtual environment, as users install them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

from tests.support.gitrepo import make_repo

PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "mypkg"
version = "0.1"
"""
VALUE_TEST = """\
from mypkg.core import value


def test_value():
    assert value() == 1


def test_other():
    assert True
"""

# Each layout: where its code lives, and the packaging configuration that finds it.
LAYOUTS: dict[str, tuple[str, str]] = {
    "src": ("src/mypkg", ""),
    "flat": ("mypkg", '\n[tool.setuptools]\npackages = ["mypkg"]\n'),
    "namespace": (
        "src/mypkg",  # no __init__.py: a namespace package
        '\n[tool.setuptools.packages.find]\nwhere = ["src"]\nnamespaces = true\n',
    ),
    "lib": ("lib/mypkg", '\n[tool.setuptools.package-dir]\n"" = "lib"\n'),
}

MakeProject = Callable[[str], Path]


def project_files(layout: str) -> dict[str, str]:
    """A small project of ``layout`` whose one module returns 1, with its tests."""
    package, extra = LAYOUTS[layout]
    files = {
        "pyproject.toml": PYPROJECT + extra,
        f"{package}/core.py": "def value():\n    return 1\n",
        "tests/test_value.py": VALUE_TEST,
    }
    if layout != "namespace":
        files[f"{package}/__init__.py"] = ""
    return files


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A virtual environment that sees this one's packages (pytest, setuptools)."""
    path = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(path)],
        check=True,
    )
    return path / "bin" / "python"


def pip_install_editable(python: Path, project: Path) -> None:
    """``pip install -e`` with the environment's own setuptools: no download."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", str(python), "install", "-q"),
            *("--no-deps", "--no-build-isolation", "--no-index", "-e", str(project)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """``make_project(layout)``: a committed project in a git repository."""

    def make(layout: str) -> Path:
        files = {name: dedent(text) for name, text in project_files(layout).items()}
        return make_repo(tmp_path / f"project-{layout}", files)

    return make
