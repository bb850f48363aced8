"""Context on demand: the lookups an agent may make in the tree it works on.

An agent sees a ranked map of the repository and the files its step names; when that is not
enough it asks to read a file, search the repository or list a directory. The same three
lookups are offered as the provider's tool calls and, for models that write tool calls as
text, as JSON in the reply (``text_requests`` reads both forms models use). Every answer is
bounded in size: a lookup can never blow the prompt past its budget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from talkgit.agents.prompts import file_block
from talkgit.edits.missing import did_you_mean
from talkgit.edits.model import EntryKind, TreeView
from talkgit.filenames import shown
from talkgit.llm.types import Tool, ToolCall

READ_FILE = "read_file"
SEARCH = "search"
LIST_FILES = "list_files"
MAX_MATCHES = 40  # search results shown; the rest are counted
MAX_LISTED = 200  # paths a listing shows
MAX_CANDIDATES = 5

_PATH = {"type": "string", "description": "a path from the repository map, e.g. src/app.py"}
TOOLS = (
    Tool(
        READ_FILE,
        "Show a file of the repository, whole or the lines from start_line to end_line.",
        {
            "type": "object",
            "properties": {
                "path": _PATH,
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1},
            },
            "required": ["path"],
        },
    ),
    Tool(
        SEARCH,
        "Find the lines of the repository's text files that contain a text (case-insensitive).",
        {
            "type": "object",
            "properties": {"text": {"type": "string", "description": "the text to find"}},
            "required": ["text"],
        },
    ),
    Tool(
        LIST_FILES,
        "List the files under a directory of the repository ('' for all of them).",
        {
            "type": "object",
            "properties": {"directory": {"type": "string"}},
            "required": [],
        },
    ),
)
TOOL_NAMES = frozenset(tool.name for tool in TOOLS)


@dataclass(frozen=True)
class Request:
    """One lookup a model asked for; ``call_id`` is set for native tool calls."""

    tool: str
    arguments: Mapping[str, Any]
    call_id: str | None = None

    @property
    def key(self) -> str:
        """The same lookup asked twice has the same key."""
        return f"{self.tool}:{json.dumps(self.arguments, sort_keys=True, default=str)}"

    def describe(self) -> str:
        shown_args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.arguments.items()))
        return f"{self.tool}({shown_args})"


class Lookup:
    """Answers lookups against ``tree``; ``limit(text)`` cuts an answer to its share of the
    prompt budget and says what was cut."""

    def __init__(self, tree: TreeView, limit: Callable[[str], str]) -> None:
        self.tree = tree
        self.limit = limit

    def answer(self, request: Request) -> str:
        handlers = {READ_FILE: self._read, SEARCH: self._search, LIST_FILES: self._list}
        handler = handlers.get(request.tool)
        if handler is None:
            return (
                f"there is no lookup {request.tool!r}: lookups only read the repository "
                f"({', '.join(sorted(TOOL_NAMES))}); changes are made in your answer"
            )
        try:
            return self.limit(handler(request.arguments))
        except _BadRequest as exc:
            return f"{request.describe()}: {exc}"

    def _read(self, arguments: Mapping[str, Any]) -> str:
        path = _text(arguments, "path").strip().lstrip("/")
        entry = self.tree.entry(path)
        if entry is None or entry.kind not in (EntryKind.FILE, EntryKind.EXECUTABLE):
            raise _BadRequest(f"{path!r} is not a file of the repository{self._near(path)}")
        if b"\0" in entry.data[:8000]:
            raise _BadRequest(f"{path} is a binary file")
        lines = entry.data.decode("utf-8", "replace").splitlines(keepends=True)
        start, end = _line(arguments, "start_line", 1), _line(arguments, "end_line", len(lines))
        part = "".join(lines[start - 1 : end])
        whole = (start, min(end, len(lines))) == (1, len(lines))
        span = "" if whole else f" (lines {start}-{min(end, len(lines))} of {len(lines)})"
        return file_block(path, part).replace("\n", f"{span}\n", 1)

    def _search(self, arguments: Mapping[str, Any]) -> str:
        needle = _text(arguments, "text")
        if not needle.strip():
            raise _BadRequest("give the text to find")
        found = list(self._matches(needle.lower()))
        if not found:
            return f"no line of the repository contains {needle!r}"
        lines = found[:MAX_MATCHES]
        more = len(found) - len(lines)
        return "\n".join([*lines, *([f"... and {more} more matches"] if more else [])])

    def _matches(self, needle: str) -> Iterator[str]:
        for path in sorted(self.tree.paths()):
            entry = self.tree.entry(path)
            if entry is None or b"\0" in entry.data[:8000]:
                continue
            text = entry.data.decode("utf-8", "replace")
            if needle not in text.lower():
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if needle in line.lower():
                    yield f"{shown(path)}:{number}: {line.strip()[:200]}"

    def _list(self, arguments: Mapping[str, Any]) -> str:
        directory = str(arguments.get("directory") or "").strip().strip("/")
        prefix = f"{directory}/" if directory else ""
        inside = sorted(path for path in self.tree.paths() if path.startswith(prefix))
        if not inside:
            raise _BadRequest(f"no files under {directory!r}{self._near(directory)}")
        listed = [shown(path) for path in inside[:MAX_LISTED]]
        more = len(inside) - len(listed)
        return "\n".join([*listed, *([f"... and {more} more files"] if more else [])])

    def _near(self, path: str) -> str:
        return did_you_mean(path, self.tree.paths())


class _BadRequest(Exception):
    """A lookup that cannot be answered as asked; the message goes back to the model."""


def _text(arguments: Mapping[str, Any], name: str) -> str:
    value = arguments.get(name)
    if not isinstance(value, str):
        raise _BadRequest(f"{name!r} must be a string")
    return value


def _line(arguments: Mapping[str, Any], name: str, default: int) -> int:
    value = arguments.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _BadRequest(f"{name!r} must be a line number from 1")
    return value


# -- reading requests out of a reply


_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


def native_requests(calls: tuple[ToolCall, ...]) -> list[Request]:
    """The provider's tool calls as lookups; arguments that are not a JSON object are empty."""
    return [Request(call.name, _object(call.arguments), call.id) for call in calls]


def text_requests(text: str) -> list[Request]:
    """Lookups a model wrote as JSON text: ``{"tool": ..., ...}``, ``{"name": ...,
    "arguments": {...}}`` (also inside ``<tool_call>`` tags or code fences), in order."""
    bodies = _TAGGED.findall(text) or [text]
    return [request for body in bodies for request in _json_requests(body)]


def _json_requests(text: str) -> Iterator[Request]:
    decoder = json.JSONDecoder()
    position = 0
    while (start := text.find("{", position)) != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        position = end
        request = _request(value)
        if request is not None:
            yield request


def _request(found: object) -> Request | None:
    if not isinstance(found, dict):
        return None
    value: dict[str, Any] = found
    if isinstance(value.get("function"), dict):  # {"type": "function", "function": {...}}
        value = value["function"]
    name = value.get("tool", value.get("name"))
    # {"tool": "add_code"} is a request for a lookup that does not exist (small models
    # invent them): it gets an answer saying so. A "name" alone is too common to count.
    if name not in TOOL_NAMES and not ("tool" in value and isinstance(name, str)):
        return None
    arguments = value.get("arguments", value.get("parameters"))
    if isinstance(arguments, str):
        arguments = _object(arguments)
    if not isinstance(arguments, dict):
        arguments = {k: v for k, v in value.items() if k not in ("tool", "name")}
    return Request(str(name), arguments)


def _object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
