"""The map as text: files with their symbols in rank order, never over the token budget."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talkgit.repomap.index import RepoIndex, assemble
from talkgit.repomap.render import SYMBOLS_PER_FILE, render_map
from talkgit.repomap.symbols import FileSymbols, Symbol


def characters(text: str) -> int:
    """About what a BPE tokenizer gives on code: four characters a token."""
    return len(text) // 4


def words_and_marks(text: str) -> int:
    """A word tokenizer: every word and every punctuation mark is a token."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def symbol(name: str, kind: str = "function", line: int = 1) -> Symbol:
    head = {"function": "def", "method": "def", "class": "class"}.get(kind, "")
    return Symbol(name, kind, line, f"{head} {name}(self, value: int) -> str".strip())


def index_of(files: Mapping[str, tuple[Symbol, ...]]) -> RepoIndex:
    found = {path: FileSymbols(symbols) for path, symbols in files.items()}
    return assemble("0" * 40, sorted(files), found)


MANY: dict[str, tuple[Symbol, ...]] = {
    f"src/module_{n:04d}.py": (symbol(f"work_{n}"), symbol(f"Thing{n}", "class"))
    for n in range(300)
}
MANY.update({f"assets/image_{n:03d}.png": () for n in range(50)})


def test_files_come_with_their_symbols_indented_methods_one_step_further():
    index = index_of(
        {
            "app/models.py": (
                Symbol("LIMIT", "constant", 1, "LIMIT = 3"),
                Symbol("Order", "class", 3, "class Order(Base)"),
                Symbol("total", "method", 4, "def total(self) -> int"),
                Symbol("load", "function", 9, "def load(path: str) -> Order"),
            ),
            "README.md": (),
        }
    )

    text = render_map(index, ["app/models.py", "README.md"], 1000, characters)

    assert text == (
        "app/models.py\n"
        "  LIMIT = 3\n"
        "  class Order(Base)\n"
        "    def total(self) -> int\n"
        "  def load(path: str) -> Order\n"
        "README.md"
    )


def test_files_follow_the_ranking_and_a_cut_map_says_how_many_were_left_out():
    index = index_of(MANY)
    ranked = sorted(MANY, reverse=True)

    text = render_map(index, ranked, 500, characters)

    lines = text.splitlines()
    shown_paths = [
        line for line in lines if not line.startswith(" ") and not line.startswith("...")
    ]
    assert shown_paths == ranked[: len(shown_paths)]
    assert lines[-1] == f"... and {len(ranked) - len(shown_paths)} more files"
    assert characters(text) <= 500


def test_bare_paths_fill_the_room_the_next_whole_file_would_not():
    big = tuple(symbol(f"step_{n}") for n in range(SYMBOLS_PER_FILE))
    index = index_of(
        {"a/first.py": (symbol("one"),), "b/huge.py": big, "c/small.py": (symbol("two"),)}
    )

    text = render_map(index, ["a/first.py", "b/huge.py", "c/small.py"], 40, characters)

    assert text.splitlines() == [
        "a/first.py",
        "  def one(self, value: int) -> str",
        "b/huge.py",
        "c/small.py",
    ]


def test_the_whole_map_when_it_fits():
    index = index_of({"a.py": (symbol("one"),), "b.py": ()})

    assert render_map(index, ["a.py", "b.py"], 10_000, characters).splitlines()[-1] == "b.py"


def test_nothing_when_not_even_the_count_of_files_fits():
    index = index_of(MANY)

    assert render_map(index, sorted(MANY), 3, characters) == ""
    assert render_map(index, [], 0, characters) == ""


def test_a_file_with_many_symbols_shows_its_top_level_ones_first_then_says_how_many_more():
    symbols: tuple[Symbol, ...] = (symbol("Big", "class", 1),)
    symbols += tuple(symbol(f"__dunder{n}__", "method", 2 + n) for n in range(20))
    symbols += tuple(symbol(f"public_{n}", "method", 30 + n) for n in range(SYMBOLS_PER_FILE))
    symbols += (symbol("helper", "function", 100),)
    index = index_of({"big.py": symbols})

    lines = render_map(index, ["big.py"], 100_000, characters).splitlines()

    assert lines[1] == "  class Big(self, value: int) -> str"
    assert lines[-2] == "  def helper(self, value: int) -> str"
    assert lines[-1] == f"  ... {len(symbols) - SYMBOLS_PER_FILE} more"
    assert not any("__dunder" in line for line in lines)


def test_a_name_with_a_newline_is_shown_quoted():
    index = index_of({"evil\nname.py": (symbol("one"),)})

    text = render_map(index, ["evil\nname.py"], 100, characters)

    assert text.splitlines()[0] == '"evil\\nname.py"'


def test_tokens_are_counted_a_logarithmic_number_of_times():
    index = index_of(MANY)
    calls = []

    def counting(text: str) -> int:
        calls.append(text)
        return characters(text)

    render_map(index, sorted(MANY), 2000, counting)

    assert len(calls) <= 4 * math.ceil(math.log2(len(MANY))) + 2
    assert max(len(text) for text in calls) < 4 * 2000 * 2 + 200  # no probe renders it all


@settings(max_examples=60, deadline=None)
@given(
    budget=st.integers(min_value=0, max_value=3000),
    counter=st.sampled_from([characters, words_and_marks]),
    order=st.randoms(use_true_random=False),
)
def test_the_budget_is_never_exceeded(budget, counter, order):
    index = index_of(MANY)
    ranked = sorted(MANY)
    order.shuffle(ranked)

    text = render_map(index, ranked, budget, counter)

    assert counter(text) <= budget
    if text and len(text.splitlines()) < len(ranked):
        assert re.fullmatch(r"\.\.\. and \d+ more files", text.splitlines()[-1])


@pytest.mark.parametrize("budget", [50, 400, 4000])
def test_a_bigger_budget_shows_more_files(budget):
    index = index_of(MANY)

    smaller = render_map(index, sorted(MANY), budget, words_and_marks)
    bigger = render_map(index, sorted(MANY), budget * 2, words_and_marks)

    assert len(bigger.splitlines()) > len(smaller.splitlines())
