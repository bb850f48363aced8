"""A real HTTP server on 127.0.0.1 that speaks OpenAI's chat-completions protocol.

Tests point a real client (litellm with ``api_base=server.base_url``) at it and script
what it answers, one action per request: a reply text, an HTTP fault (with an optional
``Retry-After``), a delay long enough to trip a client time-out, or a malformed body.
Every request is recorded (path, headers, parsed body) so tests can count calls and
inspect what was sent. Safe under concurrent requests.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

COMPLETIONS_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class Reply:
    """A successful completion; token counts default to a word count of prompt and text.

    ``tool_calls`` are (name, arguments JSON) pairs the answer makes as native tool calls.
    """

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    model: str | None = None
    tool_calls: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Fault:
    """An HTTP error answer with an OpenAI-style error body (or ``body`` verbatim)."""

    status: int
    body: str | None = None
    retry_after: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` before answering with ``then`` (a client time-out usually wins)."""

    seconds: float
    then: Action = "late reply"


@dataclass(frozen=True)
class Malformed:
    """A 200 answer whose body is not valid JSON."""

    body: str = '{"id": "chatcmpl-broken", "choices": ['


Action = str | Reply | Fault | Delay | Malformed


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; header names are lower-cased."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any
    raw: bytes

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages = self.body.get("messages", []) if isinstance(self.body, dict) else []
        return list(messages)


Fallback = Callable[[RecordedRequest], Action]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}


class OpenAIServer:
    """Context manager: ``with OpenAIServer(["hi"]) as server: ... server.base_url``."""

    def __init__(
        self,
        actions: Iterable[Action] = (),
        *,
        delay: float = 0.0,
        fallback: Fallback | None = None,
    ) -> None:
        self.delay = delay
        self.fallback = fallback
        self._actions: deque[Action] = deque(actions)
        self._requests: list[RecordedRequest] = []
        self._errors: list[str] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._ids = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting and inspection -------------------------------------------------

    def push(self, *actions: Action) -> None:
        """Queue more answers, in order."""
        with self._lock:
            self._actions.extend(actions)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far."""
        with self._lock:
            return list(self._requests)

    @property
    def errors(self) -> list[str]:
        """What went wrong inside the server (a fallback that raised), one line each."""
        with self._lock:
            return list(self._errors)

    @property
    def calls(self) -> int:
        """How many chat-completion requests arrived."""
        return sum(1 for r in self.requests if r.path == COMPLETIONS_PATH)

    @property
    def pending(self) -> int:
        """How many scripted actions have not been used yet."""
        with self._lock:
            return len(self._actions)

    @property
    def base_url(self) -> str:
        """The ``api_base`` to give a client: ``http://127.0.0.1:<port>/v1``."""
        if self._httpd is None:
            raise RuntimeError("OpenAIServer is not running; use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    # -- lifecycle ----------------------------------------------------------------

    def __enter__(self) -> OpenAIServer:
        handler = type("Handler", (_Handler,), {"owner": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # shutdown() waits up to one poll
            name="openai-test-server",
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
        self._closing.set()  # wakes handlers sleeping in a Delay
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- answering (called from handler threads) ---------------------------------

    def _record_and_choose(self, request: RecordedRequest) -> Action:
        with self._lock:
            self._requests.append(request)
            if self._actions:
                return self._actions.popleft()
        if self.fallback is None:
            return Fault(
                500, body=_error_body("openai_server: no scripted action left", "server_error")
            )
        try:
            return self.fallback(request)
        except Exception as exc:  # a broken test fallback must read as one, not as a dropped line
            problem = f"openai_server: fallback raised {type(exc).__name__}: {exc}"
            with self._lock:
                self._errors.append(problem)
            return Fault(500, body=_error_body(problem, "server_error"))

    def _sleep(self, seconds: float) -> None:
        self._closing.wait(seconds)

    def _completion(self, request: RecordedRequest, reply: Reply) -> dict[str, Any]:
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in request.messages)
        prompt = reply.prompt_tokens if reply.prompt_tokens is not None else max(prompt_words, 1)
        completion = (
            reply.completion_tokens
            if reply.completion_tokens is not None
            else max(len(reply.text.split()), 1)
        )
        model = reply.model or (request.body.get("model") if isinstance(request.body, dict) else "")
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": f"call_{n}", "type": "function", "function": {"name": k, "arguments": a}}
                for n, (k, a) in enumerate(reply.tool_calls, 1)
            ]
        return {
            "id": f"chatcmpl-test{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model or "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is the point of some tests, not an error.
        return


class _Handler(BaseHTTPRequestHandler):
    owner: OpenAIServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._answer(404, _error_body(f"no route for GET {self.path}", "invalid_request_error"))

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = RecordedRequest(
            method="POST",
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw=raw,
        )
        if self.path != COMPLETIONS_PATH:
            self._answer(
                404, _error_body(f"no route for POST {self.path}", "invalid_request_error")
            )
            return
        action = self.owner._record_and_choose(request)
        if self.owner.delay:
            self.owner._sleep(self.owner.delay)
        self._perform(request, action)

    def _perform(self, request: RecordedRequest, action: Action) -> None:
        if isinstance(action, Delay):
            self.owner._sleep(action.seconds)
            self._perform(request, action.then)
        elif isinstance(action, Fault):
            headers = dict(action.headers)
            if action.retry_after is not None:
                headers["Retry-After"] = action.retry_after
            body = action.body or _error_body(
                f"scripted fault {action.status}", _ERROR_TYPES.get(action.status, "server_error")
            )
            self._answer(action.status, body, headers)
        elif isinstance(action, Malformed):
            self._answer(200, action.body)
        else:
            reply = action if isinstance(action, Reply) else Reply(action)
            self._answer(200, json.dumps(self.owner._completion(request, reply)))

    def _answer(self, status: int, body: str, headers: Mapping[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _error_body(message: str, kind: str, code: str | None = None) -> str:
    return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": code}})


def error_body(message: str, kind: str = "invalid_request_error", code: str | None = None) -> str:
    """An OpenAI-style error document, for ``Fault(status, body=error_body(...))``."""
    return _error_body(message, kind, code)


def serve(actions: Iterable[Action] = (), **options: Any) -> Iterator[OpenAIServer]:
    """Generator form for pytest fixtures: ``yield from serve([...])``."""
    with OpenAIServer(actions, **options) as server:
        yield server
