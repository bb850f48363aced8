from __future__ import annotations

import pytest

from talkgit.edits.locate import Match, Refusal, fuzzy, indent_shift, literal

TWINS = [
    "def width_of(box):",
    "    size = box.size",
    "    return size.width",
    "",
    "",
    "def height_of(box):",
    "    size = box.size",
    "    return size.height",
]


# -- literal: exact, then whitespace; line numbers only pick between equal places


def test_exact_before_whitespace():
    assert literal(["  a", "a"], ["a"], what="SEARCH") == Match(1, 2, "exact")
    assert literal(["  a", "b"], ["a"], what="SEARCH") == Match(0, 1, "whitespace")


def test_nothing_found_is_none():
    assert literal(["a"], ["b"], what="SEARCH") is None


def test_a_line_number_picks_the_place_it_names():
    assert literal(["a", "b", "a"], ["a"], hint=2, what="hunk") == Match(2, 3, "exact")


def test_a_line_number_that_names_no_place_picks_none():
    with pytest.raises(Refusal) as refused:
        literal(["a", "b", "a", "c"], ["a"], hint=1, what="hunk 1 of 1 (line 2)")
    assert refused.value.reason.startswith(
        "hunk 1 of 1 (line 2) matches 2 places (starting at lines 1, 3), "
        "and its line number is none of them"
    )


def test_a_unique_place_wins_over_a_wrong_line_number():
    assert literal(["a", "b", "c"], ["b"], hint=40, what="hunk") == Match(1, 2, "exact")


def test_places_before_after_do_not_count():
    assert literal(["a", "b", "a"], ["a"], after=1, what="hunk") == Match(2, 3, "exact")
    assert literal(["a", "b"], ["a"], after=1, what="hunk") is None


def test_uneven_indentation_is_refused():
    bodies = ["def f():", "    return 1"]
    with pytest.raises(Refusal, match="not by the same amount on every line"):
        literal(bodies, ["def f():", "return 1"], what="SEARCH")
    assert literal(bodies, ["  def f():", "      return 1"], what="SEARCH") == Match(
        0, 2, "whitespace"
    )


def test_indent_shift():
    assert indent_shift(["a", "  b"], ["    a", "      b"]) == ("", "    ")
    assert indent_shift(["  a", "b"], ["    a", "  b"]) == ("  ", "    ")
    assert indent_shift(["a", "  b"], ["a", "b"]) is None
    assert indent_shift(["a", "", "  b"], ["\ta", "", "\t  b"]) == ("", "\t")


def test_only_lines_that_say_the_same_tell_the_indentation():
    # Deleting the "x" of "    x += 1" leaves five spaces, not a line moved by one.
    assert indent_shift(["def f():", "     += 1"], ["def f():", "    x += 1"]) == ("", "")
    assert indent_shift(["     += 1"], ["    x += 1"]) is None
    assert indent_shift(["    += 1"], ["    x += 1"]) == ("", "")


def test_lines_pair_as_difflib_aligns_them_when_the_counts_differ():
    assert indent_shift(["a", "b"], ["  a", "  x", "  b"]) == ("", "  ")


# -- fuzzy: one clear place or none


def test_a_typo_matches_fuzzily():
    search = ["def height_of(box):", "    size = box.size", "    return size.heigth"]
    match = fuzzy(TWINS, search, 0.8, what="SEARCH")
    assert (match.start, match.end) == (5, 8)
    assert match.how.startswith("fuzzy 0.9")


def test_two_places_about_as_similar_are_refused():
    # Once applied to one of the two: a typo decided which function was rewritten.
    search = ["def heigth_of(box):", "    size = box.size", "    return size.widht"]
    with pytest.raises(Refusal) as refused:
        fuzzy(TWINS, search, 0.8, what="SEARCH")
    assert refused.value.reason == (
        "SEARCH is about as similar to several places (lines 1\N{EN DASH}3 (0.93), "
        "lines 6\N{EN DASH}8 (0.94)): copy its lines exactly from the file, "
        "with unchanged lines around them"
    )


def test_a_rival_within_the_margin_is_refused_even_when_not_equal():
    base = ["alpha = compute(1, 2, 3)", "beta = compute(4, 5, 6)", "gamma = 0"]
    other = ["alpha = compute(1, 2, 3)", "beta = compute(4, 5, 7)", "gamma = 0"]
    search = ["alpha = compute(1, 2, 3)", "beta = compute(4, 5, 8)", "gamma = 1"]
    with pytest.raises(Refusal, match="about as similar to several places"):
        fuzzy([*base, "", "x = 1", "", *other], search, 0.8, what="SEARCH")


def test_a_clearly_better_place_is_not_refused():
    search = ["alpha = compute(1, 2, 3)", "beta = compute(4, 5, 6)", "gamma = 9"]
    far = ["alpha = other()", "beta = compute(0)", "gamma = 9"]
    bodies = ["alpha = compute(1, 2, 3)", "beta = compute(4, 5, 6)", "gamma = 0", "", *far]
    match = fuzzy(bodies, search, 0.8, what="SEARCH")
    assert (match.start, match.end) == (0, 3)


def test_a_window_of_the_same_length_is_preferred_to_one_with_a_blank_line_more():
    bodies = ["def f(x):", "    return x + 1", "", "", "def g():", "    pass"]
    match = fuzzy(bodies, ["def f(x):", "    return x + 2"], 0.8, what="SEARCH")
    assert (match.start, match.end) == (0, 2)
    match = fuzzy(bodies, ["def f(x):", "    return x + 2", ""], 0.8, what="SEARCH")
    assert (match.start, match.end) == (0, 3)


def test_a_fuzzy_match_with_uneven_indentation_is_refused():
    bodies = ["class A:", "    def f(self):", "        return 1"]
    with pytest.raises(Refusal, match="not by the same amount"):
        fuzzy(bodies, ["class A:", "def f(self):", "    return 2"], 0.7, what="SEARCH")


def test_fuzzy_looks_only_after_after():
    search = ["def height_of(box):", "    size = box.size", "    return size.heigth"]
    assert fuzzy(TWINS, search, 0.8, after=5, what="SEARCH").start == 5
