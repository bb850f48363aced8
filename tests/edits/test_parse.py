from __future__ import annotations

import difflib
import re
from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talkgit.edits.model import Hunk, SearchReplace, UnifiedDiff, WholeFile
from talkgit.edits.parse import EditParseError, parse_edits, render_edit
from talkgit.errors import EditError

FENCE = "```"

# -- strategies

_MARKER = re.compile(r"^(<{5,9} ?SEARCH|={5,9}|>{5,9} ?REPLACE)\s*$")
_LINE = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=30).filter(
    lambda line: not _MARKER.match(line)
)
_TEXT = st.lists(_LINE, max_size=6).map(lambda lines: "".join(f"{line}\n" for line in lines))
_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
_PATH = st.builds(
    lambda dirs, name, ext: "/".join([*dirs, f"{name}.{ext}"]),
    st.lists(_NAME, max_size=3),
    _NAME,
    st.sampled_from(["py", "md", "txt", "toml"]),
)
_SEARCH_REPLACE = st.builds(SearchReplace, _PATH, _TEXT, _TEXT)
# A removed "-- x" line followed by an added "++ y" line would read as a file header.
_DIFF_TEXT = st.lists(_LINE.filter(lambda line: line[:1] not in "+-"), max_size=6).map(
    lambda lines: "".join(f"{line}\n" for line in lines)
)


# -- search/replace blocks


@settings(max_examples=60)
@given(_SEARCH_REPLACE)
def test_a_rendered_block_parses_back(block):
    assert parse_edits(render_edit(block)) == [block]


@settings(max_examples=40)
@given(_SEARCH_REPLACE, st.booleans(), st.sampled_from(["", "python", "text"]))
def test_a_fenced_block_parses_back_with_the_path_before_or_inside(block, inside, info):
    rendered = render_edit(block)
    if inside:
        reply = f"Here you go:\n\n{FENCE}{info}\n{rendered}{FENCE}\n\nThat's all.\n"
    else:
        path, rest = rendered.split("\n", 1)
        reply = f"Change {path}:\n\n{path}\n{FENCE}{info}\n{rest}{FENCE}\n"
    assert parse_edits(reply) == [block]


@settings(max_examples=30)
@given(st.lists(_SEARCH_REPLACE, min_size=1, max_size=4))
def test_several_blocks_parse_in_order(blocks):
    reply = "\n".join(f"Block {n}:\n\n{render_edit(b)}" for n, b in enumerate(blocks, 1))
    assert parse_edits(reply) == blocks


def test_a_block_without_a_path_line_reuses_the_previous_blocks_path():
    reply = dedent(
        """\
        src/app.py
        ```python
        <<<<<<< SEARCH
        a = 1
        =======
        a = 2
        >>>>>>> REPLACE
        ```

        And further down:

        ```python
        <<<<<<< SEARCH
        b = 1
        =======
        b = 2
        >>>>>>> REPLACE
        ```
        """
    )
    assert parse_edits(reply) == [
        SearchReplace("src/app.py", "a = 1\n", "a = 2\n"),
        SearchReplace("src/app.py", "b = 1\n", "b = 2\n"),
    ]


@pytest.mark.parametrize(
    "path_line",
    [
        "src/app.py",
        "`src/app.py`",
        "**src/app.py**",
        "src/app.py:",
        "### src/app.py",
        "File: src/app.py",
        "- `src/app.py`",
    ],
)
def test_path_lines_may_carry_markdown(path_line):
    reply = f"{path_line}\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"
    assert parse_edits(reply) == [SearchReplace("src/app.py", "x\n", "y\n")]


def test_fence_lines_inside_a_block_are_content():
    reply = (
        "README.md\n```markdown\n<<<<<<< SEARCH\nRun:\n```\nmake\n```\n=======\n"
        "Run:\n```\nmake test\n```\n>>>>>>> REPLACE\n```\n"
    )
    assert parse_edits(reply) == [
        SearchReplace("README.md", "Run:\n```\nmake\n```\n", "Run:\n```\nmake test\n```\n")
    ]


