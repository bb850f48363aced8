"""action.yml and the example workflows: the security rules the issue sets, and zizmor's verdict."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from talkgit.proc import cmd_output

ROOT = Path(__file__).parents[2]
ACTION = ROOT / "action.yml"
EXAMPLES = ROOT / "docs" / "examples" / "workflows"
DOCS = ROOT / "docs" / "github-action.md"
WORKFLOWS = sorted(EXAMPLES.glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
TALKGIT_REF = "talkgit/talkgit@0000000000000000000000000000000000000000"


def load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    return document


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    on: Any = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    return on if isinstance(on, dict) else dict.fromkeys(on)


def steps_of(document: dict[Any, Any]) -> list[dict[str, Any]]:
    if "runs" in document:
        return list(document["runs"]["steps"])
    return [step for job in document["jobs"].values() for step in job["steps"]]


def action_steps() -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in steps_of(load(ACTION))}


# --- action.yml -----------------------------------------------------------------------------------


def test_the_action_is_composite_with_the_issues_inputs_and_outputs():
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    assert {"gates", "fail-on", "review-model"} <= set(inputs)
    outputs = action["outputs"]
    for name in ("verdict", "new-findings", "comment-id"):
        assert outputs[name]["value"] == f"${{{{ steps.review.outputs.{name} }}}}"


def test_inputs_reach_the_scripts_only_through_env():
    action = load(ACTION)
    used = set()
    for step in steps_of(action):
        assert "${{" not in step["run"], step["name"]
        for value in step.get("env", {}).values():
            used |= set(re.findall(r"\$\{\{ inputs\.([\w-]+) \}\}", value))
    assert used == set(action["inputs"])  # every input is passed, none is pasted


def test_no_environment_variable_of_the_action_is_read_as_talkgit_configuration():
    for step in steps_of(load(ACTION)):
        assert not [name for name in step.get("env", {}) if name.upper().startswith("TALKGIT_")]


def test_the_action_uses_no_other_action_and_installs_talkgit_from_its_own_path():
    steps = action_steps()
    assert all("uses" not in step for step in steps.values())
    install = steps["Install talkgit"]["run"]
    assert '-m pip install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"' in install


def test_every_script_is_valid_bash():
    for name, step in action_steps().items():
        assert step["shell"] == "bash"
        assert cmd_output("bash", "-n", "-c", step["run"], check=False).returncode == 0, name


def run_review_step(tmp_path: Path, **inputs: str) -> list[str]:
    """The review step's script with a stand-in talkgit that prints its arguments."""
    fake = tmp_path / "talkgit-venv" / "bin" / "talkgit"
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/bin/sh\nfor arg in "$@"; do printf "%s\\n" "$arg"; done\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    step = action_steps()["Review the pull request"]
    environ = {"PATH": os.environ["PATH"], "RUNNER_TEMP": str(tmp_path)}
    for name, value in step["env"].items():
        match = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value)
        assert match is not None
        environ[name] = inputs.get(match[1].replace("-", "_"), "")
    done = cmd_output("bash", "-c", step["run"], env=environ, cwd=tmp_path)
    return done.stdout.splitlines()


def test_the_review_step_passes_set_inputs_as_flags(tmp_path):
    args = run_review_step(
        tmp_path,
        gates="ruff,mypy",
        fail_on="medium",
        review_model="openai/gpt-4o-mini",
        sarif_file="talkgit.sarif",
        save_results="out dir",
        allow_pull_request_target="true",
    )
    assert args == [
        "review",
        "--github",
        "--gates",
        "ruff,mypy",
        "--fail-on",
        "medium",
        "--review-model",
        "openai/gpt-4o-mini",
        "--sarif",
        "talkgit.sarif",
        "--save-results",
        "out dir",
        "--allow-pull-request-target",
    ]


def test_an_input_is_data_to_the_script_never_code(tmp_path):
    hostile = '$(touch pwned) `touch pwned` "; touch pwned; echo "'
    args = run_review_step(tmp_path, gates=hostile, post_results="x\ny")
    assert args[:4] == ["review", "--github", "--gates", hostile]
    assert args[4:] == ["--post-results", "x", "y"]  # printed one per line: still one argument
    assert not (tmp_path / "pwned").exists()


def test_unset_inputs_add_no_flags(tmp_path):
    assert run_review_step(tmp_path) == ["review", "--github"]
    assert run_review_step(tmp_path / "false", allow_pull_request_target="false") == [
        "review",
        "--github",
    ]


# --- the example workflows


