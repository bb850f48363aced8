"""Lookups an agent makes in a real commit's tree, and lookups read out of model text."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkgit.agents.lookup import (
    MAX_MATCHES,
    Lookup,
    Request,
    text_requests,
)
from talkgit.git.repo import GitRepo
from talkgit.git.treeview import CommitTree
from tests.support.gitrepo import git, make_repo

FILES = {
    "src/shop/cart.py": "def total(items):\n    return sum(items)\n\n\ndef count(items):\n"
    "    return len(items)\n",
    "src/shop/stats.py": "import statistics\n\n\ndef mean(values):\n"
    "    return statistics.mean(values)\n",
    "README.md": "# Shop\nTotal is computed by total().\n",
    "data.bin": "\0\1\2",
}


@pytest.fixture
def lookup(tmp_path: Path) -> Lookup:
    root = make_repo(tmp_path / "repo", FILES)
    repo = GitRepo.discover(root)
    return Lookup(CommitTree(repo, git(root, "rev-parse", "HEAD").strip()), lambda text: text)


def test_read_file_shows_the_whole_file_or_the_lines_asked_for(lookup: Lookup) -> None:
    whole = lookup.answer(Request("read_file", {"path": "src/shop/cart.py"}))
    assert whole.startswith("src/shop/cart.py\n```\n") and "return len(items)" in whole
    part = lookup.answer(
        Request("read_file", {"path": "src/shop/cart.py", "start_line": 5, "end_line": 6})
    )
    assert part.startswith("src/shop/cart.py (lines 5-6 of 6)\n")
    assert "def count(items):\n    return len(items)\n```" in part
    assert "def total" not in part


def test_a_wrong_path_is_answered_with_the_real_candidates(lookup: Lookup) -> None:
    answer = lookup.answer(Request("read_file", {"path": "path/to/stats.py"}))
    assert "is not a file of the repository" in answer
    assert "(did you mean 'src/shop/stats.py'?)" in answer


def test_binary_files_and_bad_arguments_are_refused_in_words(lookup: Lookup) -> None:
    assert "binary" in lookup.answer(Request("read_file", {"path": "data.bin"}))
    assert "'path' must be a string" in lookup.answer(Request("read_file", {}))
    bad = lookup.answer(Request("read_file", {"path": "README.md", "start_line": 0}))
    assert "line number" in bad
    invented = lookup.answer(Request("add_code", {"code": "x = 1"}))
    assert invented.startswith("there is no lookup 'add_code': lookups only read")


def test_search_names_path_and_line_case_insensitively(lookup: Lookup) -> None:
    answer = lookup.answer(Request("search", {"text": "TOTAL("}))
    assert answer.splitlines() == [
        "README.md:2: Total is computed by total().",
        "src/shop/cart.py:1: def total(items):",
    ]
    assert "no line" in lookup.answer(Request("search", {"text": "nowhere to be found"}))


def test_search_counts_what_it_does_not_show(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "many", {"log.txt": "hit\n" * (MAX_MATCHES + 7)})
    tree = CommitTree(GitRepo.discover(root), git(root, "rev-parse", "HEAD").strip())
    answer = Lookup(tree, lambda text: text).answer(Request("search", {"text": "hit"}))
    assert len(answer.splitlines()) == MAX_MATCHES + 1
    assert answer.endswith("... and 7 more matches")


def test_list_files_under_a_directory(lookup: Lookup) -> None:
    answer = lookup.answer(Request("list_files", {"directory": "src/shop/"}))
    assert answer.splitlines() == ["src/shop/cart.py", "src/shop/stats.py"]
    assert "no files under 'lib'" in lookup.answer(Request("list_files", {"directory": "lib"}))


def test_answers_go_through_the_limit(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", FILES)
    tree = CommitTree(GitRepo.discover(root), git(root, "rev-parse", "HEAD").strip())
    cut = Lookup(tree, lambda text: text[:10] + "[cut]")
    assert cut.answer(Request("read_file", {"path": "README.md"})) == "README.md\n[cut]"


@pytest.mark.parametrize(
    "text",
    [
        '{"tool": "read_file", "path": "src/app.py"}',
        'First:\n```json\n{"name": "read_file", "arguments": {"path": "src/app.py"}}\n```',
        '<tool_call>\n{"name": "read_file", "arguments": "{\\"path\\": \\"src/app.py\\"}"}'
        "\n</tool_call>",
        '{"type": "function", "function": {"name": "read_file", "parameters": '
        '{"path": "src/app.py"}}}',
    ],
)
def test_lookups_written_as_json_text_are_read(text: str) -> None:
    assert text_requests(text) == [Request("read_file", {"path": "src/app.py"})]


def test_several_lookups_in_order_and_other_json_ignored() -> None:
    text = (
        '{"tool": "search", "text": "def total"}\n'
        '{"tool": "delete_everything"}\n'
        '{"config": {"name": "read_file"}}\n'
        '{"tool": "list_files", "directory": "src"}'
    )
    # An invented tool is asked for (and answered that it does not exist); a "name" key
    # alone, in some other JSON, is not a lookup.
    assert [r.tool for r in text_requests(text)] == ["search", "delete_everything", "list_files"]
    assert text_requests("no lookups here {not json}") == []
