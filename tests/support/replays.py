"""Real changes replayed as model replies: does each edit give its intended tree or a refusal?

For two released versions of a project (their sdists, tests/support/sdists.py), every text
file that changed is turned into the replies a model might send for the change, in about
a dozen forms (FORMS): a SEARCH/REPLACE block per difflib hunk, exact or as models mangle
them (middle left out, indentation moved, a letter swapped), unified diffs with right,
wrong or no line numbers, the whole file, a new file from /dev/null. Each reply is parsed
and applied to the old file in memory, and judged:

- reproduced: the file is what the blocks meant (the new file, or the old one with the
  block's hunk applied);
- refused: blocks that did not apply changed nothing (a reply that cannot be read counts
  here too);
- wrong: anything else. There must be none.
"""

from __future__ import annotations

import difflib
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import NamedTuple

from talkgit.edits.apply import apply_edits
from talkgit.edits.model import SearchReplace, WholeFile
from talkgit.edits.parse import parse_edits, render_edit
from talkgit.errors import EditError
from tests.edits import DictTree
from tests.support.sdists import sdist_tree


class Pair(NamedTuple):
    name: str
    old: str
    new: str

    @property
    def id(self) -> str:
        return f"{self.name}-{self.old}-{self.new}"


PAIRS = (
    Pair("flask", "3.0.0", "3.0.3"),
    Pair("requests", "2.28.2", "2.31.0"),
    Pair("more-itertools", "10.2.0", "10.3.0"),
    Pair("attrs", "23.2.0", "24.2.0"),
)

FORMS = (
    "exact",
    "elided both",
    "elided SEARCH only",
    "indentation moved",
    "typo",
    "diff",
    "diff, wrong numbers",
    "diff, bare @@",
    "whole file",
    "new file, bare @@",
    "several blocks",
)
CONTEXT = 2  # unchanged lines around a SEARCH/REPLACE block's changes
ELIDED_CONTEXT = 6  # lines further up, whose middle an elided block leaves out
DIFF_CONTEXT = 3
MAX_FILE_BYTES = 300_000
MARKERS = ("...", "# ...", "# ... existing code ...", "// ...", "\N{HORIZONTAL ELLIPSIS}")
WRONG_NUMBER_MOVES = (-5, -3, -2, -1, 1, 2, 3, 5, 20)


class Verdict(Enum):
    REPRODUCED = "reproduced"
    REFUSED = "refused"
    WRONG = "WRONG"


class Span(NamedTuple):
    """What one block means: old lines ``start:end`` become ``new``."""

    start: int
    end: int
    new: tuple[str, ...]


@dataclass(frozen=True)
class Replay:
    """One reply for a change of ``path``; ``old`` None when the file does not exist yet."""

    form: str
    path: str
    old: str | None
    reply: str
    spans: tuple[Span, ...]  # one per block of the reply

    def expected(self, applied: Sequence[bool]) -> bytes | None:
        """The file when the blocks that ``applied`` did what they meant."""
        if self.old is None:
            return "".join(self.spans[0].new).encode() if applied[0] else None
        lines = self.old.splitlines(keepends=True)
        for span, done in sorted(zip(self.spans, applied, strict=True), reverse=True):
            if done:
                lines[span.start : span.end] = span.new
        return "".join(lines).encode()


def judge(replay: Replay) -> Verdict:
    files = {} if replay.old is None else {replay.path: replay.old.encode()}
    try:
        result = apply_edits(parse_edits(replay.reply), DictTree(files))
    except EditError:
        return Verdict.REFUSED  # the whole reply is refused, with the reason
    written = {change.path: change.data for change in result.changes}
    applied = [outcome.applied for outcome in result.outcomes]
    if set(written) - {replay.path}:
        return Verdict.WRONG
    if len(applied) != len(replay.spans):  # read as other blocks than were written
        return Verdict.REFUSED if not written else Verdict.WRONG
    before = None if replay.old is None else replay.old.encode()
    if written.get(replay.path, before) != replay.expected(applied):
        return Verdict.WRONG
    return Verdict.REPRODUCED if applied and all(applied) else Verdict.REFUSED


# -- the changes between two versions


class Change(NamedTuple):
    path: str
    old: str | None
    new: str


def changes(pair: Pair) -> list[Change] | None:
    """The text files that ``pair``'s new version changed or added; None without the sdists."""
    old_root, new_root = sdist_tree(pair.name, pair.old), sdist_tree(pair.name, pair.new)
    if old_root is None or new_root is None:
        return None
    found = []
    for path in sorted(_files(new_root)):
        new = _text(new_root / path)
        old = _text(old_root / path) if (old_root / path).is_file() else None
        if new is not None and new != old and (old is not None or not (old_root / path).exists()):
            found.append(Change(path, old, new))
    return found


