"""An edit reproduces the tree it was made from, or is refused: never anything else.

Files are drawn from a small vocabulary of lines, so that lines, blocks and lines that
differ only in indentation repeat, as they do in real code. A span of the file and its
replacement give the intended tree; the edit is rendered as a model might write it, parsed,
and applied. The only other outcome allowed is a refusal that changes nothing.

Where a rendering is itself a faithful edit of another place (an indentation-shifted SEARCH
that is, to the byte, other lines of the file; a wrong line number that names another place
holding the hunk's lines), nothing could tell the two apart, and the example is skipped.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from talkgit.edits.apply import apply_edits
from talkgit.edits.model import EditResult, SearchReplace
from talkgit.edits.parse import parse_edits, render_edit
from tests.edits import DictTree

VOCAB = [
    "def f(x):",
    "    return x",
    "    x += 1",
    "",
    "if x:",
    "pass",
    "    pass",
    "        pass",
    "y = 2",
    "print(x)",
    "class A:",
    "    def g(self):",
    "        return self",
    "# note",
    # Two long lines, one number apart: long texts are compared word by word first.
    "values = [" + ", ".join(str(n) for n in range(70)) + "]",
    "values = [" + ", ".join(str(n) for n in range(70)).replace("33", "34") + "]",
]
NEW_LINES = ["z = 3", "    z = 4", "        return z", "def h():"]
MARKERS = ["...", "\N{HORIZONTAL ELLIPSIS}", "# ...", "// ...", "# ... existing code ..."]
TYPO = "\N{SECTION SIGN}"  # in no line of the vocabulary, so a typo makes a line new
PATH = "f.py"

_LINES = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=24)
_REPLACEMENT = st.lists(st.sampled_from(VOCAB + NEW_LINES), max_size=5)


def _text(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def _span(data: st.DataObject, lines: list[str], longest: int = 8) -> tuple[int, int]:
    start = data.draw(st.integers(0, len(lines) - 1), "start")
    end = data.draw(st.integers(start + 1, min(len(lines), start + longest)), "end")
    return start, end


def _apply(reply: str, lines: list[str]) -> tuple[EditResult, str]:
    result = apply_edits(parse_edits(reply), DictTree({PATH: _text(lines).encode()}))
    data = {change.path: change.data for change in result.changes}.get(PATH)
    return result, _text(lines) if data is None else data.decode()


def _intended_or_refused(reply: str, lines: list[str], intended: list[str]) -> None:
    result, after = _apply(reply, lines)
    (outcome,) = result.outcomes
    event("applied" if outcome.applied else "refused")
    if outcome.applied:
        assert after == _text(intended), outcome.how
    else:
        assert outcome.how
        assert result.changes == (), outcome.how


def _block(search: list[str], replace: list[str]) -> str:
    return render_edit(SearchReplace(PATH, _text(search), _text(replace)))


# -- search/replace

# A rendering: the SEARCH and REPLACE lines of a block for lines[start:end], and the lines
# the block means to leave in place of that span.
Rendering = tuple[list[str], list[str], list[str]]
Render = Callable[[st.DataObject, list[str]], Rendering]


def _exact(data: st.DataObject, span: list[str]) -> Rendering:
    replacement = data.draw(_REPLACEMENT, "replacement")
    return span, replacement, replacement


def _elided(data: st.DataObject, span: list[str]) -> Rendering:
    """SEARCH and REPLACE both leave out the middle of the span, which stays as it is."""
    head_end = data.draw(st.integers(0, len(span)), "head end")
    tail_start = data.draw(st.integers(head_end, len(span)), "tail start")
    new_head, new_tail = data.draw(_REPLACEMENT, "new head"), data.draw(_REPLACEMENT, "new tail")
    search = [*span[:head_end], data.draw(st.sampled_from(MARKERS), "marker"), *span[tail_start:]]
    replace = [*new_head, data.draw(st.sampled_from(MARKERS), "replace marker"), *new_tail]
    return search, replace, [*new_head, *span[head_end:tail_start], *new_tail]


def _elided_search(data: st.DataObject, span: list[str]) -> Rendering:
    """SEARCH leaves out lines, REPLACE is meant for the whole span."""
    cut = data.draw(st.integers(0, len(span)), "cut")
    resume = data.draw(st.integers(cut, len(span)), "resume")
    search = [*span[:cut], data.draw(st.sampled_from(MARKERS), "marker"), *span[resume:]]
    replacement = data.draw(_REPLACEMENT, "replacement")
    return search, replacement, replacement


def _typo(data: st.DataObject, span: list[str]) -> Rendering:
    """One line of SEARCH has a character more, other or fewer, after its indentation."""
    typed = [i for i, line in enumerate(span) if line.strip()]
    assume(typed)
    which = data.draw(st.sampled_from(typed), "typo line")
    line = span[which]
    at = data.draw(st.integers(len(line) - len(line.lstrip()), len(line) - 1), "typo at")
    kind = data.draw(st.sampled_from(["more", "other", "fewer"]), "typo")
    tail = line[at:] if kind == "more" else line[at + 1 :]
    typed_line = line[:at] + ("" if kind == "fewer" else TYPO) + tail
    # A typo that makes the line another line of the vocabulary names other lines.
    assume(typed_line.strip() and typed_line.strip() not in {v.strip() for v in VOCAB})
    search = [*span[:which], typed_line, *span[which + 1 :]]
    replacement = data.draw(_REPLACEMENT, "replacement")
    return search, replacement, replacement


def _moved(lines: list[str], columns: int) -> list[str]:
    if columns >= 0:
        return [" " * columns + line if line.strip() else line for line in lines]
    return [line[-columns:] if line.strip() else line for line in lines]


def _shifted(data: st.DataObject, span: list[str]) -> Rendering:
    """SEARCH and REPLACE both indented by some columns more, or four fewer."""
    replacement = data.draw(_REPLACEMENT, "replacement")
    both = [line for line in [*span, *replacement] if line.strip()]
    least = min((len(line) - len(line.lstrip()) for line in both), default=0)
    columns = data.draw(st.sampled_from([1, 2, 4, 8] + ([-4] if least >= 4 else [])), "shift")
    return _moved(span, columns), _moved(replacement, columns), replacement


def _occurs(lines: list[str], search: list[str]) -> bool:
    return any(lines[i : i + len(search)] == search for i in range(len(lines)))


def _one_block(data: st.DataObject, render: Render, longest: int = 8) -> None:
    lines = data.draw(_LINES, "lines")
    start, end = _span(data, lines, longest)
    search, replace, meant = render(data, lines[start:end])
    # A SEARCH that is, to the byte, other lines of the file says those lines.
    assume(search == lines[start:end] or not _occurs(lines, search))
    intended = [*lines[:start], *meant, *lines[end:]]
    _intended_or_refused(_block(search, replace), lines, intended)


@settings(max_examples=150)
@given(st.data())
def test_an_exact_block(data):
    _one_block(data, _exact)


@settings(max_examples=150)
@given(st.data())
def test_an_elided_block_with_the_same_markers_in_replace(data):
    _one_block(data, _elided, longest=12)


@settings(max_examples=100)
@given(st.data())
def test_an_elided_search_with_a_full_replace(data):
    _one_block(data, _elided_search, longest=12)


@settings(max_examples=150)
@given(st.data())
def test_a_block_with_its_indentation_shifted(data):
    _one_block(data, _shifted)


@settings(max_examples=150)
@given(st.data())
def test_a_block_with_a_typo(data):
    _one_block(data, _typo)


@settings(max_examples=150)
@given(st.data())
def test_two_blocks_in_one_reply(data):
    lines = data.draw(st.lists(st.sampled_from(VOCAB), min_size=2, max_size=24), "lines")
    first = data.draw(st.integers(1, len(lines) - 1), "split")
    (a, b), (c, d) = _span(data, lines[:first]), _span(data, lines[first:])
    c, d = c + first, d + first
    renders = st.sampled_from([_exact, _elided, _typo])
    search_1, replace_1, meant_1 = data.draw(renders, "form 1")(data, lines[a:b])
    search_2, replace_2, meant_2 = data.draw(renders, "form 2")(data, lines[c:d])
    result, after = _apply(_block(search_1, replace_1) + "\n" + _block(search_2, replace_2), lines)
    one, two = (outcome.applied for outcome in result.outcomes)
    expected = [
        *lines[:a],
        *(meant_1 if one else lines[a:b]),
        *lines[b:c],
        *(meant_2 if two else lines[c:d]),
        *lines[d:],
    ]
    assert after == _text(expected), result.explain()


# -- unified diffs


def _unified(old: list[str], new: list[str], context: int) -> list[str]:
    """difflib's diff of ``old`` and ``new`` as lines, headers included."""
    return list(
        difflib.unified_diff(
            _text(old).splitlines(True),
            _text(new).splitlines(True),
            f"a/{PATH}",
            f"b/{PATH}",
            n=context,
        )
    )


