"""The GitHub REST client: the subset ``talkgit review`` uses, and the only module importing httpx.

Every failure leaves this module as a one-line GitHubError carrying the HTTP status (or
None when no answer came), never an httpx exception and never the token. Lists are
read page by page, following the ``Link: rel="next"`` header GitHub sends, only to the
same origin (the token is not sent anywhere else). Reads and edits are retried on a
server error; creations only when GitHub says nothing was done (a rate limit), so a
retry cannot post a comment twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from talkgit import __version__
from talkgit.errors import ConfigError, ToolError
from talkgit.github.diff import LineComment
from talkgit.github.event import PullRequest, parse_pull
from talkgit.redaction import redactor, remember

DEFAULT_API_URL: Final = "https://api.github.com"
API_VERSION: Final = "2022-11-28"
PER_PAGE: Final = 100
MAX_PAGES: Final = 100  # 10,000 items: more is a loop, not a pull request
MAX_WAIT: Final = 60.0  # seconds a rate limit may make us wait before we give up
_IDEMPOTENT: Final = frozenset({"GET", "PATCH", "PUT", "DELETE"})
_SERVER_ERRORS: Final = frozenset({500, 502, 503, 504})
_VIEWER_QUERY: Final = "query { viewer { login databaseId } }"

AnnotationLevel = Literal["notice", "warning", "failure"]
_Model = TypeVar("_Model", bound=BaseModel)


class GitHubError(ToolError):
    """GitHub refused or failed a request; ``status`` is None when no answer came."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def forbidden(self) -> bool:
        """The token may not do this (a fork's read-only token, a missing permission)."""
        return self.status in (401, 403, 404)


# --- what GitHub answers (only the fields talkgit reads) ----------------------------------------


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class GitHubUser(_Answer):
    login: str
    id: int | None = None
    type: str = "User"


@dataclass(frozen=True)
class TokenIdentity:
    """The account a token acts as: the author of every comment talkgit may edit or delete.

    Matched by account id when both sides have one (ids never change or repeat), else by
    exact login *and* kind: ``github-actions[bot]`` must be a ``Bot``, so a person who
    names themselves ``github-actions`` is never taken for the Actions token.
    """

    login: str
    user_id: int | None = None

    @classmethod
    def of(cls, user: GitHubUser) -> TokenIdentity:
        return cls(user.login, user.id)

    def owns(self, user: GitHubUser | None) -> bool:
        """Whether ``user`` (a comment's author) is this identity."""
        if user is None:
            return False
        if self.user_id is not None and user.id is not None:
            return user.id == self.user_id
        is_bot = self.login.lower().endswith("[bot]")
        return user.login.lower() == self.login.lower() and (user.type == "Bot") == is_bot


class IssueComment(_Answer):
    id: int
    body: str | None = ""
    user: GitHubUser | None = None  # None: the author's account was deleted


class ReviewComment(_Answer):
    """A review comment; ``line`` is None once the diff moved away from it (outdated)."""

    id: int
    body: str | None = ""
    path: str
    line: int | None = None
    user: GitHubUser | None = None
    in_reply_to_id: int | None = None


class PullFile(_Answer):
    """One file of a pull request; ``patch`` is None for binary files and very large diffs."""

    filename: str
    status: str = "modified"
    patch: str | None = None
    previous_filename: str | None = None
    additions: int = 0
    deletions: int = 0
    changes: int = 0


class _Created(_Answer):
    id: int


class _Viewer(_Answer):
    login: str
    database_id: int | None = Field(default=None, alias="databaseId")


class _ViewerData(_Answer):
    viewer: _Viewer


class _GraphQLAnswer(_Answer):
    data: _ViewerData | None = None


# --- what talkgit sends --------------------------------------------------------------------------


@dataclass(frozen=True)
class Annotation:
    """A check-run annotation on one line; ``fingerprint`` is talkgit's, never sent."""

    path: str
    line: int
    level: AnnotationLevel
    title: str
    message: str
    fingerprint: str = ""

    def payload(self) -> dict[str, Any]:
        line = max(self.line, 1)  # GitHub requires a line; a file-level finding goes on 1
        return {
            "path": self.path,
            "start_line": line,
            "end_line": line,
            "annotation_level": self.level,
            "title": self.title[:255],
            "message": self.message[:60_000],
        }


@dataclass(frozen=True)
class CheckOutput:
    title: str
    summary: str
    annotations: tuple[Annotation, ...] = ()

    def payload(self) -> dict[str, Any]:
        return {
            "title": self.title[:255],
            "summary": self.summary[:65_000],
            "annotations": [a.payload() for a in self.annotations],
        }


