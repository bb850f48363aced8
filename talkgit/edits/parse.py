"""Edits from a model's reply: search/replace blocks, unified diffs and whole files.

The reply is read line by line. Text that is not an edit is ignored; an edit that starts but
cannot be read to its end raises EditParseError naming the block, the line and what was
expected, so the message can go straight back to the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from talkgit.edits.model import (
    Edit,
    Hunk,
    SearchReplace,
    UnifiedDiff,
    WholeFile,
    longest_backtick_run,
)
from talkgit.errors import EditError

SEARCH_MARKER = "<<<<<<< SEARCH"
DIVIDER_MARKER = "======="
REPLACE_MARKER = ">>>>>>> REPLACE"

# Models miscount the marker characters now and then; five to nine of them are accepted.
_SEARCH = re.compile(r"^<{5,9} ?SEARCH\s*$")
_DIVIDER = re.compile(r"^={5,9}\s*$")
_REPLACE = re.compile(r"^>{5,9} ?REPLACE\s*$")
_FENCE_OPEN = re.compile(r"^\s*(?P<marker>`{3,}|~{3,})\s*(?P<info>[^\s`]*)[^`]*$")
_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_GIT_HEADER = re.compile(
    r"^(diff --git |index [0-9a-f]+\.\.|(new|deleted) file mode |old mode |new mode "
    r"|similarity index |rename (from|to) |Binary files )"
)
_PATH_LABEL = re.compile(
    r"^(?:#{1,6}\s+|[-*+]\s+)?(?:(?:file|filename|path)\s*:\s*)?", re.IGNORECASE
)
_NOT_A_PATH_START = ("<<<", ">>>", "===", "```", "~~~", "---", "+++", "@@")
_DIFF_INFO = frozenset({"diff", "patch", "udiff"})
_DEV_NULL = "/dev/null"


class EditParseError(EditError):
    """A reply holds an edit that starts but cannot be read to its end."""


def parse_edits(text: str) -> list[Edit]:
    """Every edit in ``text``, in reply order; EditParseError for a malformed one."""
    return _Parser(text).parse()


def render_edit(edit: Edit) -> str:
    """The text form of ``edit`` that parse_edits reads back (e.g. for examples in prompts)."""
    if isinstance(edit, SearchReplace):
        return (
            f"{edit.path}\n{SEARCH_MARKER}\n{_as_lines(edit.search)}{DIVIDER_MARKER}\n"
            f"{_as_lines(edit.replace)}{REPLACE_MARKER}\n"
        )
    if isinstance(edit, WholeFile):
        fence = "`" * max(3, longest_backtick_run(edit.content) + 1)
        return f"{edit.path}\n{fence}\n{_as_lines(edit.content)}{fence}\n"
    return _render_diff(edit)


def _as_lines(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def _render_diff(diff: UnifiedDiff) -> str:
    old = _DEV_NULL if diff.creates else f"a/{diff.path}"
    new = _DEV_NULL if diff.new_path is None else f"b/{diff.new_path}"
    parts = [f"--- {old}\n+++ {new}\n"]
    for hunk in diff.hunks:
        old_lines, new_lines = _side_lines(hunk.old, "-"), _side_lines(hunk.new, "+")
        start = hunk.old_start if hunk.old_start is not None else int(bool(hunk.old))
        parts.append(f"@@ -{start},{len(old_lines)} +{start},{len(new_lines)} @@\n")
        parts += old_lines + new_lines
    return "".join(parts)


def _side_lines(text: str, tag: str) -> list[str]:
    lines = [f"{tag}{line}\n" for line in text.split("\n")]
    if text.endswith("\n") or not text:
        return lines[:-1]
    return [*lines, "\\ No newline at end of file\n"]


@dataclass(frozen=True)
class _PathLine:
    """A line that may name a file; ``strong`` when it clearly is a path, not a word."""

    path: str
    strong: bool


def _path_line(line: str) -> _PathLine | None:
    token = _PATH_LABEL.sub("", line.strip(), count=1)
    decorated = labelled = False
    changed = True
    while changed:
        changed = False
        if token.endswith(":"):
            token, changed, labelled = token[:-1], True, True
        for wrapper in ("**", "`", "*"):
            if (
                len(token) > 2 * len(wrapper)
                and token.startswith(wrapper)
                and token.endswith(wrapper)
            ):
                token, changed, decorated = token[len(wrapper) : -len(wrapper)], True, True
    if not token or any(c.isspace() for c in token) or not any(c.isalnum() for c in token):
        return None
    if token[-1] in ".,;!?)" or token.startswith(_NOT_A_PATH_START):
        return None
    # A bare word ("Makefile", "Done") names a file only before a SEARCH, and not as a label
    # ("Here:"); before a fence, a path needs a slash, a suffix or markdown around it.
    strong = decorated or bool(re.search(r"[/\\]|\w\.\w|^\.\w", token))
    if labelled and not strong:
        return None
    return _PathLine(token, strong)


@dataclass(frozen=True)
class _Fence:
    marker: str
    info: str
    line: int

    @classmethod
    def opening(cls, line: str, index: int) -> _Fence | None:
        match = _FENCE_OPEN.match(line)
        if match is None:
            return None
        return cls(match["marker"], match["info"].lower(), index)

    def closes(self, line: str) -> bool:
        stripped = line.strip()
        char = self.marker[0]
        return len(stripped) >= len(self.marker) and stripped == char * len(stripped)

    def nests(self, inner: _Fence) -> bool:
        """Whether ``inner``, opened inside this fence, would be closed by this fence's closer."""
        return (
            bool(inner.info)
            and inner.marker[0] == self.marker[0]
            and len(inner.marker) >= len(self.marker)
        )