def _files(root: Path) -> Iterator[str]:
    for file in root.rglob("*"):
        if file.is_file() and not file.is_symlink():
            yield file.relative_to(root).as_posix()


def _text(file: Path) -> str | None:
    data = file.read_bytes()
    if len(data) > MAX_FILE_BYTES or b"\0" in data[:8000]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# -- replies


def replays(change: Change, max_hunks: int | None = None) -> Iterator[Replay]:
    """Every form of reply for ``change`` (new files: only the forms that create)."""
    if change.old is None:
        yield from _creating(change.path, change.new)
        return
    old, new = change.old.splitlines(True), change.new.splitlines(True)
    hunks = _hunks(old, new, CONTEXT)[:max_hunks]
    rng = random.Random(change.path)
    for number, hunk in enumerate(hunks):
        yield from _block_forms(change.path, change.old, hunk, number, rng)
    sendable = [hunk for hunk in hunks if _sendable(hunk, change.old)]
    if sendable:
        blocks = [_block(change.path, hunk.old, hunk.new) for hunk in sendable]
        spans = tuple(Span(hunk.start, hunk.end, hunk.new) for hunk in sendable)
        yield Replay("several blocks", change.path, change.old, "\n".join(blocks), spans)
    yield from _whole_forms(change, rng)
    yield from _creating(change.path, change.new)


class _Hunk(NamedTuple):
    """A difflib group: old lines ``start:end`` (context included) become ``new``."""

    start: int
    end: int
    new: tuple[str, ...]
    old: tuple[str, ...]
    opcodes: tuple[tuple[str, int, int, int, int], ...]


def _hunks(old: list[str], new: list[str], context: int) -> list[_Hunk]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    found = []
    for group in matcher.get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        found.append(_Hunk(i1, i2, tuple(new[j1:j2]), tuple(old[i1:i2]), tuple(group)))
    return found


def _block(path: str, search: Sequence[str], replace: Sequence[str]) -> str:
    return render_edit(SearchReplace(path, "".join(search), "".join(replace)))


def _block_forms(
    path: str, old_text: str, hunk: _Hunk, number: int, rng: random.Random
) -> Iterator[Replay]:
    if not _sendable(hunk, old_text):
        return
    spans = (Span(hunk.start, hunk.end, hunk.new),)

    def replay(form: str, search: Sequence[str], replace: Sequence[str]) -> Replay:
        return Replay(form, path, old_text, _block(path, search, replace), spans)

    yield replay("exact", hunk.old, hunk.new)
    elided = _elided(old_text, hunk, MARKERS[number % len(MARKERS)])
    if elided is not None:
        search, replace = elided
        yield replay("elided both", search, replace)
        yield replay("elided SEARCH only", search, hunk.new)
    yield replay("indentation moved", *_moved(hunk.old, hunk.new))
    typo = _typo(hunk.old, rng)
    if typo is not None:
        yield replay("typo", typo, hunk.new)


def _sendable(hunk: _Hunk, old_text: str) -> bool:
    """Whether a block can say it: an empty SEARCH creates a file, and a block cannot add
    or drop a final newline."""
    if not "".join(hunk.old).strip():
        return False
    last = hunk.new[-1] if hunk.new else ""
    at_end = hunk.end == len(old_text.splitlines(True))
    return not at_end or old_text.endswith("\n") == (last.endswith("\n") or not hunk.new)


def _elided(old_text: str, hunk: _Hunk, marker: str) -> tuple[list[str], list[str]] | None:
    """SEARCH and REPLACE reaching further up, with the middle of those lines left out: the
    first two kept, as a model keeps a function's first line, and the last."""
    lines = old_text.splitlines(True)
    start, end = max(hunk.start - ELIDED_CONTEXT, 0), hunk.start
    if end - start < 4:
        return None
    first = lines[start].rstrip("\r\n")
    indent = first[: len(first) - len(first.lstrip())]
    keep = [*lines[start : start + 2], f"{indent}{marker}\n", lines[end - 1]]
    return [*keep, *hunk.old], [*keep, *hunk.new]


def _moved(search: Sequence[str], replace: Sequence[str]) -> tuple[list[str], list[str]]:
    """Both sides four columns less indented when they can be, else four more."""
    lines = [line for line in [*search, *replace] if line.strip()]
    if all(line.startswith("    ") for line in lines):
        return [_dedent(line) for line in search], [_dedent(line) for line in replace]
    return [_indent(line) for line in search], [_indent(line) for line in replace]


def _dedent(line: str) -> str:
    return line[4:] if line.strip() else line


def _indent(line: str) -> str:
    return "    " + line if line.strip() else line


