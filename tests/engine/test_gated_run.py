"""A run whose step the gates reject: the coder fixes its own commit, and only then it merges."""

from __future__ import annotations

import json
from pathlib import Path

from talkgit import exit_codes
from tests.support.gitrepo import fsck, git, make_repo, user_state
from tests.support.scripts import edit, plan_reply, run_scripted, scripted_model

SHELL_LINE = "    return subprocess.call(cmd, shell=True)\n"
UNSAFE = f"import subprocess\n\n\ndef call(cmd: str) -> int:\n{SHELL_LINE}"


def test_a_rejected_step_is_fixed_on_its_own_commit_and_merges_once_the_gates_pass(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "r", {"README.md": "# r\n"})
    before = user_state(repo)
    model = scripted_model(
        tmp_path,
        {
            "planner": [plan_reply(("tool", "coder", []), files={"tool": ["tools.py"]})],
            "coder": [
                edit("tools.py", "", UNSAFE),
                edit(
                    "tools.py", SHELL_LINE, "    return subprocess.call(cmd.split(), shell=False)\n"
                ),
            ],
        },
    )
    environ = {"TALKGIT_RUN_GATES": '["bandit", "placeholder"]'}
    code, progress = run_scripted(repo, model, "add a call helper", environ)
    assert code == exit_codes.OK, progress

    (run_id,) = git(
        repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs"
    ).split()
    ledger = f"refs/talkgit/runs/{run_id}"
    first = json.loads(git(repo, "show", f"{ledger}:steps/01-tool.json"))
    second = json.loads(git(repo, "show", f"{ledger}:steps/02-tool.json"))
    assert (first["status"], first["gates"]["bandit"]) == ("rejected", "fail")
    assert (second["status"], second["gates"]["bandit"]) == ("merged", "pass")
    assert second["base"] == first["commit"]  # the fix builds on the rejected commit

    rejected = f"talkgit/{run_id}/01-tool"
    trailers = git(repo, "log", "-1", "--format=%(trailers:key=Talkgit-Gates,valueonly)", rejected)
    assert trailers.strip() == "bandit=fail placeholder=pass"
    feedback = json.loads(git(repo, "show", f"{ledger}:transcripts/02-tool.json"))[1]["content"]
    assert "B602" in feedback and "tools.py:5" in feedback

    integration = f"talkgit/{run_id}/integration"
    assert "shell=False" in git(repo, "show", f"{integration}:tools.py")
    note = json.loads(
        git(repo, "notes", "--ref=talkgit/steps", "show", f"talkgit/{run_id}/02-tool")
    )
    assert {gate["tool"]: gate["verdict"] for gate in note["gates"]} == {
        "bandit": "pass",
        "placeholder": "pass",
    }
    assert "[02] tool: merged" in progress and "gates bandit=pass" in progress
    assert user_state(repo) == before
    fsck(repo)