def test_an_empty_search_section_is_kept_empty():
    reply = "new.py\n<<<<<<< SEARCH\n=======\nprint('hi')\n>>>>>>> REPLACE\n"
    assert parse_edits(reply) == [SearchReplace("new.py", "", "print('hi')\n")]


def test_crlf_replies_read_like_lf_ones():
    reply = "a.py\r\n<<<<<<< SEARCH\r\nx\r\n=======\r\ny\r\n>>>>>>> REPLACE\r\n"
    assert parse_edits(reply) == [SearchReplace("a.py", "x\n", "y\n")]


def test_text_without_edits_gives_none():
    reply = "Sure! Here is how:\n\n```bash\npytest -q\n```\n\nExample:\n```python\nprint(1)\n```\n"
    assert parse_edits(reply) == []


# -- whole files


def test_a_path_then_a_fence_is_a_whole_file():
    reply = "Create it:\n\ntests/test_new.py\n```python\ndef test_x():\n    assert True\n```\n"
    assert parse_edits(reply) == [
        WholeFile("tests/test_new.py", "def test_x():\n    assert True\n")
    ]


def test_a_longer_fence_holds_a_file_with_fences_inside():
    content = "# Title\n\n```\ncode\n```\n"
    reply = f"`docs/x.md`\n````markdown\n{content}````\n"
    assert parse_edits(reply) == [WholeFile("docs/x.md", content)]


@settings(max_examples=30)
@given(_PATH, _TEXT)
def test_a_rendered_whole_file_parses_back(path, content):
    edit = WholeFile(path, content)
    assert parse_edits(render_edit(edit)) == [edit]


def test_fences_with_a_language_nest_inside_a_whole_file():
    content = "# Title\n\n```python\nprint(1)\n```\n\nMore text.\n"
    reply = f"README.md\n```markdown\n{content}```\n\nThat is the whole file.\n"
    assert parse_edits(reply) == [WholeFile("README.md", content)]


def test_a_bare_word_before_a_fence_is_prose_but_names_a_block():
    assert parse_edits("Makefile\n```\nall:\n```\n") == []
    block = "Makefile\n<<<<<<< SEARCH\nall:\n=======\nall: test\n>>>>>>> REPLACE\n"
    assert parse_edits(block) == [SearchReplace("Makefile", "all:\n", "all: test\n")]


def test_an_empty_fence_after_a_path_is_an_empty_file():
    assert parse_edits("`empty.txt`\n```\n```\n") == [WholeFile("empty.txt", "")]


# -- unified diffs


def _diff(old: str, new: str, path: str = "pkg/mod.py") -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(lines)


def test_a_git_diff_in_a_fence():
    old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
    new = "a\nB\nc\nd\nE\nf\ng\nh\ni\nj\n"
    git_lines = "diff --git a/pkg/mod.py b/pkg/mod.py\nindex 1234567..89abcde 100644\n"
    reply = f"```diff\n{git_lines}{_diff(old, new)}```\n"
    hunk = Hunk("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nB\nc\nd\nE\nf\ng\nh\n", 1)
    assert parse_edits(reply) == [UnifiedDiff("pkg/mod.py", "pkg/mod.py", (hunk,))]


def test_two_files_and_two_hunks():
    old = "".join(f"line {n}\n" for n in range(20))
    new = old.replace("line 1\n", "line one\n").replace("line 18\n", "line eighteen\n")
    second = _diff("x\n", "y\n", "b.txt")
    reply = f"```diff\n{_diff(old, new, 'a.txt')}{second}```\n"
    edits = parse_edits(reply)
    assert [(e.path, len(e.hunks)) for e in edits if isinstance(e, UnifiedDiff)] == [
        ("a.txt", 2),
        ("b.txt", 1),
    ]
    second_hunk = edits[0].hunks[1]  # type: ignore[union-attr]
    assert second_hunk.old_start == 16
    assert "line eighteen\n" in second_hunk.new
    assert "line 18\n" in second_hunk.old


def test_dev_null_creates_and_deletes():
    reply = (
        "```diff\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+a\n+b\n"
        "--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n```\n"
    )
    assert parse_edits(reply) == [
        UnifiedDiff("new.py", "new.py", (Hunk("", "a\nb\n", 0),), creates=True),
        UnifiedDiff("old.py", None, (Hunk("gone\n", "", 1),)),
    ]


