"""`talkgit finish`: runs made by a scripted model, finished into real branches, read with git."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.finish import finish
from talkgit.commands.run import RunOptions, run
from talkgit.commands.show import show
from talkgit.engine.finish import Mode, load_finished
from talkgit.engine.report import PlainReporter
from talkgit.errors import NotFoundError, TalkgitError, UsageError
from talkgit.git.checkout import CheckoutConflict
from talkgit.git.ledger import Ledger
from talkgit.git.repo import GitRepo
from talkgit.git.trailers import parse_trailers
from talkgit.provenance.talkgit_trailers import RunTrailers, StepTrailers, check_talkgit_trailers
from tests.support.gitrepo import commit_file, fsck, git, make_repo, user_state
from tests.support.scripts import NO_GATES, edit, plan_reply, scripted_model

FILES = {"app.py": "def greet():\n    return 'helo'\n", "README.md": "# app\n", "notes.txt": "n\n"}
PLAN = plan_reply(("fix", "coder", []), ("guide", "coder", ["fix"]), files={"fix": ["app.py"]})
FIX = edit("app.py", "    return 'helo'\n", "    return 'hello'\n")
GUIDE = edit("docs/guide.md", "", "# Guide\n")
TASK = "Fix the greeting and write a guide"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "app", FILES)


def _run(app: Path, tmp_path: Path, *, task: str = TASK, max_steps: int | None = None) -> str:
    model = scripted_model(tmp_path, {"planner": [PLAN], "coder": [FIX, GUIDE]})
    options = RunOptions(model=model, max_steps=max_steps)
    run(
        app,
        task,
        options,
        out=io.StringIO(),
        reporter=PlainReporter(io.StringIO()),
        environ=NO_GATES,
    )
    return git(app, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()


@pytest.fixture
def done(app: Path, tmp_path: Path) -> str:
    """A done two-step run: app.py fixed, docs/guide.md added."""
    return _run(app, tmp_path)


def _finish(
    app: Path, run_id: str, mode: Mode = "squash", into: str | None = None
) -> tuple[int, str]:
    out = io.StringIO()
    code = finish(app, run_id, mode=mode, into=into, out=out)
    return code, out.getvalue()


def _all_refs(app: Path) -> str:
    return git(app, "for-each-ref", "--format=%(refname) %(objectname)")


def _run_json(app: Path, run_id: str) -> dict[str, object]:
    record = json.loads(git(app, "show", f"refs/talkgit/runs/{run_id}:run.json"))
    assert isinstance(record, dict)
    return record


def test_a_squash_brings_the_run_into_the_checked_out_branch(app: Path, done: str) -> None:
    old = git(app, "rev-parse", "main").strip()
    integration = git(app, "rev-parse", f"talkgit/{done}/integration").strip()
    code, out = _finish(app, done[:4])
    assert code == exit_codes.OK
    new = git(app, "rev-parse", "main").strip()
    assert f"finished run {done} into main: {new[:10]} (squash of 2 steps)" in out
    assert f"git reset --keep {old[:10]}" in out
    assert "git log -1 --format='%(trailers)' main" in out  # quoted: a shell reads ( as syntax
    assert git(app, "rev-list", "--parents", "-n1", "main").split() == [new, old]
    assert git(app, "rev-parse", "main^{tree}") == git(app, "rev-parse", f"{integration}^{{tree}}")
    assert (app / "app.py").read_text() == "def greet():\n    return 'hello'\n"
    assert (app / "docs" / "guide.md").read_text() == "# Guide\n"
    assert git(app, "status", "--porcelain") == ""
    assert git(app, "rev-parse", "main@{1}").strip() == old  # `git reset --keep` can undo it
    fsck(app)


def test_the_squash_message_ends_with_the_runs_trailers(app: Path, done: str) -> None:
    _finish(app, done)
    usage = _run_json(app, done)["usage"]
    assert isinstance(usage, dict)
    message = git(app, "log", "-1", "--format=%B", "main")
    assert message.startswith(f"{TASK}\n\ntalkgit run {done}, squashed from talkgit/{done}/")
    assert "- 01 fix (coder, scripted/script): " in message
    assert "- 02 guide (coder, scripted/script): " in message
    assert git(app, "log", "-1", "--format=%(trailers)", "main") == (
        "Assisted-by: talkgit-planner:scripted/script\n"
        "Assisted-by: talkgit-coder:scripted/script\n"
        f"Talkgit-Run: {done}\n"
        "Talkgit-Steps: 2\n"
        f"Talkgit-Tokens: {usage['input_tokens'] + usage['output_tokens']}\n"
        f"Talkgit-Cost: {usage['cost']} USD\n"
        "\n"
    )
    trailers = parse_trailers(message, divider=False)
    summary = RunTrailers.from_trailers(trailers)
    assert summary is not None and summary.run_id == done and summary.cost == Decimal(usage["cost"])
    assert StepTrailers.from_trailers(trailers) is None
    assert check_talkgit_trailers(message) == []  # the commit-msg hook accepts it


def test_a_run_note_goes_on_the_new_commit(app: Path, done: str) -> None:
    integration = git(app, "rev-parse", f"talkgit/{done}/integration").strip()
    _finish(app, done)
    note = json.loads(git(app, "notes", "--ref=talkgit/runs", "show", "main"))
    assert note["schema"] == "talkgit.run/v1"
    assert (note["run"], note["task"], note["steps"]) == (done, TASK, 2)
    assert note["models"] == ["scripted/script"] and note["agents"] == ["planner", "coder"]
    assert note["integration"] == integration
    assert note["usage"] == _run_json(app, done)["usage"]
    assert "scripted:" not in json.dumps(note) and str(app) not in json.dumps(note)


def test_the_ledger_records_the_finish_and_show_still_works(app: Path, done: str) -> None:
    _finish(app, done)
    new = git(app, "rev-parse", "main").strip()
    [entry] = load_finished(Ledger(GitRepo.discover(app), done))
    assert (entry.branch, entry.commit, entry.mode) == ("refs/heads/main", new, "squash")
    shown = io.StringIO()
    assert show(app, done, out=shown) == exit_codes.OK
    assert f"run {done}: done" in shown.getvalue()
    fsck(app)


def test_a_dirty_unrelated_file_survives_byte_for_byte(app: Path, done: str) -> None:
    mine = b"my notes\r\n\xff\xfe not utf-8, no newline at the end"
    (app / "notes.txt").write_bytes(mine)
    (app / "README.md").write_text("# app, staged by hand\n")
    git(app, "add", "README.md")
    (app / "scratch.py").write_text("untracked\n")
    code, out = _finish(app, done)
    assert code == exit_codes.OK and "2 path(s) updated" in out
    assert (app / "notes.txt").read_bytes() == mine
    assert git(app, "diff", "--cached", "--name-only") == "README.md\n"
    assert git(app, "show", ":README.md") == "# app, staged by hand\n"
    assert (app / "scratch.py").read_text() == "untracked\n"
    assert git(app, "status", "--porcelain") == "M  README.md\n M notes.txt\n?? scratch.py\n"
    assert (app / "app.py").read_text() == "def greet():\n    return 'hello'\n"


@pytest.mark.parametrize("how", ["modified", "staged", "untracked"])
def test_a_dirty_overlapping_path_is_refused_with_nothing_changed(
    app: Path, done: str, how: str
) -> None:
    if how == "untracked":
        (app / "docs").mkdir()
        (app / "docs" / "guide.md").write_text("my own guide\n")
    else:
        (app / "app.py").write_text("def greet():\n    return 'hi'\n")
        if how == "staged":
            git(app, "add", "app.py")
    state, refs = user_state(app), _all_refs(app)
    with pytest.raises(CheckoutConflict, match="your uncommitted changes touch") as caught:
        _finish(app, done)
    assert ("docs/guide.md" if how == "untracked" else "app.py") in str(caught.value)
    assert user_state(app) == state and _all_refs(app) == refs
    assert caught.value.exit_code == exit_codes.FAILURE


def test_into_another_branch_does_not_touch_the_working_tree(app: Path, done: str) -> None:
    git(app, "branch", "release")
    (app / "app.py").write_text("my edit, on a path the run changes\n")
    files = {p: p.read_bytes() for p in app.rglob("*") if ".git" not in p.parts and p.is_file()}
    index, head = (app / ".git" / "index").read_bytes(), git(app, "rev-parse", "HEAD")
    code, out = _finish(app, done, into="release")
    assert code == exit_codes.OK and "release is not checked out here" in out
    assert {p: p.read_bytes() for p in files} == files
    assert sorted(p for p in app.rglob("*") if ".git" not in p.parts and p.is_file()) == sorted(
        files
    )
    assert (app / ".git" / "index").read_bytes() == index
    assert git(app, "rev-parse", "HEAD") == head
    assert git(app, "show", "release:app.py") == "def greet():\n    return 'hello'\n"
    assert json.loads(git(app, "notes", "--ref=talkgit/runs", "show", "release"))["run"] == done
    fsck(app)


def test_a_target_that_moved_gets_a_three_way_merge(app: Path, done: str) -> None:
    moved = commit_file(app, "notes.txt", "written while the run ran\n", "Notes")
    _finish(app, done)
    assert git(app, "rev-parse", "main^").strip() == moved
    assert git(app, "show", "main:notes.txt") == "written while the run ran\n"
    assert git(app, "show", "main:docs/guide.md") == "# Guide\n"
    assert git(app, "status", "--porcelain") == ""


def test_a_conflicting_target_is_refused_with_nothing_changed(app: Path, done: str) -> None:
    commit_file(app, "app.py", "def greet():\n    return 'hey'\n", "Mine")
    state, refs = user_state(app), _all_refs(app)
    with pytest.raises(TalkgitError, match=f"run {done} conflicts with main in app.py"):
        _finish(app, done)
    assert user_state(app) == state and _all_refs(app) == refs


def test_merge_makes_a_merge_commit_with_the_same_trailers(app: Path, done: str) -> None:
    old = git(app, "rev-parse", "main").strip()
    integration = git(app, "rev-parse", f"talkgit/{done}/integration").strip()
    code, out = _finish(app, done, mode="merge")
    assert code == exit_codes.OK and "(merge of 2 steps)" in out
    assert git(app, "rev-list", "--parents", "-n1", "main").split()[1:] == [old, integration]
    assert git(app, "log", "-1", "--format=%s", "main") == f"Merge talkgit run {done}: {TASK}\n"
    assert f"Talkgit-Run: {done}\nTalkgit-Steps: 2\n" in git(
        app, "log", "-1", "--format=%(trailers)", "main"
    )
    assert json.loads(git(app, "notes", "--ref=talkgit/runs", "show", "main"))["steps"] == 2
    assert (app / "docs" / "guide.md").is_file() and git(app, "status", "--porcelain") == ""
    fsck(app)


def test_a_long_task_is_shortened_in_the_subject_and_kept_whole_below(
    app: Path, tmp_path: Path
) -> None:
    task = "Fix the greeting --- " + "and then keep going " * 6 + "\nSecond line: Talkgit-Run: x"
    run_id = _run(app, tmp_path, task=task)
    _finish(app, run_id)
    subject, _, rest = git(app, "log", "-1", "--format=%B", "main").partition("\n")
    assert len(subject) == 72 and subject.endswith("…") and "- - -" in subject
    assert "Task:\n    Fix the greeting --- and then" in rest
    assert "\n    Second line: Talkgit-Run: x\n" in rest
    assert check_talkgit_trailers(subject + "\n" + rest) == []


def test_only_a_done_run_can_be_finished(app: Path, tmp_path: Path) -> None:
    stopped = _run(app, tmp_path, max_steps=1)
    assert _run_json(app, stopped)["status"] == "stopped"
    refs = _all_refs(app)
    with pytest.raises(UsageError, match=f"is stopped.*talkgit resume {stopped}"):
        _finish(app, stopped)
    assert _all_refs(app) == refs


def test_refusals_change_nothing(app: Path, done: str) -> None:
    refs, state = _all_refs(app), user_state(app)
    with pytest.raises(NotFoundError, match="no branch nope"):
        _finish(app, done, into="nope")
    with pytest.raises(UsageError, match="is a talkgit branch"):
        _finish(app, done, into=f"talkgit/{done}/integration")
    with pytest.raises(NotFoundError, match="no run matches"):
        _finish(app, "ffff0000")
    git(app, "checkout", "-q", "--detach")
    with pytest.raises(UsageError, match=r"HEAD is detached.*--into"):
        _finish(app, done)
    git(app, "checkout", "-q", "main")
    assert _all_refs(app) == refs and user_state(app) == state


def test_finishing_twice_into_one_branch_is_refused(app: Path, done: str) -> None:
    _finish(app, done)
    with pytest.raises(UsageError, match="nothing to finish"):
        _finish(app, done)
    git(app, "branch", "other", "main~1")
    assert _finish(app, done, into="other")[0] == exit_codes.OK
    entries = load_finished(Ledger(GitRepo.discover(app), done))
    assert [e.branch for e in entries] == ["refs/heads/main", "refs/heads/other"]


def test_the_run_note_shows_each_gates_worst_verdict(app: Path, done: str) -> None:
    steps = git(app, "rev-list", f"main..talkgit/{done}/integration", "--no-merges").split()
    verdicts = [{"ruff": "pass", "mypy": "pass"}, {"ruff": "fail", "bandit": "skip"}]
    for commit, gates in zip(steps, verdicts, strict=True):
        note = json.loads(git(app, "notes", "--ref=talkgit/steps", "show", commit))
        note["gates"] = [{"tool": tool, "verdict": v} for tool, v in gates.items()]
        git(
            app,
            "notes",
            "--ref=talkgit/steps",
            "add",
            "-f",
            "-F",
            "-",
            commit,
            stdin=json.dumps(note),
        )
    _finish(app, done)
    note = json.loads(git(app, "notes", "--ref=talkgit/runs", "show", "main"))
    assert note["gates"] == {"ruff": "fail", "mypy": "pass", "bandit": "skip"}
