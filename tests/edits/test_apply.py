from __future__ import annotations

import difflib
from textwrap import dedent

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from talkgit.edits.apply import apply_edits
from talkgit.edits.model import (
    BlockOutcome,
    EditResult,
    Entry,
    EntryKind,
    FileChange,
    Hunk,
    SearchReplace,
    UnifiedDiff,
    WholeFile,
)
from talkgit.edits.parse import parse_edits
from talkgit.edits.paths import BinaryFileError, UnsafePathError
from talkgit.errors import EditError
from tests.edits import DictTree

MODULE = (
    b"import os\n\n\ndef total(items):\n    return sum(items)\n\n\n"
    b"def mean(items):\n    return total(items) / len(items)\n"
)
DASH = "\N{EN DASH}"


def apply_one(edit, files, **kwargs) -> tuple[BlockOutcome, dict[str, bytes | None]]:
    result = apply_edits([edit], DictTree(files), **kwargs)
    return result.outcomes[0], {change.path: change.data for change in result.changes}


def text_of(result: EditResult, path: str) -> str:
    (data,) = [change.data for change in result.changes if change.path == path]
    assert data is not None
    return data.decode()


# -- properties

_CHAR = st.characters(codec="utf-8", exclude_characters="\r\n\0\ufeff")
_LINE = st.text(_CHAR, max_size=12)


def _lf(lines: list[str], final_newline: bool = True) -> str:
    return "\n".join(lines) + ("\n" if final_newline and lines else "")


@settings(max_examples=80)
@given(st.data())
def test_a_block_cut_from_the_file_replaces_exactly_that_slice(data):
    lines = data.draw(st.lists(_LINE, min_size=1, max_size=12, unique=True), "lines")
    start = data.draw(st.integers(0, len(lines) - 1), "start")
    end = data.draw(st.integers(start + 1, len(lines)), "end")
    replacement = data.draw(st.lists(_LINE, max_size=4), "replacement")
    final_newline = data.draw(st.booleans(), "final newline")
    search = _lf(lines[start:end])
    assume(search.strip())  # a blank SEARCH means "create the file"
    assume(final_newline or lines[-1])  # else the last line would vanish, not lose its newline

    outcome, changes = apply_one(
        SearchReplace("f.txt", search, _lf(replacement)),
        {"f.txt": _lf(lines, final_newline).encode()},
    )

    assert outcome == BlockOutcome(1, "f.txt", True, "exact")
    expected = _lf([*lines[:start], *replacement, *lines[end:]], final_newline)
    assert changes.get("f.txt", _lf(lines, final_newline).encode()) == expected.encode()


_CODE = st.from_regex(r"[a-z][a-z0-9_]{0,6}( = [a-z0-9]{1,4})?", fullmatch=True)


@settings(max_examples=60)
@given(st.data())
def test_a_search_with_mangled_whitespace_applies_at_the_right_place_reindented(data):
    words = data.draw(st.lists(_CODE, min_size=2, max_size=10, unique=True), "words")
    levels = data.draw(st.lists(st.integers(0, 3), min_size=len(words), max_size=len(words)))
    lines = ["    " * level + word for level, word in zip(levels, words, strict=True)]
    start = data.draw(st.integers(0, len(lines) - 1), "start")
    end = data.draw(st.integers(start + 1, len(lines)), "end")
    cut = lines[start:end]
    lowest = min(len(line) - len(line.lstrip()) for line in cut)
    shift = data.draw(st.sampled_from([1, 2, 4, 8] + ([-4] if lowest >= 4 else [])), "shift")
    trailing = data.draw(
        st.lists(st.sampled_from(["", " ", "\t"]), min_size=len(cut), max_size=len(cut))
    )

    def moved(line: str) -> str:
        return " " * shift + line if shift > 0 else line[-shift:]

    search = [moved(line) + tail for line, tail in zip(cut, trailing, strict=True)]
    replace = [moved(line) + "  # edited" for line in cut]
    outcome, changes = apply_one(
        SearchReplace("m.py", _lf(search), _lf(replace)), {"m.py": _lf(lines).encode()}
    )

    assert outcome.how == "whitespace"
    expected = [*lines[:start], *(line + "  # edited" for line in cut), *lines[end:]]
    assert changes["m.py"] == _lf(expected).encode()


