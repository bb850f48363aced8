"""The sticky comment's Markdown: verdicts, findings, provenance, and the 65,000-character cut."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from talkgit.gates.base import Finding, Severity
from talkgit.git.history import CommitInfo
from talkgit.github.diff import LineComment
from talkgit.github.summary import (
    COMMENT_LIMIT,
    MODEL_LABEL,
    SUMMARY_MARKER,
    ReviewData,
    code_span,
    escape,
    model_block,
    render_summary,
)
from talkgit.provenance.read import CommitProvenance
from talkgit.provenance.schema import GateRecord, GitRecord, StepNote, StepRef, UsageRecord
from talkgit.provenance.talkgit_trailers import StepTrailers

WHEN = datetime(2026, 1, 1, tzinfo=timezone.utc)


def commit(sha: str, message: str, author: str = "Test User") -> CommitInfo:
    return CommitInfo(sha, author, "test@example.com", WHEN, message)


def agent_commit(sha: str = "c" * 40) -> CommitProvenance:
    trailers = StepTrailers(
        "20260101a1b2", 1, "fix-fib", "coder", ("openai/gpt-4o-mini",), (("ruff", "pass"),)
    )
    note = StepNote(
        run="20260101a1b2",
        step=StepRef(index=1, id="fix-fib"),
        agent="coder",
        model="openai/gpt-4o-mini",
        prompt_sha256="0" * 64,
        response_sha256="1" * 64,
        usage=UsageRecord(input_tokens=12345, output_tokens=678, cost=Decimal("0.0123"), calls=1),
        git=GitRecord(commit=sha, tree="2" * 40, base="3" * 40),
        gates=(GateRecord(tool="ruff", verdict="pass"), GateRecord(tool="mypy", verdict="fail")),
        started=WHEN,
        finished=WHEN,
    )
    return CommitProvenance(commit(sha, "Fix fib for n < 2\n\nbody"), trailers, note)


def human_commit(message: str = "Tidy the README", author: str = "Ada") -> CommitProvenance:
    return CommitProvenance(commit("d" * 40, message, author), None, None)


def finding(n: int, message: str = "`sys` imported but unused") -> Finding:
    return Finding("ruff", "F401", Severity.MEDIUM, f"pkg/m{n}.py", n + 1, 1, message, f"{n:064x}")


DATA = ReviewData(
    verdicts=(("ruff", "fail"), ("mypy", "pass"), ("pytest", "skip")),
    findings=(finding(1),),
    provenance=(agent_commit(), human_commit()),
    overall="fail",
)


def test_the_comment_starts_with_the_hidden_marker_and_the_overall_verdict():
    text = render_summary(DATA)
    assert text.startswith(SUMMARY_MARKER + "\n### ❌ talkgit: blocking new findings")


def test_a_row_per_gate_with_its_verdict():
    text = render_summary(DATA)
    assert "| ruff | ❌ fail |" in text
    assert "| mypy | ✅ pass |" in text
    assert "| pytest | ⏭️ skip |" in text


def test_new_findings_are_listed_with_location_rule_and_message_as_code():
    text = render_summary(DATA)
    assert "#### New findings (1)" in text
    assert "- `pkg/m1.py:2` **F401** (ruff, medium): `` `sys` imported but unused ``" in text


def test_provenance_tells_agent_commits_from_human_ones_with_models_tokens_cost_gates():
    text = render_summary(DATA)
    assert "#### Provenance: 1 of 2 commits made by agents" in text
    agent_row = next(line for line in text.splitlines() if line.startswith("| `ccccccc`"))
    assert "🤖 coder (`20260101a1b2 01/fix-fib`)" in agent_row
    assert "`openai/gpt-4o-mini`" in agent_row
    assert "12,345 / 678" in agent_row and "$0.0123" in agent_row
    assert "ruff=pass mypy=fail" in agent_row  # the note's gates, fuller than the trailer's
    human_row = next(line for line in text.splitlines() if line.startswith("| `ddddddd`"))
    assert "👤 `Ada`" in human_row
    assert "Agents' total: 12,345 tokens in, 678 out, $0.0123." in text


def test_a_commit_with_unreadable_provenance_says_why():
    broken = CommitProvenance(commit("e" * 40, "x"), None, None, problem="note: 2 invalid field(s)")
    text = render_summary(ReviewData((), (), (broken,), "pass"))
    assert "⚠️ `note: 2 invalid field(s)`" in text


def test_author_text_cannot_break_the_table_mention_people_or_forge_markers():
    sneaky = human_commit(
        "@octocat | <!-- talkgit:summary --> <img src=x>", author="Eve | @org/team"
    )
    data = ReviewData((), (finding(1, "hi @admin\n<!-- x -->"),), (sneaky,), "warn")

    text = render_summary(data)

    row = next(line for line in text.splitlines() if line.startswith("| `ddddddd`"))
    assert row.count("|") == 7  # six cells: no bar from the author's text split the row
    assert all(re.search(r"`[^`]*@", line) for line in text.splitlines() if "@" in line)


def test_the_llm_summary_is_a_labelled_fenced_block_with_nothing_rendered():
    data = ReviewData(
        (("ruff", "pass"),),
        (),
        (),
        "pass",
        llm_comments=(LineComment("a.py", 1, "x"),),
        llm_summary="Looks fine, @octocat.\n<!-- talkgit:summary --><script>\n```\n# ✅ merge",
        llm_model="openai/gpt-4o-mini",
        llm_omitted=("big.json",),
    )

    text = render_summary(data)

    assert "#### LLM review (`openai/gpt-4o-mini`)" in text
    block = text[text.index(MODEL_LABEL) :]
    assert block.startswith(f"{MODEL_LABEL}\n\n````text\nLooks fine, @\u200boctocat.\n")
    assert "\n<\u200b!-- talkgit:summary --><script>\n```\n# ✅ merge\n````\n" in block
    assert text.count(SUMMARY_MARKER) == 1
    assert "1 comments on changed lines." in text
    assert "Left out of the LLM review (token budget): `big.json`." in text


def test_a_model_block_wraps_long_lines_and_cannot_be_closed_from_inside():
    words = " ".join(["word"] * 60)
    block = model_block(f"{words}\n\n`````\nafter")
    lines = block.splitlines()
    assert lines[0] == "``````text" and lines[-1] == "``````"
    assert all(len(line) <= 100 for line in lines)
    assert "" in lines and "`````" in lines  # paragraphs kept, the inner fence is just text


def test_the_footer_links_the_run_and_names_the_head():
    text = render_summary(DATA, run_url="https://github.com/o/r/actions/runs/1", head_sha="f" * 40)
    assert "head `fffffff`" in text
    assert "[workflow run](https://github.com/o/r/actions/runs/1)" in text


def test_no_findings_and_no_gates_say_so():
    text = render_summary(ReviewData((), (), (), "skip"))
    assert "No gate ran." in text and "No new findings." in text


def test_thousands_of_findings_and_commits_fit_under_the_limit_with_visible_cuts():
    data = ReviewData(
        (("ruff", "fail"),),
        tuple(finding(n, "m" * 300) for n in range(2000)),
        tuple(agent_commit(f"{n:040x}") for n in range(500)),
        "fail",
    )

    text = render_summary(data)

    assert len(text) <= COMMENT_LIMIT
    shown = sum(1 for line in text.splitlines() if line.startswith("- `pkg/m"))
    assert 0 < shown < 2000
    assert f"- … {2000 - shown} more new findings" in text
    rows = sum(1 for line in text.splitlines() if re.match(r"\| `[0-9a-f]{7}`", line))
    assert 0 < rows < 500
    assert f"| … {500 - rows} more commits |" in text


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(0, 400),
    size=st.integers(1, 2000),
    limit=st.integers(2_000, COMMENT_LIMIT),
)
def test_any_report_fits_its_limit_and_counts_what_it_left_out(count, size, limit):
    data = ReviewData(
        (("ruff", "fail"),), tuple(finding(n, "x" * size) for n in range(count)), (), "fail"
    )

    text = render_summary(data, limit=limit)

    assert len(text) <= limit and text.endswith("\n")
    shown = sum(1 for line in text.splitlines() if line.startswith("- `pkg/m"))
    more = re.search(r"- … (\d+) more new findings", text)
    assert shown + (int(more.group(1)) if more else 0) == count


def test_a_limit_below_the_fixed_parts_still_holds_with_a_visible_cut():
    text = render_summary(DATA, limit=120)
    assert len(text) == 120
    assert text.endswith("… (cut to fit GitHub's comment limit)\n")


def test_code_span_survives_backticks_and_bars_and_cuts_long_text():
    assert code_span("a ` b") == "``a ` b``"
    assert code_span("`x`") == "`` `x` ``"
    assert code_span("a | b") == "`a ¦ b`"
    assert code_span("abcdef", 4) == "`abc…`"


def test_escape_leaves_no_markdown_entity_or_mention_working():
    assert escape("# @team [x](y) &#64;bob <b>") == (
        "\\# @\u200bteam \\[x\\](y) \\&\\#64;bob \\<b\\>"
    )
