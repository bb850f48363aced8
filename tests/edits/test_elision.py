from __future__ import annotations

import pytest

from talkgit.edits.apply import apply_edits
from talkgit.edits.elision import is_comment_elision, is_elision, new_markers, split
from talkgit.edits.model import EditResult, SearchReplace
from talkgit.edits.parse import parse_edits
from tests.edits import DictTree

LOAD = b"""import json


def load(path):
    with open(path) as handle:
        data = json.load(handle)
    items = data["items"]
    total = 0
    for item in items:
        total += item["price"]
    count = len(items)
    return {"total": total, "count": count}


def save(path, report):
    with open(path, "w") as handle:
        json.dump(report, handle)
"""
NEW_RETURN = '    return {"total": total, "count": count, "mean": total / max(count, 1)}\n'


def applied(reply: str, files: dict[str, bytes]) -> tuple[EditResult, dict[str, bytes | None]]:
    result = apply_edits(parse_edits(reply), DictTree(files))
    return result, {change.path: change.data for change in result.changes}


def block(search: str, replace: str, path: str = "m.py") -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


# -- which lines are elisions

MARKERS = [
    "...",
    "\N{HORIZONTAL ELLIPSIS}",
    "# ...",
    "// ...",
    "# ... existing code ...",
    "// ... existing code ...",
    "# rest of the function unchanged",
    "/* ... */",
    "<!-- ... -->",
    "# ... more tests",
    "    # ...",
]


@pytest.mark.parametrize("line", MARKERS)
def test_elision_lines(line):
    assert is_elision(line)


@pytest.mark.parametrize(
    "line",
    [
        "# wait...",
        "x = f(...)",
        "# e.g. call(...)",
        "#",
        "print('...')",
        "# TODO",
        "pass",
        "# Generate the rest of the windows",
        "# Loading code...",
        "# other cases",
    ],
)
def test_ordinary_lines_are_not_elisions(line):
    assert not is_elision(line)


def test_a_bare_ellipsis_is_python_not_a_comment_elision():
    assert not is_comment_elision("    ...")
    assert is_comment_elision("    # ...")


def test_split_keeps_empty_parts_at_the_ends():
    assert split(["...", "a", "# ...", "b", "..."]) == [[], ["a"], ["b"], []]


def test_new_markers_are_comment_elisions_the_old_side_lacks():
    assert new_markers(["a", "# ..."], ["a", "# ...", "    ...", "// rest of code unchanged"]) == [
        "// rest of code unchanged"
    ]


# -- literal first: '...' is Python


def test_a_stub_body_matches_literally():
    files = {"m.py": b"def f():\n    ...\n\n\ndef g():\n    ...\n"}
    result, changes = applied(block("def g():\n    ...\n", "def g():\n    return 1\n"), files)
    assert result.outcomes[0].how == "exact"
    assert changes["m.py"] == b"def f():\n    ...\n\n\ndef g():\n    return 1\n"


def test_a_literal_comment_marker_matches_literally():
    files = {"m.py": b"x = 1\n# ...\ny = 2\n"}
    result, changes = applied(block("x = 1\n# ...\n", "x = 10\n# ...\n"), files)
    assert result.outcomes[0].how == "exact"
    assert changes["m.py"] == b"x = 10\n# ...\ny = 2\n"


# -- elided SEARCH and REPLACE: each part replaced, the middle kept

_HEAD = "def load(path):\n    with open(path) as handle:\n        data = json.load(handle)\n"
_TAIL = '    count = len(items)\n    return {"total": total, "count": count}\n'


@pytest.mark.parametrize("marker", MARKERS)
def test_an_elided_block_keeps_what_its_markers_stand_for(marker):
    search = f"{_HEAD}{marker}\n{_TAIL}"
    replace = f"{_HEAD}{marker}\n    count = len(items)\n{NEW_RETURN}"
    result, changes = applied(block(search, replace), {"m.py": LOAD})
    assert result.outcomes[0].how == "elided (2 parts)", result.explain()
    assert changes["m.py"] == LOAD.replace(
        b'    return {"total": total, "count": count}\n', NEW_RETURN.encode()
    )