def test_a_rename_keeps_both_names():
    reply = "```diff\n--- a/old.py\n+++ b/new.py\n@@ -1 +1 @@\n-x\n+y\n```\n"
    assert parse_edits(reply) == [UnifiedDiff("old.py", "new.py", (Hunk("x\n", "y\n", 1),))]


def test_no_newline_at_end_of_file_markers():
    reply = (
        "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n keep\n-old\n\\ No newline at end of file\n"
        "+new\n\\ No newline at end of file\n"
    )
    assert parse_edits(reply) == [
        UnifiedDiff("f.txt", "f.txt", (Hunk("keep\nold", "keep\nnew", 1),))
    ]


def test_blank_context_lines_that_lost_their_space_still_count():
    reply = "```diff\n--- a/f.py\n+++ b/f.py\n@@ -1,3 +1,3 @@\n a = 1\n\n-b = 2\n+b = 3\n\n```\n"
    assert parse_edits(reply) == [
        UnifiedDiff("f.py", "f.py", (Hunk("a = 1\n\nb = 2\n", "a = 1\n\nb = 3\n", 1),))
    ]


def test_a_raw_diff_ends_where_the_prose_starts():
    reply = (
        "Here is the patch:\n\n--- a/f.py\n+++ b/f.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n"
        "\n- removed the bug\n- added a test\n"
    )
    assert parse_edits(reply) == [
        UnifiedDiff("f.py", "f.py", (Hunk("a = 1\nb = 2\n", "a = 1\nb = 3\n", 1),))
    ]


def test_a_raw_diff_keeps_a_blank_context_line_its_header_counts():
    reply = "--- a/f.py\n+++ b/f.py\n@@ -1,3 +1,3 @@\n-a = 1\n+a = 2\n\n c = 3\n"
    assert parse_edits(reply) == [
        UnifiedDiff("f.py", "f.py", (Hunk("a = 1\n\nc = 3\n", "a = 2\n\nc = 3\n", 1),))
    ]


def test_hunks_without_headers_take_the_path_above_the_fence():
    reply = "src/app.py\n```diff\n@@ @@\n def f():\n-    return 1\n+    return 2\n```\n"
    assert parse_edits(reply) == [
        UnifiedDiff(
            "src/app.py",
            "src/app.py",
            (Hunk("def f():\n    return 1\n", "def f():\n    return 2\n"),),
        )
    ]


@settings(max_examples=30)
@given(
    _PATH, st.lists(st.tuples(_DIFF_TEXT, _DIFF_TEXT, st.integers(1, 500)), min_size=1, max_size=3)
)
def test_a_rendered_diff_parses_back(path, sides):
    hunks = tuple(Hunk(old or "x\n", new, start) for old, new, start in sides)
    diff = UnifiedDiff(path, path, hunks)
    assert parse_edits(render_edit(diff)) == [diff]


def test_mixed_forms_in_one_reply_keep_their_order():
    reply = dedent(
        """\
        First the module:

        pkg/mod.py
        <<<<<<< SEARCH
        X = 1
        =======
        X = 2
        >>>>>>> REPLACE

        Then the readme:

        ```diff
        --- a/README.md
        +++ b/README.md
        @@ -1 +1 @@
        -# sample
        +# Sample
        ```

        And a new file:

        `pkg/new.py`
        ```python
        Y = 3
        ```
        """
    )
    assert [type(e).__name__ for e in parse_edits(reply)] == [
        "SearchReplace",
        "UnifiedDiff",
        "WholeFile",
    ]


# -- what the model is told when a reply cannot be read


def _parse_error(reply: str) -> str:
    with pytest.raises(EditParseError) as caught:
        parse_edits(reply)
    assert isinstance(caught.value, EditError)
    return str(caught.value)


def test_a_block_without_divider_names_the_block_and_the_marker():
    message = _parse_error(
        "a.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n\nb.py\n<<<<<<< SEARCH\nx\n"
    )
    assert message.startswith("block 2 (b.py): unterminated block")
    assert "'======='" in message
    assert "line 9" in message


