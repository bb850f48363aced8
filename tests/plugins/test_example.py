"""docs/examples/plugin installed for real, and talkgit run as a user runs it, with plug-ins.

The example is installed with pip into a temporary directory, and a broken distribution
is written next to it by hand; each talkgit is a `python -m talkgit` subprocess that finds
them on PYTHONPATH, as an installed plug-in is found.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from talkgit import exit_codes
from talkgit.agents.registry import agent_plugins
from talkgit.commands.blame import blame
from talkgit.commands.log import log
from talkgit.gates.registry import gate_plugins
from tests.support.gitrepo import git, make_repo
from tests.support.scripts import NO_GATES, edit, run_scripted, scripted_model

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "plugin"

BROKEN_MODULE = """\
from talkgit.gates.base import GateRun, Target


class RaisingGate:
    name = "raises"

    def run(self, target: Target) -> GateRun:
        raise RuntimeError("boom in the plug-in")


class RunlessAgent:
    name = "runless"
    needs_model = False
"""
BROKEN_ENTRY_POINTS = """\
[talkgit.agents]
runless = talkgit_broken_plugin:RunlessAgent

[talkgit.gates]
explodes = talkgit_broken_plugin_gone:Gate
raises = talkgit_broken_plugin:RaisingGate
ruff = talkgit_broken_plugin:RaisingGate
"""


class Done(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plug-in, built and installed by pip into a directory of its own."""
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = tmp_path_factory.mktemp("example-source") / "plugin"
    shutil.copytree(
        EXAMPLE, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info")
    )
    target = tmp_path_factory.mktemp("example-plugin")
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation"]
    done = subprocess.run(
        [*pip, "--no-input", "--disable-pip-version-check", "--target", str(target), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return target


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A distribution whose plug-ins are broken: one does not import, one has no run, one
    raises when it runs, one takes a built-in's name."""
    root = tmp_path_factory.mktemp("broken-plugin")
    (root / "talkgit_broken_plugin.py").write_text(BROKEN_MODULE)
    info = root / "broken_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(BROKEN_ENTRY_POINTS)
    return root


@pytest.fixture
def example_here(example: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The example plug-in found by this process's own scan, as an installed one is."""
    monkeypatch.syspath_prepend(str(example))
    agent_plugins.cache_clear()  # the scans are kept per process: scan again
    gate_plugins.cache_clear()
    yield example
    agent_plugins.cache_clear()
    gate_plugins.cache_clear()


def talkgit(
    repo: Path, *args: str, path: tuple[Path, ...], environ: dict[str, str] | None = None
) -> Done:
    """``python -m talkgit -C repo ARGS`` with ``path`` on PYTHONPATH."""
    search = [str(p) for p in path] + [p for p in [os.environ.get("PYTHONPATH")] if p]
    env = {**os.environ, **(environ or {}), "PYTHONPATH": os.pathsep.join(search)}
    done = subprocess.run(
        [sys.executable, "-m", "talkgit", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return Done(done.returncode, done.stdout, done.stderr)


def _stage(repo: Path, name: str, text: str) -> None:
    (repo / name).write_text(text)
    git(repo, "add", name)


# --- the example -------------------------------------------------------------------------------


def test_a_run_uses_the_changelog_agent_and_the_no_print_gate(
    example: Path, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "app", {"app.py": "def greet():\n    return 'helo'\n"})
    plan = {
        "steps": [
            {"id": "fix", "agent": "coder", "goal": "fix the greeting", "files": ["app.py"]},
            {
                "id": "log",
                "agent": "changelog",
                "goal": "Fixed the  greeting.",
                "depends_on": ["fix"],
            },
        ]
    }
    model = scripted_model(
        tmp_path,
        {
            "planner": [json.dumps(plan)],
            "coder": [edit("app.py", "    return 'helo'\n", "    return 'hello'\n")],
        },
    )
    (repo / ".talkgit.toml").write_text('run_gates = ["no-print"]\n')
    git(repo, "add", ".talkgit.toml")
    git(repo, "commit", "-q", "-m", "talkgit settings")

    done = talkgit(repo, "run", "fix the greeting", "--model", model, path=(example,))
    assert done.code == exit_codes.OK, done.out + done.err
    assert "plug-in" not in done.err
    (run_id,) = git(
        repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs"
    ).split()
    integration = f"talkgit/{run_id}/integration"
    assert (
        git(repo, "show", f"{integration}:CHANGELOG.md") == "# Changelog\n\n- Fixed the greeting.\n"
    )
    assert git(repo, "show", f"{integration}:app.py") == "def greet():\n    return 'hello'\n"

    step = f"talkgit/{run_id}/02-log"
    note = json.loads(git(repo, "notes", "--ref=talkgit/steps", "show", step))
    assert note["agent"] == "changelog"
    message = git(repo, "log", "-1", "--format=%B", step)
    assert "Talkgit-Agent: changelog" in message
    assert "Talkgit-Gates: no-print=pass" in git(
        repo, "log", "-1", "--format=%B", f"talkgit/{run_id}/01-fix"
    )

    # The planner was told what the plug-in agent does, in the plug-in's own words.
    transcript = git(repo, "show", f"refs/talkgit/runs/{run_id}:transcripts/plan-0.json")
    system = json.loads(transcript)[0]["content"]
    assert "- changelog: appends one line saying what changed to CHANGELOG.md" in system


def test_a_step_by_an_agent_without_a_model_names_no_model(
    example_here: Path, tmp_path: Path
) -> None:
    """Issue 17: the trailer, the note, the attempt record and run.models agree."""
    repo = make_repo(tmp_path / "app", {"app.py": "X = 1\n"})
    plan = {
        "steps": [
            {"id": "fix", "agent": "coder", "goal": "set X to 2", "files": ["app.py"]},
            {"id": "log", "agent": "changelog", "goal": "Set X to 2.", "depends_on": ["fix"]},
        ]
    }
    model = scripted_model(
        tmp_path,
        {"planner": [json.dumps(plan)], "coder": [edit("app.py", "X = 1\n", "X = 2\n")]},
    )
    code, progress = run_scripted(repo, model, "set X", NO_GATES)
    assert code == exit_codes.OK, progress
    assert "(changelog): step 1" in progress  # no model named for it while it runs
    (run_id,) = git(
        repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs"
    ).split()

    def trailers(step: str) -> str:
        return git(repo, "log", "-1", "--format=%(trailers)", f"talkgit/{run_id}/{step}")

    assert trailers("02-log") == (
        f"Talkgit-Run: {run_id}\nTalkgit-Step: 02/log\nTalkgit-Agent: changelog\n\n"
    )
    assert "Assisted-by: talkgit-coder:scripted/script\n" in trailers("01-fix")

    def note(step: str) -> dict[str, object]:
        shown = git(repo, "notes", "--ref=talkgit/steps", "show", f"talkgit/{run_id}/{step}")
        return dict(json.loads(shown))

    assert (note("02-log")["agent"], note("02-log")["model"]) == ("changelog", "")
    assert note("01-fix")["model"] == "scripted/script"

    def ledger(path: str) -> dict[str, object]:
        return dict(json.loads(git(repo, "show", f"refs/talkgit/runs/{run_id}:{path}")))

    assert ledger("steps/02-log.json")["model"] is None
    assert str(ledger("steps/01-fix.json")["model"]).startswith("scripted:")
    models = {"planner": "scripted/script", "coder": "scripted/script"}
    assert ledger("run.json")["models"] == models  # the changelog agent uses none

    # Read back by talkgit, the step names no model either.
    shown = io.StringIO()
    log(repo, f"talkgit/{run_id}/02-log", max_count=1, out=shown)
    assert "changelog no model run" in " ".join(shown.getvalue().split())
    blamed = io.StringIO()
    blame(repo, "CHANGELOG.md", revision=f"talkgit/{run_id}/02-log", as_json=True, out=blamed)
    last = json.loads(blamed.getvalue())[-1]
    assert (last["agent"], last["model"], last["models"]) == ("changelog", None, [])


def test_check_blocks_a_new_print_and_not_an_old_one(example: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app", {"old.py": "print('legacy')\n"})
    _stage(repo, "old.py", "import sys\n\nprint('legacy')\n")  # the old print moved down
    done = talkgit(repo, "check", "--staged", "--gates", "no-print", path=(example,))
    assert done.code == exit_codes.OK, done.out + done.err

    _stage(repo, "new.py", "def shout(text: str) -> None:\n    print(text.upper())\n")
    done = talkgit(repo, "check", "--staged", "--gates", "no-print", path=(example,))
    assert done.code == exit_codes.FAILURE, done.out + done.err
    assert "new.py:2:5" in done.out and "print() call" in done.out
    assert "old.py" not in done.out

    # The pre-commit hook's command takes plug-in gates too, and so does the configuration.
    done = talkgit(repo, "check-staged", "--gates", "no-print", path=(example,))
    assert done.code == exit_codes.FAILURE and "new.py:2:5" in done.out, done.out + done.err
    settings = '[tool.talkgit]\ncheck_gates = ["no-print"]\ngates.no-print.mode = "warn"\n'
    (repo / "pyproject.toml").write_text(settings)
    done = talkgit(repo, "check", "--staged", path=(example,))
    assert done.code == exit_codes.OK, done.out + done.err
    assert "new.py:2:5" in done.out and "warn" in done.out


def test_an_unknown_gate_lists_the_plugin_gates(example: Path, repo: Path) -> None:
    _stage(repo, "new.py", "X = 2\n")
    done = talkgit(repo, "check", "--staged", "--gates", "no-prints", path=(example,))
    assert done.code == exit_codes.CONFIG
    assert "unknown gate 'no-prints': the gates are bandit, mypy, no-print, placeholder" in done.err


# --- broken plug-ins ---------------------------------------------------------------------------


def test_broken_plugins_are_named_and_talkgit_works_without_them(
    example: Path, broken: Path, repo: Path
) -> None:
    _stage(repo, "new.py", "print('hi')\n")
    done = talkgit(repo, "check", "--staged", "--gates", "no-print", path=(example, broken))
    assert done.code == exit_codes.FAILURE and "new.py:1:1" in done.out, done.out + done.err
    lines = done.err.splitlines()
    assert lines == [
        "talkgit: plug-in 'explodes' (talkgit.gates, from broken-plugin) skipped: "
        "talkgit_broken_plugin_gone:Gate cannot be imported: "
        "ModuleNotFoundError: No module named 'talkgit_broken_plugin_gone'",
        "talkgit: plug-in 'ruff' (talkgit.gates, from broken-plugin) skipped: "
        "talkgit has a built-in of that name, which is used instead",
    ]


def test_a_plugin_gate_that_raises_is_an_error_never_a_pass(broken: Path, repo: Path) -> None:
    _stage(repo, "new.py", "X = 2\n")
    done = talkgit(repo, "check", "--staged", "--gates", "raises,placeholder", path=(broken,))
    assert done.code == exit_codes.TOOL, done.out + done.err
    assert "RuntimeError: boom in the plug-in" in done.out


def test_built_in_gates_never_look_for_plugins(broken: Path, repo: Path) -> None:
    _stage(repo, "new.py", "X = 2\n")
    done = talkgit(repo, "check", "--staged", "--gates", "placeholder", path=(broken,))
    assert done.code == exit_codes.OK, done.out + done.err
    assert done.err == ""  # the broken plug-ins were never scanned, so never reported
    probe = (
        "import sys\n"
        "from talkgit.cli import main\n"
        f"code = main(['-C', {str(repo)!r}, 'check-staged', '--gates', 'placeholder'])\n"
        "sys.stderr.write(f'{code} {\"talkgit.plugins\" in sys.modules}')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(broken)}
    done_probe = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
    )
    assert done_probe.stderr == "0 False"


def test_doctor_lists_plugins_and_broken_ones_are_only_a_note(
    example: Path, broken: Path, repo: Path
) -> None:
    done = talkgit(repo, "doctor", path=(example, broken))
    assert done.code == exit_codes.OK, done.out + done.err
    lines = [" ".join(line.split()) for line in done.out.splitlines()]
    assert "ok plug-in: changelog talkgit.agents, from talkgit-example-plugin" in lines
    assert "ok plug-in: no-print talkgit.gates, from talkgit-example-plugin" in lines
    assert "ok plug-in: raises talkgit.gates, from broken-plugin" in lines
    assert (
        "note plug-in: runless talkgit.agents, from broken-plugin: skipped: it has no run method"
        in lines
    )
    assert any(line.startswith("note plug-in: explodes talkgit.gates") for line in lines)
    assert "fix: talkgit works without it; fix or uninstall broken-plugin" in lines
    assert done.err == ""  # doctor lists the problems; it does not report them twice


def test_a_broken_agent_plugin_does_not_stop_a_run(broken: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "app", {"app.py": "X = 1\n"})
    plan = {"steps": [{"id": "fix", "agent": "coder", "goal": "set X to 2"}]}
    model = scripted_model(
        tmp_path,
        {"planner": [json.dumps(plan)], "coder": [edit("app.py", "X = 1\n", "X = 2\n")]},
    )
    done = talkgit(repo, "run", "set X", "--model", model, path=(broken,), environ=NO_GATES)
    assert done.code == exit_codes.OK, done.out + done.err
    assert (
        "talkgit: plug-in 'runless' (talkgit.agents, from broken-plugin) skipped: "
        "it has no run method" in done.err
    )