def test_three_parts_each_replaced():
    search = f"def load(path):\n# ...\n    total = 0\n# ...\n{_TAIL.splitlines()[1]}\n"
    replace = f"def load(path, strict=False):\n# ...\n    total = 0.0\n# ...\n{NEW_RETURN}"
    result, changes = applied(block(search, replace), {"m.py": LOAD})
    assert result.outcomes[0].how == "elided (3 parts)"
    expected = (
        LOAD.replace(b"def load(path):", b"def load(path, strict=False):")
        .replace(b"total = 0\n", b"total = 0.0\n")
        .replace(b'    return {"total": total, "count": count}\n', NEW_RETURN.encode())
    )
    assert changes["m.py"] == expected


def test_parts_with_other_indentation_are_found_and_reindented():
    search = "with open(path) as handle:\n# ...\ncount = len(items)\n"
    replace = "with open(path) as handle:\n# ...\ncount = len(items) + 0\n"
    result, changes = applied(block(search, replace), {"m.py": LOAD})
    assert result.outcomes[0].how == "elided (2 parts, whitespace)"
    assert changes["m.py"] == LOAD.replace(b"count = len(items)\n", b"count = len(items) + 0\n")


def test_leading_and_trailing_markers_with_empty_replace_parts():
    search = "# ...\n    total = 0\n# ...\n"
    replace = "# ...\n    total = 0.0\n# ...\n"
    result, changes = applied(block(search, replace), {"m.py": LOAD})
    assert result.outcomes[0].how == "elided (1 parts)"
    assert changes["m.py"] == LOAD.replace(b"total = 0\n", b"total = 0.0\n")


def test_lines_where_search_has_only_a_marker_are_refused():
    result, changes = applied(
        block("# ...\n    total = 0\n", "import os\n# ...\n    total = 1\n"), {"m.py": LOAD}
    )
    assert not result.outcomes[0].applied
    assert "only '...' lines, so nothing says where they go" in result.outcomes[0].how
    assert changes == {}


# -- refusals: an elided SEARCH never lands in the wrong place


def test_elided_search_with_full_replace_is_refused_not_applied_fuzzily():
    # This reply once matched fuzzily at 0.88 and replaced the whole function, losing the
    # loop the '# ...' stood for.
    search = f'{_HEAD}    items = data["items"]\n    total = 0\n    # ...\n{_TAIL}'
    replace = (
        f'{_HEAD}    items = data["items"]\n    total = 0\n    count = len(items)\n{NEW_RETURN}'
    )
    result, changes = applied(block(search, replace), {"m.py": LOAD})
    outcome = result.outcomes[0]
    assert not outcome.applied
    assert outcome.how.startswith(
        "SEARCH leaves out lines with '...' (its line 6: '# ...'), and REPLACE has none"
    )
    assert "put the same '...' lines in REPLACE" in outcome.how
    assert changes == {}


def test_a_replace_with_fewer_markers_is_refused():
    search = "def load(path):\n...\n    total = 0\n...\n    count = len(items)\n"
    replace = "def load(path):\n...\n    count = 1\n"
    result, _ = applied(block(search, replace), {"m.py": LOAD})
    assert "REPLACE has 1 where SEARCH has 2" in result.outcomes[0].how


def test_a_new_comment_marker_in_replace_is_refused():
    # Once applied as written: '# ... existing code ...' went into the file, the loop out.
    search = f'{_HEAD}    items = data["items"]\n    total = 0\n    for item in items:\n'
    replace = f'{_HEAD}    items = data["items"]\n    # ... existing code ...\n'
    result, changes = applied(block(search, replace), {"m.py": LOAD})
    outcome = result.outcomes[0]
    assert not outcome.applied
    assert outcome.how.startswith(
        "REPLACE has the line '# ... existing code ...', which SEARCH does not"
    )
    assert changes == {}


def test_a_bare_ellipsis_in_replace_is_python():
    files = {"m.py": b"def f():\n    return 1\n"}
    result, changes = applied(block("    return 1\n", "    ...\n"), files)
    assert result.outcomes[0].how == "exact"
    assert changes["m.py"] == b"def f():\n    ...\n"


def test_a_part_that_is_not_there_is_named():
    search = "def load(path):\n# ...\n    total = 1\n"
    replace = "def load(path):\n# ...\n    total = 2\n"
    result, _ = applied(block(search, replace), {"m.py": LOAD})
    assert result.outcomes[0].how.startswith(
        "part 2 of 2 of SEARCH (split at its '...' lines) was not found after the part before it"
    )