_DIFF_LINE = st.sampled_from(["a", "b", "c", "    d", "", "e = 1", "}", "\tf"])


@settings(max_examples=80)
@given(st.lists(_DIFF_LINE, max_size=25), st.lists(_DIFF_LINE, max_size=25), st.booleans())
def test_a_difflib_diff_applies_back_to_its_target(old, new, fenced):
    assume(old != new)
    old_text, new_text = _lf(old), _lf(new)
    diff = "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            "a/f.txt",
            "b/f.txt",
        )
    )
    reply = f"```diff\n{diff}```\n" if fenced else diff

    result = apply_edits(parse_edits(reply), DictTree({"f.txt": old_text.encode()}))

    assert result.all_applied, result.explain()
    assert result.changes == (FileChange("f.txt", new_text.encode()),)


@settings(max_examples=50)
@given(st.data())
def test_crlf_files_keep_crlf(data):
    lines = data.draw(st.lists(_CODE, min_size=1, max_size=10, unique=True), "lines")
    start = data.draw(st.integers(0, len(lines) - 1), "start")
    end = data.draw(st.integers(start + 1, len(lines)), "end")
    replacement = data.draw(st.lists(_CODE, max_size=4), "replacement")

    outcome, changes = apply_one(
        SearchReplace("w.bat", _lf(lines[start:end]), _lf(replacement)),
        {"w.bat": "".join(f"{line}\r\n" for line in lines).encode()},
    )

    assert outcome.applied
    expected = [*lines[:start], *replacement, *lines[end:]]
    crlf = "".join(f"{line}\r\n" for line in expected).encode()
    assert changes.get("w.bat", crlf) == crlf


# -- search/replace, by hand


def test_later_blocks_see_the_result_of_earlier_ones():
    result = apply_edits(
        [
            SearchReplace("m.py", "    return sum(items)\n", "    return sum(items, 0)\n"),
            SearchReplace("m.py", "    return sum(items, 0)\n", "    return sum(items, start=0)\n"),
        ],
        DictTree({"m.py": MODULE}),
    )
    assert result.all_applied
    assert "    return sum(items, start=0)\n" in text_of(result, "m.py")


def test_a_search_found_twice_asks_for_more_context():
    files = {"f.py": b"x = 1\ny = 2\nx = 1\nz = 3\nx = 1\n"}
    outcome, changes = apply_one(SearchReplace("f.py", "x = 1\n", "x = 0\n"), files)
    assert not outcome.applied
    assert "matches 3 places" in outcome.how
    assert "lines 1, 3, 5" in outcome.how
    assert "add unchanged lines" in outcome.how
    assert changes == {}


def test_whitespace_matches_must_be_unique_too():
    files = {"m.py": b"if a:\n    x = 1\nif b:\n        x = 1\n"}
    outcome, _ = apply_one(SearchReplace("m.py", "  x = 1\n", "  x = 2\n"), files)
    assert not outcome.applied
    assert "matches 2 places" in outcome.how


def test_a_near_miss_applies_fuzzily_and_reindents():
    files = {
        "f.py": b"class A:\n    def f(x):\n        return x + 1\n\n    def g(self):\n        pass\n"
    }
    search = "def f(x):\n    return x + 2\n"
    replace = "def f(x):\n    return x + 3\n"
    outcome, changes = apply_one(SearchReplace("f.py", search, replace), files)
    assert outcome.applied
    assert outcome.how.startswith("fuzzy 0.9")
    assert (
        changes["f.py"]
        == b"class A:\n    def f(x):\n        return x + 3\n\n    def g(self):\n        pass\n"
    )


def test_the_fuzzy_threshold_is_a_parameter():
    files = {"f.py": b"def f(x):\n    return x + 1\n"}
    edit = SearchReplace("f.py", "def f(y):\n    return y * 10\n", "def f(y):\n    return y\n")
    assert apply_one(edit, files)[0].how == "fuzzy 0.85"
    strict, _ = apply_one(edit, files, fuzzy_threshold=0.9)
    assert not strict.applied
    assert "0.85 similar, 0.90 is needed" in strict.how
    assert strict.suggestion is not None
    assert strict.suggestion.first_line == 1


