"""talkgit's trailers for steps and run summaries: rendering, round trips, malformed claims."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talkgit.errors import TalkgitError
from talkgit.git.trailers import Trailer, add_trailers, format_trailers, parse_trailers
from talkgit.provenance.talkgit_trailers import (
    MISPLACED,
    ProvenanceError,
    RunTrailers,
    StepTrailers,
    TrailerProblem,
    check_talkgit_trailers,
    read_talkgit_trailers,
    verdict_line,
)

STEP = StepTrailers(
    run_id="a1b2c3d4",
    step_index=3,
    step_id="write-tests",
    agent="coder",
    models=("openai/gpt-4o", "anthropic/claude-3-5-sonnet-20240620"),
    gates=(("ruff", "pass"), ("mypy", "pass"), ("bandit", "warn"), ("pytest", "fail")),
)
RENDERED = """\
Talkgit-Run: a1b2c3d4
Talkgit-Step: 03/write-tests
Talkgit-Agent: coder
Assisted-by: talkgit-coder:openai/gpt-4o
Assisted-by: talkgit-coder:anthropic/claude-3-5-sonnet-20240620
Talkgit-Gates: ruff=pass mypy=pass bandit=warn pytest=fail
"""
GOOD = """\
Talkgit-Run: a1b2c3d4
Talkgit-Step: 03/write-tests
Talkgit-Agent: coder
Assisted-by: talkgit-coder:openai/gpt-4o"""


def git_log_trailers(repo: Path, message: str) -> list[Trailer]:
    """Commit ``message`` with the git CLI and read its trailers back with ``git log``."""

    def git(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, input=stdin, capture_output=True, text=True, check=True
        )
        return done.stdout

    git("commit", "-q", "--allow-empty", "-F", "-", stdin=message)
    printed = git("log", "-1", "--format=%(trailers:only,unfold)")
    return [Trailer(*line.split(": ", 1)) for line in printed.splitlines() if line]


def trailers_of(text: str) -> list[Trailer]:
    """``Key: value`` lines as trailers, without git: from_trailers takes any list."""
    pairs = [line.partition(":")[::2] for line in text.splitlines()]
    return [Trailer(key, value.strip()) for key, value in pairs]


# --- rendering ------------------------------------------------------------------------------


def test_renders_exactly_the_contract() -> None:
    assert format_trailers(STEP.to_trailers()) == RENDERED


def test_no_gates_no_gates_trailer() -> None:
    step = StepTrailers("a1b2c3d4", 12, "plan", "planner", ("scripted/demo",))
    assert [t.key for t in step.to_trailers()] == [
        "Talkgit-Run",
        "Talkgit-Step",
        "Talkgit-Agent",
        "Assisted-by",
    ]
    assert step.to_trailers()[1] == Trailer("Talkgit-Step", "12/plan")


def test_no_model_no_assisted_by_and_it_reads_back() -> None:
    step = StepTrailers("a1b2c3d4", 2, "log", "changelog", ())
    assert format_trailers(step.to_trailers()) == (
        "Talkgit-Run: a1b2c3d4\nTalkgit-Step: 02/log\nTalkgit-Agent: changelog\n"
    )
    assert StepTrailers.from_trailers(step.to_trailers()) == step


def test_the_verdict_line_is_the_gates_trailer() -> None:
    pairs = (("ruff", "pass"), ("mypy", "fail"))
    assert verdict_line(pairs) == verdict_line(dict(pairs)) == "ruff=pass mypy=fail"
    assert verdict_line(STEP.gates) == RENDERED.splitlines()[-1].removeprefix("Talkgit-Gates: ")
    assert verdict_line(()) == ""


def test_a_step_commit_reads_back_with_plain_git(repo: Path) -> None:
    message = add_trailers("Write the tests\n\nCovers the parser.\n", STEP.to_trailers())
    logged = git_log_trailers(repo, message)
    assert logged == trailers_of(RENDERED)
    assert StepTrailers.from_trailers(logged) == STEP


# --- round trips ----------------------------------------------------------------------------

NAME = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}", fullmatch=True)
steps = st.builds(
    StepTrailers,
    run_id=st.from_regex(r"[0-9a-z]{4,32}", fullmatch=True),
    step_index=st.integers(0, 250),
    step_id=st.from_regex(r"[a-z0-9][a-z0-9._-]{0,62}", fullmatch=True),
    agent=NAME,
    models=st.lists(
        st.from_regex(r"[a-z0-9][a-z0-9._-]{0,10}/[!-~]{1,30}", fullmatch=True), max_size=3
    ).map(tuple),
    gates=st.lists(
        st.tuples(NAME, st.sampled_from(["pass", "fail", "warn", "skip", "error"])),
        max_size=5,
        unique_by=lambda gate: gate[0],
    ).map(tuple),
)
bodies = st.sampled_from(
    ["", "\n\nA body.\n", "\n\nFixes: #1\nin the body\n", "\n\nReviewed-by: R <r@example.com>\n"]
)


@settings(max_examples=60, deadline=None)
@given(step=steps, body=bodies)
def test_round_trip_through_a_message(step: StepTrailers, body: str) -> None:
    trailers = step.to_trailers()
    assert "Signed-off-by" not in {t.key for t in trailers}
    assert StepTrailers.from_trailers(trailers) == step
    message = add_trailers("Subject" + body, trailers)
    assert StepTrailers.from_trailers(parse_trailers(message)) == step
    assert check_talkgit_trailers(message) == []


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(step=steps)
def test_round_trip_through_a_real_commit(repo: Path, step: StepTrailers) -> None:
    message = add_trailers("Subject\n\nBody.\n", step.to_trailers())
    assert StepTrailers.from_trailers(git_log_trailers(repo, message)) == step


# --- reading: human commits and malformed claims --------------------------------------------


@pytest.mark.parametrize(
    "trailers",
    [
        "",
        "Signed-off-by: A <a@example.com>",
        "Assisted-by: Claude:claude-3-opus",
        "Assisted-by: talkgit-coder:openai/gpt-4o",  # a copy of one line claims no step
    ],
)
def test_a_human_commit_is_none(trailers: str) -> None:
    assert StepTrailers.from_trailers(trailers_of(trailers)) is None


def test_keys_match_case_insensitively_and_others_assisted_by_is_ignored() -> None:
    text = GOOD.lower().replace("assisted-by", "ASSISTED-BY") + "\nAssisted-by: Claude:opus"
    step = StepTrailers.from_trailers(trailers_of(text))
    assert step == StepTrailers("a1b2c3d4", 3, "write-tests", "coder", ("openai/gpt-4o",))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("Talkgit-Step: 03/write-tests", "Talkgit-Step: 3/write-tests"), "not <NN>/<step-id>"),
        (("Talkgit-Step: 03/write-tests", "Talkgit-Step: 003/write-tests"), "not <NN>/<step-id>"),
        (("Talkgit-Step: 03/write-tests", "Talkgit-Step: 03-write-tests"), "not <NN>/<step-id>"),
        (("Talkgit-Step: 03/write-tests", "Talkgit-Step: 03/"), "step id ''"),
        (("Talkgit-Step: 03/write-tests", "Talkgit-Step: 03/Write Tests"), "step id"),
        (("Talkgit-Run: a1b2c3d4", "Talkgit-Run: A1B2"), "not a run id"),
        (("Talkgit-Agent: coder\n", ""), "missing Talkgit-Agent"),
        (("Talkgit-Run: a1b2c3d4\n", ""), "missing Talkgit-Run"),
        (("Talkgit-Agent: coder", "Talkgit-Agent: co:der"), "agent 'co:der' must be"),
        (("Talkgit-Run: a1b2c3d4", "Talkgit-Run: a1b2c3d4\nTalkgit-Run: ffff"), "repeated"),
        (("Talkgit-Run: a1b2c3d4", "Talkgit-Run: a1b2c3d4\nTalkgit-Cost: 3"), "unknown talkgit"),
        (("talkgit-coder:openai/gpt-4o", "talkgit-tester:openai/gpt-4o"), "names agent 'tester'"),
        (("talkgit-coder:openai/gpt-4o", "talkgit-coder"), "not talkgit-<agent>:<model>"),
        (("talkgit-coder:openai/gpt-4o", "talkgit-coder:gpt-4o"), "<provider>/<model>"),
        (("Talkgit-Agent: coder", "Talkgit-Agent: coder\nTalkgit-Gates:"), "empty"),
        (("Talkgit-Agent: coder", "Talkgit-Agent: coder\nTalkgit-Gates: ruff=ok"), "verdict 'ok'"),
        (("Talkgit-Agent: coder", "Talkgit-Agent: coder\nTalkgit-Gates: ruff"), "<tool>=<verdict>"),
        (("Talkgit-Agent: coder", "Talkgit-Agent: coder\nTalkgit-Gates: a=pass a=fail"), "twice"),
    ],
)
def test_malformed_claims_raise(change: tuple[str, str], reason: str) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(ProvenanceError, match=reason) as caught:
        StepTrailers.from_trailers(trailers_of(text))
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, TalkgitError)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"step_index": -1}, "step index"),
        ({"step_index": True}, "step index"),
        ({"run_id": "not a run"}, "run id"),
        ({"step_id": "Upper"}, "step id"),
        ({"agent": ""}, "agent"),
        ({"models": ("gpt-4o",)}, "provider"),
        ({"models": ("openai/gpt 4o",)}, "provider"),
        ({"gates": (("ruff", "passed"),)}, "verdict"),
        ({"gates": (("ruff", "pass"), ("ruff", "fail"))}, "twice"),
    ],
)
def test_fields_that_cannot_be_rendered_are_refused(fields: dict[str, object], reason: str) -> None:
    good: dict[str, object] = {
        "run_id": "a1b2c3d4",
        "step_index": 1,
        "step_id": "plan",
        "agent": "coder",
        "models": (),
    }
    with pytest.raises(ProvenanceError, match=reason):
        StepTrailers(**{**good, **fields})  # type: ignore[arg-type]


# --- the commit-msg check -------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "Subject\n\nA human wrote this.\n",
        "Subject\n\nBody\n\nSigned-off-by: A <a@example.com>\n",
        "Subject\n\nBody\n\n" + GOOD + "\n",
        "Subject\n\nBody\n\n" + GOOD + "\n# Talkgit-Run: commented out\n",
        "Subject\n\n# Talkgit-Run: a comment\nBody\n",
    ],
)
def test_check_accepts_human_and_correct_messages(message: str) -> None:
    assert check_talkgit_trailers(message) == []


def test_check_reports_each_problem_on_its_line() -> None:
    message = (
        "Add the parser\n"  # 1
        "\n"
        "Body text.\n"  # 3
        "\n"
        "Talkgit-Run: a1b2c3d4\n"  # 5
        "Talkgit-Step: 3/parse\n"  # 6
        "Talkgit-Agent: coder\n"  # 7
        "Assisted-by: talkgit-tester:openai/gpt-4o\n"  # 8
        "Talkgit-Gates: ruff=pass mypy=ok\n"  # 9
    )
    problems = check_talkgit_trailers(message)
    assert [(p.line, p.text) for p in problems] == [
        (6, "Talkgit-Step: 3/parse"),
        (8, "Assisted-by: talkgit-tester:openai/gpt-4o"),
        (9, "Talkgit-Gates: ruff=pass mypy=ok"),
    ]
    assert "not <NN>/<step-id>" in problems[0].reason
    assert "names agent 'tester'" in problems[1].reason
    assert "unknown verdict 'ok'" in problems[2].reason


def test_check_reports_a_missing_trailer_on_the_first_talkgit_line() -> None:
    message = "S\n\nReviewed-by: R <r@e.com>\nTalkgit-Run: a1b2c3d4\nTalkgit-Gates: ruff=pass\n"
    assert check_talkgit_trailers(message) == [
        TrailerProblem(4, "Talkgit-Run: a1b2c3d4", "missing Talkgit-Step"),
        TrailerProblem(4, "Talkgit-Run: a1b2c3d4", "missing Talkgit-Agent"),
    ]


def test_check_reports_talkgit_lines_git_does_not_read_as_trailers() -> None:
    message = "Subject\n\n" + GOOD + "\n\nA closing paragraph after them.\n"
    problems = check_talkgit_trailers(message)
    assert [(p.line, p.reason) for p in problems] == [
        (3, MISPLACED),
        (4, MISPLACED),
        (5, MISPLACED),
    ]  # git reads no trailers at all here, and Assisted-by alone claims nothing


def test_check_reports_trailers_only_one_of_gits_readers_sees() -> None:
    before_divider = "Subject\n\n" + GOOD + "\n---\nnotes after a divider\n"
    after_divider = "Subject\n\nBody\n--- a/x.py\n\n" + GOOD + "\n"
    for message in (before_divider, after_divider):
        problems = check_talkgit_trailers(message)
        assert {p.reason for p in problems} == {MISPLACED}, message
        assert [p.text for p in problems] == [
            line for line in GOOD.splitlines() if line.startswith("Talkgit")
        ]


def test_check_reads_folded_values_as_git_does() -> None:
    message = "Subject\n\n" + GOOD.replace("a1b2c3d4", "a1b2\n c3d4") + "\n"
    [problem] = check_talkgit_trailers(message)
    assert (problem.line, problem.text) == (3, "Talkgit-Run: a1b2")
    assert "'a1b2 c3d4'" in problem.reason


# --- run summaries: the commit `talkgit finish` makes ---------------------------------------

SUMMARY = RunTrailers(
    run_id="a1b2c3d4",
    steps=3,
    tokens=1234,
    cost=Decimal("0.0123"),
    assisted=(
        ("planner", "openai/gpt-4o"),
        ("coder", "openai/gpt-4o"),
        ("coder", "anthropic/claude-3-5-sonnet-20240620"),
    ),
)
SUMMARY_RENDERED = """\
Assisted-by: talkgit-planner:openai/gpt-4o
Assisted-by: talkgit-coder:openai/gpt-4o
Assisted-by: talkgit-coder:anthropic/claude-3-5-sonnet-20240620
Talkgit-Run: a1b2c3d4
Talkgit-Steps: 3
Talkgit-Tokens: 1234
Talkgit-Cost: 0.0123 USD
"""


def test_a_run_summary_renders_exactly_the_contract() -> None:
    assert format_trailers(SUMMARY.to_trailers()) == SUMMARY_RENDERED


def test_a_run_summary_reads_back_with_plain_git(repo: Path) -> None:
    message = add_trailers("Fix the greeting\n\nSteps:\n- 01 fix\n", SUMMARY.to_trailers())
    logged = git_log_trailers(repo, message)
    assert logged == trailers_of(SUMMARY_RENDERED)
    assert RunTrailers.from_trailers(logged) == SUMMARY
    assert read_talkgit_trailers(logged) == SUMMARY
    assert check_talkgit_trailers(message) == []


def test_steps_and_run_summaries_are_told_apart() -> None:
    summary, step = trailers_of(SUMMARY_RENDERED), trailers_of(GOOD)
    assert StepTrailers.from_trailers(summary) is None
    assert RunTrailers.from_trailers(step) is None
    assert isinstance(read_talkgit_trailers(step), StepTrailers)
    for human in ("", "Assisted-by: talkgit-coder:openai/gpt-4o", "Signed-off-by: A <a@b.c>"):
        assert RunTrailers.from_trailers(trailers_of(human)) is None
        assert read_talkgit_trailers(trailers_of(human)) is None


def test_a_malformed_summary_is_no_step_and_a_fault_for_the_others() -> None:
    broken = trailers_of(SUMMARY_RENDERED.replace("0.0123 USD", "lots"))
    assert StepTrailers.from_trailers(broken) is None  # log and blame must keep reading
    with pytest.raises(ProvenanceError, match="Talkgit-Cost: 'lots' is not <decimal> USD"):
        RunTrailers.from_trailers(broken)
    with pytest.raises(ProvenanceError, match="not <decimal> USD"):
        read_talkgit_trailers(broken)


costs = st.decimals(min_value=0, max_value=10**6, allow_nan=False, places=6)
summaries = st.builds(
    RunTrailers,
    run_id=st.from_regex(r"[0-9a-z]{4,32}", fullmatch=True),
    steps=st.integers(0, 10**4),
    tokens=st.integers(0, 10**12),
    cost=costs.filter(lambda cost: not cost.is_signed()),
    assisted=st.lists(
        st.tuples(NAME, st.from_regex(r"[a-z0-9][a-z0-9._-]{0,10}/[!-~]{1,30}", fullmatch=True)),
        max_size=4,
        unique=True,
    ).map(tuple),
)


@settings(max_examples=60, deadline=None)
@given(summary=summaries, body=bodies)
def test_run_summaries_round_trip_through_a_message(summary: RunTrailers, body: str) -> None:
    trailers = summary.to_trailers()
    assert "Signed-off-by" not in {t.key for t in trailers}
    message = add_trailers("Subject" + body, trailers)
    assert RunTrailers.from_trailers(parse_trailers(message)) == summary
    assert StepTrailers.from_trailers(parse_trailers(message)) is None
    assert check_talkgit_trailers(message) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("Talkgit-Cost: 0.0123 USD\n", ""), "missing Talkgit-Cost"),
        (("Talkgit-Steps: 3\n", ""), "missing Talkgit-Steps"),
        (("Talkgit-Run: a1b2c3d4\n", ""), "missing Talkgit-Run"),
        (("Tokens: 1234", "Tokens: 1,234"), "Talkgit-Tokens: '1,234' is not a whole number"),
        (("Tokens: 1234", "Tokens: 01234"), "not a whole number"),
        (("Steps: 3", "Steps: -3"), "not a whole number"),
        (("0.0123 USD", "0.0123"), "not <decimal> USD"),
        (("0.0123 USD", "0.0123 EUR"), "not <decimal> USD"),
        (("0.0123 USD", "-1 USD"), "not <decimal> USD"),
        (("0.0123 USD", "1e3 USD"), "not <decimal> USD"),
        (("Talkgit-Steps: 3", "Talkgit-Steps: 3\nTalkgit-Steps: 4"), "Talkgit-Steps is repeated"),
        (("Talkgit-Steps: 3", "Talkgit-Steps: 3\nTalkgit-Review: ok"), "unknown talkgit trailer"),
        (("talkgit-planner:openai/gpt-4o", "talkgit-planner"), "not talkgit-<agent>:<model>"),
        (("talkgit-planner:openai/gpt-4o", "talkgit-planner:gpt-4o"), "<provider>/<model>"),
        (("talkgit-planner:", "talkgit-coder:"), "is repeated"),
    ],
)
def test_malformed_summaries_raise(change: tuple[str, str], reason: str) -> None:
    text = SUMMARY_RENDERED.replace(*change)
    assert text != SUMMARY_RENDERED
    with pytest.raises(ProvenanceError, match=reason) as caught:
        RunTrailers.from_trailers(trailers_of(text))
    assert "\n" not in str(caught.value)
    problems = check_talkgit_trailers("Subject\n\n" + text)
    assert problems and reason.split(":")[0] in " ".join(p.reason for p in problems)


def test_a_step_with_a_run_total_is_a_malformed_step() -> None:
    text = GOOD + "\nTalkgit-Tokens: 12"
    with pytest.raises(ProvenanceError, match="'Talkgit-Tokens' on a step commit"):
        StepTrailers.from_trailers(trailers_of(text))
    assert RunTrailers.from_trailers(trailers_of(text)) is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"steps": -1}, "steps"),
        ({"steps": True}, "steps"),
        ({"tokens": -5}, "tokens"),
        ({"cost": Decimal("-0.01")}, "cost"),
        ({"cost": Decimal("-0")}, "cost"),
        ({"cost": Decimal("NaN")}, "cost"),
        ({"cost": Decimal("Infinity")}, "cost"),
        ({"cost": 0.5}, "cost"),
        ({"run_id": "Not-A-Run"}, "run id"),
        ({"assisted": (("coder", "gpt-4o"),)}, "provider"),
        ({"assisted": (("co der", "openai/gpt-4o"),)}, "agent"),
        ({"assisted": (("coder", "openai/x"), ("coder", "openai/x"))}, "only once"),
    ],
)
def test_summary_fields_that_cannot_be_rendered_are_refused(
    fields: dict[str, object], reason: str
) -> None:
    good: dict[str, object] = {"run_id": "a1b2c3d4", "steps": 1, "tokens": 2, "cost": Decimal(0)}
    with pytest.raises(ProvenanceError, match=reason):
        RunTrailers(**{**good, **fields})  # type: ignore[arg-type]


def test_a_cost_in_exponent_form_is_rendered_plain() -> None:
    summary = RunTrailers("a1b2c3d4", 0, 0, Decimal("1E+2"))
    assert summary.to_trailers()[-1] == Trailer("Talkgit-Cost", "100 USD")
    assert RunTrailers.from_trailers(summary.to_trailers()) == summary
