"""`talkgit review`: the gates and the provenance of a change, locally or on a pull request.

Locally, `--base REF --head REF` prints the report. In GitHub Actions, `--github` reviews
the workflow's pull request and posts the results (``talkgit.github.workflow``).
Configuration and waivers come from the BASE commit, never the pull request's head
(``talkgit.reviewing``). The gate verdict alone sets the exit code; a failure to post
never does.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from talkgit.gates.render import Format, render
from talkgit.gates.sarif import render_sarif
from talkgit.git.repo import GitRepo
from talkgit.reviewing import ReviewOptions, review_range

# ReviewOptions is part of the command's interface: its callers make one.
__all__ = ["ReviewOptions", "post_saved", "review", "review_github"]


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
    from talkgit.github.workflow import review_pull_request  # httpx only in review --github

    return review_pull_request(
        GitRepo.discover(directory),
        options,
        save_results=save_results,
        allow_pull_request_target=allow_pull_request_target,
        environ=environ,
        out=out,
    )


def post_saved(
    directory: Path,
    results: Path,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """The fork-safe pattern's second half: post results a `pull_request` run saved.

    No gate runs and none of the pull request's code is used (``directory`` is not read).
    """
    from talkgit.github.workflow import post_saved_results

    del directory
    return post_saved_results(results, environ=environ, out=out)