def test_a_miss_suggests_the_closest_lines():
    edit = SearchReplace(
        "m.py", "def total(values, start):\n    return start + sum(values)\n", "x\n"
    )
    outcome, changes = apply_one(edit, {"m.py": MODULE})
    assert not outcome.applied
    assert changes == {}
    assert outcome.suggestion is not None
    assert (outcome.suggestion.first_line, outcome.suggestion.last_line) == (4, 5)
    assert outcome.suggestion.text == "def total(items):\n    return sum(items)\n"
    assert 0.6 < outcome.suggestion.similarity < 0.7


def test_a_miss_with_nothing_close_suggests_nothing():
    outcome, _ = apply_one(SearchReplace("m.py", "zzzzzz\nqqqqq\n", "x\n"), {"m.py": MODULE})
    assert not outcome.applied
    assert outcome.suggestion is None
    assert "not even approximately" in outcome.how


def test_an_empty_search_creates_a_file():
    outcome, changes = apply_one(
        SearchReplace("pkg/new.py", "", "Y = 2\n"), {"pkg/mod.py": b"X = 1\n"}
    )
    assert outcome == BlockOutcome(1, "pkg/new.py", True, "created")
    assert changes == {"pkg/new.py": b"Y = 2\n"}


def test_an_empty_search_fills_an_existing_empty_file_and_keeps_its_mode():
    files = {"run.sh": Entry(EntryKind.EXECUTABLE, b"")}
    result = apply_edits([SearchReplace("run.sh", "", "#!/bin/sh\n")], DictTree(files))
    assert result.changes == (FileChange("run.sh", b"#!/bin/sh\n", executable=True),)


def test_an_empty_search_on_a_file_with_content_is_refused():
    outcome, changes = apply_one(SearchReplace("m.py", "", "X = 1\n"), {"m.py": MODULE})
    assert not outcome.applied
    assert "already exists and is not empty" in outcome.how
    assert changes == {}


def test_a_search_in_a_missing_file_is_refused():
    outcome, _ = apply_one(SearchReplace("nope.py", "x\n", "y\n"), {})
    assert not outcome.applied
    assert "does not exist" in outcome.how
    assert "leave SEARCH empty" in outcome.how


def test_the_executable_bit_is_kept():
    files = {"run.sh": Entry(EntryKind.EXECUTABLE, b"#!/bin/sh\necho hi\n")}
    result = apply_edits([SearchReplace("run.sh", "echo hi\n", "echo bye\n")], DictTree(files))
    assert result.changes == (FileChange("run.sh", b"#!/bin/sh\necho bye\n", executable=True),)


def test_a_missing_final_newline_stays_missing():
    _, changes = apply_one(SearchReplace("f", "b\n", "B\n"), {"f": b"a\nb"})
    assert changes["f"] == b"a\nB"


def test_a_final_newline_stays_when_the_last_lines_are_removed():
    _, changes = apply_one(SearchReplace("f", "b\nc\n", ""), {"f": b"a\nb\nc\n"})
    assert changes["f"] == b"a\n"


def test_untouched_lines_keep_their_own_endings():
    _, changes = apply_one(SearchReplace("f", "b\n", "B1\nB2\n"), {"f": b"a\r\nb\r\nc\n"})
    assert changes["f"] == b"a\r\nB1\r\nB2\r\nc\n"


def test_a_byte_order_mark_is_kept():
    _, changes = apply_one(SearchReplace("f", "a\n", "A\n"), {"f": "\ufeffa\nb\n".encode()})
    assert changes["f"] == "\ufeffA\nb\n".encode()


def test_an_edit_that_changes_nothing_gives_no_change():
    result = apply_edits(
        [SearchReplace("m.py", "import os\n", "import os\n")], DictTree({"m.py": MODULE})
    )
    assert result.all_applied
    assert result.changes == ()


# -- whole files


