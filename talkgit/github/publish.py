"""Posting a review on a pull request, and degrading cleanly when the token cannot write.

What goes where:

- one sticky summary comment, found again by its hidden marker on a comment by the
  token's own account (``TokenIdentity``: by account id, never by name), and updated in
  place; when GitHub will not say who the token is, nothing is adopted or removed;
- a review comment for each new finding (and LLM remark) on a line inside the diff, at
  most 30 per review and 90 in all, each ending in a fingerprint marker: a re-run posts
  only what is not there yet, and removes (or, when people replied, marks resolved) what
  is gone;
- check-run annotations, 50 per request, for the findings no review comment carries;
- the job summary and a SARIF file, whatever the token may do;
- workflow-command annotations (``::error file=…::``) for every finding GitHub did not
  take otherwise — a fork's read-only token, a missing permission, a refused line.

Nothing here raises for a failed post: each becomes a line in ``PublishResult.problems``,
and the gates' verdict alone decides the exit code.

Publishing is two halves, so the fork-safe two-workflow pattern can run them apart:
``plan_publication`` (pure: what to post) and ``post`` (the requests). A plan saved by a
``pull_request`` run is read back by a ``workflow_run`` run with ``load_plan``,
``check_saved_results`` holds it against the finished run (head commit, conclusion), and
``pull_for_plan`` makes sure it lands on the pull request whose head was checked.
"""

from __future__ import annotations

import hashlib
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final, Literal, TextIO, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from talkgit.errors import ConfigError, UsageError
from talkgit.filenames import addressed, as_bytes, shown
from talkgit.gates.base import Finding, Severity, Verdict
from talkgit.github.api import (
    Annotation,
    AnnotationLevel,
    CheckOutput,
    GitHubClient,
    GitHubError,
    IssueComment,
    ReviewComment,
    TokenIdentity,
)
from talkgit.github.diff import LineComment, PullDiff, pull_diff
from talkgit.github.event import PullRequest, RunnerFiles, Sha, WorkflowRun
from talkgit.github.inert import inert_comment, inert_summary
from talkgit.github.summary import (
    COMMENT_LIMIT,
    MODEL_LABEL,
    SUMMARY_MARKER,
    ReviewData,
    code_span,
    escape,
    fenced_block,
    headline,
    model_block,
    render_summary,
)
from talkgit.redaction import redactor

PLAN_SCHEMA: Final = "talkgit.publish/v1"
PLAN_FILE: Final = "talkgit-publish.json"  # its name inside a saved-results directory
REVIEW_BATCH: Final = 30
MAX_REVIEW_COMMENTS: Final = 90  # more is noise on one pull request; the rest are annotations
ANNOTATION_BATCH: Final = 50
MAX_ANNOTATIONS: Final = 1_000  # 20 requests; the job summary and SARIF list every finding
WORKFLOW_ANNOTATION_LIMIT: Final = 10  # GitHub shows 10 of each kind per step
CHECK_NAME: Final = "talkgit"
MAX_PLAN_BYTES: Final = 16 * 1024 * 1024
LLM_COMMENT_LIMIT: Final = 4_000

_MARKER: Final = "<!-- talkgit:finding {} -->"
_RESOLVED: Final = "<!-- talkgit:resolved {} -->"
# Our marker is the body's last line; an earlier look-alike (quoted by a model) is ignored.
_MARKER_AT_END: Final = re.compile(r"<!-- talkgit:finding ([0-9a-z-]{1,80}) -->\s*\Z")
_FINGERPRINT: Final = re.compile(r"[0-9a-z-]{1,80}")
_LEVELS: Final[dict[Severity, AnnotationLevel]] = {
    Severity.HIGH: "failure",
    Severity.MEDIUM: "warning",
    Severity.LOW: "warning",
    Severity.INFO: "notice",
}
_COMMANDS: Final[dict[AnnotationLevel, str]] = {
    "failure": "error",
    "warning": "warning",
    "notice": "notice",
}
_CONCLUSIONS: Final[dict[Verdict, str]] = {
    "pass": "success",
    "fail": "failure",
    "warn": "neutral",
    "error": "failure",
    "skip": "skipped",
}
# How the job that saved the results ended, and the verdicts that can end it so.
_RUN_VERDICTS: Final[dict[str, frozenset[Verdict]]] = {
    "success": frozenset({"pass", "warn", "skip"}),
    "failure": frozenset({"fail", "error"}),
}
_T = TypeVar("_T")


