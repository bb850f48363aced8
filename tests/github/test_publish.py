"""Publishing a review against a local GitHub-protocol server: the issue's must-haves."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from talkgit.errors import ConfigError, UsageError
from talkgit.gates.base import Finding, Severity, Verdict
from talkgit.github.api import Annotation, GitHubClient, PullFile
from talkgit.github.diff import LineComment, PullDiff, pull_diff
from talkgit.github.event import PullRequest, RunnerFiles, WorkflowRun
from talkgit.github.publish import (
    ANNOTATION_BATCH,
    MAX_ANNOTATIONS,
    MAX_REVIEW_COMMENTS,
    PLAN_FILE,
    REVIEW_BATCH,
    PublishResult,
    check_saved_results,
    escape_data,
    escape_property,
    finding_marker,
    load_plan,
    plan_publication,
    post,
    publish,
    pull_for_plan,
    save_plan,
    workflow_commands,
    write_outputs,
)
from talkgit.github.summary import SUMMARY_MARKER, ReviewData
from tests.support.github_server import BOT, FORBIDDEN, REPO, TOKEN, GitHubServer, Identity

BASE, HEAD, NEXT = "a" * 40, "b" * 40, "c" * 40
NEW_FILE = "@@ -0,0 +1,80 @@\n" + "\n".join(f"+line {n}" for n in range(1, 81))
SMALL_HUNK = "@@ -10,3 +10,4 @@\n a\n+b\n c\n d"
FILES = {"pkg/mod.py": NEW_FILE, "pkg/other.py": SMALL_HUNK}
PR = PullRequest(REPO, 7, BASE, HEAD, head_repo=REPO)


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        server.add_pull(7, base_sha=BASE, head_sha=HEAD, files=FILES)
        yield server


@pytest.fixture
def client(github: GitHubServer) -> Iterator[GitHubClient]:
    with GitHubClient(TOKEN, api_url=github.base_url, sleep=lambda seconds: None) as c:
        yield c


def finding(
    path: str = "pkg/mod.py",
    line: int = 3,
    severity: Severity = Severity.MEDIUM,
    rule: str = "F401",
    message: str = "`os` imported but unused",
) -> Finding:
    fingerprint = hashlib.sha256(f"{path}:{line}:{rule}:{message}".encode()).hexdigest()
    return Finding("ruff", rule, severity, path, line, 1, message, fingerprint)


def review(*findings: Finding, overall: Verdict = "fail", **extra: Any) -> ReviewData:
    return ReviewData((("ruff", overall),), findings, (), overall, **extra)


class Run:
    """One publish, with its stdout (workflow commands) and the runner's files."""

    def __init__(self, tmp_path: Path) -> None:
        self.summary = tmp_path / "step_summary.md"
        self.sarif = tmp_path / "talkgit.sarif"
        self.stdout = io.StringIO()

    def __call__(
        self,
        client: GitHubClient | None,
        data: ReviewData,
        *,
        pr: PullRequest = PR,
        writable: bool = True,
        diff: PullDiff | None = None,
    ) -> PublishResult:
        files = RunnerFiles(step_summary=self.summary, run_url="https://example.test/run/1")
        return publish(
            client,
            pr,
            data,
            writable=writable,
            diff=diff,
            files=files,
            sarif='{"version": "2.1.0"}',
            sarif_path=self.sarif,
            stream=self.stdout,
        )

    @property
    def commands(self) -> list[str]:
        return [line for line in self.stdout.getvalue().splitlines() if line.startswith("::")]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    return Run(tmp_path)


def reviews_posted(github: GitHubServer) -> list[Any]:
    return github.calls("POST", r"/repos/octo/widgets/pulls/7/reviews")


# --- the sticky comment ---------------------------------------------------------------------------


