from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from talkgit import exit_codes
from talkgit.commands.log import log
from talkgit.edits.model import FileChange
from talkgit.git.ledger import Ledger
from talkgit.git.names import step_branch
from talkgit.git.repo import GitRepo
from talkgit.git.trailers import add_trailers
from talkgit.provenance.record import record_step
from talkgit.provenance.schema import GitRecord, StepNote, StepRef, UsageRecord
from talkgit.provenance.talkgit_trailers import StepTrailers
from tests.support.gitrepo import commit_file, git


def _agent_step(repo_path: Path) -> str:
    repo = GitRepo.discover(repo_path)
    base = repo.head()
    trailers = StepTrailers(
        "ab12cd34", 1, "fix", "coder", ("openai/gpt-4o-mini",), (("ruff", "pass"),)
    )
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    recorded = record_step(
        repo,
        Ledger(repo, "ab12cd34"),
        branch=step_branch("ab12cd34", 1, "fix"),
        base=base,
        changes=[FileChange("pkg/mod.py", b"X = 2\n")],
        message=add_trailers("Fix X\n", trailers.to_trailers()),
        note=lambda commit, tree: StepNote(
            run="ab12cd34",
            step=StepRef(index=1, id="fix"),
            agent="coder",
            model="openai/gpt-4o-mini",
            prompt_sha256="p" * 64,
            response_sha256="r" * 64,
            usage=UsageRecord(input_tokens=100, output_tokens=20, cost=Decimal("0.0012"), calls=1),
            git=GitRecord(commit=commit, tree=tree, base=base),
            started=when,
            finished=when,
        ),
        ledger_files=lambda commit: {"steps/01-fix.json": b"{}\n"},
    )
    git(repo_path, "merge", "-q", "--ff-only", recorded.commit)
    commit_file(repo_path, "notes.txt", "by hand\n", "A human commit")
    return recorded.commit


def test_log_tells_agent_commits_from_human_ones(repo: Path) -> None:
    agent_commit = _agent_step(repo)
    out = io.StringIO()
    assert log(repo, "HEAD", out=out) == exit_codes.OK
    human, agent, initial = out.getvalue().splitlines()
    assert "human" in human and "A human commit" in human
    assert agent.startswith(agent_commit[:10])
    for fact in (
        "coder",
        "openai/gpt-4o-mini",
        "run ab12cd34 step 01/fix",
        "ruff=pass",
        "120 tok $0.0012",
    ):
        assert fact in agent
    assert "human" in initial


def test_log_json_carries_trailers_and_the_note(repo: Path) -> None:
    agent_commit = _agent_step(repo)
    out = io.StringIO()
    log(repo, "HEAD~2..HEAD", as_json=True, out=out)
    records = json.loads(out.getvalue())
    assert [r["origin"] for r in records] == ["human", "agent"]
    agent = records[1]
    assert agent["commit"] == agent_commit
    assert agent["trailers"]["step"] == "01/fix" and agent["trailers"]["gates"] == {"ruff": "pass"}
    assert (
        agent["note"]["schema"] == "talkgit.step/v1" and agent["note"]["usage"]["cost"] == "0.0012"
    )


def test_malformed_provenance_is_reported_not_fatal(repo: Path) -> None:
    commit_file(repo, "x.txt", "x\n", "Odd\n\nTalkgit-Run: ab12cd34\nTalkgit-Step: one")
    out = io.StringIO()
    assert log(repo, "HEAD", max_count=1, out=out) == exit_codes.OK
    assert "unreadable trailers" in out.getvalue()


def test_log_shows_a_finished_run_as_the_run_with_its_totals(repo: Path, tmp_path: Path) -> None:
    from talkgit.commands.finish import finish
    from talkgit.commands.run import RunOptions, run
    from tests.support.scripts import NO_GATES, edit, plan_reply, scripted_model

    model = scripted_model(
        tmp_path,
        {
            "planner": [plan_reply(("bump", "coder", []), files={"bump": ["pkg/mod.py"]})],
            "coder": [edit("pkg/mod.py", "X = 1\n", "X = 2\n")],
        },
    )
    assert run(repo, "bump X", RunOptions(model=model), out=io.StringIO(), environ=NO_GATES) == 0
    (run_id,) = git(
        repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs"
    ).split()
    assert finish(repo, run_id, out=io.StringIO()) == exit_codes.OK
    out = io.StringIO()
    log(repo, "HEAD", max_count=1, out=out)
    line = out.getvalue()
    assert f"run      {run_id}" in line and "coder:scripted/script" in line
    as_json = io.StringIO()
    log(repo, "HEAD", max_count=1, as_json=True, out=as_json)
    (record,) = json.loads(as_json.getvalue())
    assert record["origin"] == "agent" and record["run"]["run"] == run_id
