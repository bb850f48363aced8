"""A scripted run on a real src-layout project, with the default gates and a tester step.

attrs 24.2.0 keeps its code under src/, and attrs is installed in this environment (other
test tools depend on it): tests started in talkgit's worktree used to import that copy,
so an edit that broke attrs' own tests merged with pytest=pass.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from talkgit import exit_codes
from tests.support.gitrepo import fsck, git, user_state
from tests.support.scripts import edit, plan_reply, run_scripted, scripted_model
from tests.support.sdists import require_sdist

FUNCS = "src/attr/_funcs.py"
TAIL = "\n\n    return rv if tuple_factory is list else tuple_factory(rv)\n"
GOOD = "        else:\n            rv.append(v)" + TAIL
BROKEN = "        else:\n            rv.append(str(v))" + TAIL


@pytest.fixture
def attrs_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "attrs"
    shutil.copytree(require_sdist("attrs", "24.2.0"), repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "attrs 24.2.0")
    return repo


def test_an_edit_that_breaks_attrs_is_rejected_and_its_fix_merges(
    attrs_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    before = user_state(attrs_repo)
    model = scripted_model(
        tmp_path,
        {
            "planner": [
                plan_reply(
                    ("astuple", "coder", []),
                    ("test", "tester", ["astuple"]),
                    files={"astuple": [FUNCS]},
                )
            ],
            "coder": [
                edit(FUNCS, GOOD, BROKEN),
                edit(FUNCS, BROKEN, GOOD),
            ],
        },
    )
    tests = [sys.executable, "-m", "pytest", "-q", "tests/test_funcs.py"]
    environ = {"TALKGIT_TEST_COMMAND": json.dumps(tests), "TALKGIT_MAX_FIX_ATTEMPTS": "1"}
    code, text = run_scripted(attrs_repo, model, "astuple: keep values as they are", environ)
    assert code == exit_codes.OK, text
    # Every default gate ran on the real project; only the pytest gate objected. The fix
    # leaves the file as it was, so there is nothing left for the gates to judge.
    assert "[01] astuple: rejected" in text
    assert "ruff=pass mypy=pass bandit=pass pytest=fail placeholder=pass" in text
    assert "[02] astuple: merged - edited src/attr/_funcs.py\n" in text
    assert "[03] test: passed - tests passed: 51 passed" in text
    assert user_state(attrs_repo) == before
    fsck(attrs_repo)
