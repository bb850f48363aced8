"""What a workflow run is about: the pull request in ``GITHUB_EVENT_PATH``, and the runner's files.

The event file is written by GitHub, but the pull request's title and body in it are the
author's words: they are carried as data, never acted on. The base repository is the one
the workflow runs in; a head in another repository (or in a deleted one) is a fork, whose
token cannot write.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from talkgit.errors import ConfigError, UsageError

PULL_REQUEST_EVENTS: Final = ("pull_request", "pull_request_target")
TARGET_REFUSED: Final = (
    "refusing the pull_request_target event: it gives the run a writable token and the "
    "repository's secrets, and the review runs the pull request's code (its tests) next to "
    "them. Trigger talkgit on pull_request (for forks: the two-workflow pattern), or, if "
    "every pull request's code is trusted, allow it with --allow-pull-request-target "
    "(the action's allow-pull-request-target input); see docs/github-action.md"
)
MAX_EVENT_BYTES: Final = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB

Sha = Annotated[str, Field(pattern=r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")]


@dataclass(frozen=True)
class PullRequest:
    """One pull request: where it goes (``repo``, ``base_sha``) and what it brings (``head_sha``).

    ``head_repo`` is empty when the head repository was deleted. ``title`` and ``body``
    are untrusted text.
    """

    repo: str
    number: int
    base_sha: str
    head_sha: str
    base_ref: str = ""
    head_ref: str = ""
    head_repo: str = ""
    title: str = ""
    body: str = ""
    author: str = ""

    @property
    def is_fork(self) -> bool:
        """Whether the head lives outside the base repository (its token is read-only)."""
        return self.head_repo.lower() != self.repo.lower()


@dataclass(frozen=True)
class WorkflowRun:
    """The finished run a ``workflow_run`` workflow was started by (the fork-safe pattern)."""

    repo: str
    run_id: int
    event: str
    head_sha: str
    head_repo: str
    conclusion: str | None


@dataclass(frozen=True)
class RunnerFiles:
    """Where a step writes its job summary and outputs, and the link to the run."""

    step_summary: Path | None = None
    output: Path | None = None
    run_url: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RunnerFiles:
        summary, output = environ.get("GITHUB_STEP_SUMMARY"), environ.get("GITHUB_OUTPUT")
        server, repo = environ.get("GITHUB_SERVER_URL"), environ.get("GITHUB_REPOSITORY")
        run_id = environ.get("GITHUB_RUN_ID")
        run_url = f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None
        return cls(
            step_summary=Path(summary) if summary else None,
            output=Path(output) if output else None,
            run_url=run_url,
        )


# --- the payload, as much of it as talkgit reads --------------------------------------------


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Repository(_Payload):
    full_name: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class _User(_Payload):
    login: str = ""


class _Branch(_Payload):
    sha: Sha
    ref: str = ""
    repo: _Repository | None = None


class _Pull(_Payload):
    number: int = Field(ge=1)
    title: str = ""
    body: str | None = None
    user: _User | None = None
    base: _Branch
    head: _Branch


class _Run(_Payload):
    id: int
    event: str
    head_sha: Sha
    head_repository: _Repository | None = None
    conclusion: str | None = None


class _Event(_Payload):
    pull_request: _Pull | None = None
    workflow_run: _Run | None = None
    repository: _Repository | None = None


def parse_pull(data: Mapping[str, Any], repo: str) -> PullRequest:
    """A pull request from its REST or event JSON; ConfigError names the first bad field."""
    try:
        pull = _Pull.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"a pull request that cannot be read: {_first_error(exc)}") from None
    return _pull_request(pull, repo)


def read_pull_request(environ: Mapping[str, str], *, allow_target: bool = False) -> PullRequest:
    """The pull request the running workflow was triggered by.

    UsageError when not run by a pull-request event, or by ``pull_request_target`` without
    ``allow_target``; ConfigError when the event file is missing or malformed.
    """
    name = environ.get("GITHUB_EVENT_NAME", "")
    if name and name not in PULL_REQUEST_EVENTS:
        raise UsageError(
            f"review --github needs a pull_request event, not {name!r}; "
            "see docs/github-action.md for the workflow_run pattern"
        )
    if name == "pull_request_target" and not allow_target:
        raise UsageError(TARGET_REFUSED)
    event = _read_event(environ)
    if event.pull_request is None:
        raise UsageError("the event has no pull request: review --github runs on pull_request")
    base_repo = event.pull_request.base.repo
    repo = environ.get("GITHUB_REPOSITORY") or (base_repo.full_name if base_repo else "")
    if not repo:
        raise ConfigError("cannot tell the repository: GITHUB_REPOSITORY is not set")
    return _pull_request(event.pull_request, repo)


def read_workflow_run(environ: Mapping[str, str]) -> WorkflowRun:
    """The finished run behind a ``workflow_run`` event (whose token may write)."""
    event = _read_event(environ)
    run = event.workflow_run
    if run is None:
        raise UsageError(
            "the event has no workflow_run: posting saved results runs on workflow_run"
        )
    repo = environ.get("GITHUB_REPOSITORY") or (
        event.repository.full_name if event.repository else ""
    )
    if not repo:
        raise ConfigError("cannot tell the repository: GITHUB_REPOSITORY is not set")
    head_repo = run.head_repository.full_name if run.head_repository else ""
    return WorkflowRun(repo, run.id, run.event, run.head_sha, head_repo, run.conclusion)


def _pull_request(pull: _Pull, repo: str) -> PullRequest:
    return PullRequest(
        repo=repo,
        number=pull.number,
        base_sha=pull.base.sha,
        head_sha=pull.head.sha,
        base_ref=pull.base.ref,
        head_ref=pull.head.ref,
        head_repo=pull.head.repo.full_name if pull.head.repo else "",
        title=pull.title,
        body=pull.body or "",
        author=pull.user.login if pull.user else "",
    )


def _read_event(environ: Mapping[str, str]) -> _Event:
    location = environ.get("GITHUB_EVENT_PATH")
    if not location:
        raise UsageError("GITHUB_EVENT_PATH is not set: --github runs inside GitHub Actions")
    path = Path(location)
    try:
        if path.stat().st_size > MAX_EVENT_BYTES:
            raise ConfigError(f"the event file is larger than {MAX_EVENT_BYTES} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the event file: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"the event file is not JSON: {exc}") from None
    try:
        return _Event.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"the event file cannot be read: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "the document"
    return f"{where}: {error['msg']}"