def test_a_part_that_is_not_unique_is_named():
    files = {"m.py": b"x = 1\ny\nx = 1\nz\n"}
    result, _ = applied(block("x = 1\n...\nz\n", "x = 2\n...\nz\n"), files)
    assert result.outcomes[0].how.startswith(
        "part 1 of 2 of SEARCH (split at its '...' lines) matches 2 places"
    )


def test_an_elided_part_is_never_fuzzy():
    search = 'def load(path):\n# ...\n    return {"total": total, "count": kount}\n'
    replace = f"def load(path):\n# ...\n{NEW_RETURN}"
    result, changes = applied(block(search, replace), {"m.py": LOAD})
    assert "never matched approximately" in result.outcomes[0].how
    assert changes == {}


def test_a_later_part_counts_only_after_the_part_before():
    files = {"m.py": b"x = 1\nend\ndef f():\n    body\nend\n"}
    result, changes = applied(block("def f():\n...\nend\n", "def g():\n...\nend\n"), files)
    assert result.outcomes[0].how == "elided (2 parts)"
    assert changes["m.py"] == b"x = 1\nend\ndef g():\n    body\nend\n"


def test_a_whole_file_with_a_new_marker_is_refused():
    reply = "m.py\n```python\nimport json\n\n# ... existing code ...\n```\n"
    result, changes = applied(reply, {"m.py": LOAD})
    assert not result.outcomes[0].applied
    assert "'# ... existing code ...'" in result.outcomes[0].how
    assert changes == {}


def test_a_hunk_with_an_elided_context_applies_by_its_parts():
    reply = (
        "```diff\n--- a/m.py\n+++ b/m.py\n@@ -4,9 +4,9 @@\n def load(path):\n ...\n"
        '     count = len(items)\n-    return {"total": total, "count": count}\n'
        f"+{NEW_RETURN}```\n"
    )
    result, changes = applied(reply, {"m.py": LOAD})
    assert result.outcomes[0].how == "elided (2 parts)", result.explain()
    assert changes["m.py"] == LOAD.replace(
        b'    return {"total": total, "count": count}\n', NEW_RETURN.encode()
    )


def test_explain_passes_the_reason_on():
    search = f"{_HEAD}# ...\n{_TAIL}"
    report = applied(block(search, _HEAD), {"m.py": LOAD})[0].explain()
    assert "Block 1 (m.py) did not apply: SEARCH leaves out lines with '...'" in report


def test_a_search_of_markers_only_is_refused():
    result, _ = applied(block("...\n# ...\n", "x\n...\n"), {"m.py": LOAD})
    assert not result.outcomes[0].applied


def test_an_elided_search_replaces_only_its_parts_in_a_crlf_file():
    files = {"m.py": b"a = 1\r\nb = 2\r\nc = 3\r\n"}
    result, changes = applied(block("a = 1\n# ...\nc = 3\n", "a = 10\n# ...\nc = 30\n"), files)
    assert result.all_applied
    assert changes["m.py"] == b"a = 10\r\nb = 2\r\nc = 30\r\n"


def test_a_bare_marker_pairs_when_a_line_beside_it_is_kept():
    edit = SearchReplace("m.py", "a\nb\n...\nd\n", "a\nB\n...\nd\n")
    result = apply_edits([edit], DictTree({"m.py": b"a\nb\nc\nd\n"}))
    assert result.outcomes[0].how == "elided (2 parts)"


def test_a_bare_ellipsis_that_replace_adds_does_not_pair_with_a_marker():
    # A doctest's "..." that REPLACE adds once stood in for what SEARCH's "# ..." left out:
    # the parts paired out of step and the edit lost lines.
    files = {"m.py": b'def f():\n    """Doc.\n\n    >>> f()\n    1\n    """\n    return 1\n'}
    search = "def f():\n    # ...\n    >>> f()\n    1\n"
    replace = "    >>> f()\n    Traceback (most recent call last):\n    ...\n    ValueError\n"
    result, changes = applied(block(search, replace), files)
    outcome = result.outcomes[0]
    assert not outcome.applied
    assert outcome.how.startswith("REPLACE's line 3 ('...') may be code as much as lines left out")
    assert changes == {}