def _changed(data: st.DataObject, lines: list[str]) -> list[str]:
    """``lines`` with one or two spans replaced."""
    new = list(lines)
    for _ in range(data.draw(st.integers(1, 2), "spans")):
        if not new:
            break
        start, end = _span(data, new, longest=4)
        new[start:end] = data.draw(_REPLACEMENT, "replacement")
    return new


_HEADER = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")


@settings(max_examples=150)
@given(st.data())
def test_a_diff_with_right_numbers(data):
    lines = data.draw(_LINES, "lines")
    new = _changed(data, lines)
    assume(new != lines)
    diff = _unified(lines, new, data.draw(st.integers(0, 3), "context"))
    _intended_or_refused(f"```diff\n{''.join(diff)}```\n", lines, new)


@settings(max_examples=150)
@given(st.data())
def test_a_diff_with_wrong_numbers(data):
    lines = data.draw(_LINES, "lines")
    new = _changed(data, lines)
    assume(new != lines)
    diff = _unified(lines, new, data.draw(st.integers(1, 3), "context"))
    moves = data.draw(st.lists(st.sampled_from([-3, -2, -1, 1, 2, 3, 500]), min_size=8, max_size=8))
    hunks = _hunks(diff)
    moves = [
        max(hunk.old_start + move, 1) - hunk.old_start
        for hunk, move in zip(hunks, moves[: len(hunks)], strict=True)
    ]
    assume(not _a_number_names_another_place(lines, hunks, moves))
    wrong = _renumbered(diff, moves)
    _intended_or_refused(f"```diff\n{''.join(wrong)}```\n", lines, new)


