"""A real HTTP server on 127.0.0.1 that speaks the subset of GitHub's REST API talkgit uses.

Tests point the real GitHubClient at it (``api_url=server.base_url``). It keeps state the
way GitHub does — issue comments, a pull request's files, reviews and their comments,
check runs — pages lists with ``Link`` headers, and refuses what GitHub refuses: a
review comment on a line outside the diff's hunks (422, the whole review), more than 50
annotations in one request (422), any write with a read-only token (403 "Resource not
accessible by integration"), ``GET /user`` with an app installation token (403). Faults
can be scripted per route. Every request is recorded. Safe under concurrent requests.

Its hunk reading is written separately from talkgit's on purpose: it is the oracle.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

REPO = "octo/widgets"
TOKEN = "ghs_TALKGIT_TEST_installation_0123456789"  # noqa: S105 - a fake, recognisable if leaked
BOT = "github-actions[bot]"
BOT_ID = 41898282  # the Actions bot's account id on github.com
BODY_LIMIT = 65_536
FORBIDDEN = "Resource not accessible by integration"


@dataclass(frozen=True)
class Identity:
    """Who a token is. An installation token (``GITHUB_TOKEN``) cannot ``GET /user``.

    Its account (login, id, ``Bot`` or ``User``) authors what the token posts, as on GitHub.
    """

    login: str = BOT
    installation: bool = True
    can_write: bool = True
    graphql: bool = True

    @property
    def user(self) -> dict[str, Any]:
        return _user(self.login)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any


@dataclass
class Fault:
    """Answer ``status`` to requests matching ``method`` and the ``path`` regex, ``times`` times."""

    method: str
    path: str
    status: int
    message: str = "scripted fault"
    times: int = 1
    headers: Mapping[str, str] = field(default_factory=dict)


class _Refused(Exception):
    def __init__(self, status: int, message: str, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


class GitHubServer:
    """Context manager: ``with GitHubServer() as github: ... github.base_url``."""

    def __init__(
        self,
        *,
        repo: str = REPO,
        tokens: Mapping[str, Identity] | None = None,
        default_per_page: int = 30,
    ) -> None:
        self.repo = repo
        self.tokens = dict(tokens) if tokens is not None else {TOKEN: Identity()}
        self.default_per_page = default_per_page
        self.pulls: dict[int, dict[str, Any]] = {}
        self.files: dict[int, list[dict[str, Any]]] = {}
        self.issue_comments: dict[int, list[dict[str, Any]]] = {}
        self.review_comments: dict[int, list[dict[str, Any]]] = {}
        self.reviews: dict[int, list[dict[str, Any]]] = {}
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._ids = itertools.count(1001)
        self._lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- setting the scene ---------------------------------------------------------------

    def add_pull(
        self,
        number: int,
        *,
        base_sha: str,
        head_sha: str,
        files: Mapping[str, str | None],
        head_repo: str | None = None,
        title: str = "A change",
        body: str = "",
        author: str = "octocat",
    ) -> dict[str, Any]:
        """A pull request whose files have these patches (None: binary or too large)."""
        with self._lock:
            pull = {
                "number": number,
                "title": title,
                "body": body,
                "user": {"login": author, "type": "User"},
                "base": {"sha": base_sha, "ref": "main", "repo": {"full_name": self.repo}},
                "head": {
                    "sha": head_sha,
                    "ref": "feature",
                    "repo": {"full_name": head_repo or self.repo},
                },
            }
            self.pulls[number] = pull
            self.files[number] = [_file_entry(path, patch) for path, patch in files.items()]
            for store in (self.issue_comments, self.review_comments, self.reviews):
                store.setdefault(number, [])
            return pull

    def move_head(self, number: int, head_sha: str, files: Mapping[str, str | None]) -> None:
        """A new push: the head moves and the diff changes; outdated comments lose their line."""
        with self._lock:
            self.pulls[number]["head"]["sha"] = head_sha
            self.files[number] = [_file_entry(path, patch) for path, patch in files.items()]
            for comment in self.review_comments[number]:
                if comment["line"] not in _right_lines(self._patch(number, comment["path"])):
                    comment["line"] = None

    def add_issue_comment(
        self, number: int, body: str, *, login: str = "octocat", user_type: str | None = None
    ) -> int:
        """A comment by ``login`` (a ``Bot`` when it ends in ``[bot]``, unless ``user_type``)."""
        with self._lock:
            comment_id = next(self._ids)
            comment = {"id": comment_id, "body": body, "user": _user(login, user_type)}
            self.issue_comments.setdefault(number, []).append(comment)
            return comment_id

    def add_review_comment(
        self,
        number: int,
        path: str,
        line: int | None,
        body: str,
        *,
        login: str = "octocat",
        in_reply_to: int | None = None,
    ) -> int:
        with self._lock:
            comment = self._review_comment(path, line, body, login, in_reply_to)
            self.review_comments.setdefault(number, []).append(comment)
            return int(comment["id"])

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        message: str = "scripted fault",
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        with self._lock:
            self.faults.append(Fault(method, path, status, message, times, dict(headers or {})))

    # -- inspection ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def calls(self, method: str, path: str = ".*") -> list[RecordedRequest]:
        """Requests with ``method`` whose path matches the ``path`` regex."""
        return [r for r in self.requests if r.method == method and re.fullmatch(path, r.path)]

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("GitHubServer is not running; use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def graphql_url(self) -> str:
        return self.base_url + "/graphql"

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> GitHubServer:
        handler = type("Handler", (_Handler,), {"owner": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="github-test-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- answering (handler threads) -------------------------------------------------------

    def answer(self, request: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self._requests.append(request)
            fault = self._fault_for(request)
            if fault is not None:
                return fault.status, {"message": fault.message}, dict(fault.headers)
            try:
                identity = self._identity(request)
                return self._route(request, identity)
            except _Refused as refused:
                body: dict[str, Any] = {"message": refused.message}
                if refused.errors is not None:
                    body["errors"] = refused.errors
                return refused.status, body, {}

    def _fault_for(self, request: RecordedRequest) -> Fault | None:
        for fault in self.faults:
            wanted = fault.times > 0 and fault.method == request.method
            if wanted and re.fullmatch(fault.path, request.path):
                fault.times -= 1
                return fault
        return None

    def _identity(self, request: RecordedRequest) -> Identity:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        identity = self.tokens.get(token) if scheme.lower() in ("bearer", "token") else None
        if identity is None:
            raise _Refused(401, "Bad credentials")
        if request.method != "GET" and request.path != "/graphql" and not identity.can_write:
            raise _Refused(403, FORBIDDEN)
        return identity

    def _route(self, request: RecordedRequest, who: Identity) -> tuple[int, Any, dict[str, str]]:
        method, path = request.method, request.path
        if (method, path) == ("POST", "/graphql"):
            return 200, self._graphql(request.body, who), {}
        if (method, path) == ("GET", "/user"):
            if who.installation:
                raise _Refused(403, FORBIDDEN)
            return 200, who.user, {}
        prefix = f"/repos/{self.repo}/"
        if not path.startswith(prefix):
            raise _Refused(404, "Not Found")
        rest = path[len(prefix) :]
        for pattern, verb, handler in self._routes():
            match = re.fullmatch(pattern, rest)
            if match is not None and verb == method:
                answer: tuple[int, Any, dict[str, str]] = handler(
                    request, who, *(int(g) for g in match.groups())
                )
                return answer
        raise _Refused(404, "Not Found")

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"pulls/(\d+)", "GET", self._get_pull),
            (r"pulls/(\d+)/files", "GET", self._list_files),
            (r"issues/(\d+)/comments", "GET", self._list_issue_comments),
            (r"issues/(\d+)/comments", "POST", self._create_issue_comment),
            (r"issues/comments/(\d+)", "PATCH", self._update_issue_comment),
            (r"pulls/(\d+)/comments", "GET", self._list_review_comments),
            (r"pulls/comments/(\d+)", "PATCH", self._update_review_comment),
            (r"pulls/comments/(\d+)", "DELETE", self._delete_review_comment),
            (r"pulls/(\d+)/reviews", "POST", self._create_review),
            (r"check-runs", "POST", self._create_check_run),
            (r"check-runs/(\d+)", "PATCH", self._update_check_run),
        ]

    # -- routes ----------------------------------------------------------------------------

    def _graphql(self, body: Any, who: Identity) -> Any:
        query = body.get("query", "") if isinstance(body, dict) else ""
        if not who.graphql or "viewer" not in query:
            return {"data": None, "errors": [{"message": "Field not available"}]}
        return {"data": {"viewer": {"login": who.login, "databaseId": who.user["id"]}}}

    def _get_pull(self, request: RecordedRequest, who: Identity, number: int) -> Any:
        return 200, self._pull(number), {}

    def _list_files(self, request: RecordedRequest, who: Identity, number: int) -> Any:
        self._pull(number)
        return self._page(request, self.files[number])

    def _list_issue_comments(self, request: RecordedRequest, who: Identity, number: int) -> Any:
        self._pull(number)
        return self._page(request, self.issue_comments[number])

    def _create_issue_comment(self, request: RecordedRequest, who: Identity, number: int) -> Any:
        self._pull(number)
        body = _body_text(request.body)
        comment = {"id": next(self._ids), "body": body, "user": who.user}
        self.issue_comments[number].append(comment)
        return 201, comment, {}

    def _update_issue_comment(self, request: RecordedRequest, who: Identity, cid: int) -> Any:
        for comments in self.issue_comments.values():
            for comment in comments:
                if comment["id"] == cid:
                    comment["body"] = _body_text(request.body)
                    return 200, comment, {}
        raise _Refused(404, "Not Found")

    def _list_review_comments(self, request: RecordedRequest, who: Identity, number: int) -> Any:
        self._pull(number)
        return self._page(request, self.review_comments[number])

    def _update_review_comment(self, request: RecordedRequest, who: Identity, cid: int) -> Any:
        comment = self._find_review_comment(cid)
        comment["body"] = _body_text(request.body)
        return 200, comment, {}

    def _delete_review_comment(self, request: RecordedRequest, who: Identity, cid: int) -> Any:
        comment = self._find_review_comment(cid)
        for comments in self.review_comments.values():
            if comment in comments:
                comments.remove(comment)
        return 204, None, {}

    def _create_review(self, request: RecordedRequest, who: Identity, number: int) -> Any:
        pull = self._pull(number)
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("commit_id") != pull["head"]["sha"]:
            raise _Refused(
                422, "Unprocessable Entity", ["commit_id is not part of the pull request"]
            )
        if body.get("event") != "COMMENT" or not body.get("body"):
            raise _Refused(422, "Unprocessable Entity", ["a COMMENT review needs a body"])
        drafts = body.get("comments") or []
        for draft in drafts:
            self._check_draft(number, draft)
        review = {"id": next(self._ids), "body": body["body"], "comments": len(drafts)}
        self.reviews[number].append(review)
        for draft in drafts:
            comment = self._review_comment(draft["path"], draft["line"], draft["body"], who.login)
            comment["pull_request_review_id"] = review["id"]
            self.review_comments[number].append(comment)
        return 200, review, {}

    def _check_draft(self, number: int, draft: Any) -> None:
        if not isinstance(draft, dict) or draft.get("side", "RIGHT") != "RIGHT":
            raise _Refused(422, "Unprocessable Entity", ["a comment needs path, line, RIGHT"])
        if len(str(draft.get("body", ""))) > BODY_LIMIT:
            raise _Refused(422, "Unprocessable Entity", ["body is too long (maximum is 65536)"])
        patch = self._patch(number, str(draft.get("path")))
        if draft.get("line") not in _right_lines(patch):
            raise _Refused(
                422,
                "Unprocessable Entity",
                ["pull_request_review_thread.line must be part of the diff"],
            )

    def _create_check_run(self, request: RecordedRequest, who: Identity) -> Any:
        body = request.body if isinstance(request.body, dict) else {}
        if not body.get("name") or not body.get("head_sha"):
            raise _Refused(422, "Invalid request.", ["name and head_sha are required"])
        run = {
            "id": next(self._ids),
            "name": body["name"],
            "head_sha": body["head_sha"],
            "status": body.get("status", "queued"),
            "conclusion": body.get("conclusion"),
            "output": {},
            "annotations": [],
            "updates": 0,
        }
        self._apply_output(run, body.get("output"))
        self.check_runs[int(run["id"])] = run
        return 201, {k: v for k, v in run.items() if k != "annotations"}, {}

    def _update_check_run(self, request: RecordedRequest, who: Identity, run_id: int) -> Any:
        run = self.check_runs.get(run_id)
        if run is None:
            raise _Refused(404, "Not Found")
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("status") == "completed" and not body.get("conclusion"):
            raise _Refused(422, "Invalid request.", ["conclusion is required when completed"])
        self._apply_output(run, body.get("output"))
        run["status"] = body.get("status", run["status"])
        run["conclusion"] = body.get("conclusion", run["conclusion"])
        run["updates"] += 1
        return 200, {k: v for k, v in run.items() if k != "annotations"}, {}

    def _apply_output(self, run: dict[str, Any], output: Any) -> None:
        if output is None:
            return
        if not isinstance(output, dict) or not output.get("title") or "summary" not in output:
            raise _Refused(422, "Invalid request.", ["output needs a title and a summary"])
        if len(output["summary"]) > BODY_LIMIT - 1:
            raise _Refused(422, "Invalid request.", ["summary is too long"])
        annotations = output.get("annotations") or []
        if len(annotations) > 50:
            raise _Refused(422, "Invalid request.", ["Only 50 annotations allowed per request"])
        for annotation in annotations:
            if not annotation.get("path") or int(annotation.get("start_line", 0)) < 1:
                raise _Refused(422, "Invalid request.", ["annotations need a path and a line"])
        run["output"] = {"title": output["title"], "summary": output["summary"]}
        run["annotations"].extend(annotations)

    # -- helpers ---------------------------------------------------------------------------

    def _pull(self, number: int) -> dict[str, Any]:
        pull = self.pulls.get(number)
        if pull is None:
            raise _Refused(404, "Not Found")
        return pull

    def _patch(self, number: int, path: str) -> str | None:
        for entry in self.files.get(number, []):
            if entry["filename"] == path:
                return entry["patch"]  # type: ignore[no-any-return]
        return None

    def _find_review_comment(self, cid: int) -> dict[str, Any]:
        for comments in self.review_comments.values():
            for comment in comments:
                if comment["id"] == cid:
                    return comment
        raise _Refused(404, "Not Found")

    def _review_comment(
        self, path: str, line: int | None, body: str, login: str, in_reply_to: int | None = None
    ) -> dict[str, Any]:
        return {
            "id": next(self._ids),
            "path": path,
            "line": line,
            "side": "RIGHT",
            "body": body,
            "user": _user(login),
            "in_reply_to_id": in_reply_to,
        }

    def _page(self, request: RecordedRequest, items: list[dict[str, Any]]) -> Any:
        per_page = min(int(request.query.get("per_page", self.default_per_page)), 100)
        page = int(request.query.get("page", 1))
        last = max((len(items) + per_page - 1) // per_page, 1)
        chosen = items[(page - 1) * per_page : page * per_page]
        links = []
        if page < last:
            links.append(f'<{self._page_url(request.path, per_page, page + 1)}>; rel="next"')
            links.append(f'<{self._page_url(request.path, per_page, last)}>; rel="last"')
        if page > 1:
            links.append(f'<{self._page_url(request.path, per_page, page - 1)}>; rel="prev"')
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, chosen, headers

    def _page_url(self, path: str, per_page: int, page: int) -> str:
        return f"{self.base_url}{path}?per_page={per_page}&page={page}"


def actions_environ(
    directory: Path, github: GitHubServer, event_name: str, payload: dict[str, Any]
) -> dict[str, str]:
    """What GitHub Actions gives a step for ``event_name``: the event file (written in
    ``directory``, with the repository added), the token and this server's URLs."""
    event = directory / "event.json"
    event.write_text(json.dumps({**payload, "repository": {"full_name": REPO}}))
    return {
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": github.base_url,
        "GITHUB_GRAPHQL_URL": github.graphql_url,
    }