def test_a_first_run_creates_the_comment_and_a_second_updates_it_with_no_duplicates(
    github, client, run
):
    data = review(finding(line=3), finding("pkg/other.py", 11))

    first = run(client, data)
    second = run(client, review(finding(line=3), finding("pkg/other.py", 11), overall="warn"))

    assert first.comment_created and not second.comment_created
    assert first.comment_id == second.comment_id is not None
    (comment,) = github.issue_comments[7]
    assert comment["id"] == first.comment_id and comment["body"].startswith(SUMMARY_MARKER)
    assert "new findings to look at" in comment["body"]  # the second run's verdict
    assert (first.review_comments_posted, second.review_comments_posted) == (2, 0)
    assert second.review_comments_kept == 2
    assert len(github.review_comments[7]) == 2
    assert len(reviews_posted(github)) == 1
    assert first.problems == second.problems == ()


def test_the_comment_is_found_on_a_later_page_and_only_among_the_tokens_own(github, client, run):
    for n in range(150):
        github.add_issue_comment(7, f"chatter {n}")
    decoy = github.add_issue_comment(7, f"{SUMMARY_MARKER} copied by a person", login="mallory")
    ours = github.add_issue_comment(7, f"{SUMMARY_MARKER}\nold summary", login=BOT, user_type="Bot")

    result = run(client, review(finding()))

    assert result.comment_id == ours and not result.comment_created
    bodies = {c["id"]: c["body"] for c in github.issue_comments[7]}
    assert bodies[decoy] == f"{SUMMARY_MARKER} copied by a person"
    assert "old summary" not in bodies[ours]
    assert len(bodies) == 152
    pages = github.calls("GET", r"/repos/octo/widgets/issues/7/comments")
    assert len(pages) == 2


def test_when_github_will_not_name_the_token_no_comment_is_adopted(github, client, run):
    github.tokens[TOKEN] = Identity(BOT, installation=True, graphql=False)
    earlier = github.add_issue_comment(7, f"{SUMMARY_MARKER}\nold", login=BOT)
    fingerprint = finding(line=5).fingerprint
    stale = github.add_review_comment(
        7, "pkg/mod.py", 5, f"x\n<!-- talkgit:finding {fingerprint} -->", login=BOT
    )

    result = run(client, review(finding()))

    assert result.comment_created and result.comment_id != earlier
    assert len(github.issue_comments[7]) == 2  # a second comment beats editing a stranger's
    assert not github.calls("PATCH", r".*/issues/comments/\d+")
    # The new comment's author is who the token is, so its review comments are known again.
    assert stale not in {c["id"] for c in github.review_comments[7]}
    assert result.review_comments_removed == 1


def test_when_github_names_nobody_nothing_is_edited_or_deleted(github, client, run):
    github.tokens[TOKEN] = Identity(BOT, installation=True, graphql=False)
    github.fail("POST", r".*/issues/7/comments", 500, times=5)
    fingerprint = finding(line=5).fingerprint
    github.add_review_comment(7, "pkg/mod.py", 5, f"x\n<!-- talkgit:finding {fingerprint} -->")
    github.add_review_comment(
        7, "pkg/mod.py", 5, f"x\n<!-- talkgit:finding {fingerprint} -->", login=BOT
    )

    result = run(client, review(finding()))

    assert result.comment_id is None and result.review_comments_posted == 1
    assert len(github.review_comments[7]) == 3
    assert not github.calls("PATCH", r".*/comments/\d+") and not github.calls("DELETE")


def test_an_unchanged_summary_is_not_written_again(github, client, run):
    run(client, review(finding()))
    run(client, review(finding()))
    assert len(github.calls("PATCH", r"/repos/octo/widgets/issues/comments/\d+")) == 0


# --- review comments ------------------------------------------------------------------------------