@settings(max_examples=150)
@given(st.data())
def test_a_diff_with_bare_hunk_headers(data):
    lines = data.draw(_LINES, "lines")
    new = _changed(data, lines)
    assume(new != lines)
    diff = _unified(lines, new, data.draw(st.integers(0, 3), "context"))
    bare = data.draw(st.sampled_from(["@@ ... @@\n", "@@ @@\n"]), "header")
    stripped = [bare if _HEADER.match(line) else line for line in diff]
    _intended_or_refused(f"```diff\n{''.join(stripped)}```\n", lines, new)


@settings(max_examples=50)
@given(st.lists(st.sampled_from(VOCAB + NEW_LINES), min_size=1, max_size=10), st.booleans())
def test_a_new_file_from_a_bare_hunk(lines, fenced):
    added = "".join(f"+{line}\n" for line in lines)
    diff = f"--- /dev/null\n+++ b/new.py\n@@ ... @@\n{added}"
    reply = f"```diff\n{diff}```\n" if fenced else diff
    result = apply_edits(parse_edits(reply), DictTree({PATH: b"x\n"}))
    assert result.all_applied, result.explain()
    assert [(c.path, c.data) for c in result.changes] == [("new.py", _text(lines).encode())]


class _DiffHunk:
    def __init__(self, header: str) -> None:
        match = _HEADER.match(header)
        assert match is not None
        self.old_start = int(match[1])
        self.old: list[str] = []
        self.new: list[str] = []


def _hunks(diff: list[str]) -> list[_DiffHunk]:
    hunks: list[_DiffHunk] = []
    for line in diff[2:]:
        if line.startswith("@@"):
            hunks.append(_DiffHunk(line))
            continue
        tag, body = line[0], line[1:].rstrip("\n")
        if tag in " -":
            hunks[-1].old.append(body)
        if tag in " +":
            hunks[-1].new.append(body)
    return hunks


def _a_number_names_another_place(
    lines: list[str], hunks: list[_DiffHunk], moves: list[int]
) -> bool:
    """Whether a moved number names a place, other than its own, where its hunk's lines are.

    The text each hunk meets is the file with the hunks before it applied: its lines move by
    what those hunks added, and so does the number, so the shift is the same in both.
    """
    text, offset = list(lines), 0
    for hunk, move in zip(hunks, moves, strict=False):
        own = hunk.old_start - 1 + offset
        named = own + move
        if named != own and text[named : named + len(hunk.old)] == hunk.old:
            return True
        text[own : own + len(hunk.old)] = hunk.new
        offset += len(hunk.new) - len(hunk.old)
    return False


def _renumbered(diff: list[str], moves: list[int]) -> list[str]:
    out, number = [], 0
    for line in diff:
        match = _HEADER.match(line)
        if match is None:
            out.append(line)
            continue
        start = int(match[1]) + moves[number]
        number += 1
        out.append(f"@@ -{start}{match[2] or ''} +{start}{match[4] or ''} @@\n")
    return out
