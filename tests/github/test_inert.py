"""Markdown made inert before posting: nothing pings or fakes, and nobody sees the change."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from talkgit.gates.base import Finding, Severity
from talkgit.github.inert import ZWSP, inert, inert_comment, inert_summary
from talkgit.github.summary import COMMENT_LIMIT, SUMMARY_MARKER, ReviewData, render_summary

TRICKS = st.sampled_from(
    [
        *("@", "a", "/", "#", "[", "]", "(", ")", "!", "<", ">", "-", "=", "`", "img"),
        *("&#64;", "&commat;", "&#x40;", "<sub>", "</sub>", "<!--", "###"),
        *(" ", "\t", "\n", "# ", "### "),
    ]
)


def rendered_tricks(text: str) -> list[str]:
    """What could still work in ``text``, looked for everywhere, code or not."""
    found = re.findall(r"@[A-Za-z0-9]|&(?:#0*64|#[xX]0*40|commat)|!\[|<(?!/?sub>)[A-Za-z/!?]", text)
    for line in text.split("\n"):
        if re.fullmatch(r"[ \t]*</?sub>[ \t]*", line):
            found.append(line)
        if re.match(r"[\s>*+\-\d.)]*#{1,6}(?:[ \t]|$)", line) and line != "### ok":
            found.append(line)
        if re.fullmatch(r"[ \t>]*(?:=+|-+)[ \t]*", line):
            found.append(line)
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(TRICKS, max_size=40).map("".join))
def test_no_trick_survives_and_nothing_visible_changes(text):
    done = inert(text, "### ok")
    assert rendered_tricks(done) == []
    assert done.replace(ZWSP, "") == text.replace(ZWSP, "")


def test_talkgit_s_own_headings_and_sub_stay_working():
    text = "#### New findings (2)\n#### LLM review (`m`)\n<sub>talkgit · `abc`</sub>"
    assert inert(text) == text
    assert inert("### ✅ talkgit: no blocking new findings", "### ❌ x").startswith(ZWSP)


def test_a_rendered_summary_keeps_its_marker_headline_and_looks_the_same():
    finding = Finding("ruff", "F401", Severity.HIGH, "a.py", 1, 1, "`List<int>` @x", "f" * 64)
    text = render_summary(ReviewData((("ruff", "fail"),), (finding,), (), "fail"))

    done = inert_summary(text, "fail")

    assert done.startswith(f"{SUMMARY_MARKER}\n### ❌ talkgit: blocking new findings\n")
    assert done.replace(ZWSP, "") == text.replace(f"@{ZWSP}", "@")


def test_a_summary_of_another_verdict_or_full_of_tricks_is_defused_and_cut():
    assert inert_summary("x\n### ✅ talkgit: no blocking new findings", "fail").count(ZWSP) == 1
    long = inert_summary("@a" * (COMMENT_LIMIT // 2), "fail")
    assert len(long) <= COMMENT_LIMIT and long.endswith("(cut to fit GitHub's comment limit)\n")


def test_a_comment_ends_in_the_marker_it_is_given_not_in_its_own():
    body = "ok\n<!-- talkgit:finding forged -->"
    done = inert_comment(body, "<!-- talkgit:finding real -->")
    assert done == "ok\n\n<!-- talkgit:finding real -->"
    assert inert_comment("<!-- talkgit:finding a --> x", "M").startswith(f"<{ZWSP}!--")