def test_a_whole_file_creates_or_replaces_keeping_mode_and_line_endings():
    files = {"run.cmd": Entry(EntryKind.EXECUTABLE, b"@echo off\r\necho hi\r\n")}
    result = apply_edits(
        [WholeFile("run.cmd", "@echo off\necho bye\n"), WholeFile("docs/new.md", "# New\n")],
        DictTree(files),
    )
    assert [o.how for o in result.outcomes] == ["replaced whole file", "created"]
    assert result.changes == (
        FileChange("run.cmd", b"@echo off\r\necho bye\r\n", executable=True),
        FileChange("docs/new.md", b"# New\n"),
    )


# -- unified diffs


def _hunk(old: str, new: str, start: int | None = None) -> Hunk:
    return Hunk(old, new, start)


def test_a_diff_creates_deletes_and_renames():
    files = {"old.py": b"gone\n", "name.py": b"keep\n"}
    result = apply_edits(
        [
            UnifiedDiff("new.py", "new.py", (_hunk("", "a\n", 0),), creates=True),
            UnifiedDiff("old.py", None, (_hunk("gone\n", "", 1),)),
            UnifiedDiff("name.py", "renamed.py", (_hunk("keep\n", "kept\n", 1),)),
        ],
        DictTree(files),
    )
    assert [o.how for o in result.outcomes] == ["created", "deleted", "renamed to renamed.py"]
    assert set(result.changes) == {
        FileChange("new.py", b"a\n"),
        FileChange("old.py", None),
        FileChange("name.py", None),
        FileChange("renamed.py", b"kept\n"),
    }


def test_a_delete_that_leaves_lines_is_refused():
    outcome, changes = apply_one(UnifiedDiff("f", None, (_hunk("a\n", "", 1),)), {"f": b"a\nb\n"})
    assert not outcome.applied
    assert "leaves 1 of its lines" in outcome.how
    assert changes == {}


def test_a_diff_from_dev_null_onto_an_existing_file_is_refused():
    diff = UnifiedDiff("f", "f", (_hunk("", "x\n", 0),), creates=True)
    outcome, _ = apply_one(diff, {"f": b"already here\n"})
    assert not outcome.applied
    assert "already exists" in outcome.how


def test_a_rename_onto_an_existing_file_is_refused():
    diff = UnifiedDiff("a", "b", (_hunk("x\n", "y\n", 1),))
    outcome, changes = apply_one(diff, {"a": b"x\n", "b": b"other\n"})
    assert not outcome.applied
    assert "cannot rename to b" in outcome.how
    assert changes == {}


def test_the_line_number_picks_between_equal_places():
    text = "".join(f"{name}:\n    pass\n" for name in ("a", "b", "a", "b"))
    diff = UnifiedDiff("f", "f", (_hunk("b:\n    pass\n", "b:\n    return\n", 7),))
    outcome, changes = apply_one(diff, {"f": text.encode()})
    assert outcome.how == "exact"
    assert changes["f"] == b"a:\n    pass\nb:\n    pass\na:\n    pass\nb:\n    return\n"


THREE_FUNCTIONS = (
    b"def a():\n    return None\n\ndef b():\n    return None\n\ndef c():\n    return None\n"
)


def test_a_line_number_that_names_none_of_the_places_is_refused():
    # Once the nearest place won: a miscounted header put the edit in the wrong function.
    reply = "--- a/f.py\n+++ b/f.py\n@@ -3,2 +3,2 @@\n     return None\n-\n+# x\n"
    result = apply_edits(parse_edits(reply), DictTree({"f.py": THREE_FUNCTIONS}))
    assert not result.outcomes[0].applied
    assert result.outcomes[0].how.startswith(
        "hunk 1 of 1 (line 3) matches 2 places (starting at lines 2, 5), "
        "and its line number is none of them"
    )
    assert result.changes == ()


def test_a_unique_context_applies_whatever_its_line_number():
    reply = (
        "--- a/f.py\n+++ b/f.py\n@@ -40,2 +40,2 @@\n def b():\n-    return None\n+    return 2\n"
    )
    result = apply_edits(parse_edits(reply), DictTree({"f.py": THREE_FUNCTIONS}))
    assert result.outcomes[0].how == "exact"
    assert text_of(result, "f.py") == THREE_FUNCTIONS.decode().replace(
        "b():\n    return None", "b():\n    return 2"
    )


