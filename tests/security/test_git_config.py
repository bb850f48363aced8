"""A repository's git config cannot make talkgit's own git commands run a program.

Each test configures one mechanism the way tooling does (in ``.git/config``, often
pointing into the checkout, where a pull request controls the files), shows that plain
git runs it, then runs `talkgit check --base --head`, `talkgit review` and `talkgit run
--finish` (whose finish writes the user's checkout): no marker appears, and each still
reaches its usual result.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.check import check
from talkgit.commands.review import ReviewOptions, review
from talkgit.commands.run import RunOptions, run
from talkgit.engine.report import PlainReporter
from talkgit.git.command import git as talkgit_git
from tests.support.gitrepo import git
from tests.support.scripts import edit, plan_reply, scripted_model

GATES = ("ruff", "placeholder")
HOOK_NAMES = (
    "post-checkout",
    "post-index-change",
    "reference-transaction",
    "post-merge",
    "pre-commit",
    "post-commit",
    "pre-push",
    "pre-auto-gc",
)


class Attack:
    """A pull request in a repository whose git config names programs that leave markers."""

    def __init__(self, tmp_path: Path) -> None:
        self.markers = tmp_path / "markers"
        self.markers.mkdir()
        self.scripts = tmp_path / "scripts"
        self.scripts.mkdir()
        self.repo = tmp_path / "repo"
        self.repo.mkdir()
        git(self.repo, "init", "-q", "-b", "main")
        files = {
            "app.py": "X = 1\n",
            "README.txt": "r\n",
            ".gitattributes": "*.py filter=evil diff=evil\n*.txt filter=evilproc\n",
        }
        files |= {f".husky/{name}": self.marking(name) for name in HOOK_NAMES}
        for name, text in files.items():
            (self.repo / name).parent.mkdir(parents=True, exist_ok=True)
            (self.repo / name).write_text(text)
        for name in HOOK_NAMES:
            (self.repo / ".husky" / name).chmod(0o755)
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-q", "-m", "base")
        self.base = git(self.repo, "rev-parse", "HEAD").strip()
        (self.repo / "tools.py").write_text("def f():\n    return undefined_name\n")
        git(self.repo, "add", "tools.py")
        git(self.repo, "commit", "-q", "-m", "A pull request")
        self.head = git(self.repo, "rev-parse", "HEAD").strip()

    def marking(self, name: str) -> str:
        """A shell script that leaves the marker ``name`` and passes its input through."""
        return f'#!/bin/sh\ntouch "{self.markers / name}"\ncat 2>/dev/null\nexit 0\n'

    def script(self, name: str) -> str:
        path = self.scripts / name
        path.write_text(self.marking(name))
        path.chmod(0o755)
        return str(path)

    def configure(self, **settings: str) -> None:
        for key, value in settings.items():
            git(self.repo, "config", key.replace("__", "."), value)

    def plain_git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.repo, capture_output=True, check=False)

    def marked(self) -> list[str]:
        return sorted(path.name for path in self.markers.iterdir())

    def forget_markers(self) -> None:
        for path in self.markers.iterdir():
            path.unlink()

    def run_talkgit(self, tmp_path: Path) -> None:
        """check, review and run with --finish, each with its usual result."""
        out = io.StringIO()
        code = check(self.repo, base=self.base, head=self.head, gates=GATES, out=out, environ={})
        assert code == exit_codes.FAILURE and "F821" in out.getvalue(), out.getvalue()
        out = io.StringIO()
        code = review(
            self.repo, self.base, self.head, ReviewOptions(gates=GATES), out=out, environ={}
        )
        assert code == exit_codes.FAILURE and "F821" in out.getvalue(), out.getvalue()
        model = scripted_model(
            tmp_path,
            {
                "planner": [plan_reply(("x", "coder", []), files={"x": ["app.py"]})],
                "coder": [edit("app.py", "X = 1\n", "X = 2\n")],
            },
        )
        progress = io.StringIO()
        code = run(
            self.repo,
            "set X to 2",
            RunOptions(model=model),
            finish=True,
            out=io.StringIO(),
            reporter=PlainReporter(progress),
            environ={"TALKGIT_RUN_GATES": '["ruff", "placeholder"]'},
        )
        assert code == exit_codes.OK, progress.getvalue()
        assert (self.repo / "app.py").read_text() == "X = 2\n"  # the finish reached the checkout


@pytest.fixture
def attack(tmp_path: Path) -> Attack:
    return Attack(tmp_path)


def test_hooks_from_a_relative_hooks_path_do_not_run(attack: Attack, tmp_path: Path) -> None:
    attack.configure(core__hooksPath=".husky")  # husky's setting: the PR's hooks
    attack.plain_git("checkout", "-q", "--detach")
    assert "post-checkout" in attack.marked()
    attack.plain_git("checkout", "-q", "main")
    attack.forget_markers()
    attack.run_talkgit(tmp_path)
    assert attack.marked() == []


def test_hooks_in_the_default_hooks_directory_do_not_run(attack: Attack, tmp_path: Path) -> None:
    for name in HOOK_NAMES:
        hook = attack.repo / ".git" / "hooks" / name
        hook.write_text(attack.marking(name))
        hook.chmod(0o755)
    attack.plain_git("checkout", "-q", "--detach")
    assert "post-checkout" in attack.marked()
    attack.plain_git("checkout", "-q", "main")
    attack.forget_markers()
    attack.run_talkgit(tmp_path)
    assert attack.marked() == []


def test_hooks_named_in_config_do_not_run(attack: Attack, tmp_path: Path) -> None:
    # git runs hook.<name>.command from 2.54 on; older git ignores the setting.
    attack.configure(hook__evil__command=attack.script("configured-hook"))
    for name in ("post-checkout", "post-index-change", "reference-transaction"):
        git(attack.repo, "config", "--add", "hook.evil.event", name)
    effective = talkgit_git("config", "--get", "hook.evil.enabled", cwd=attack.repo)
    assert effective.stdout.strip() == "false"
    events = talkgit_git("config", "--get-all", "hook.evil.event", cwd=attack.repo)
    assert events.stdout.splitlines()[-1] == ""  # an empty event clears the list
    attack.forget_markers()
    attack.run_talkgit(tmp_path)
    assert attack.marked() == []


def test_an_fsmonitor_does_not_run(attack: Attack, tmp_path: Path) -> None:
    attack.configure(core__fsmonitor=attack.script("fsmonitor"))
    attack.plain_git("status")
    assert attack.marked() == ["fsmonitor"]
    attack.forget_markers()
    attack.run_talkgit(tmp_path)
    assert attack.marked() == []


def test_filter_drivers_do_not_run(attack: Attack, tmp_path: Path) -> None:
    attack.configure(
        filter__evil__smudge=attack.script("smudge"),
        filter__evil__clean=attack.script("clean"),
        filter__evil__required="true",  # git-lfs sets it: a filter that did not run fails
        filter__evilproc__process=attack.script("process"),
    )
    attack.plain_git("cat-file", "--filters", "HEAD:app.py")
    attack.plain_git("cat-file", "--filters", "HEAD:README.txt")
    attack.plain_git("hash-object", "app.py")
    assert attack.marked() == ["clean", "process", "smudge"]
    attack.forget_markers()
    attack.run_talkgit(tmp_path)
    assert attack.marked() == []


def test_a_textconv_driver_does_not_run(attack: Attack, tmp_path: Path) -> None:
    attack.configure(diff__evil__textconv=attack.script("textconv"))
    attack.plain_git("diff", attack.base, attack.head, "--", "app.py", "tools.py")
    assert attack.marked() == ["textconv"]
    attack.forget_markers()
    attack.run_talkgit(tmp_path)
    assert attack.marked() == []


def test_an_external_diff_does_not_run(attack: Attack, tmp_path: Path) -> None:
    attack.configure(diff__external=attack.script("external-diff"))
    attack.plain_git("diff", attack.base, attack.head)
    assert attack.marked() == ["external-diff"]
    attack.forget_markers()
    attack.run_talkgit(tmp_path)
    assert attack.marked() == []