def test_the_examples_are_the_default_and_the_fork_safe_pair():
    assert [path.name for path in WORKFLOWS] == [
        "talkgit-post.yml",
        "talkgit-pr.yml",
        "talkgit.yml",
    ]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_a_workflow_grants_nothing_by_default_and_least_permissions_per_job(path):
    workflow = load(path)
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert set(job["permissions"].values()) <= {"read", "write"}
        assert "contents" not in job["permissions"] or job["permissions"]["contents"] == "read"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_a_workflow_never_runs_the_heads_code_with_a_writable_token(path):
    workflow = load(path)
    assert "pull_request_target" not in triggers(workflow)
    for step in steps_of(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        assert "${{" not in step.get("run", "")


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_every_uses_is_pinned_to_a_full_commit(path):
    for step in steps_of(load(path)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]


def test_the_default_runs_on_pull_requests_with_full_history_and_a_concurrency_group():
    workflow = load(EXAMPLES / "talkgit.yml")
    assert set(triggers(workflow)) == {"pull_request"}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    checkout, talkgit, upload = steps_of(workflow)
    assert checkout["with"]["fetch-depth"] == 0
    assert talkgit["uses"] == TALKGIT_REF
    assert "head.repo.full_name == github.repository" in upload["if"]  # forks cannot upload
    job = workflow["jobs"]["review"]
    assert job["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "checks": "write",
        "security-events": "write",
    }


def test_the_fork_safe_pair_reviews_read_only_and_posts_without_the_prs_code():
    first, second = load(EXAMPLES / "talkgit-pr.yml"), load(EXAMPLES / "talkgit-post.yml")
    assert set(triggers(first)) == {"pull_request"}
    assert first["jobs"]["review"]["permissions"] == {"contents": "read"}
    _, review, upload = steps_of(first)
    assert review["with"]["save-results"] == upload["with"]["path"].rstrip("/")

    on = triggers(second)["workflow_run"]
    assert on == {"workflows": [first["name"]], "types": ["completed"]}
    (job,) = second["jobs"].values()
    assert job["if"] == (
        "github.event.workflow_run.event == 'pull_request' && "
        "(github.event.workflow_run.conclusion == 'success' || "
        "github.event.workflow_run.conclusion == 'failure')"
    )
    download, post = job["steps"]
    assert download["uses"].startswith("actions/download-artifact@")
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    assert post == {"uses": TALKGIT_REF, "with": {"post-results": download["with"]["path"]}}
    assert not any("checkout" in step.get("uses", "") for step in job["steps"])


def test_the_talkgit_action_is_referenced_the_same_way_everywhere():
    text = DOCS.read_text() + "".join(path.read_text() for path in WORKFLOWS)
    references = set(re.findall(r"uses: (talkgit/\S+)", text))
    assert references == {TALKGIT_REF}


# --- the documentation


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_the_docs_show_each_example_as_it_is(path):
    assert f"```yaml\n{path.read_text()}```" in DOCS.read_text()


def test_the_docs_warn_against_pull_request_target_with_the_heads_code():
    text = " ".join(DOCS.read_text().split())
    assert "Never use `pull_request_target` with a checkout of the pull request's head." in text


def test_the_docs_list_every_input_and_output_of_the_action():
    action, text = load(ACTION), DOCS.read_text()
    for name in [*action["inputs"], *action["outputs"]]:
        assert f"| `{name}` |" in text, name


# --- zizmor


def test_zizmor_finds_nothing_in_the_action_and_the_examples():
    zizmor = shutil.which("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install zizmor; it is in the test extra)")
    files = [str(ACTION.relative_to(ROOT)), *(str(p.relative_to(ROOT)) for p in WORKFLOWS)]

    done = cmd_output(zizmor, "--offline", *files, cwd=ROOT, timeout=120, check=False)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout


def test_the_half_that_saves_results_starts_talkgit_without_the_token(tmp_path):
    fake = tmp_path / "talkgit-venv" / "bin" / "talkgit"
    fake.parent.mkdir(parents=True)
    # The stand-in says whether it got a token, and whether a shell stayed behind (exec).
    fake.write_text('#!/bin/sh\necho "token=${GITHUB_TOKEN:-none}"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    step = action_steps()["Review the pull request"]
    assert 'exec "$RUNNER_TEMP/talkgit-venv/bin/talkgit"' in step["run"]
    environ = {"PATH": os.environ["PATH"], "RUNNER_TEMP": str(tmp_path)}
    environ |= {name: "" for name in step["env"]}
    for saving, expected in (("", "token=ghs_x"), ("results", "token=none")):
        environ |= {"GITHUB_TOKEN": "ghs_x", "INPUT_SAVE_RESULTS": saving}
        done = cmd_output("bash", "-c", step["run"], env=environ, cwd=tmp_path)
        assert done.stdout.strip() == expected