class _Parser:
    def __init__(self, text: str) -> None:
        self.lines = text.replace("\r\n", "\n").split("\n")
        self.pos = 0
        self.edits: list[Edit] = []
        self.path_hint: _PathLine | None = None
        self.last_path: str | None = None

    def parse(self) -> list[Edit]:
        self._scan(None)
        return self.edits

    # -- the reply's prose, or the inside of a fence that is neither a diff nor a whole file

    def _scan(self, fence: _Fence | None) -> None:
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            if fence is not None and fence.closes(line):
                self.pos += 1
                self.path_hint = None
                return
            if _SEARCH.match(line):
                self._search_replace()
            elif _REPLACE.match(line):
                raise self._error(
                    f"line {self.pos + 1} has {REPLACE_MARKER!r} "
                    f"with no {SEARCH_MARKER!r} before it"
                )
            elif self._at_diff_header():
                self._diff_file(fence, in_diff_fence=False)
            elif fence is None and (opened := _Fence.opening(line, self.pos)) is not None:
                self.pos += 1
                self._fenced(opened)
            else:
                if line.strip():
                    self.path_hint = _path_line(line)
                self.pos += 1
        # A fence left open after complete search/replace blocks loses nothing: the markers
        # delimit the edits, so the reply is read as it stands.

    def _fenced(self, fence: _Fence) -> None:
        close = self._closing_line(fence)
        first = self._first_non_blank(close)
        if fence.info in _DIFF_INFO or (first is not None and self._diff_starts_at(first)):
            self._fenced_diff(fence)
        elif self._search_before(close) or self.path_hint is None or not self.path_hint.strong:
            self._scan(fence)
        else:
            self._whole_file(fence, self.path_hint.path)

    def _closing_line(self, fence: _Fence) -> int | None:
        for index in range(self.pos, len(self.lines)):
            if fence.closes(self.lines[index]):
                return index
        return None

    def _closing_line_nested(self, fence: _Fence) -> int | None:
        """The fence's closing line, skipping fences opened inside it with a language name.

        Models write whole markdown files with their code examples in fences as long as the
        outer one; "```python" can only open a fence, so its "```" is not the end of the file.
        """
        depth = 0
        for index in range(self.pos, len(self.lines)):
            line = self.lines[index]
            if fence.closes(line):
                if depth == 0:
                    return index
                depth -= 1
            elif (inner := _Fence.opening(line, index)) is not None and fence.nests(inner):
                depth += 1
        return None

    def _first_non_blank(self, end: int | None) -> int | None:
        stop = len(self.lines) if end is None else end
        return next((i for i in range(self.pos, stop) if self.lines[i].strip()), None)

    def _search_before(self, end: int | None) -> bool:
        stop = len(self.lines) if end is None else end
        return any(_SEARCH.match(self.lines[i]) for i in range(self.pos, stop))

    # -- search/replace blocks

    def _search_replace(self) -> None:
        opened = self.pos
        path = self._block_path()
        self.pos += 1
        body = self._block_body(opened, path)
        dividers = [i for i, line in enumerate(body) if _DIVIDER.match(line)]
        # Several lines could be the divider when the text has "=======" lines of its own
        # (a title's underline): each is one reading, and the file decides between them.
        readings = [(_joined(body[:i]), _joined(body[i + 1 :])) for i in dividers]
        (search, replace), others = readings[0], tuple(readings[1:])
        self.edits.append(SearchReplace(path, search, replace, others))
        self.last_path, self.path_hint = path, None

    def _block_path(self) -> str:
        if self.path_hint is not None:
            return self.path_hint.path
        if self.last_path is not None:
            # Several blocks for one file often name it once; the previous block's path holds.
            return self.last_path
        raise self._error(
            f"the {SEARCH_MARKER!r} at line {self.pos + 1} has no file path: put the path "
            "on its own line just before the block"
        )

    def _block_body(self, opened: int, path: str) -> list[str]:
        """The lines between a SEARCH marker and its REPLACE marker, divider included."""
        body: list[str] = []
        divided = False
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            self.pos += 1
            if _REPLACE.match(line) and divided:
                return body
            if _SEARCH.match(line) or _REPLACE.match(line):
                expected = REPLACE_MARKER if divided else DIVIDER_MARKER
                raise self._error(
                    f"unterminated block: expected {expected!r} before line {self.pos}; "
                    f"a block is {SEARCH_MARKER!r}, the old lines, {DIVIDER_MARKER!r}, "
                    f"the new lines, {REPLACE_MARKER!r}",
                    path,
                )
            divided = divided or bool(_DIVIDER.match(line))
            body.append(line)
        expected = REPLACE_MARKER if divided else DIVIDER_MARKER
        raise self._error(
            f"unterminated block: the {SEARCH_MARKER!r} at line {opened + 1} "
            f"has no {expected!r} after it",
            path,
        )

    # -- unified diffs

    def _at_diff_header(self) -> bool:
        return self._diff_header_at(self.pos)

    def _diff_header_at(self, index: int) -> bool:
        return (
            index + 1 < len(self.lines)
            and self.lines[index].startswith("--- ")
            and self.lines[index + 1].startswith("+++ ")
        )

    def _diff_starts_at(self, index: int) -> bool:
        line = self.lines[index]
        return (
            self._diff_header_at(index)
            or line.startswith("diff --git ")
            or bool(_HUNK_HEADER.match(line))
        )

    def _fenced_diff(self, fence: _Fence) -> None:
        first_block = len(self.edits) + 1
        found = False
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            if fence.closes(line):
                if not found:
                    raise self._error(
                        f"the {fence.marker}{fence.info} fence at line {fence.line + 1} holds "
                        "no diff: expected '--- a/path' and '+++ b/path' lines, then '@@' hunks"
                    )
                self.pos += 1
                self.path_hint = None
                return
            if self._at_diff_header():
                self._diff_file(fence, in_diff_fence=True)
                found = True
            elif line.startswith("@@"):
                self._headerless_diff(fence)
                found = True
            else:
                self.pos += 1  # git's extended headers (diff --git, index, modes) and stray text
        raise self._error(
            f"the fence opened at line {fence.line + 1} is never closed: "
            f"expected a closing {fence.marker}",
            block=first_block,
        )

    def _headerless_diff(self, fence: _Fence) -> None:
        # Models sometimes name the file above the fence and give only the hunks.
        if self.path_hint is None:
            raise self._error(
                f"the hunk at line {self.pos + 1} has no file: start the diff with "
                "'--- a/path' and '+++ b/path' lines"
            )
        path = self.path_hint.path
        hunks = self._hunks(fence, in_diff_fence=True, path=path)
        self.edits.append(UnifiedDiff(path, path, hunks))

    def _diff_file(self, fence: _Fence | None, *, in_diff_fence: bool) -> None:
        header = self.pos + 1
        old = _diff_path(self.lines[self.pos][4:])
        new = _diff_path(self.lines[self.pos + 1][4:])
        self.pos += 2
        if old == new == _DEV_NULL:
            raise self._error(f"the diff header at line {header} has /dev/null on both sides")
        if old == _DEV_NULL:
            path, new_path, creates = _strip_prefix(new, "b/"), _strip_prefix(new, "b/"), True
        elif new == _DEV_NULL:
            path, new_path, creates = _strip_prefix(old, "a/"), None, False
        else:
            git_style = old.startswith("a/") and new.startswith("b/")
            path, new_path, creates = (old[2:], new[2:], False) if git_style else (old, new, False)
        hunks = self._hunks(fence, in_diff_fence=in_diff_fence, path=path)
        if not hunks and not creates and new_path is not None:
            raise self._error(f"the diff of {path} at line {header} has no '@@' hunks", path)
        self.edits.append(UnifiedDiff(path, new_path, hunks, creates))
        self.path_hint = None

    def _hunks(self, fence: _Fence | None, *, in_diff_fence: bool, path: str) -> tuple[Hunk, ...]:
        hunks: list[Hunk] = []
        while True:
            following = self._first_non_blank(None)
            if following is None or not self.lines[following].startswith("@@"):
                return tuple(hunks)
            self.pos = following
            hunks.append(self._hunk(fence, in_diff_fence=in_diff_fence, path=path))

    def _hunk(self, fence: _Fence | None, *, in_diff_fence: bool, path: str) -> Hunk:
        header_line = self.pos + 1
        header = _HUNK_HEADER.match(self.lines[self.pos])
        self.pos += 1
        lines = _HunkLines(_counts(header))
        while self.pos < len(self.lines) and not self._hunk_ends(fence):
            line = self.lines[self.pos]
            if line.startswith("\\"):
                lines.no_newline()
            elif line and line[0] in " +-":
                lines.add(line[0], line[1:])
            elif in_diff_fence or (not line and lines.short()):
                # A context line whose leading space was lost: editors and models strip it.
                lines.add(" ", line, lost_prefix=True)
            else:
                break
            self.pos += 1
        lines.drop_trailing_blanks()
        if lines.empty():
            raise self._error(f"the hunk at line {header_line} has no lines", path)
        return lines.hunk(int(header[1]) if header else None)

    def _hunk_ends(self, fence: _Fence | None) -> bool:
        # " ```" is a context line holding a Markdown fence, not the diff's fence closing
        # indented: a diff's own lines start at the margin.
        line = self.lines[self.pos]
        return (
            line.startswith("@@")
            or self._at_diff_header()
            or bool(_GIT_HEADER.match(line))
            or (fence is not None and fence.closes(line) and not line.startswith(" "))
        )

    # -- whole files

    def _whole_file(self, fence: _Fence, path: str) -> None:
        close = self._closing_line_nested(fence)
        if close is None:
            raise self._error(
                f"the fence opened at line {fence.line + 1} is never closed: expected a closing "
                f"{fence.marker} after the file's last line",
                path,
            )
        content = "".join(f"{line}\n" for line in self.lines[self.pos : close])
        self.edits.append(WholeFile(path, content))
        self.pos = close + 1
        self.path_hint = None

    def _error(
        self, message: str, path: str | None = None, *, block: int | None = None
    ) -> EditParseError:
        number = len(self.edits) + 1 if block is None else block
        where = f" ({path})" if path else ""
        return EditParseError(f"block {number}{where}: {message}")