class PublishPlan(BaseModel):
    """What to post on one pull request; saved as ``talkgit.publish/v1`` JSON between workflows."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal["talkgit.publish/v1"] = Field(default=PLAN_SCHEMA, alias="schema")
    repo: str
    number: int = Field(ge=1)
    head_sha: Sha
    verdict: Verdict
    new_findings: int = Field(ge=0)
    summary: str = Field(max_length=COMMENT_LIMIT)
    comments: tuple[LineComment, ...] = Field(default=(), max_length=MAX_REVIEW_COMMENTS)
    annotations: tuple[Annotation, ...] = Field(default=(), max_length=MAX_ANNOTATIONS)


@dataclass(frozen=True)
class PublishResult:
    """What publishing did; ``problems`` says, one line each, what could not be done."""

    comment_id: int | None = None
    comment_created: bool = False
    review_comments_posted: int = 0
    review_comments_kept: int = 0
    review_comments_removed: int = 0
    review_comments_rejected: int = 0
    check_run_id: int | None = None
    check_annotations: int = 0
    workflow_annotations: int = 0
    read_only: bool = False
    problems: tuple[str, ...] = ()


@dataclass
class _Tally:
    """PublishResult while it is being filled in."""

    comment_id: int | None = None
    comment_created: bool = False
    posted: int = 0
    kept: int = 0
    removed: int = 0
    rejected: int = 0
    check_run_id: int | None = None
    check_annotations: int = 0
    workflow_annotations: int = 0
    read_only: bool = False
    problems: list[str] = field(default_factory=list)
    delivered: set[str] = field(default_factory=set)

    def result(self) -> PublishResult:
        return PublishResult(
            comment_id=self.comment_id,
            comment_created=self.comment_created,
            review_comments_posted=self.posted,
            review_comments_kept=self.kept,
            review_comments_removed=self.removed,
            review_comments_rejected=self.rejected,
            check_run_id=self.check_run_id,
            check_annotations=self.check_annotations,
            workflow_annotations=self.workflow_annotations,
            read_only=self.read_only,
            problems=tuple(self.problems),
        )


# --- the whole thing ----------------------------------------------------------------------------


def publish(
    client: GitHubClient | None,
    pr: PullRequest,
    data: ReviewData,
    *,
    writable: bool,
    diff: PullDiff | None = None,
    files: RunnerFiles | None = None,
    sarif: str | None = None,
    sarif_path: Path | None = None,
    stream: TextIO | None = None,
) -> PublishResult:
    """Post ``data`` on ``pr``: everything ``post`` does, from the gates' and agents' results.

    ``diff`` is fetched when not given (the LLM reviewer needs it first, so the caller
    may have it). ``writable`` false (a fork's pull request) skips every write to GitHub.
    """
    problems: list[str] = []
    if diff is None:
        diff = _fetch_diff_or_empty(client, pr, problems)
    runner = files or RunnerFiles()
    plan = plan_publication(pr, data, diff, run_url=runner.run_url)
    result = post(
        client,
        pr,
        plan,
        writable=writable,
        files=runner,
        sarif=sarif,
        sarif_path=sarif_path,
        stream=stream,
    )
    return _with_problems(result, problems)


def fetch_diff(client: GitHubClient, pr: PullRequest) -> PullDiff:
    """The pull request's diff from the files API (GitHubError when it cannot be read)."""
    return pull_diff(client.pull_files(pr.repo, pr.number))


def plan_publication(
    pr: PullRequest, data: ReviewData, diff: PullDiff, *, run_url: str | None = None
) -> PublishPlan:
    """What to post: the summary, comments for lines in the diff, an annotation per finding."""
    findings = _unique(sorted(data.findings, key=_severity_first), _fingerprint)
    comments = [
        LineComment(f.path, f.line, _finding_body(f, _fingerprint(f)), _fingerprint(f))
        for f in findings
        if diff.commentable(f.path, f.line)
    ]
    comments += [
        _llm_comment(c, data.llm_model)
        for c in data.llm_comments
        if diff.commentable(c.path, c.line)
    ]
    plan = PublishPlan(
        repo=pr.repo,
        number=pr.number,
        head_sha=pr.head_sha,
        verdict=data.overall,
        new_findings=len(findings),
        summary=render_summary(data, run_url=run_url, head_sha=pr.head_sha),
        comments=tuple(_unique(comments, _comment_key)[:MAX_REVIEW_COMMENTS]),
        annotations=tuple(_annotation(f) for f in findings[:MAX_ANNOTATIONS]),
    )
    return _redacted(plan)


def _redacted(plan: PublishPlan) -> PublishPlan:
    """``plan`` with every secret taken out of the text it shows: the reviewer's words, the
    tools' messages and the author's code they quote (``talkgit.redaction``)."""
    redact = redactor()
    return plan.model_copy(
        update={
            "summary": redact(plan.summary)[:COMMENT_LIMIT],
            "comments": tuple(replace(c, body=redact(c.body)) for c in plan.comments),
            "annotations": tuple(
                replace(a, title=redact(a.title), message=redact(a.message))
                for a in plan.annotations
            ),
        }
    )


def post(
    client: GitHubClient | None,
    pr: PullRequest,
    plan: PublishPlan,
    *,
    writable: bool,
    files: RunnerFiles | None = None,
    sarif: str | None = None,
    sarif_path: Path | None = None,
    stream: TextIO | None = None,
    check_name: str = CHECK_NAME,
    delete_stale: bool = True,
) -> PublishResult:
    """Post ``plan`` on ``pr``; never raises for a failed post (see the module docstring).

    Every body is made inert first (``talkgit.github.inert``): whoever wrote the plan, it
    mentions nobody and fakes no heading, HTML or marker. ``delete_stale`` false (a plan
    from an artifact) marks talkgit's comments whose finding is gone as resolved, keeping
    their text, instead of deleting them.
    """
    plan = _inert(plan)
    tally = _Tally()
    if not writable or client is None:
        tally.read_only = True
    else:
        _Poster(client, pr, plan, tally, check_name, delete_stale=delete_stale).run()
    undelivered = [a for a in plan.annotations if a.fingerprint not in tally.delivered]
    out = stream if stream is not None else sys.stdout
    tally.workflow_annotations = _emit_commands(out, undelivered)
    runner = files or RunnerFiles()
    if runner.step_summary is not None:
        _write(runner.step_summary, plan.summary, tally, "the job summary", append=True)
    if sarif is not None and sarif_path is not None:
        _write(sarif_path, sarif, tally, "the SARIF file")
    return tally.result()


# --- posting ------------------------------------------------------------------------------------


class _Poster:
    """The writes to GitHub, each guarded: a refusal is noted and the next one is tried."""

    def __init__(
        self,
        client: GitHubClient,
        pr: PullRequest,
        plan: PublishPlan,
        tally: _Tally,
        check_name: str,
        *,
        delete_stale: bool = True,
    ) -> None:
        self.client, self.pr, self.plan, self.tally = client, pr, plan, tally
        self.check_name, self.delete_stale = check_name, delete_stale
        self.identity: TokenIdentity | None = None

    def run(self) -> None:
        self.identity = self.client.identity()
        self._guarded("the summary comment", self._sticky_comment)
        self._guarded("review comments", self._review_comments)
        self._guarded("the check run", self._check_run)

    def _guarded(self, what: str, step: Callable[[], None]) -> None:
        try:
            step()
        except GitHubError as exc:
            self.tally.read_only = self.tally.read_only or exc.forbidden
            self.tally.problems.append(f"{what}: {exc}")

    # -- the sticky comment --

    def _sticky_comment(self) -> None:
        repo, number, body = self.pr.repo, self.pr.number, self.plan.summary
        existing = self._our_summary_comment()
        if existing is None:
            created = self.client.create_issue_comment(repo, number, body)
            self.tally.comment_id, self.tally.comment_created = created.id, True
            if self.identity is None and created.user is not None:
                self.identity = TokenIdentity.of(created.user)  # GitHub just said who we are
        else:
            if existing.body != body:
                self.client.update_issue_comment(repo, existing.id, body)
            self.tally.comment_id = existing.id

    def _our_summary_comment(self) -> IssueComment | None:
        """The summary comment this token wrote before; none when it cannot tell who it is."""
        if self.identity is None:
            return None
        owns = self.identity.owns
        comments = self.client.issue_comments(self.pr.repo, self.pr.number)
        return next(
            (c for c in comments if owns(c.user) and SUMMARY_MARKER in (c.body or "")), None
        )

    # -- review comments --

    def _review_comments(self) -> None:
        comments = list(self.client.review_comments(self.pr.repo, self.pr.number))
        wanted = {c.fingerprint for c in self.plan.comments}
        present, stale = _sort_ours(comments, self.identity, wanted)
        self.tally.kept = len(present)
        self.tally.delivered |= present
        for batch in _chunks([c for c in self.plan.comments if c.fingerprint not in present]):
            self._post_review(batch)
        replied = {c.in_reply_to_id for c in comments if c.in_reply_to_id is not None}
        for comment in stale:
            self._retire(comment, has_replies=comment.id in replied)

    def _post_review(self, batch: Sequence[LineComment]) -> None:
        """One review with ``batch``; on 422 (a line GitHub will not take), halves until found."""
        try:
            self.client.create_review(
                self.pr.repo,
                self.pr.number,
                commit_id=self.pr.head_sha,
                body=f"talkgit: {len(batch)} comment(s) on changed lines.",
                comments=batch,
            )
        except GitHubError as exc:
            if exc.status != 422:
                raise
            if len(batch) == 1:
                self.tally.rejected += 1
                self.tally.problems.append(f"{shown(batch[0].path)}:{batch[0].line}: {exc}")
                return
            middle = len(batch) // 2
            self._post_review(batch[:middle])
            self._post_review(batch[middle:])
            return
        self.tally.posted += len(batch)
        self.tally.delivered |= {c.fingerprint for c in batch}

    def _retire(self, comment: ReviewComment, *, has_replies: bool) -> None:
        """A comment whose finding is gone: deleted, or marked resolved when people replied."""
        if has_replies or not self.delete_stale:
            body = _resolved_body(comment.body or "", self.pr.head_sha)
            self.client.update_review_comment(self.pr.repo, comment.id, body)
        else:
            self.client.delete_review_comment(self.pr.repo, comment.id)
        self.tally.removed += 1

    # -- the check run --

    def _check_run(self) -> None:
        pending = [a for a in self.plan.annotations if a.fingerprint not in self.tally.delivered]
        batches = _chunks(pending, ANNOTATION_BATCH) or [[]]
        title = f"{self.plan.verdict}: {self.plan.new_findings} new finding(s)"
        conclusion = _CONCLUSIONS[self.plan.verdict]
        first = CheckOutput(title, self.plan.summary, tuple(batches[0]))
        run_id = self.client.create_check_run(
            self.pr.repo, name=self.check_name, head_sha=self.pr.head_sha, output=first
        )
        self.tally.check_run_id = run_id
        self._delivered_annotations(batches[0])
        rest = batches[1:]
        for index, batch in enumerate(rest, 1):
            last = index == len(rest)
            output = CheckOutput(title, self.plan.summary, tuple(batch))
            self.client.update_check_run(
                self.pr.repo, run_id, output=output, conclusion=conclusion if last else None
            )
            self._delivered_annotations(batch)
        if not rest:
            output = CheckOutput(title, self.plan.summary)
            self.client.update_check_run(self.pr.repo, run_id, output=output, conclusion=conclusion)

    def _delivered_annotations(self, batch: Sequence[Annotation]) -> None:
        self.tally.check_annotations += len(batch)
        self.tally.delivered |= {a.fingerprint for a in batch}


def _inert(plan: PublishPlan) -> PublishPlan:
    comments = tuple(
        replace(c, body=inert_comment(c.body, _MARKER.format(c.fingerprint)))
        for c in plan.comments
        if _FINGERPRINT.fullmatch(c.fingerprint)  # it goes into a marker: nothing else
    )
    summary = inert_summary(plan.summary, plan.verdict)
    return plan.model_copy(update={"summary": summary, "comments": comments})


def _sort_ours(
    comments: Iterable[ReviewComment], identity: TokenIdentity | None, wanted: set[str]
) -> tuple[set[str], list[ReviewComment]]:
    """Fingerprints of our comments still wanted and still on the diff, and the others (stale).

    An outdated comment (``line`` None) is stale even when its finding remains: the
    finding is posted again where it is now. A second comment with the same fingerprint
    (a duplicate from an interrupted run) is stale too. With no identity, nothing is ours.
    """
    present: set[str] = set()
    stale: list[ReviewComment] = []
    for comment in comments:
        mine = identity is not None and identity.owns(comment.user)
        if not mine or comment.in_reply_to_id is not None:
            continue
        fingerprint = finding_marker(comment.body or "")
        if fingerprint is None:
            continue
        if fingerprint in wanted and comment.line is not None and fingerprint not in present:
            present.add(fingerprint)
        else:
            stale.append(comment)
    return present, stale


# --- bodies -------------------------------------------------------------------------------------


def finding_marker(body: str) -> str | None:
    """The fingerprint in a review comment's closing marker, or None when it has none."""
    match = _MARKER_AT_END.search(body)
    return match.group(1) if match else None


def _finding_body(finding: Finding, fingerprint: str) -> str:
    head = f"**{escape(finding.tool)} {escape(finding.rule)}** ({finding.severity.value})"
    return f"{head}: {_message(finding.message)}\n\n{_MARKER.format(fingerprint)}"


def _message(message: str) -> str:
    """A tool's message: inline code, or a fenced block when it has several lines."""
    text = message.strip()[:LLM_COMMENT_LIMIT]
    return code_span(text) if "\n" not in text else f"\n\n{fenced_block(text)}"


def _llm_comment(comment: LineComment, model: str) -> LineComment:
    """A model's remark, labelled as such, in a fenced block: its Markdown is not rendered."""
    text = comment.body.strip()[:LLM_COMMENT_LIMIT]
    key = f"{comment.path}\0{comment.line}\0{text}"
    fingerprint = "llm-" + hashlib.sha256(as_bytes(key)).hexdigest()[:16]
    signature = f"<sub>talkgit LLM review{' · ' + code_span(model) if model else ''}</sub>"
    body = f"{signature} {MODEL_LABEL}\n\n{model_block(text)}\n\n{_MARKER.format(fingerprint)}"
    return LineComment(comment.path, comment.line, body, fingerprint)


def _resolved_body(body: str, head_sha: str) -> str:
    fingerprint = finding_marker(body) or ""
    original = _MARKER_AT_END.sub("", body).rstrip()
    return (
        f"✅ No longer found at {code_span(head_sha[:7])}.\n\n"
        f"<details><summary>The original comment</summary>\n\n{original}\n\n</details>\n\n"
        f"{_RESOLVED.format(fingerprint)}"
    )


def _annotation(finding: Finding) -> Annotation:
    return Annotation(
        path=addressed(finding.path),
        line=finding.line,
        level=_LEVELS[finding.severity],
        title=f"{finding.tool} {finding.rule}",
        message=finding.message,
        fingerprint=_fingerprint(finding),
    )


def _fingerprint(finding: Finding) -> str:
    """The gates' fingerprint; a stand-in from the finding's fields when it has none."""
    if re.fullmatch(r"[0-9a-z-]{1,80}", finding.fingerprint):
        return finding.fingerprint
    key = "\0".join((finding.tool, finding.rule, finding.path, str(finding.line), finding.message))
    return hashlib.sha256(as_bytes(key)).hexdigest()


def _severity_first(finding: Finding) -> tuple[int, str, int]:
    return (-finding.severity.rank, finding.path, finding.line)


def _comment_key(comment: LineComment) -> str:
    return comment.fingerprint


def _unique(items: Iterable[_T], key: Callable[[_T], str]) -> list[_T]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return kept


def _chunks(items: Sequence[_T], size: int = REVIEW_BATCH) -> list[list[_T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


# --- workflow commands --------------------------------------------------------------------------


def workflow_commands(
    annotations: Iterable[Annotation], limit: int = WORKFLOW_ANNOTATION_LIMIT
) -> tuple[list[str], int]:
    """``::error file=…::`` lines, at most ``limit`` of each kind, and how many were left out."""
    lines: list[str] = []
    counts: dict[str, int] = {}
    left_out = 0
    for annotation in annotations:
        kind = _COMMANDS[annotation.level]
        if counts.get(kind, 0) >= limit:
            left_out += 1
            continue
        counts[kind] = counts.get(kind, 0) + 1
        lines.append(_command(kind, annotation))
    return lines, left_out


def _command(kind: str, annotation: Annotation) -> str:
    properties = [f"file={escape_property(annotation.path)}"]
    if annotation.line > 0:
        properties.append(f"line={annotation.line}")
    properties.append(f"title={escape_property(annotation.title)}")
    return f"::{kind} {','.join(properties)}::{escape_data(annotation.message)}"


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped, so it stays one command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: ``escape_data`` plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _emit_commands(stream: TextIO, annotations: Sequence[Annotation]) -> int:
    lines, left_out = workflow_commands(annotations)
    for line in lines:
        stream.write(line + "\n")
    if left_out:
        stream.write(f"talkgit: {left_out} more finding(s) are listed in the job summary\n")
    stream.flush()
    return len(lines)


# --- files --------------------------------------------------------------------------------------


def _write(path: Path, text: str, tally: _Tally, what: str, *, append: bool = False) -> None:
    try:
        with path.open("a" if append else "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        tally.problems.append(f"{what}: cannot write {path.name}: {exc.strerror or exc}")


def write_outputs(path: Path, outputs: Mapping[str, str | int | None]) -> None:
    """Step outputs in ``GITHUB_OUTPUT``'s delimited form (a value may hold any text)."""
    with path.open("a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            text = "" if value is None else str(value)
            handle.write(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")


def save_plan(path: Path, plan: PublishPlan) -> None:
    """Write ``plan`` for a later ``workflow_run`` run to post (inside an artifact)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan.model_dump_json(by_alias=True, indent=1) + "\n", encoding="utf-8")


def load_plan(path: Path) -> PublishPlan:
    """A saved plan. It came from a run of the pull request's code: it is checked, not trusted."""
    try:
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise ConfigError(f"{path.name} is larger than {MAX_PLAN_BYTES} bytes")
        return PublishPlan.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read saved results {path.name}: {exc.strerror or exc}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the document"
        raise ConfigError(f"saved results {path.name}: {where}: {error['msg']}") from None


def check_saved_results(run: WorkflowRun, plan: PublishPlan) -> None:
    """Refuse, before anything is posted, saved results the finished run does not vouch for.

    The plan came from a run of the pull request's code, so all of it is a claim; the
    ``workflow_run`` event is GitHub's word on that run. The plan must be for the run's
    repository and head commit, and its verdict must agree with how the run ended: a run
    that failed cannot have passed. ConfigError (UsageError for a run of another event).
    """
    if run.event != "pull_request":
        raise UsageError(f"saved results come from pull_request runs, not {run.event!r} ones")
    if plan.repo.lower() != run.repo.lower() or plan.head_sha != run.head_sha:
        raise ConfigError(
            f"the saved results are for {plan.repo}@{plan.head_sha[:7]}, but the run that "
            f"saved them checked {run.repo}@{run.head_sha[:7]}: not posted"
        )
    verdicts = _RUN_VERDICTS.get(run.conclusion or "")
    if verdicts is None:
        raise ConfigError(
            f"the run that saved the results ended {run.conclusion or 'without a conclusion'}; "
            "only the results of a run that succeeded or failed are posted"
        )
    if plan.verdict not in verdicts:
        raise ConfigError(
            f"the saved results say {plan.verdict!r}, but the run that saved them ended in "
            f"{run.conclusion}: not posted (talkgit's step fails the job exactly when its "
            "verdict is fail or error)"
        )
    first = plan.summary.split("\n", 2)[:2]
    if first != [SUMMARY_MARKER, headline(plan.verdict)]:
        raise ConfigError("the saved summary does not open with its verdict's headline")


def pull_for_plan(client: GitHubClient, run: WorkflowRun, plan: PublishPlan) -> PullRequest:
    """The pull request a checked plan (``check_saved_results``) may be posted on, as now.

    The plan's number is only a claim: the pull request's head must be the commit the run
    checked, from the repository it came from (ConfigError when not). UsageError when the
    head has moved on since: the run for the new head posts its own results.
    """
    pr = client.pull_request(run.repo, plan.number)
    if pr.head_repo.lower() != run.head_repo.lower():
        raise ConfigError(f"pull request #{pr.number} does not come from {run.head_repo}")
    if pr.head_sha != run.head_sha:
        raise UsageError(
            f"pull request #{pr.number} has moved on to {pr.head_sha[:7]}; "
            "the run for that commit posts its own results"
        )
    return pr


# --- helpers ------------------------------------------------------------------------------------


def _fetch_diff_or_empty(
    client: GitHubClient | None, pr: PullRequest, problems: list[str]
) -> PullDiff:
    if client is None:
        return PullDiff()
    try:
        return fetch_diff(client, pr)
    except GitHubError as exc:
        problems.append(f"the pull request's files: {exc}")
        return PullDiff()


def _with_problems(result: PublishResult, problems: Sequence[str]) -> PublishResult:
    return replace(result, problems=(*problems, *result.problems)) if problems else result