def test_review_comments_go_only_on_lines_inside_the_diffs_hunks(github, client, run):
    inside = finding("pkg/other.py", 11)
    between = finding("pkg/other.py", 30)  # same file, no hunk there
    unchanged = finding("docs/conf.py", 2)

    result = run(client, review(inside, between, unchanged))

    (comment,) = github.review_comments[7]
    assert (comment["path"], comment["line"], comment["side"]) == ("pkg/other.py", 11, "RIGHT")
    assert finding_marker(comment["body"]) == inside.fingerprint
    assert comment["body"].startswith("**ruff F401** (medium): `` `os` imported but unused ``")
    (check,) = github.check_runs.values()
    assert {(a["path"], a["start_line"]) for a in check["annotations"]} == {
        ("pkg/other.py", 30),
        ("docs/conf.py", 2),
    }
    assert (result.review_comments_posted, result.check_annotations) == (1, 2)


def test_at_most_thirty_comments_go_in_one_review(github, client, run):
    findings = [finding(line=n) for n in range(1, 71)]

    result = run(client, review(*findings))

    sizes = [len(r.body["comments"]) for r in reviews_posted(github)]
    assert sizes == [REVIEW_BATCH, REVIEW_BATCH, 10]
    assert result.review_comments_posted == 70
    for request in reviews_posted(github):
        assert request.body["commit_id"] == HEAD and request.body["event"] == "COMMENT"


def test_past_the_cap_findings_on_diff_lines_become_annotations(github, client, run):
    findings = [finding(line=n, severity=Severity.HIGH) for n in range(1, 81)]
    findings += [finding(line=n, rule="E501") for n in range(1, 21)]

    result = run(client, review(*findings))

    assert result.review_comments_posted == MAX_REVIEW_COMMENTS
    (check,) = github.check_runs.values()
    assert len(check["annotations"]) == 100 - MAX_REVIEW_COMMENTS
    assert {a["title"] for a in check["annotations"]} == {"ruff E501"}  # the least severe


def test_a_comment_whose_finding_is_gone_is_deleted_or_marked_resolved_if_replied_to(
    github, client, run
):
    fixed, answered, stays = finding(line=1), finding(line=2), finding(line=3)
    run(client, review(fixed, answered, stays))
    by_line = {c["line"]: c["id"] for c in github.review_comments[7]}
    github.add_review_comment(7, "pkg/mod.py", 2, "Good catch!", in_reply_to=by_line[2])

    result = run(client, review(stays))

    remaining = {c["id"]: c for c in github.review_comments[7]}
    assert by_line[1] not in remaining
    resolved = remaining[by_line[2]]["body"]
    assert resolved.startswith("✅ No longer found at `bbbbbbb`.")
    assert "<details><summary>The original comment</summary>" in resolved
    assert finding_marker(resolved) is None  # not ours to manage any more
    assert remaining[by_line[3]]["body"].endswith(f"<!-- talkgit:finding {stays.fingerprint} -->")
    assert (result.review_comments_removed, result.review_comments_kept) == (2, 1)
    assert result.review_comments_posted == 0

    third = run(client, review(stays))
    assert third.review_comments_removed == 0  # the resolved one is left alone


def test_other_peoples_comments_with_our_marker_are_never_touched(github, client, run):
    gone = finding(line=5)
    forged = github.add_review_comment(
        7, "pkg/mod.py", 5, f"me too\n<!-- talkgit:finding {gone.fingerprint} -->", login="mallory"
    )

    result = run(client, review())

    assert forged in {c["id"] for c in github.review_comments[7]}
    assert result.review_comments_removed == 0


def test_an_outdated_comment_is_posted_again_where_the_finding_now_is(github, client, run):
    moved = finding(line=3)
    run(client, review(moved))
    old_id = github.review_comments[7][0]["id"]
    # A new push: the diff no longer shows pkg/mod.py, so GitHub makes the comment outdated.
    github.move_head(7, NEXT, {"pkg/other.py": SMALL_HUNK})
    new_pr = PullRequest(REPO, 7, BASE, NEXT, head_repo=REPO)
    same_finding_elsewhere = Finding(
        "ruff", "F401", Severity.MEDIUM, "pkg/other.py", 11, 1, "x", moved.fingerprint
    )

    result = run(client, review(same_finding_elsewhere), pr=new_pr)

    comments = github.review_comments[7]
    assert old_id not in {c["id"] for c in comments}
    assert [(c["path"], c["line"]) for c in comments] == [("pkg/other.py", 11)]
    assert (result.review_comments_posted, result.review_comments_removed) == (1, 1)


