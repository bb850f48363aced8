from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from talkgit.git.names import RUN_NOTES_REF, STEP_NOTES_REF
from talkgit.git.repo import GitRepo
from talkgit.git.transaction import Transaction
from talkgit.provenance.schema import (
    GateRecord,
    GitRecord,
    RunNote,
    StepNote,
    StepRef,
    UsageRecord,
    model_label,
)
from tests.support.gitrepo import fsck, git

WHEN = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def _step_note(commit: str) -> StepNote:
    return StepNote(
        run="ab12cd34",
        step=StepRef(index=2, id="fix-fib", attempt=1, parents=("plan",)),
        agent="coder",
        model="openai/gpt-4o-mini",
        prompt_sha256="a" * 64,
        response_sha256="b" * 64,
        usage=UsageRecord(input_tokens=812, output_tokens=96, cost=Decimal("0.000179"), calls=1),
        git=GitRecord(commit=commit, tree="t" * 40, base="c" * 40),
        gates=(GateRecord(tool="ruff", version="0.5.0", verdict="pass", counts={"new": 0}),),
        started=WHEN,
        finished=WHEN,
    )


def test_step_and_run_notes_are_json_that_plain_git_prints(repo: Path) -> None:
    opened = GitRepo.discover(repo)
    head = opened.head()
    run_note = RunNote(
        run="ab12cd34",
        task="fix fib",
        steps=3,
        models=("openai/gpt-4o-mini",),
        agents=("coder", "tester"),
        usage=UsageRecord(input_tokens=10, output_tokens=5, cost=Decimal("0.01")),
        gates={"ruff": "pass"},
        integration=head,
        finished=WHEN,
    )
    tx = Transaction(opened)
    tx.add_note(STEP_NOTES_REF, head, _step_note(head).to_json())
    tx.add_note(RUN_NOTES_REF, head, run_note.to_json())
    tx.commit()
    step = json.loads(git(repo, "notes", "--ref=talkgit/steps", "show", head))
    run = json.loads(git(repo, "notes", "--ref=talkgit/runs", "show", head))
    assert step["schema"] == "talkgit.step/v1" and run["schema"] == "talkgit.run/v1"
    assert step["usage"]["cost"] == "0.000179"  # a decimal string, never a float
    assert step["started"] == "2026-01-01T12:00:00Z"
    assert StepNote.model_validate(step) == _step_note(head)
    assert RunNote.model_validate(run) == run_note
    fsck(repo)


def test_notes_refuse_unknown_fields_and_verdicts() -> None:
    data = json.loads(_step_note("c" * 40).to_json())
    with pytest.raises(ValueError, match="api_key"):
        StepNote.model_validate({**data, "api_key": "x"})
    data["gates"][0]["verdict"] = "maybe"
    with pytest.raises(ValueError, match="verdict"):
        StepNote.model_validate(data)


@pytest.mark.parametrize(
    ("model", "label"),
    [
        ("openai/gpt-4o-mini", "openai/gpt-4o-mini"),
        ("gpt-4o", "litellm/gpt-4o"),
        ("scripted:/home/me/my script.yaml", "scripted/my-script"),
        ("scripted:demo.json", "scripted/demo"),
    ],
)
def test_model_labels_never_carry_a_local_path(model: str, label: str) -> None:
    assert model_label(model) == label
