"""`talkgit review --github` and `--post-results`: the pull request of a running workflow.

``review_pull_request`` reads the pull request from the event, fetches what a shallow
checkout lacks, reviews the range as its base configures it (``talkgit.reviewing``) and
posts the results: one sticky comment, review comments on changed lines, check
annotations, the job summary and a SARIF file — or saves them for a later, trusted workflow
that ``post_saved_results`` runs. The gate verdict alone sets the exit code; a failure to
post never does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from talkgit.errors import ModelError, NotFoundError, RepositoryError, UsageError
from talkgit.gates.base import Finding
from talkgit.gates.evaluate import GateReport
from talkgit.gates.render import outcome, render
from talkgit.gates.sarif import render_sarif
from talkgit.git.remote import fetch_for_review
from talkgit.git.repo import GitRepo
from talkgit.github.api import GitHubClient, GitHubError
from talkgit.github.diff import PullDiff, pull_diff
from talkgit.github.event import PullRequest, RunnerFiles, read_pull_request, read_workflow_run
from talkgit.github.publish import (
    PLAN_FILE,
    check_saved_results,
    fetch_diff,
    load_plan,
    plan_publication,
    post,
    publish,
    pull_for_plan,
    save_plan,
    write_outputs,
)
from talkgit.github.reviewer import review_pull, skip_reason
from talkgit.github.summary import ReviewData
from talkgit.llm.client import LLM
from talkgit.reviewing import ReviewOptions, review_range
from talkgit.secret_env import secret_names


def review_pull_request(
    repo: GitRepo,
    options: ReviewOptions,
    *,
    save_results: Path | None = None,
    allow_pull_request_target: bool = False,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Review the pull request of the running workflow and post (or save) the results.

    A ``pull_request_target`` event is refused unless ``allow_pull_request_target``: it
    would run the pull request's code with a writable token and the repository's secrets.
    """
    env = os.environ if environ is None else environ
    err = out or sys.stderr
    pr = read_pull_request(env, allow_target=allow_pull_request_target)
    _fetch(repo, (pr.base_sha, pr.head_sha), env.get("GITHUB_TOKEN"), err)
    held = secret_names(env)
    if held:
        err.write(f"talkgit: this job holds secrets ({', '.join(held)}): tests are not run\n")
    reviewed = review_range(repo, pr.base_sha, pr.head_sha, options, env, secrets_held=held)
    report = reviewed.report
    files = RunnerFiles.from_environ(env)
    sarif_text = render_sarif(report)
    with GitHubClient.from_environ(env) as client:
        diff = _diff(client, pr, err)
        data = ReviewData(
            verdicts=tuple(report.verdicts().items()),
            findings=_decisive(report),
            provenance=reviewed.provenance,
            overall=outcome(report),
            **_llm_review(options, pr, diff, report, env, err),
        )
        if save_results is not None:
            plan = plan_publication(pr, data, diff, run_url=files.run_url)
            save_results.mkdir(parents=True, exist_ok=True)
            save_plan(save_results / PLAN_FILE, plan)
            result = post(
                None,
                pr,
                plan,
                writable=False,
                files=files,
                sarif=sarif_text,
                sarif_path=options.sarif,
                stream=err,
            )
        else:
            result = publish(
                client,
                pr,
                data,
                writable=not pr.is_fork,
                diff=diff,
                files=files,
                sarif=sarif_text,
                sarif_path=options.sarif,
            )
    for problem in result.problems:
        err.write(f"talkgit: could not post: {problem}\n")
    if files.output is not None:
        write_outputs(
            files.output,
            {
                "verdict": outcome(report),
                "new-findings": len(_decisive(report)),
                "comment-id": result.comment_id,
                "sarif-file": str(options.sarif) if options.sarif else "",
            },
        )
    err.write(render(report, "text"))
    return report.exit_code


def post_saved_results(
    results: Path,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """The fork-safe pattern's second half: post results a `pull_request` run saved.

    No gate runs and none of the pull request's code is used. The results are checked
    against the finished run the event names (its head commit, its conclusion) before
    anything is posted, and a mismatch is an error; a plan for an older head (someone
    pushed since) is not posted. Comments whose finding the results no longer list are
    marked resolved, never deleted: an artifact cannot make a finding disappear.
    """
    env = os.environ if environ is None else environ
    err = out or sys.stderr
    plan = load_plan(results / PLAN_FILE)
    run = read_workflow_run(env)
    check_saved_results(run, plan)
    with GitHubClient.from_environ(env) as client:
        try:
            pr = pull_for_plan(client, run, plan)
        except UsageError as exc:
            err.write(f"talkgit: not posting: {exc}\n")
            return 0
        files = RunnerFiles.from_environ(env)
        result = post(client, pr, plan, writable=True, files=files, stream=err, delete_stale=False)
    for problem in result.problems:
        err.write(f"talkgit: could not post: {problem}\n")
    return 0


def _fetch(repo: GitRepo, commits: tuple[str, ...], token: str | None, err: TextIO) -> None:
    problem = fetch_for_review(repo, "origin", commits, token)
    missing = [sha for sha in commits if not _has_commit(repo, sha)]
    if missing:
        raise RepositoryError(
            f"commit {missing[0][:12]} is not in this checkout and could not be fetched"
            f"{': ' + problem if problem else ''}"
        )
    if problem:
        err.write(
            f"talkgit: fetching talkgit's notes failed ({problem}); provenance may be incomplete\n"
        )


def _decisive(report: GateReport) -> tuple[Finding, ...]:
    """The new findings that count: at or above their gate's threshold, not waived."""
    return tuple(finding for gate in report.gates for finding in gate.decisive)


def _has_commit(repo: GitRepo, sha: str) -> bool:
    try:
        repo.commit(sha)
    except NotFoundError:
        return False
    return True


def _diff(client: GitHubClient, pr: PullRequest, err: TextIO) -> PullDiff:
    try:
        return fetch_diff(client, pr)
    except GitHubError as exc:
        err.write(f"talkgit: cannot read the pull request's diff ({exc}); no line comments\n")
        return pull_diff(())


def _llm_review(
    options: ReviewOptions,
    pr: PullRequest,
    diff: PullDiff,
    report: GateReport,
    environ: Mapping[str, str],
    err: TextIO,
) -> dict[str, Any]:
    """The optional reviewer's comments, only with a model and its key; never fatal."""
    model = options.review_model
    why_not = skip_reason(model, environ)
    if model is None or why_not is not None:
        if model:
            err.write(f"talkgit: no LLM review: {why_not}\n")
        return {}
    findings = _decisive(report)
    try:
        done = review_pull(LLM(environ=environ), model=model, pr=pr, diff=diff, findings=findings)
    except ModelError as exc:
        err.write(f"talkgit: the LLM review failed: {exc}\n")
        return {}
    return {
        "llm_comments": done.comments,
        "llm_summary": done.summary,
        "llm_model": model,
        "llm_omitted": tuple(done.omitted),
    }
