"""A pull request (or a model's step) cannot loosen the gates by editing their rules.

Each attack edits a tool's settings in the head so that its own new finding would pass;
`talkgit review` judges it by the base's settings, finds it, and names the edited file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.review import ReviewOptions, review
from talkgit.git.repo import GitRepo
from talkgit.reviewing import review_range
from tests.support.gitrepo import commit_file, fsck, git, make_repo

SHELL = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
UNDEFINED = "def f():\n    return undefined_name\n"
TYPE_ERROR = "X: int = 'not an int'\n"


def _review(repo: Path, base: str, gates: tuple[str, ...]) -> tuple[Mapping[str, str], list[str]]:
    head = git(repo, "rev-parse", "HEAD").strip()
    opened = GitRepo.discover(repo)
    report = review_range(opened, base, head, ReviewOptions(gates=gates), environ={}).report
    return report.verdicts(), list(report.base_rules)


def _attack(
    tmp_path: Path, base_files: dict[str, str], head_files: dict[str, str]
) -> tuple[Path, str]:
    repo = make_repo(tmp_path / "r", {"README.md": "# r\n", **base_files})
    base = git(repo, "rev-parse", "HEAD").strip()
    for name, text in head_files.items():
        commit_file(repo, name, text)
    return repo, base


@pytest.mark.parametrize(
    ("settings", "text"),
    [
        ("ruff.toml", '[lint]\nignore = ["ALL"]\n'),
        (".ruff.toml", '[lint]\nignore = ["F"]\n'),
        ("pkg/ruff.toml", 'extend-exclude = ["*.py"]\n'),  # nested: ruff's closest wins
        ("pyproject.toml", '[tool.ruff]\nextend-exclude = ["pkg"]\n'),
    ],
)
def test_ruff_settings_in_the_head_do_not_apply(tmp_path: Path, settings: str, text: str) -> None:
    repo, base = _attack(tmp_path, {"pkg/__init__.py": ""}, {settings: text, "pkg/m.py": UNDEFINED})
    assert _review(repo, base, ("ruff",)) == ({"ruff": "fail"}, [settings])


@pytest.mark.parametrize(
    ("settings", "text"),
    [
        ("pyproject.toml", '[tool.bandit]\nskips = ["B602", "B404"]\n'),
        (".bandit", "[bandit]\nskips = B602,B404\n"),
    ],
)
def test_bandit_settings_in_the_head_do_not_apply(tmp_path: Path, settings: str, text: str) -> None:
    repo, base = _attack(tmp_path, {}, {settings: text, "tool.py": SHELL})
    assert _review(repo, base, ("bandit",)) == ({"bandit": "fail"}, [settings])


@pytest.mark.parametrize(
    ("settings", "text"),
    [
        ("mypy.ini", "[mypy]\nignore_errors = True\n"),
        ("setup.cfg", "[mypy]\nignore_errors = True\n"),
        ("pyproject.toml", "[tool.mypy]\nignore_errors = true\n"),
    ],
)
def test_mypy_settings_in_the_head_do_not_apply(tmp_path: Path, settings: str, text: str) -> None:
    repo, base = _attack(tmp_path, {}, {settings: text, "typed.py": TYPE_ERROR})
    assert _review(repo, base, ("mypy",)) == ({"mypy": "fail"}, [settings])


def test_a_mypy_plugin_the_base_names_runs_as_the_base_has_it(tmp_path: Path) -> None:
    # The head rewrites the plugin to run its own code inside mypy (and read its secrets).
    marker = tmp_path / "plugin-ran"
    plugin = "from mypy.plugin import Plugin\n\n\ndef plugin(version):\n    return Plugin\n"
    evil = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n" + plugin
    repo, base = _attack(
        tmp_path,
        {"mypy.ini": "[mypy]\nplugins = checks/myplugin.py\n", "checks/myplugin.py": plugin},
        {"checks/myplugin.py": evil, "typed.py": TYPE_ERROR},
    )
    assert _review(repo, base, ("mypy",)) == ({"mypy": "fail"}, ["checks/myplugin.py"])
    assert not marker.exists()


def test_pytest_settings_in_the_head_do_not_deselect_its_failing_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    repo, base = _attack(
        tmp_path,
        {"test_ok.py": "def test_ok():\n    pass\n"},
        {
            "pytest.ini": "[pytest]\naddopts = -k not_test_new\n",
            "test_new.py": "def test_new():\n    assert False\n",
        },
    )
    assert _review(repo, base, ("pytest",)) == ({"pytest": "fail"}, ["pytest.ini"])


def test_the_report_names_the_edited_settings_in_every_format(tmp_path: Path) -> None:
    repo, base = _attack(
        tmp_path, {}, {"ruff.toml": '[lint]\nignore = ["ALL"]\n', "m.py": UNDEFINED}
    )
    head = git(repo, "rev-parse", "HEAD").strip()
    outputs = {}
    for output_format in ("text", "json", "markdown"):
        out = io.StringIO()
        code = review(
            repo,
            base,
            head,
            ReviewOptions(gates=("ruff",)),
            output_format=output_format,
            out=out,
            environ={},
        )
        assert code == exit_codes.FAILURE
        outputs[output_format] = out.getvalue()
    assert (
        "note: this change edits tool settings (ruff.toml); the gates used the base's"
        in outputs["text"]
    )
    assert json.loads(outputs["json"])["rules_from_base"] == ["ruff.toml"]
    assert "> **Note: this change edits tool settings (ruff.toml)" in outputs["markdown"]
    fsck(repo)


def test_a_symlink_in_the_way_of_a_restored_setting_is_refused(tmp_path: Path) -> None:
    # The base had conf/ruff.toml; the head turns conf into a link to a folder elsewhere.
    outside = tmp_path / "outside"
    outside.mkdir()
    repo, base = _attack(tmp_path, {"conf/ruff.toml": "line-length = 100\n"}, {"m.py": UNDEFINED})
    git(repo, "rm", "-rq", "conf")
    (repo / "conf").symlink_to(outside)
    git(repo, "add", "conf")
    git(repo, "commit", "-qm", "conf is a link now")
    verdicts, _ = _review(repo, base, ("ruff",))
    assert not (outside / "ruff.toml").exists()
    assert verdicts == {"ruff": "fail"}


def test_a_local_check_keeps_the_settings_of_the_tree_it_checks(tmp_path: Path) -> None:
    from talkgit.commands.check import check

    repo, base = _attack(tmp_path, {}, {"ruff.toml": '[lint]\nignore = ["F"]\n', "m.py": UNDEFINED})
    assert check(repo, base=base, head="HEAD", gates=("ruff",)) == exit_codes.OK


def test_a_models_step_cannot_loosen_its_own_gate(tmp_path: Path) -> None:
    from tests.support.scripts import edit, plan_reply, run_scripted, scripted_model

    repo = make_repo(tmp_path / "r", {"README.md": "# r\n"})
    skip = "[bandit]\nskips = B602,B404\n"
    model = scripted_model(
        tmp_path,
        {
            "planner": [plan_reply(("tool", "coder", []), files={"tool": ["tool.py"]})],
            "coder": [
                edit(".bandit", "", skip) + "\n" + edit("tool.py", "", SHELL),
                edit("tool.py", "    return subprocess.call(cmd, shell=True)\n", "    return 0\n"),
            ],
        },
    )
    code, progress = run_scripted(
        repo, model, "add a shell helper", {"TALKGIT_RUN_GATES": '["bandit"]'}
    )
    assert code == exit_codes.OK, progress
    assert "[01] tool: rejected - edited .bandit, tool.py — gates bandit=fail" in progress
    assert "[02] tool: merged" in progress