class _HunkLines:
    """The two sides of a hunk as they are read, with 'No newline at end of file' markers."""

    def __init__(self, counts: tuple[int, int] | None) -> None:
        self.counts = counts
        self.old: list[str] = []
        self.new: list[str] = []
        self.old_ends_newline = self.new_ends_newline = True
        self.last_tag = ""
        self.trailing_blanks = 0

    def add(self, tag: str, text: str, *, lost_prefix: bool = False) -> None:
        if tag in " -":
            self.old.append(text)
        if tag in " +":
            self.new.append(text)
        self.last_tag = tag
        self.trailing_blanks = self.trailing_blanks + 1 if lost_prefix and not text else 0

    def short(self) -> bool:
        """Whether the header's line counts say a context line is still to come."""
        if self.counts is None:
            return False
        return len(self.old) < self.counts[0] and len(self.new) < self.counts[1]

    def no_newline(self) -> None:
        if self.last_tag in " -":
            self.old_ends_newline = False
        if self.last_tag in " +":
            self.new_ends_newline = False
        self.trailing_blanks = 0

    def drop_trailing_blanks(self) -> None:
        # Unprefixed blank lines between a hunk and what follows are layout, not context.
        if self.trailing_blanks:
            del self.old[-self.trailing_blanks :]
            del self.new[-self.trailing_blanks :]

    def empty(self) -> bool:
        return not self.old and not self.new

    def hunk(self, old_start: int | None) -> Hunk:
        return Hunk(
            _join(self.old, self.old_ends_newline),
            _join(self.new, self.new_ends_newline),
            old_start,
        )


def _counts(header: re.Match[str] | None) -> tuple[int, int] | None:
    if header is None:
        return None
    return int(header[2] or "1"), int(header[3] or "1")


def _joined(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def _join(lines: list[str], ends_newline: bool) -> str:
    text = "".join(f"{line}\n" for line in lines)
    return text if ends_newline or not text else text[:-1]


def _diff_path(raw: str) -> str:
    path = raw.split("\t", 1)[0].strip()
    if len(path) >= 2 and path[0] == path[-1] == '"':
        path = path[1:-1]
    return path


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) else path
