from __future__ import annotations

import pytest

from talkgit.edits.apply import apply_edits
from talkgit.edits.missing import candidates, did_you_mean, looks_like_placeholder
from talkgit.edits.parse import parse_edits
from tests.edits import DictTree

STATS = b"def mean(xs):\n    return sum(xs) / len(xs)\n"
TREE = {
    "stats.py": STATS,
    "lib/stats.py": b"X = 1\n",
    "lib/state.py": b"Y = 2\n",
    "README.md": b"# r\n",
}


@pytest.mark.parametrize(
    "path",
    [
        "path/to/stats.py",
        "Path/To/stats.py",
        "path/of/stats.py",
        "/path/to/stats.py",
        "your/stats.py",
        "some/path/stats.py",
        "<file>",
        "src/<module>.py",
    ],
)
def test_placeholders(path):
    assert looks_like_placeholder(path)


@pytest.mark.parametrize("path", ["stats.py", "src/path/to.py", "docs/your.md", "a->b.txt"])
def test_real_looking_paths(path):
    assert looks_like_placeholder(path) is ("<" in path or ">" in path)


def test_candidates_put_the_same_name_first_then_close_paths():
    assert candidates("path/to/stats.py", TREE) == ["stats.py", "lib/stats.py"]
    assert candidates("lib/stat.py", TREE)[:2] == ["lib/stats.py", "lib/state.py"]
    assert candidates("nothing/like/it.txt", TREE) == []


def test_at_most_five_candidates():
    paths = [f"d{i}/stats.py" for i in range(9)]
    assert len(candidates("path/to/stats.py", paths)) == 5


def test_did_you_mean():
    assert did_you_mean("path/to/stats.py", TREE) == " (did you mean 'stats.py' or 'lib/stats.py'?)"
    assert did_you_mean("zzz", TREE) == ""


def _apply(reply: str):
    result = apply_edits(parse_edits(reply), DictTree(TREE))
    return result.outcomes[0], result


def test_a_search_in_a_placeholder_path_is_refused_with_the_real_files():
    # A small model copied the prompt's "path/to/file.py" for the real stats.py.
    reply = (
        "path/to/stats.py\n<<<<<<< SEARCH\n    return sum(xs) / len(xs)\n=======\n"
        "    return sum(xs) / max(len(xs), 1)\n>>>>>>> REPLACE\n"
    )
    outcome, result = _apply(reply)
    assert not outcome.applied
    assert outcome.how == (
        "'path/to/stats.py' is not a file of this repository and looks like a placeholder "
        "from an example (did you mean 'stats.py' or 'lib/stats.py'?): "
        "use the real path of the file"
    )
    assert result.changes == ()
    assert "Block 1 (path/to/stats.py) did not apply: 'path/to/stats.py' is not" in (
        result.explain()
    )


@pytest.mark.parametrize(
    "reply",
    [
        "path/to/stats.py\n<<<<<<< SEARCH\n=======\nX = 1\n>>>>>>> REPLACE\n",
        "path/to/stats.py\n```python\nX = 1\n```\n",
        "--- /dev/null\n+++ b/path/to/stats.py\n@@ ... @@\n+X = 1\n",
        "/path/to/stats.py\n<<<<<<< SEARCH\n=======\nX = 1\n>>>>>>> REPLACE\n",
        "<stats.py>\n<<<<<<< SEARCH\n=======\nX = 1\n>>>>>>> REPLACE\n",
        "--- a/stats.py\n+++ b/path/to/stats.py\n@@ -1 +1 @@\n-def mean(xs):\n+def mean(ys):\n",
    ],
)
def test_a_new_file_at_a_placeholder_path_is_refused_too(reply):
    outcome, result = _apply(reply)
    assert not outcome.applied
    assert "looks like a placeholder" in outcome.how
    assert "'stats.py'" in outcome.how
    assert result.changes == ()


def test_a_placeholder_path_that_exists_is_just_a_path():
    tree = DictTree({"path/to/stats.py": STATS})
    reply = (
        "path/to/stats.py\n<<<<<<< SEARCH\ndef mean(xs):\n=======\ndef mean(ys):\n>>>>>>> REPLACE\n"
    )
    assert apply_edits(parse_edits(reply), tree).all_applied


def test_a_search_in_a_missing_file_names_the_files_it_may_mean():
    reply = "lib/stat.py\n<<<<<<< SEARCH\nX = 1\n=======\nX = 2\n>>>>>>> REPLACE\n"
    outcome, _ = _apply(reply)
    assert outcome.how == (
        "the file does not exist (did you mean 'lib/stats.py', 'lib/state.py' or 'stats.py'?); "
        "to create it, leave SEARCH empty"
    )


def test_a_diff_of_a_missing_file_names_the_files_it_may_mean():
    outcome, _ = _apply("--- a/stat.py\n+++ b/stat.py\n@@ -1 +1 @@\n-X = 1\n+X = 2\n")
    assert outcome.how.startswith("the file does not exist (did you mean 'stats.py'")


def test_files_created_by_earlier_blocks_are_candidates_and_deleted_ones_are_not():
    reply = (
        "notes/todo.md\n<<<<<<< SEARCH\n=======\n- a\n>>>>>>> REPLACE\n"
        "--- a/stats.py\n+++ /dev/null\n"
        "path/to/todo.md\n<<<<<<< SEARCH\n- a\n=======\n- b\n>>>>>>> REPLACE\n"
        "path/to/stats.py\n<<<<<<< SEARCH\n- a\n=======\n- b\n>>>>>>> REPLACE\n"
    )
    result = apply_edits(parse_edits(reply), DictTree(TREE))
    todo, stats = result.outcomes[2], result.outcomes[3]
    assert "(did you mean 'notes/todo.md'?)" in todo.how
    assert "(did you mean 'lib/stats.py'?)" in stats.how
