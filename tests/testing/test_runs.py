"""One test run per tree, command and environment, shared by whoever asks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from talkgit.testing import runs
from talkgit.testing.runs import interpreter_of, run_for_tree
from tests.gates.conftest import write_tree

COUNTING_TEST = """\
import os


def test_counted():
    with open(os.environ["RUNS_LOG"], "a") as log:
        log.write("ran\\n")
"""


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUNS_LOG", str(tmp_path / "runs.log"))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return write_tree(tmp_path / "tree", {"test_counted.py": COUNTING_TEST})


def _test(tree: Path, tree_id: str, cache: Path | None, command: list[str] | None = None) -> bool:
    run, cached = run_for_tree(
        tree,
        tree_id,
        command or [sys.executable, "-m", "pytest", "-q"],
        cache=cache,
        scratch=tree.parent / "scratch",
        timeout=120,
    )
    assert run.passed, run.output_tail
    return cached


def _runs(tree: Path) -> int:
    log = tree.parent / "runs.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_a_tree_is_tested_once_and_another_tree_again(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert [_test(tree, "t1", cache), _test(tree, "t1", cache)] == [False, True]
    assert _runs(tree) == 1
    assert _test(tree, "t2", cache) is False
    assert _runs(tree) == 2


def test_no_cache_or_no_tree_id_means_a_fresh_run(tree: Path, tmp_path: Path) -> None:
    assert not _test(tree, "t1", None) and not _test(tree, "t1", None)
    assert not _test(tree, "", tmp_path / "cache") and not _test(tree, "", tmp_path / "cache")
    assert _runs(tree) == 4


def test_a_changed_environment_is_tested_again(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(site))
    cache = tmp_path / "cache"
    assert [_test(tree, "t1", cache), _test(tree, "t1", cache)] == [False, True]
    (site / "newly_installed.py").write_text("")  # what a pip install does to a directory
    runs._stamp.cache_clear()  # a new talkgit process
    assert _test(tree, "t1", cache) is False
    assert _runs(tree) == 2


def test_a_run_that_cannot_be_trusted_is_not_kept(tree: Path, tmp_path: Path) -> None:
    elsewhere = write_tree(tmp_path / "elsewhere", {"mine/__init__.py": ""})
    write_tree(tree, {"src/mine/__init__.py": ""})
    (tree / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(elsewhere)!r})\nsys.modules.pop('mine', None)\n"
        "import mine\n"
    )
    cache = tmp_path / "cache"
    for _ in range(2):
        run, cached = run_for_tree(
            tree,
            "t1",
            [sys.executable, "-m", "pytest", "-q"],
            cache=cache,
            scratch=tmp_path / "scratch",
            timeout=120,
        )
        assert run.error is not None and not cached
    assert not cache.exists() or not any(cache.iterdir())


def test_the_interpreter_is_the_program_or_its_scripts_shebang(tmp_path: Path) -> None:
    assert interpreter_of([sys.executable, "-m", "pytest"], None) == sys.executable
    script = tmp_path / "bin" / "tool"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\nprint('hi')\n")
    script.chmod(0o755)
    assert interpreter_of(["tool"], str(script.parent)) == sys.executable
    script.write_text("#!/bin/sh\necho hi\n")
    assert interpreter_of(["tool"], str(script.parent)) is None
    assert interpreter_of(["no-such-program-here"], str(script.parent)) is None
