from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.demo import demo
from talkgit.engine.report import PlainReporter
from talkgit.errors import UsageError
from tests.support.gitrepo import fsck, git


def test_demo_runs_plan_edit_reject_fix_test_and_leaves_main_alone(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    out, progress = io.StringIO(), io.StringIO()
    assert demo(root, out=out, reporter=PlainReporter(progress)) == exit_codes.OK

    branches = git(root, "branch", "--list", "talkgit/*", "--format=%(refname:short)").split()
    (run_id,) = {name.split("/")[1] for name in branches}
    integration = f"talkgit/{run_id}/integration"
    assert branches == sorted(
        [f"talkgit/{run_id}/01-fix-fib", f"talkgit/{run_id}/02-fix-fib", integration]
    )
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(root, "status", "--porcelain") == ""
    assert "return b" in (root / "fib.py").read_text()  # the user's checkout still has the bug

    # The integrated code passes its tests, run by plain pytest outside talkgit.
    worktree = tmp_path / "check"
    git(root, "worktree", "add", "-q", "--detach", str(worktree), integration)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=worktree,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout

    # Provenance, read back with plain git.
    trailers = git(
        root, "log", "--format=%(trailers:key=Talkgit-Step,valueonly)", f"main..{integration}"
    ).split()
    assert trailers == ["02/fix-fib", "01/fix-fib"]  # the fix builds on the rejected commit
    note = json.loads(git(root, "notes", "--ref=talkgit/steps", "show", integration))
    assert note["schema"] == "talkgit.step/v1" and note["model"] == "scripted/demo_script"
    assert note["git"]["commit"] == git(root, "rev-parse", integration).strip()
    assert str(tmp_path) not in git(root, "log", "--all", "--format=%B")  # no local paths
    fsck(root)

    text = progress.getvalue()
    # The gate and the tester agree: the first attempt broke a test that passed at the
    # base, the second broke none, and the tester reads the gate's run of that tree.
    assert "fix-fib: rejected" in text and "pytest=fail" in text
    assert "fix-fib: merged" in text and "pytest=pass" in text
    assert "test: passed - tests passed: 3 passed" in text
    assert "tests failed" not in text
    assert len(list((root / ".git" / "talkgit" / "cache" / "tests").iterdir())) == 3
    assert f"git notes --ref=talkgit/steps show {integration}" in out.getvalue()


def test_demo_refuses_a_directory_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        demo(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
