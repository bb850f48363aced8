"""`talkgit review`: the gates and the provenance of a change, locally or on a pull request.

Locally, `--base REF --head REF` prints the report. In GitHub Actions, `--github` reads the
pull request from the event, fetches what a shallow checkout lacks, and posts the results
(one sticky comment, review comments on changed lines, check annotations, the job summary
and a SARIF file). Configuration and waivers come from the BASE commit, never the pull
request's head: a change cannot switch off the gates that judge it. The gate verdict
alone sets the exit code; a failure to post never does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from talkgit.config import ReadFile, load_settings
from talkgit.errors import ModelError, NotFoundError, RepositoryError, UsageError
from talkgit.gates.base import Change, Finding, Severity
from talkgit.gates.change import judge_with_rules
from talkgit.gates.evaluate import GateReport, GateResult
from talkgit.gates.policy import load_waivers
from talkgit.gates.render import Format, outcome, render
from talkgit.gates.rules import gate_rules
from talkgit.gates.sarif import render_sarif
from talkgit.git.history import walk
from talkgit.git.remote import fetch_for_review
from talkgit.git.repo import GitRepo
from talkgit.git.snapshot import changed_paths
from talkgit.provenance.read import CommitProvenance, provenance_of
from talkgit.secret_env import secret_names

if TYPE_CHECKING:  # the GitHub side (and httpx) is imported only in review --github
    from talkgit.github.client import GitHubClient
    from talkgit.github.diff import PullDiff
    from talkgit.github.event import PullRequest


@dataclass(frozen=True)
class ReviewOptions:
    gates: Sequence[str] = ()  # empty: the base's `run_gates`
    fail_on: Severity | None = None  # replaces every gate's severity threshold
    review_model: str | None = None
    sarif: Path | None = None


@dataclass(frozen=True)
class Reviewed:
    report: GateReport
    provenance: tuple[CommitProvenance, ...]


def review(
    directory: Path,
    base: str,
    head: str,
    options: ReviewOptions,
    *,
    output_format: Format = "text",
    out: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Review ``base..head`` here and print the report; exit 0/1/8 as `talkgit check`."""
    repo = GitRepo.discover(directory)
    reviewed = review_range(repo, repo.resolve(base), repo.resolve(head), options, environ)
    (out or sys.stdout).write(render(reviewed.report, output_format))
    if options.sarif is not None:
        options.sarif.write_text(render_sarif(reviewed.report))
    return reviewed.report.exit_code


def review_range(
    repo: GitRepo,
    base: str,
    head: str,
    options: ReviewOptions,
    environ: Mapping[str, str] | None = None,
    *,
    secrets_held: Sequence[str] = (),
) -> Reviewed:
    """The gates on what ``head`` changes from ``base``, configured by ``base``.

    With ``secrets_held`` (names of secret variables this process has), the gates that run
    the change's own code are held back: its tests must not run next to a secret.
    """
    from talkgit.gates.registry import RUNS_THE_CHANGE

    read = base_reader(repo, base)
    settings = load_settings(read, environ=_talkgit_only(environ), use_dotenv=False)
    rules = gate_rules(
        settings,
        load_waivers(read),
        default="run_gates",
        gates=options.gates,
        fail_on=options.fail_on,
    )
    held = tuple(g for g in rules.gates if g in RUNS_THE_CHANGE) if secrets_held else ()
    report = judge_with_rules(
        repo,
        Change(head, base, changed_paths(repo, base, head)),
        rules.without(held),
        today=date.today(),
        lane="review",
        rules_from_base=True,
    )
    if held:
        skipped = tuple(GateResult(g, "", "skip", rules.policies[g]) for g in held)
        report = replace(report, gates=report.gates + skipped, held_back=held)
    commits = tuple(provenance_of(repo, c) for c in walk(repo, f"{base}..{head}"))
    return Reviewed(report, commits)


def base_reader(repo: GitRepo, base: str) -> ReadFile:
    """Configuration files as the base commit has them."""

    def read(path: str) -> str | None:
        data = repo.read_file(base, path)
        return None if data is None else data.decode("utf-8", "replace")

    return read


def _talkgit_only(environ: Mapping[str, str] | None) -> dict[str, str]:
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k.upper().startswith("TALKGIT_")}


# --- in GitHub Actions ---------------------------------------------------------------------


def review_github(
    directory: Path,
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
    from talkgit.github.client import GitHubClient
    from talkgit.github.event import RunnerFiles, read_pull_request
    from talkgit.github.publish import (
        PLAN_FILE,
        plan_publication,
        post,
        publish,
        save_plan,
        write_outputs,
    )
    from talkgit.github.summary import ReviewData

    env = os.environ if environ is None else environ
    err = out or sys.stderr
    repo = GitRepo.discover(directory)
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


def post_saved(
    directory: Path,
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
    from talkgit.github.client import GitHubClient
    from talkgit.github.event import RunnerFiles, read_workflow_run
    from talkgit.github.publish import (
        PLAN_FILE,
        check_saved_results,
        load_plan,
        post,
        pull_for_plan,
    )

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
    from talkgit.github.client import GitHubError
    from talkgit.github.publish import fetch_diff

    try:
        return fetch_diff(client, pr)
    except GitHubError as exc:
        err.write(f"talkgit: cannot read the pull request's diff ({exc}); no line comments\n")
        from talkgit.github.diff import pull_diff

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
    from talkgit.agents.reviewer import review_pull, skip_reason
    from talkgit.llm.client import LLM

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