def test_one_line_github_refuses_does_not_lose_the_other_comments(github, client, run):
    # Our diff (from an earlier fetch) shows line 40 of pkg/other.py; GitHub's does not.
    stale_diff = pull_diff(
        [
            _file("pkg/mod.py", NEW_FILE),
            _file("pkg/other.py", SMALL_HUNK + "\n@@ -39,1 +40,1 @@\n-old\n+new"),
        ]
    )
    good = [finding(line=n) for n in range(1, 20)]
    bad = finding("pkg/other.py", 40, Severity.HIGH)

    result = run(client, review(*good[:7], bad, *good[7:]), diff=stale_diff)

    posted = {(c["path"], c["line"]) for c in github.review_comments[7]}
    assert posted == {("pkg/mod.py", n) for n in range(1, 20)}
    assert (result.review_comments_posted, result.review_comments_rejected) == (19, 1)
    assert any(p.startswith("pkg/other.py:40: ") and "422" in p for p in result.problems)
    (check,) = github.check_runs.values()  # the refused finding is still shown, as an annotation
    assert [(a["path"], a["start_line"]) for a in check["annotations"]] == [("pkg/other.py", 40)]
    assert result.workflow_annotations == 0


def test_llm_comments_are_posted_on_diff_lines_with_their_own_markers(github, client, run):
    data = review(
        overall="pass",
        llm_comments=(
            LineComment("pkg/mod.py", 4, "This loop never ends, @octocat <b>really</b>."),
            LineComment("pkg/mod.py", 400, "outside the diff"),
        ),
        llm_model="openai/gpt-4o-mini",
    )

    first = run(client, data)
    second = run(client, data)

    (comment,) = github.review_comments[7]
    assert comment["line"] == 4
    assert comment["body"].startswith("<sub>talkgit LLM review · `openai/gpt-4o-mini`</sub>")
    words = "This loop never ends, @\u200boctocat <\u200bb>really<\u200b/b>."
    assert f"```text\n{words}\n```" in comment["body"]  # the zero-width spaces: inert.py
    assert (finding_marker(comment["body"]) or "").startswith("llm-")
    assert (first.review_comments_posted, second.review_comments_posted) == (1, 0)