def test_a_hunk_is_looked_for_only_after_the_hunk_before_it():
    # "    return None" is in a() too, but a() is above the first hunk, so only c()'s counts.
    reply = (
        "--- a/f.py\n+++ b/f.py\n@@ ... @@\n def b():\n-    return None\n+    return 2\n"
        "@@ ... @@\n-    return None\n+    return 3\n"
    )
    result = apply_edits(parse_edits(reply), DictTree({"f.py": THREE_FUNCTIONS}))
    assert result.all_applied, result.explain()
    assert text_of(result, "f.py") == (
        "def a():\n    return None\n\ndef b():\n    return 2\n\ndef c():\n    return 3\n"
    )


def test_hunks_out_of_order_are_refused():
    reply = (
        "--- a/f.py\n+++ b/f.py\n@@ -7 +7 @@\n def c():\n-    return None\n+    return 3\n"
        "@@ -1 +1 @@\n def a():\n-    return None\n+    return 1\n"
    )
    result = apply_edits(parse_edits(reply), DictTree({"f.py": THREE_FUNCTIONS}))
    assert result.outcomes[0].how.startswith("hunk 2 of 2 (line 1) was not found")
    assert result.changes == ()


def test_an_insertion_before_the_hunk_ahead_of_it_is_refused():
    diff = UnifiedDiff("f", "f", (_hunk("c\n", "C\n", 3), _hunk("", "x\n", 1)))
    outcome, changes = apply_one(diff, {"f": b"a\nb\nc\n"})
    assert "inside or before the hunk ahead of it" in outcome.how
    assert changes == {}


@pytest.mark.parametrize("header", ["@@ ... @@", "@@ @@", "@@ -0,0 +1,2 @@"])
@pytest.mark.parametrize("fenced", [False, True])
def test_a_new_file_from_dev_null_needs_no_line_number(header, fenced):
    # aider's form; once refused with "add unchanged lines around it".
    diff = f"--- /dev/null\n+++ b/new.py\n{header}\n+a = 1\n+b = 2\n"
    reply = f"```diff\n{diff}```\n" if fenced else diff
    result = apply_edits(parse_edits(reply), DictTree({"f.py": b"x\n"}))
    assert result.outcomes[0].how == "created", result.explain()
    assert result.changes == (FileChange("new.py", b"a = 1\nb = 2\n"),)


def test_a_diff_applies_whole_or_not_at_all():
    diff = UnifiedDiff("f", "f", (_hunk("a\n", "A\n", 1), _hunk("zzz\n", "Z\n", 3)))
    outcome, changes = apply_one(diff, {"f": b"a\nb\nc\n"})
    assert not outcome.applied
    assert outcome.how.startswith("hunk 2 of 2 (line 3) was not found")
    assert changes == {}


def test_a_diff_may_remove_or_add_the_final_newline():
    dropped = UnifiedDiff("f", "f", (_hunk("a\nb\n", "a\nb", 1),))
    added = UnifiedDiff("g", "g", (_hunk("a\nb", "a\nb\n", 1),))
    result = apply_edits([dropped, added], DictTree({"f": b"a\nb\n", "g": b"a\nb"}))
    assert result.changes == (FileChange("f", b"a\nb"), FileChange("g", b"a\nb\n"))


def test_a_pure_insertion_goes_after_its_line_number():
    diff = UnifiedDiff("f", "f", (_hunk("", "inserted\n", 1),))
    _, changes = apply_one(diff, {"f": b"one\ntwo\n"})
    assert changes["f"] == b"one\ninserted\ntwo\n"


def test_a_diff_of_a_missing_file_is_refused():
    outcome, _ = apply_one(UnifiedDiff("nope", "nope", (_hunk("a\n", "b\n", 1),)), {})
    assert not outcome.applied
    assert outcome.how == "the file does not exist"


# -- safety: nothing applies when any block is unsafe