class GitHubClient:
    """A GitHub REST client for one token. Use it as a context manager, or call ``close``.

    ``transport`` is httpx's (tests pass none and talk to a local server); ``sleep`` and
    ``now`` drive the waits between retries, so tests need not wait.
    """

    def __init__(
        self,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        graphql_url: str | None = None,
        timeout: float = 30.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        if not token:
            raise ConfigError("no GitHub token: set GITHUB_TOKEN (the action's github-token)")
        remember([token])  # so log lines and anything else this process stores redact it too
        self._redact = redactor(extra=[token])
        self._retries = retries
        self._sleep = sleep
        self._now = now
        self.api_url = api_url.rstrip("/")
        self.graphql_url = graphql_url or _graphql_url(self.api_url)
        self._http = httpx.Client(
            base_url=self.api_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"talkgit/{__version__}",
            },
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **options: Any) -> GitHubClient:
        """A client for ``GITHUB_TOKEN`` at ``GITHUB_API_URL`` / ``GITHUB_GRAPHQL_URL``."""
        return cls(
            environ.get("GITHUB_TOKEN", ""),
            api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL,
            graphql_url=environ.get("GITHUB_GRAPHQL_URL") or None,
            **options,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- who we are -----------------------------------------------------------------------------

    def identity(self) -> TokenIdentity | None:
        """The account the token acts as, or None when GitHub will not say.

        An Actions ``GITHUB_TOKEN`` (like any app installation token) is refused by
        ``GET /user`` ("Resource not accessible by integration"), and ``GET /app`` wants
        the app's own key, but GraphQL's ``viewer`` answers for every kind of token
        (``github-actions[bot]`` and its account id), so that is asked first and
        ``GET /user`` (personal tokens) second. None means: adopt no comment.
        """
        try:
            answer = self._request("POST", self.graphql_url, json={"query": _VIEWER_QUERY})
            data = _parse(_GraphQLAnswer, answer, "the GraphQL viewer")
            if data.data is not None:
                viewer = data.data.viewer
                return TokenIdentity(viewer.login, viewer.database_id)
        except GitHubError:
            pass
        try:
            return TokenIdentity.of(_parse(GitHubUser, self._request("GET", "/user"), "the user"))
        except GitHubError:
            return None

    # --- pull requests --------------------------------------------------------------------------

    def pull_request(self, repo: str, number: int) -> PullRequest:
        """The pull request as GitHub has it now (its head may have moved since an event)."""
        answer = self._request("GET", f"/repos/{repo}/pulls/{number}")
        if not isinstance(answer, dict):
            raise GitHubError(f"GitHub answered pull request #{number} with no object")
        try:
            return parse_pull(answer, repo)
        except ConfigError as exc:
            raise GitHubError(f"GitHub's pull request #{number}: {exc}") from None

    def pull_files(self, repo: str, number: int) -> Iterator[PullFile]:
        """The files a pull request changes, with their patches (GitHub lists at most 3,000)."""
        return self._list(PullFile, f"/repos/{repo}/pulls/{number}/files")

    # --- the conversation -----------------------------------------------------------------------

    def issue_comments(self, repo: str, number: int) -> Iterator[IssueComment]:
        return self._list(IssueComment, f"/repos/{repo}/issues/{number}/comments")

    def create_issue_comment(self, repo: str, number: int, body: str) -> IssueComment:
        answer = self._request(
            "POST", f"/repos/{repo}/issues/{number}/comments", json={"body": body}
        )
        return _parse(IssueComment, answer, "the new comment")

    def update_issue_comment(self, repo: str, comment_id: int, body: str) -> IssueComment:
        path = f"/repos/{repo}/issues/comments/{comment_id}"
        return _parse(IssueComment, self._request("PATCH", path, json={"body": body}), "a comment")

    # --- reviews --------------------------------------------------------------------------------

    def review_comments(self, repo: str, number: int) -> Iterator[ReviewComment]:
        return self._list(ReviewComment, f"/repos/{repo}/pulls/{number}/comments")

    def create_review(
        self,
        repo: str,
        number: int,
        *,
        commit_id: str,
        body: str,
        comments: Sequence[LineComment],
    ) -> int:
        """Post a COMMENT review with ``comments`` on the new side of ``commit_id``'s diff.

        GitHub takes the whole review or nothing: one comment on a line outside the diff
        makes it answer 422 and post none of them.
        """
        payload = {
            "commit_id": commit_id,
            "body": body,
            "event": "COMMENT",
            "comments": [
                {"path": c.path, "line": c.line, "side": "RIGHT", "body": c.body} for c in comments
            ],
        }
        answer = self._request("POST", f"/repos/{repo}/pulls/{number}/reviews", json=payload)
        return _parse(_Created, answer, "the new review").id

    def update_review_comment(self, repo: str, comment_id: int, body: str) -> None:
        self._request("PATCH", f"/repos/{repo}/pulls/comments/{comment_id}", json={"body": body})

    def delete_review_comment(self, repo: str, comment_id: int) -> None:
        self._request("DELETE", f"/repos/{repo}/pulls/comments/{comment_id}")

    # --- check runs -----------------------------------------------------------------------------

    def create_check_run(self, repo: str, *, name: str, head_sha: str, output: CheckOutput) -> int:
        """Start a check run (in progress) with the first batch of at most 50 annotations."""
        payload = {
            "name": name,
            "head_sha": head_sha,
            "status": "in_progress",
            "output": output.payload(),
        }
        answer = self._request("POST", f"/repos/{repo}/check-runs", json=payload)
        return _parse(_Created, answer, "the new check run").id

    def update_check_run(
        self,
        repo: str,
        check_run_id: int,
        *,
        output: CheckOutput,
        conclusion: str | None = None,
    ) -> None:
        """Add ``output``'s annotations (GitHub appends them); a conclusion completes the run."""
        payload: dict[str, Any] = {"output": output.payload()}
        if conclusion is not None:
            payload |= {"status": "completed", "conclusion": conclusion}
        self._request("PATCH", f"/repos/{repo}/check-runs/{check_run_id}", json=payload)

    # --- plumbing -------------------------------------------------------------------------------

    def _list(self, model: type[_Model], path: str) -> Iterator[_Model]:
        for page in self._pages(path):
            for item in page:
                yield _parse(model, item, path)

    def _pages(self, path: str) -> Iterator[list[Any]]:
        url: str | None = path
        params: dict[str, int] | None = {"per_page": PER_PAGE}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._send("GET", url, params=params)
            page = _json(response, "GET", path)
            if not isinstance(page, list):
                raise GitHubError(f"GitHub answered GET {path} with no list", response.status_code)
            yield page
            url, params = self._next_page(response), None  # the next link carries the query
        raise GitHubError(f"GET {path}: more than {MAX_PAGES} pages; stopped")

    def _next_page(self, response: httpx.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if link is None:
            return None
        target, base = httpx.URL(link), self._http.base_url
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise GitHubError("GitHub's next-page link leaves its own host; not followed")
        return link

    def _request(self, method: str, url: str, *, json: Any = None) -> Any:
        response = self._send(method, url, json=json)
        return None if response.status_code == 204 else _json(response, method, url)

    def _send(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, int] | None = None,
    ) -> httpx.Response:
        """One request, retried as the module docstring says; errors become GitHubError."""
        for attempt in range(self._retries + 1):
            try:
                response = self._http.request(method, url, json=json, params=params)
            except httpx.HTTPError as exc:
                if attempt < self._retries and _may_resend(method, exc):
                    self._sleep(_backoff(attempt))
                    continue
                raise GitHubError(
                    self._redact(f"GitHub {method} {_path(url)}: {_why(exc)}")
                ) from None
            wait = self._retry_wait(method, response) if attempt < self._retries else None
            if wait is None:
                return self._checked(method, url, response)
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _retry_wait(self, method: str, response: httpx.Response) -> float | None:
        """Seconds to wait before a retry that can succeed, or None for no retry."""
        status, headers = response.status_code, response.headers
        limited = status == 429 or (
            status == 403
            and ("retry-after" in headers or headers.get("x-ratelimit-remaining") == "0")
        )
        if limited:
            wait = self._rate_limit_wait(headers)
            return wait if wait <= MAX_WAIT else None
        if status in _SERVER_ERRORS and method in _IDEMPOTENT:
            return _backoff(0)
        return None

    def _rate_limit_wait(self, headers: httpx.Headers) -> float:
        try:
            if "retry-after" in headers:
                return max(float(headers["retry-after"]), 0.0)
            return max(float(headers["x-ratelimit-reset"]) - self._now(), 0.0) + 1.0
        except (KeyError, ValueError):
            return 60.0  # GitHub's advice when it gives no time: wait at least a minute

    def _checked(self, method: str, url: str, response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        detail = _error_detail(response)
        message = f"GitHub {method} {_path(url)}: {response.status_code} {detail}".rstrip()
        raise GitHubError(self._redact(message), response.status_code)


def _graphql_url(api_url: str) -> str:
    """``.../graphql`` next to the REST root: github.com's, or a GitHub Enterprise Server's."""
    if api_url.endswith("/api/v3"):
        return api_url.removesuffix("/v3") + "/graphql"
    return api_url + "/graphql"


def _may_resend(method: str, exc: httpx.HTTPError) -> bool:
    # A refused connection never reached GitHub, so even a creation may be sent again.
    return method in _IDEMPOTENT or isinstance(exc, httpx.ConnectError)


def _backoff(attempt: int) -> float:
    return float(min(2**attempt, 8))


def _why(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def _path(url: str) -> str:
    return httpx.URL(url).path or url


def _json(response: httpx.Response, method: str, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise GitHubError(
            f"GitHub answered {method} {_path(url)} with something that is not JSON",
            response.status_code,
        ) from None


def _error_detail(response: httpx.Response) -> str:
    """GitHub's ``message``, and the first of its ``errors`` when it gives any."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if not isinstance(body, dict):
        return response.reason_phrase
    message = str(body.get("message") or response.reason_phrase)
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0]
        detail = first.get("message") or first.get("code") if isinstance(first, dict) else first
        message = f"{message}: {detail}"
    return " ".join(message.split())[:300]


def _parse(model: type[_Model], data: Any, what: str) -> _Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise GitHubError(
            f"GitHub's answer for {what} is not as expected: {exc.errors()[0]['msg']}"
        ) from None