def test_a_block_without_replace_marker():
    message = _parse_error("a.py\n<<<<<<< SEARCH\nx\n=======\ny\n")
    assert message.startswith("block 1 (a.py)")
    assert "'>>>>>>> REPLACE'" in message


def test_a_new_search_before_the_previous_block_ended():
    message = _parse_error(
        "a.py\n<<<<<<< SEARCH\nx\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"
    )
    assert "block 1 (a.py)" in message
    assert "expected '=======' before line 4" in message


def test_a_search_without_a_path():
    message = _parse_error("Here:\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n")
    assert message.startswith("block 1:")
    assert "no file path" in message
    assert "line 2" in message


def test_a_replace_marker_without_search():
    message = _parse_error("a.py\nx\n=======\ny\n>>>>>>> REPLACE\n")
    assert "block 1" in message
    assert "'<<<<<<< SEARCH'" in message


def test_a_whole_file_fence_never_closed():
    message = _parse_error("Done.\n\n`pkg/new.py`\n```python\nX = 1\nY = 2\n")
    assert message.startswith("block 1 (pkg/new.py)")
    assert "never closed" in message
    assert "line 4" in message


def test_a_whole_file_whose_inner_fence_is_left_open():
    message = _parse_error("README.md\n```markdown\n# T\n```python\nprint(1)\n```\n")
    assert message.startswith("block 1 (README.md)")
    assert "the fence opened at line 2 is never closed" in message


def test_a_diff_fence_never_closed():
    message = _parse_error(
        "a.py\n<<<<<<< SEARCH\n=======\nz\n>>>>>>> REPLACE\n"
        "```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    )
    assert message.startswith("block 2:")
    assert "never closed" in message


def test_a_diff_fence_without_a_diff():
    message = _parse_error("```diff\nsomething else entirely\n```\n")
    assert "holds no diff" in message


def test_a_diff_header_without_hunks():
    message = _parse_error("--- a/f.py\n+++ b/f.py\nnot a hunk\n")
    assert message.startswith("block 1 (f.py)")
    assert "no '@@' hunks" in message


def test_a_hunk_without_lines():
    message = _parse_error("```diff\n--- a/f.py\n+++ b/f.py\n@@ -1 +1 @@\n```\n")
    assert "has no lines" in message


def test_a_rendered_whole_file_with_fences_inside_parses_back():
    edit = WholeFile("docs/a.md", "Run:\n```\nmake\n```\n")
    assert render_edit(edit).startswith("docs/a.md\n````\n")
    assert parse_edits(render_edit(edit)) == [edit]


# -- text that looks like the markers


def test_every_line_that_could_be_the_divider_gives_a_reading():
    reply = (
        "docs/api.rst\n<<<<<<< SEARCH\nOthers\n======\n\nold\n=======\nOthers\n======\n\nnew\n"
        ">>>>>>> REPLACE\n"
    )
    (edit,) = parse_edits(reply)
    assert isinstance(edit, SearchReplace)
    assert (edit.search, edit.replace) == ("Others\n", "\nold\n=======\nOthers\n======\n\nnew\n")
    assert edit.readings == (
        ("Others\n======\n\nold\n", "Others\n======\n\nnew\n"),
        ("Others\n======\n\nold\n=======\nOthers\n", "\nnew\n"),
    )


def test_a_markdown_fence_in_a_diffs_context_does_not_close_the_diff():
    # Once the diff ended at " ```" and applied without its last lines.
    reply = (
        "```diff\n--- a/README.md\n+++ b/README.md\n@@ ... @@\n Run:\n ```bash\n-make\n"
        "+make all\n ```\n-Then read on.\n+Then read the docs.\n```\n"
    )
    (edit,) = parse_edits(reply)
    assert isinstance(edit, UnifiedDiff)
    assert edit.hunks == (
        Hunk(
            "Run:\n```bash\nmake\n```\nThen read on.\n",
            "Run:\n```bash\nmake all\n```\nThen read the docs.\n",
        ),
    )