@pytest.mark.parametrize(
    "edit",
    [
        SearchReplace("../escape.py", "", "x\n"),
        WholeFile(".git/hooks/post-checkout", "#!/bin/sh\n"),
        UnifiedDiff("m.py", "link/m.py", (_hunk("import os\n", "import sys\n", 1),)),
        SearchReplace("/etc/passwd", "root\n", "x\n"),
    ],
)
def test_an_unsafe_block_stops_everything_and_names_itself(edit):
    tree = DictTree({"m.py": MODULE, "link": Entry(EntryKind.SYMLINK, b"/tmp")})
    with pytest.raises(UnsafePathError, match=r"^block 2: "):
        apply_edits([SearchReplace("m.py", "import os\n", "import sys\n"), edit], tree)


def test_binary_files_are_never_edited():
    tree = DictTree({"logo.png": b"\x89PNG\r\n\x1a\n\0\0", "m.py": MODULE})
    with pytest.raises(BinaryFileError, match=r"^block 1: logo\.png is a binary file"):
        apply_edits([WholeFile("logo.png", "text now\n")], tree)


# -- what the model is told


def test_explain_names_what_applied_what_did_not_and_why():
    result = apply_edits(
        [
            SearchReplace("m.py", "import os\n", "import sys\n"),
            SearchReplace("m.py", "def mean(items):\n", "def average(items):\n"),
            SearchReplace(
                "m.py", "def total(values, start):\n    return start + sum(values)\n", "x\n"
            ),
        ],
        DictTree({"m.py": MODULE}),
    )
    report = result.explain()
    assert not result.all_applied
    assert report.splitlines()[0] == f"Blocks 1{DASH}2 applied, 3 did not."
    assert "Block 3 (m.py) did not apply: SEARCH was not found" in report
    assert f"Did you mean lines 4{DASH}5 (similarity 0.67)?" in report
    assert "def total(items):\n    return sum(items)\n```" in report
    assert "Resend only the blocks that did not apply" in report
    assert text_of(result, "m.py").startswith("import sys\n")


def test_explain_when_everything_applied():
    result = apply_edits(
        [SearchReplace("m.py", "import os\n", "import sys\n"), WholeFile("n.py", "N = 1\n")],
        DictTree({"m.py": MODULE}),
    )
    assert result.all_applied
    assert result.explain() == "All 2 blocks applied."


def test_explain_when_nothing_applied():
    edits = [
        SearchReplace("m.py", "nothing like it\n", "x\n"),
        SearchReplace("gone.py", "a\n", "b\n"),
    ]
    report = apply_edits(edits, DictTree({"m.py": MODULE})).explain()
    assert report.splitlines()[0] == f"Blocks 1{DASH}2 did not apply: nothing was changed."
    assert "Block 2 (gone.py) did not apply: the file does not exist" in report


def test_explain_gathers_runs_of_blocks():
    outcomes = tuple(
        BlockOutcome(n, "f", n in (1, 3), "exact" if n in (1, 3) else "no") for n in range(1, 6)
    )
    assert (
        EditResult((), outcomes).explain().splitlines()[0]
        == f"Blocks 1, 3 applied, 2, 4{DASH}5 did not."
    )


def test_explain_flags_fuzzy_matches_for_checking():
    files = {"f.py": b"def f(x):\n    return x + 1\n"}
    edit = SearchReplace("f.py", "def f(x):\n    return x + 2\n", "def f(x):\n    return x\n")
    report = apply_edits([edit], DictTree(files)).explain()
    assert report.startswith("Block 1 applied.")
    assert "Block 1 (f.py) matched only approximately (fuzzy 0.96)" in report


def test_explain_without_blocks():
    result = apply_edits([], DictTree({}))
    assert result.all_applied
    assert result.explain() == "No edit blocks were found: nothing was changed."