def _user(login: str, kind: str | None = None) -> dict[str, Any]:
    """An account as REST shows it; its id is fixed by login and kind, like GitHub's."""
    kind = kind or ("Bot" if login.endswith("[bot]") else "User")
    if (login, kind) == (BOT, "Bot"):
        return {"login": login, "id": BOT_ID, "type": kind}
    return {"login": login, "id": 1 + zlib.crc32(f"{kind}:{login}".encode()), "type": kind}


def _file_entry(path: str, patch: str | None) -> dict[str, Any]:
    lines = (patch or "").split("\n")
    additions = sum(1 for line in lines if line.startswith("+"))
    deletions = sum(1 for line in lines if line.startswith("-"))
    entry: dict[str, Any] = {
        "filename": path,
        "status": "modified",
        "additions": additions,
        "deletions": deletions,
        "changes": additions + deletions,
    }
    if patch is not None:  # GitHub leaves the key out for binary files and huge diffs
        entry["patch"] = patch
    return entry


def _body_text(body: Any) -> str:
    text = body.get("body") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text:
        raise _Refused(422, "Validation Failed", [{"field": "body", "code": "missing_field"}])
    if len(text) > BODY_LIMIT:
        raise _Refused(422, "Validation Failed", [{"field": "body", "code": "too_long"}])
    return text


def _right_lines(patch: str | None) -> set[int]:
    """New-side lines inside the hunks: every line after a header but the removed ones."""
    lines: set[int] = set()
    current = 0
    for text in (patch or "").splitlines():
        header = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", text)
        if header:
            current = int(header.group(1))
        elif current and not text.startswith(("-", "\\")):
            lines.add(current)
            current += 1
    return lines


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class _Handler(BaseHTTPRequestHandler):
    owner: GitHubServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        url = urlsplit(self.path)
        request = RecordedRequest(
            method=method,
            path=url.path,
            query=dict(parse_qsl(url.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        status, answer, headers = self.owner.answer(request)
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def serve(**options: Any) -> Iterator[GitHubServer]:
    """Generator form for pytest fixtures: ``yield from serve()``."""
    with GitHubServer(**options) as server:
        yield server
