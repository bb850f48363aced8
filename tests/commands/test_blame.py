from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pytest

import talkgit.git.notes
from talkgit import exit_codes
from talkgit.commands.blame import blame
from talkgit.commands.finish import finish
from talkgit.commands.run import RunOptions, run
from talkgit.edits.model import FileChange
from talkgit.engine.report import PlainReporter
from talkgit.errors import NotFoundError, RepositoryError
from talkgit.git.ledger import Ledger
from talkgit.git.names import RUN_NOTES_REF, step_branch
from talkgit.git.repo import GitRepo
from talkgit.git.trailers import add_trailers
from talkgit.git.transaction import Transaction
from talkgit.provenance.record import record_step
from talkgit.provenance.schema import GitRecord, RunNote, StepNote, StepRef, UsageRecord
from talkgit.provenance.talkgit_trailers import RunTrailers, StepTrailers
from tests.support.gitrepo import commit_file, git, make_repo
from tests.support.scripts import NO_GATES, edit, plan_reply, scripted_model

RUN = "ab12cd34"
WHEN = datetime(2026, 1, 1, tzinfo=timezone.utc)
HUMAN_TEXT = "def greet():\n    return 'helo'\n\nNAME = 'app'\n"
AGENT_TEXT = "def greet():\n    return 'hello'\n\nNAME = 'app'\n"
SQUASH_TEXT = "def greet():\n    return 'hello'\n\nNAME = 'talkgit app'\n"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "app", {"app.py": HUMAN_TEXT})


def agent_step(repo_path: Path, path: str, text: str, step: str = "fix", index: int = 1) -> str:
    """Record a step commit as the runner does (trailers, note, ledger) and fast-forward to it."""
    repo = GitRepo.discover(repo_path)
    base = repo.head()
    trailers = StepTrailers(RUN, index, step, "coder", ("openai/gpt-4o-mini",))
    recorded = record_step(
        repo,
        Ledger(repo, RUN),
        branch=step_branch(RUN, index, step),
        base=base,
        changes=[FileChange(path, text.encode())],
        message=add_trailers(f"Do {step}\n", trailers.to_trailers()),
        note=lambda commit, tree: StepNote(
            run=RUN,
            step=StepRef(index=index, id=step),
            agent="coder",
            model="openai/gpt-4o-mini",
            prompt_sha256="p" * 64,
            response_sha256="r" * 64,
            git=GitRecord(commit=commit, tree=tree, base=base),
            started=WHEN,
            finished=WHEN,
        ),
        ledger_files=lambda commit: {f"steps/{index:02d}-{step}.json": b"{}\n"},
    )
    git(repo_path, "merge", "-q", "--ff-only", recorded.commit)
    return recorded.commit


def finish_like_squash(repo_path: Path, path: str, text: str, *, note: str | None = None) -> str:
    """A plain-git commit carrying a run note, as `talkgit finish --squash` leaves one."""
    trailers = RunTrailers(
        RUN, 2, 15, Decimal("0.01"), (("coder", "openai/gpt-4o-mini"), ("tester", "scripted/judge"))
    )
    sha = commit_file(repo_path, path, text, add_trailers(f"Run {RUN}\n", trailers.to_trailers()))
    summary = RunNote(
        run=RUN,
        task="fix the greeting",
        steps=2,
        models=("openai/gpt-4o-mini", "scripted/judge"),
        agents=("coder", "tester"),
        usage=UsageRecord(input_tokens=10, output_tokens=5, cost=Decimal("0.01"), calls=2),
        integration="0" * 40,
        finished=WHEN,
    )
    tx = Transaction(GitRepo.discover(repo_path))
    tx.add_note(RUN_NOTES_REF, sha, summary.to_json() if note is None else note)
    tx.commit()
    return sha


def _blame(
    repo: Path, path: str = "app.py", *, as_json: bool = False, revision: str = "HEAD"
) -> str:
    out = io.StringIO()
    assert blame(repo, path, revision=revision, as_json=as_json, out=out) == exit_codes.OK
    return out.getvalue()


def _text_column(row: str) -> int:
    number = re.search(r" [0-9]+\) ", row)
    assert number is not None, row
    return number.end()


def test_human_agent_and_squash_lines_are_each_attributed(app: Path) -> None:
    human = git(app, "rev-parse", "HEAD").strip()
    step = agent_step(app, "app.py", AGENT_TEXT)
    squash = finish_like_squash(app, "app.py", SQUASH_TEXT)
    rows = _blame(app).splitlines()
    assert len(rows) == 4
    assert rows[0].startswith(human[:10]) and "coder" not in rows[0]
    assert re.search(r"\(human +Test User +1\) def greet\(\):$", rows[0])
    assert rows[1].startswith(step[:10])
    for fact in ("coder", "openai/gpt-4o-mini", f"run {RUN} step 01/fix", "2)     return 'hello'"):
        assert fact in rows[1]
    assert rows[3].startswith(squash[:10])
    for fact in ("coder,tester", "openai/gpt-4o-mini,scripted/judge", f"run {RUN} squash"):
        assert fact in rows[3]
    # Aligned like git blame: every line's text starts in the same column.
    assert len({_text_column(row) for row in rows}) == 1