def test_no_key_in_the_reviewers_words_or_the_tools_messages_reaches_github(
    github, client, run, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-TALKGIT-PUBLISH-0123456789")
    keys = (
        "sk-test-TALKGIT-PUBLISH-0123456789",
        "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6",
        "AKIAIOSFODNN7EXAMPLQ",
    )
    data = review(
        finding(line=3, message=f"a hard-coded key: {keys[2]}"),
        finding("pkg/mod.py", 60, rule="S105", message=f"and here: {keys[2]}"),
        llm_comments=(LineComment("pkg/mod.py", 4, f"Your key {keys[0]} leaks here."),),
        llm_summary=f"Fine, but {keys[1]} is a token.",
        llm_model="openai/gpt-4o-mini",
    )

    run(client, data)

    sent = "\n".join(json.dumps(r.body) for r in github.requests)
    written = run.summary.read_text() + run.stdout.getvalue()
    assert "[REDACTED]" in sent
    assert not [key for key in keys if key in sent or key in written]


def test_a_marker_quoted_inside_a_comment_is_not_taken_for_ours():
    body = "see <!-- talkgit:finding aaaa --> above\n\n<!-- talkgit:finding bbbb -->"
    assert finding_marker(body) == "bbbb"
    assert finding_marker("<!-- talkgit:finding aaaa --> and then words") is None


# --- check runs -----------------------------------------------------------------------------------


def test_annotations_outside_the_diff_go_to_the_check_run_fifty_at_a_time(github, client, run):
    outside = [finding("docs/conf.py", n) for n in range(1, 121)]

    result = run(client, review(*outside))

    (check,) = github.check_runs.values()
    assert len(check["annotations"]) == 120 and result.check_annotations == 120
    created = github.calls("POST", r"/repos/octo/widgets/check-runs")
    updated = github.calls("PATCH", r"/repos/octo/widgets/check-runs/\d+")
    sizes = [len(r.body["output"]["annotations"]) for r in created + updated]
    assert sizes == [ANNOTATION_BATCH, ANNOTATION_BATCH, 20]
    assert created[0].body["status"] == "in_progress" and created[0].body["head_sha"] == HEAD
    assert (check["status"], check["conclusion"]) == ("completed", "failure")
    assert check["output"]["summary"].startswith(SUMMARY_MARKER)


def test_a_flood_of_findings_is_capped_not_a_crash(github, client, run):
    flood = [finding("docs/conf.py", n, Severity.LOW) for n in range(1, 1500)]
    flood.append(finding("docs/conf.py", 2000, Severity.HIGH))

    result = run(client, review(*flood))

    (check,) = github.check_runs.values()
    assert result.check_annotations == len(check["annotations"]) == MAX_ANNOTATIONS
    assert check["annotations"][0]["start_line"] == 2000  # the most severe is kept
    assert "#### New findings (1500)" in run.summary.read_text()
    assert result.problems == ()


@pytest.mark.parametrize(
    ("verdict", "conclusion"),
    [("pass", "success"), ("warn", "neutral"), ("error", "failure"), ("skip", "skipped")],
)
def test_the_check_runs_conclusion_follows_the_verdict(github, client, run, verdict, conclusion):
    run(client, review(overall=verdict))
    (check,) = github.check_runs.values()
    assert (check["status"], check["conclusion"]) == ("completed", conclusion)


# --- read-only tokens and failures ----------------------------------------------------------------


def test_a_read_only_token_degrades_to_workflow_annotations_and_the_job_summary(
    github, client, run
):
    github.tokens[TOKEN] = Identity(can_write=False)
    findings = [finding(line=n, severity=Severity.HIGH) for n in range(1, 16)]
    findings += [finding("docs/conf.py", n) for n in range(1, 16)]

    result = run(client, review(*findings))

    assert result.read_only
    assert len(result.problems) == 3 and all(FORBIDDEN in p for p in result.problems)
    assert github.issue_comments[7] == [] and github.review_comments[7] == []
    kinds = [line.split(" ", 1)[0] for line in run.commands]
    assert (kinds.count("::error"), kinds.count("::warning")) == (10, 10)
    assert result.workflow_annotations == 20
    assert "talkgit: 10 more finding(s) are listed in the job summary" in run.stdout.getvalue()
    assert run.summary.read_text().startswith(SUMMARY_MARKER)
    assert run.sarif.read_text() == '{"version": "2.1.0"}\n'


def test_a_fork_pull_request_writes_nothing_to_github(github, client, run):
    result = run(client, review(finding()), writable=False)

    assert [r for r in github.requests if r.method != "GET"] == []
    assert result.read_only and result.comment_id is None and result.problems == ()
    assert run.commands == [
        "::warning file=pkg/mod.py,line=3,title=ruff F401::`os` imported but unused"
    ]


def test_without_a_client_only_the_runners_files_and_annotations_are_written(run):
    result = run(None, review(finding()), writable=True)
    assert result.read_only and result.workflow_annotations == 1
    assert run.summary.exists()


def test_posting_failures_never_raise_and_never_leak_the_token(github, client, run):
    for method in ("GET", "POST", "PATCH", "DELETE"):
        github.fail(method, r"/repos/.*", 500, f"boom {TOKEN}", times=100)

    result = run(client, review(finding(), finding("docs/conf.py", 1)))

    assert result.comment_id is None and not result.read_only
    assert len(result.problems) == 4  # the files, the comment, the review comments, the check
    assert all("500" in p for p in result.problems)
    assert result.workflow_annotations == 2
    everything = "\n".join(result.problems) + run.stdout.getvalue() + run.summary.read_text()
    assert TOKEN not in everything


def test_a_summary_file_that_cannot_be_written_is_a_problem_not_a_crash(client, tmp_path):
    blocked = tmp_path / "dir"
    blocked.mkdir()
    result = publish(
        client,
        PR,
        review(),
        writable=True,
        files=RunnerFiles(step_summary=blocked),
        stream=io.StringIO(),
    )
    assert any(p.startswith("the job summary: cannot write dir") for p in result.problems)


def test_the_job_summary_is_appended_to_what_earlier_steps_wrote(client, run):
    run.summary.write_text("# earlier step\n")
    run(client, review())
    assert run.summary.read_text().startswith("# earlier step\n" + SUMMARY_MARKER)


# --- workflow commands ----------------------------------------------------------------------------


def test_workflow_commands_escape_messages_and_properties():
    annotation = Annotation("dir:a,b/x.py", 3, "failure", "ruff E1,2:3", "50% done\r\nnext: line")
    (line,), left_out = workflow_commands([annotation])
    assert line == (
        "::error file=dir%3Aa%2Cb/x.py,line=3,title=ruff E1%2C2%3A3::50%25 done%0D%0Anext: line"
    )
    assert left_out == 0


def test_a_file_level_finding_has_no_line_property():
    (line,), _ = workflow_commands([Annotation("setup.cfg", 0, "notice", "t", "m")])
    assert line == "::notice file=setup.cfg,title=t::m"


def _unescape(text: str) -> str:
    # What the runner does with a command's message or property value.
    for escaped, plain in (("%2C", ","), ("%3A", ":"), ("%0A", "\n"), ("%0D", "\r"), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


@given(st.text())
def test_escaped_data_is_one_line_and_reads_back_as_written(text):
    escaped = escape_data(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert _unescape(escaped) == text


@given(st.text())
def test_escaped_properties_cannot_end_the_property_or_the_command(text):
    escaped = escape_property(text)
    assert not set(escaped) & {"\n", "\r", ",", ":"}
    assert _unescape(escaped) == text


# --- plans saved between workflows, outputs ---------------------------------------------------


def test_a_saved_plan_reads_back_and_posts_the_same(github, client, tmp_path):
    plan = plan_publication(
        PR,
        review(finding(), finding("docs/conf.py", 1)),
        pull_diff([_file("pkg/mod.py", NEW_FILE)]),
    )
    saved = tmp_path / "results" / PLAN_FILE
    save_plan(saved, plan)

    loaded = load_plan(saved)

    assert loaded == plan
    assert json.loads(saved.read_text())["schema"] == "talkgit.publish/v1"
    result = post(client, PR, loaded, writable=True, stream=io.StringIO())
    assert result.comment_created and result.review_comments_posted == 1
    assert result.check_annotations == 1


def test_a_tampered_plan_is_refused(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"schema": "talkgit.publish/v1", "repo": REPO, "number": 7}))
    with pytest.raises(ConfigError, match="head_sha"):
        load_plan(path)
    path.write_text("{" * 10)
    with pytest.raises(ConfigError, match=r"saved results plan\.json"):
        load_plan(path)
    with pytest.raises(ConfigError, match="cannot read saved results"):
        load_plan(tmp_path / "absent.json")


def test_a_plan_is_posted_only_on_the_pull_request_whose_head_the_run_checked(github, client):
    plan = plan_publication(PR, review(overall="pass"), PullDiff())
    run = WorkflowRun(REPO, 5, "pull_request", HEAD, REPO, "success")

    assert pull_for_plan(client, run, plan).number == 7

    with pytest.raises(ConfigError, match="does not come from"):
        pull_for_plan(client, WorkflowRun(REPO, 5, "pull_request", HEAD, "eve/widgets", None), plan)
    github.move_head(7, NEXT, FILES)
    with pytest.raises(UsageError, match="has moved on to ccccccc"):
        pull_for_plan(client, run, plan)


@pytest.mark.parametrize(
    ("verdict", "conclusion", "error"),
    [
        ("pass", "success", None),
        ("warn", "success", None),
        ("fail", "failure", None),
        ("error", "failure", None),
        ("pass", "failure", "say 'pass', but the run that saved them ended in failure"),
        ("skip", "failure", "say 'skip'"),
        ("fail", "success", "say 'fail'"),
        ("pass", "cancelled", "ended cancelled"),
        ("pass", None, "ended without a conclusion"),
    ],
)
def test_saved_results_must_agree_with_how_their_run_ended(verdict, conclusion, error):
    plan = plan_publication(PR, review(overall=verdict), PullDiff())
    run = WorkflowRun(REPO, 5, "pull_request", HEAD, REPO, conclusion)
    if error is None:
        check_saved_results(run, plan)
    else:
        with pytest.raises(ConfigError, match=re.escape(error)):
            check_saved_results(run, plan)


def test_saved_results_must_be_for_the_runs_repository_and_head():
    plan = plan_publication(PR, review(), PullDiff())
    for run in (
        WorkflowRun(REPO, 5, "pull_request", NEXT, REPO, "failure"),
        WorkflowRun("eve/widgets", 5, "pull_request", HEAD, REPO, "failure"),
    ):
        with pytest.raises(ConfigError, match="not posted"):
            check_saved_results(run, plan)
    with pytest.raises(UsageError, match="not 'push'"):
        check_saved_results(WorkflowRun(REPO, 5, "push", HEAD, REPO, "failure"), plan)
    forged = plan.model_copy(update={"summary": plan.summary.replace("❌", "✅", 1)})
    with pytest.raises(ConfigError, match="does not open with its verdict's headline"):
        check_saved_results(WorkflowRun(REPO, 5, "pull_request", HEAD, REPO, "failure"), forged)


def test_a_plan_from_an_artifact_marks_gone_findings_resolved_instead_of_deleting(github, client):
    post(
        client,
        PR,
        plan_publication(PR, review(finding()), pull_diff([_file("pkg/mod.py", NEW_FILE)])),
        writable=True,
        stream=io.StringIO(),
    )
    (earlier,) = github.review_comments[7]

    result = post(
        client,
        PR,
        plan_publication(PR, review(), PullDiff()),
        writable=True,
        stream=io.StringIO(),
        delete_stale=False,
    )

    (kept,) = github.review_comments[7]
    assert kept["id"] == earlier["id"] and kept["body"].startswith("✅ No longer found at")
    assert not github.calls("DELETE")
    assert result.review_comments_removed == 1


def test_outputs_are_written_in_the_delimited_form(tmp_path):
    path = tmp_path / "output"
    path.write_text("earlier=1\n")

    write_outputs(path, {"verdict": "fail", "new-findings": 3, "comment-id": None})

    text = path.read_text()
    assert text.startswith("earlier=1\n")
    pairs = re.findall(r"^([\w-]+)<<(ghadelimiter_[0-9a-f-]+)\n(.*?)\n\2$", text, re.M | re.S)
    assert [(name, value) for name, _, value in pairs] == [
        ("verdict", "fail"),
        ("new-findings", "3"),
        ("comment-id", ""),
    ]


def _file(path: str, patch: str) -> PullFile:
    return PullFile(filename=path, patch=patch)
