"""Which new-side lines a patch covers; checked against difflib as an independent oracle."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from talkgit.github.api import PullFile
from talkgit.github.diff import GITHUB_FILE_LIMIT, PatchLine, parse_patch, pull_diff, walk_patch

PATCH = "\n".join(
    [
        "@@ -1,4 +1,5 @@",
        " import os",
        "-import sys",
        "+import json",
        "+import re",
        " ",
        " X = 1",
        "@@ -20,3 +21,3 @@ def f():",
        "     a = 1",
        "-    b = 2",
        "+    b = 3",
        "     return a + b",
        "\\ No newline at end of file",
    ]
)


def test_added_and_context_lines_of_every_hunk():
    lines = parse_patch(PATCH)
    assert lines.added == {2, 3, 22}
    assert lines.in_hunks == {1, 2, 3, 4, 5, 21, 22, 23}


def test_walk_numbers_each_line_and_leaves_removed_ones_unnumbered():
    walked = list(walk_patch(PATCH))
    assert walked[:4] == [
        PatchLine(" ", "import os", 1),
        PatchLine("-", "import sys", None),
        PatchLine("+", "import json", 2),
        PatchLine("+", "import re", 3),
    ]
    assert PatchLine(" ", "", 4) in walked  # a blank context line GitHub sent as " "


def test_a_context_line_whose_blank_was_trimmed_still_counts():
    assert parse_patch("@@ -1,3 +1,3 @@\n a\n\n-b\n+c").in_hunks == {1, 2, 3}


def test_headers_without_counts_mean_one_line():
    assert parse_patch("@@ -5 +5 @@\n-old\n+new") == (frozenset({5}), frozenset({5}))


def test_a_new_file_and_a_deleted_file():
    assert parse_patch("@@ -0,0 +1,2 @@\n+a\n+b").added == {1, 2}
    assert parse_patch("@@ -1,2 +0,0 @@\n-a\n-b").in_hunks == frozenset()


def test_lines_past_a_hunks_counts_are_not_read():
    assert parse_patch("@@ -1 +1 @@\n-a\n+b\n+not part of the hunk").added == {1}


def test_no_patch_no_lines():
    assert parse_patch("") == (frozenset(), frozenset())


def test_pull_diff_tells_which_lines_take_a_comment():
    files = [
        PullFile(filename="pkg/mod.py", patch=PATCH),
        PullFile(filename="logo.png", status="added", patch=None),
        PullFile(filename="new.py", status="renamed", previous_filename="old.py", patch=None),
    ]
    diff = pull_diff(files)

    assert diff.paths == ("pkg/mod.py", "logo.png", "new.py")
    assert diff.commentable("pkg/mod.py", 22)
    assert not diff.commentable("pkg/mod.py", 10)  # between the hunks
    assert not diff.commentable("logo.png", 1)
    assert not diff.commentable("elsewhere.py", 1)
    renamed = diff.file("new.py")
    assert renamed is not None and renamed.previous_path == "old.py"
    assert not diff.incomplete


def test_a_diff_of_githubs_maximum_file_count_may_be_incomplete():
    files = [PullFile(filename=f"f{n}.py") for n in range(GITHUB_FILE_LIMIT)]
    assert pull_diff(files).incomplete


lines = st.lists(st.sampled_from(["a", "b", "c", "", "d e", " x"]), max_size=25)


@settings(max_examples=300, deadline=None)
@given(old=lines, new=lines, context=st.integers(0, 3))
def test_parse_patch_agrees_with_difflib(old, new, context):
    """The lines difflib's own opcodes insert or show are exactly what the patch says."""
    patch = "\n".join(list(difflib.unified_diff(old, new, lineterm="", n=context))[2:])
    expected_added: set[int] = set()
    expected_shown: set[int] = set()
    matcher = difflib.SequenceMatcher(None, old, new)
    for group in matcher.get_grouped_opcodes(context):
        for tag, _i1, _i2, j1, j2 in group:
            expected_shown |= set(range(j1 + 1, j2 + 1))
            if tag in ("replace", "insert"):
                expected_added |= set(range(j1 + 1, j2 + 1))

    parsed = parse_patch(patch)

    assert parsed.added == expected_added
    assert parsed.in_hunks == expected_shown
    numbered = [(line.new, line.text) for line in walk_patch(patch) if line.new is not None]
    assert all(new[number - 1] == text for number, text in numbered)