def test_json_gives_one_record_per_line(app: Path) -> None:
    step = agent_step(app, "app.py", AGENT_TEXT)
    squash = finish_like_squash(app, "app.py", SQUASH_TEXT)
    records = json.loads(_blame(app, as_json=True))
    assert [(r["line"], r["origin"]) for r in records] == [
        (1, "human"),
        (2, "agent"),
        (3, "human"),
        (4, "run"),
    ]
    assert records[0]["author"] == "Test User" and records[0]["run"] is None
    assert records[1] | {"text": None} == {
        "line": 2,
        "text": None,
        "commit": step,
        "origin": "agent",
        "author": "Test User",
        "summary": "Do fix",
        "run": RUN,
        "step": "01/fix",
        "agent": "coder",
        "model": "openai/gpt-4o-mini",
        "agents": ["coder"],
        "models": ["openai/gpt-4o-mini"],
        "problem": None,
    }
    assert records[3]["commit"] == squash and records[3]["run"] == RUN
    assert records[3]["agents"] == ["coder", "tester"] and records[3]["step"] is None
    assert records[3]["text"] == "NAME = 'talkgit app'" and records[3]["problem"] is None


def test_an_older_revision_predates_the_squash(app: Path) -> None:
    agent_step(app, "app.py", AGENT_TEXT)
    finish_like_squash(app, "app.py", SQUASH_TEXT)
    records = json.loads(_blame(app, as_json=True, revision="HEAD~1"))
    assert [r["origin"] for r in records] == ["human", "agent", "human", "human"]
    assert records[3]["text"] == "NAME = 'app'"


def test_a_squash_without_a_readable_run_note_is_the_run_its_trailers_name(app: Path) -> None:
    finish_like_squash(app, "app.py", SQUASH_TEXT, note='{"schema": "talkgit.run/v1"}')
    records = json.loads(_blame(app, as_json=True))
    assert records[3]["origin"] == "run" and records[3]["run"] == RUN
    assert records[3]["problem"] is None  # its trailers are a valid run summary


def test_notes_are_read_once_per_commit_not_per_line(
    app: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_file(app, "big.py", "".join(f"x{n} = {n}\n" for n in range(1000)), "human")
    text = "".join(f"x{n} = {n * (2 if n % 2 else 1)}\n" for n in range(1000))
    agent_step(app, "big.py", text)
    finish_like_squash(app, "big.py", text.replace("= 0\n", "= -1\n"))
    reads: Counter[str] = Counter()
    real_read = talkgit.git.notes.read_note

    def counting(repo: GitRepo, notes_ref: str, target: str) -> str | None:
        reads[target] += 1
        return real_read(repo, notes_ref, target)

    monkeypatch.setattr(talkgit.git.notes, "read_note", counting)
    records = json.loads(_blame(app, "big.py", as_json=True))
    assert len(records) == 1000
    assert {r["origin"] for r in records} == {"human", "agent", "run"}
    assert len(reads) == 3  # three commits own the lines
    assert max(reads.values()) <= 2  # at most its step note and its run note, once each


def test_a_path_from_a_subdirectory_and_the_errors(app: Path, tmp_path: Path) -> None:
    commit_file(app, "pkg/mod.py", "X = 1\n", "module")
    assert "X = 1" in _blame(app / "pkg", "mod.py")
    (app / "draft.py").write_text("wip\n")
    with pytest.raises(NotFoundError, match=r"draft\.py is not a committed file at HEAD"):
        _blame(app, "draft.py")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{app}", str(shallow))
    with pytest.raises(RepositoryError, match="shallow clone"):
        _blame(shallow)


def _real_run(repo: Path, tmp_path: Path) -> str:
    """A scripted `talkgit run` that fixes line 2 of app.py; returns the run id."""
    plan = plan_reply(("fix", "coder", []), files={"fix": ["app.py"]})
    fix = edit("app.py", "    return 'helo'\n", "    return 'hello'\n")
    model = scripted_model(tmp_path, {"planner": [plan], "coder": [fix]}, "blame-script")
    progress = io.StringIO()
    options, reporter = RunOptions(model=model), PlainReporter(progress)
    code = run(repo, "fix greet", options, out=io.StringIO(), reporter=reporter, environ=NO_GATES)
    assert code == exit_codes.OK, progress.getvalue()
    return git(repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()


@pytest.mark.parametrize(("mode", "origin"), [("squash", "run"), ("merge", "agent")])
def test_after_a_real_finish_the_runs_lines_are_the_runs(
    app: Path, tmp_path: Path, mode: Literal["squash", "merge"], origin: str
) -> None:
    run_id = _real_run(app, tmp_path)
    assert finish(app, run_id, mode=mode, out=io.StringIO()) == exit_codes.OK
    records = json.loads(_blame(app, as_json=True))
    assert [r["origin"] for r in records] == ["human", origin, "human", "human"]
    assert records[1]["run"] == run_id and records[1]["text"] == "    return 'hello'"
    assert "coder" in records[1]["agents"]  # a run's note also names its planner
    assert set(records[1]["models"]) == {"scripted/blame-script"}