def _typo(search: Sequence[str], rng: random.Random) -> list[str] | None:
    """SEARCH with two letters swapped in its longest line, as a hurried model types."""
    which = max(range(len(search)), key=lambda i: len(search[i].strip()))
    line = search[which]
    body = line.rstrip("\r\n")
    first = len(body) - len(body.lstrip())
    choices = [i for i in range(first + 1, len(body) - 1) if body[i] != body[i + 1]]
    if len(body) - first < 10 or not choices:
        return None
    at = rng.choice(choices)
    typed = body[:at] + body[at + 1] + body[at] + body[at + 2 :] + line[len(body) :]
    return [*search[:which], typed, *search[which + 1 :]]


def _whole_forms(change: Change, rng: random.Random) -> Iterator[Replay]:
    assert change.old is not None
    old, new = change.old.splitlines(True), change.new.splitlines(True)
    whole = (Span(0, len(old), tuple(new)),)
    diff = _unified(change.path, old, new)

    def replay(form: str, text: str) -> Replay:
        return Replay(form, change.path, change.old, text, whole)

    yield replay("diff", f"```diff\n{''.join(diff)}```\n")
    moved = [_renumbered(line, rng) if line.startswith("@@") else line for line in diff]
    yield replay("diff, wrong numbers", f"```diff\n{''.join(moved)}```\n")
    bare = ["@@ ... @@\n" if line.startswith("@@") else line for line in diff]
    yield replay("diff, bare @@", f"```diff\n{''.join(bare)}```\n")
    if change.new.endswith("\n") and "\r" not in change.new:
        yield replay("whole file", render_edit(WholeFile(change.path, change.new)))


def _creating(path: str, text: str) -> Iterator[Replay]:
    """The file sent as new, aider's way: from /dev/null with a bare hunk."""
    if "\r" in text or text.startswith("\ufeff") or not text:
        return  # a reply's lines end in "\n", and a new file's lines too
    added = "".join(_diff_line("+", line) for line in text.splitlines(True))
    reply = f"```diff\n--- /dev/null\n+++ b/{path}\n@@ ... @@\n{added}```\n"
    yield Replay(
        "new file, bare @@", path, None, reply, (Span(0, 0, tuple(text.splitlines(True))),)
    )


def _unified(path: str, old: list[str], new: list[str]) -> list[str]:
    """A unified diff as lines, with "\\ No newline at end of file" where it is due."""
    out = [f"--- a/{path}\n", f"+++ b/{path}\n"]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(DIFF_CONTEXT):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out += [_diff_line(" ", line) for line in old[a1:a2]]
                continue
            out += [_diff_line("-", line) for line in old[a1:a2]]
            out += [_diff_line("+", line) for line in new[b1:b2]]
    return out


def _range(start: int, end: int) -> str:
    length = end - start
    return f"{start if length == 0 else start + 1},{length}"


def _diff_line(tag: str, line: str) -> str:
    if line.endswith("\n"):
        return f"{tag}{line}"
    return f"{tag}{line}\n\\ No newline at end of file\n"


def _renumbered(header: str, rng: random.Random) -> str:
    move = rng.choice(WRONG_NUMBER_MOVES)
    old, new = header.split(" ")[1:3]

    def moved(side: str) -> str:
        start, _, count = side[1:].partition(",")
        return f"{side[0]}{max(int(start) + move, 1)},{count}"

    return f"@@ {moved(old)} {moved(new)} @@\n"


# -- tallies


class Tally(NamedTuple):
    form: str
    counts: Counter[Verdict]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def reproduced_share(self) -> float:
        return self.counts[Verdict.REPRODUCED] / self.total if self.total else 0.0


def tally(replays: Sequence[Replay]) -> tuple[list[Tally], list[Replay]]:
    """Counts per form, in FORMS order, and every replay judged WRONG."""
    counts: dict[str, Counter[Verdict]] = {form: Counter() for form in FORMS}
    wrong = []
    for replay in replays:
        verdict = judge(replay)
        counts[replay.form][verdict] += 1
        if verdict is Verdict.WRONG:
            wrong.append(replay)
    return [Tally(form, counts[form]) for form in FORMS], wrong


def table(tallies: Sequence[Tally]) -> str:
    rows = [f"{'form':<22}{'replies':>9}{'reproduced':>12}{'refused':>9}{'WRONG':>7}{'%':>9}"]
    for t in [*tallies, Tally("total", sum((t.counts for t in tallies), Counter()))]:
        c = t.counts
        rows.append(
            f"{t.form:<22}{t.total:>9}{c[Verdict.REPRODUCED]:>12}{c[Verdict.REFUSED]:>9}"
            f"{c[Verdict.WRONG]:>7}{100 * t.reproduced_share:>8.1f}%"
        )
    return "\n".join(rows)