def test_a_reply_end_to_end():
    reply = dedent(
        """\
        I'll make both safe.

        m.py
        ```python
        <<<<<<< SEARCH
        def total(items):
            return sum(items)
        =======
        def total(items):
            return sum(items, 0)
        >>>>>>> REPLACE
        ```

        ```diff
        --- a/m.py
        +++ b/m.py
        @@ -8,2 +8,2 @@
         def mean(items):
        -    return total(items) / len(items)
        +    return total(items) / max(len(items), 1)
        ```
        """
    )
    result = apply_edits(parse_edits(reply), DictTree({"m.py": MODULE}))
    assert result.all_applied, result.explain()
    assert text_of(result, "m.py") == MODULE.decode().replace(
        "sum(items)", "sum(items, 0)"
    ).replace("/ len(items)", "/ max(len(items), 1)")


def test_explain_fences_suggestions_longer_than_the_fences_they_contain():
    files = {"README.md": b"Run:\n```\nmake check\n```\n"}
    edit = SearchReplace("README.md", "Run:\n```\nmake chekc all\n", "x\n")
    report = apply_edits([edit], DictTree(files), fuzzy_threshold=0.95).explain()
    assert "\n````\nRun:\n```\nmake check\n" in report


# -- a path is a file or a directory, never both

_FILE_THEN_DIRECTORY = (
    "newdir/inner.txt\n<<<<<<< SEARCH\n=======\ninner\n>>>>>>> REPLACE\n\n"
    "newdir\n<<<<<<< SEARCH\n=======\nouter\n>>>>>>> REPLACE\n"
)


@pytest.mark.parametrize("reverse", [False, True])
def test_a_reply_making_a_path_both_a_file_and_a_directory_is_refused(reverse):
    edits = parse_edits(_FILE_THEN_DIRECTORY)
    edits = edits[::-1] if reverse else edits

    with pytest.raises(EditError) as caught:
        apply_edits(edits, DictTree({"README.md": b"# r\n"}))

    message = str(caught.value)
    assert message.startswith("blocks 1 and 2: 'newdir' cannot be both a file and the directory")
    assert "'newdir/inner.txt'" in message


def test_a_rename_onto_a_directory_of_another_block_is_refused():
    rename = UnifiedDiff("a.txt", "lib", (Hunk("a\n", "a\n", 1),))
    created = WholeFile("lib/new.py", "X = 1\n")

    with pytest.raises(EditError, match=r"'lib' cannot be both a file and the directory"):
        apply_edits([rename, created], DictTree({"a.txt": b"a\n"}))


@pytest.mark.parametrize(
    ("path", "reason"),
    [("pkg", "is a directory, not a file"), ("app.py/inner.py", "which is a file")],
)
def test_a_clash_with_the_tree_is_refused(path, reason):
    tree = DictTree({"app.py": b"X = 1\n", "pkg/mod.py": b"Y = 2\n"})

    with pytest.raises(UnsafePathError, match=reason):
        apply_edits([WholeFile(path, "Z = 3\n")], tree)


# -- reStructuredText underlines look like the divider

RST = b"API\n===\n\nOthers\n======\n\nold\n\nMore\n====\n"


def _rst_block(search: str, replace: str) -> str:
    return f"docs/api.rst\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def test_a_block_with_a_title_underline_on_both_sides_applies():
    # Once split at the first "======" of the text, which put half of SEARCH into the file.
    reply = _rst_block("Others\n======\n\nold\n", "Others\n======\n\nnew\n")
    result = apply_edits(parse_edits(reply), DictTree({"docs/api.rst": RST}))
    assert result.outcomes[0].how == "exact", result.explain()
    assert text_of(result, "docs/api.rst") == RST.decode().replace("old", "new")


def test_a_mistyped_block_with_an_underline_is_refused_not_split_short():
    reply = _rst_block("Others\n======\n\nodl\n", "Others\n======\n\nnew\n")
    result = apply_edits(parse_edits(reply), DictTree({"docs/api.rst": RST}))
    assert not result.outcomes[0].applied
    assert "could be the '=======' between SEARCH and REPLACE" in result.outcomes[0].how
    assert result.changes == ()


def test_a_new_rst_file_with_an_underline_is_created():
    reply = _rst_block("", "Title\n=====\n\nText.\n")
    result = apply_edits(parse_edits(reply), DictTree({"README.md": b"r\n"}))
    assert result.outcomes[0].how == "created", result.explain()
    assert text_of(result, "docs/api.rst") == "Title\n=====\n\nText.\n"
