"""The offline ``scripted:PATH`` model, through the real litellm custom-provider path."""

from __future__ import annotations

import json
import random
import tempfile
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talkgit.errors import ModelError
from talkgit.llm import LLM, CallPolicy, DirectoryCache, MemoryCache, Message
from talkgit.llm.scripted import Fail, load_script
from tests.llm.conftest import Sleeps


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return f"scripted:{path}"


def ask(llm: LLM, model: str, agent: str, prompt: str = "go") -> str:
    return llm.complete(agent=agent, model=model, messages=[Message("user", prompt)]).text


@pytest.fixture
def script(tmp_path: Path) -> str:
    return write(
        tmp_path / "script.yaml",
        "planner:\n  - the plan\ncoder:\n  - first edit\n  - second edit\n  - third edit\n",
    )


def test_each_agent_gets_its_replies_in_order(llm, script):
    assert ask(llm, script, "coder", "a") == "first edit"
    assert ask(llm, script, "planner", "b") == "the plan"
    assert ask(llm, script, "coder", "c") == "second edit"
    assert ask(llm, script, "coder", "d") == "third edit"


def test_positions_belong_to_each_llm_instance(script, sleeps):
    one, two = LLM(sleep=sleeps), LLM(sleep=sleeps)

    assert ask(one, script, "coder") == "first edit"
    assert ask(two, script, "coder") == "first edit"
    assert ask(one, script, "coder", "again") == "second edit"


def test_a_reply_reports_the_scripted_model_word_counts_and_zero_cost(llm, script):
    reply = llm.complete(
        agent="coder",
        model=script,
        messages=[Message("system", "be brief"), Message("user", "edit the file now")],
    )

    assert reply.model == script
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (6, 2)
    assert reply.usage.cost_usd == Decimal(0)
    assert reply.cached is False


def test_running_out_of_replies_is_a_clear_error(llm, script):
    path = script.removeprefix("scripted:")
    ask(llm, script, "planner")

    with pytest.raises(ModelError) as caught:
        ask(llm, script, "planner", "more")

    assert str(caught.value) == f"script {path} has no reply left for agent 'planner' (used 1)"


def test_an_unknown_agent_is_a_clear_error(llm, script):
    with pytest.raises(
        ModelError, match=r"has no replies for agent 'tester' \(agents: coder, planner\)"
    ):
        ask(llm, script, "tester")


def test_faults_are_raised_inside_the_provider_and_retried(tmp_path, sleeps):
    model = write(
        tmp_path / "faults.yaml",
        "coder:\n  - {fail: rate_limit}\n  - {fail: server_error}\n  - {fail: timeout}\n  - done\n",
    )
    llm = LLM(
        policy=CallPolicy(retries=3, backoff_base=1, backoff_max=10),
        sleep=sleeps,
        rng=random.Random(1),
    )

    assert ask(llm, model, "coder") == "done"

    expected = random.Random(1)
    assert sleeps == [expected.uniform(0, c) for c in (1, 2, 4)]
    assert llm.scripts.used(model.removeprefix("scripted:"), "coder") == 4


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("rate_limit", "rate limit still exceeded after 1 retry"),
        ("server_error", "the provider kept failing after 1 retry"),
        ("timeout", "time-out after 1 retry"),
    ],
)
def test_faults_that_outlast_the_retries(tmp_path, sleeps, kind, message):
    model = write(
        tmp_path / "s.yaml", f"coder:\n  - {{fail: {kind}}}\n  - {{fail: {kind}}}\n  - late\n"
    )
    llm = LLM(policy=CallPolicy(retries=1), sleep=sleeps)

    with pytest.raises(ModelError, match=message):
        ask(llm, model, "coder")
    assert len(sleeps) == 1


def test_a_fault_then_running_out_reports_the_script(tmp_path, sleeps):
    model = write(tmp_path / "s.yaml", "coder:\n  - {fail: rate_limit}\n")
    llm = LLM(sleep=sleeps)

    with pytest.raises(ModelError, match=r"has no reply left for agent 'coder' \(used 1\)"):
        ask(llm, model, "coder")


def test_a_cache_hit_advances_the_agent_past_its_cached_reply(tmp_path, sleeps):
    model = write(
        tmp_path / "s.yaml",
        "coder:\n  - {fail: rate_limit}\n  - one\n  - two\nplanner:\n  - plan\n",
    )
    cache = DirectoryCache(tmp_path / "cache")
    first_run = LLM(cache=cache, sleep=sleeps)
    assert ask(first_run, model, "coder", "task 1") == "one"

    resumed = LLM(cache=cache, sleep=sleeps)
    replayed = resumed.complete(agent="coder", model=model, messages=[Message("user", "task 1")])
    fresh = ask(resumed, model, "coder", "task 2")

    assert (replayed.text, replayed.cached) == ("one", True)
    assert fresh == "two"  # in step: the fault and "one" were skipped


def test_a_cache_hit_within_one_llm_also_advances(script):
    llm = LLM(cache=MemoryCache())
    assert ask(llm, script, "coder", "same") == "first edit"

    assert ask(llm, script, "coder", "same") == "first edit"  # cached
    assert ask(llm, script, "coder", "new") == "third edit"


def test_json_scripts_work_too(tmp_path, llm):
    model = write(tmp_path / "s.json", json.dumps({"coder": ["from json", {"fail": "timeout"}]}))

    assert ask(llm, model, "coder") == "from json"


def test_a_missing_script_file(llm, tmp_path):
    path = tmp_path / "absent.yaml"

    with pytest.raises(
        ModelError, match=rf"^script {path} cannot be read: No such file or directory$"
    ):
        ask(llm, f"scripted:{path}", "coder")


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("bad.yaml", "coder: [unclosed\n", r"is not valid YAML: line \d+: "),
        ("bad.json", '{"coder": [', r"is not valid JSON: line 1: "),
        ("list.yaml", "- just\n- a list\n", r"is malformed: top level: "),
        ("scalar.yaml", "coder: hello\n", r"is malformed: coder: "),
        ("kind.yaml", "coder:\n  - {fail: explode}\n", r"is malformed: coder\.0"),
        ("extra.yaml", "coder:\n  - {fail: timeout, after: 3}\n", r"is malformed: coder\.0"),
        ("number.yaml", "coder:\n  - 42\n", r"is malformed: coder\.0"),
    ],
)
def test_a_malformed_script_is_one_clear_line(llm, tmp_path, name, text, problem):
    model = write(tmp_path / name, text)

    with pytest.raises(ModelError, match=problem) as caught:
        ask(llm, model, "coder")
    assert "\n" not in str(caught.value)
    assert str(tmp_path / name) in str(caught.value)


def test_load_script_parses_text_and_faults(tmp_path):
    (tmp_path / "s.yaml").write_text("coder:\n  - hi\n  - {fail: server_error}\nidle: []\n")

    assert load_script(str(tmp_path / "s.yaml")) == {
        "coder": ("hi", Fail("server_error")),
        "idle": (),
    }


def test_parallel_lanes_draw_each_reply_once(tmp_path):
    replies = [f"reply {i}" for i in range(12)]
    model = write(tmp_path / "s.json", json.dumps({"coder": replies}))
    llm = LLM(sleep=Sleeps())

    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(lambda i: ask(llm, model, "coder", f"task {i}"), range(12)))

    assert sorted(texts) == sorted(replies)


@settings(max_examples=25, deadline=None)
@given(
    faults=st.integers(min_value=1, max_value=4),
    base=st.floats(min_value=0, max_value=5),
    cap=st.floats(min_value=0, max_value=20),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_every_wait_is_full_jitter_within_the_cap(faults, base, cap, seed):
    with tempfile.TemporaryDirectory() as directory:
        model = write(
            Path(directory) / "s.yaml",
            "coder:\n" + "  - {fail: server_error}\n" * faults + "  - ok\n",
        )
        sleeps = Sleeps()
        policy = CallPolicy(retries=faults, backoff_base=base, backoff_max=cap)
        llm = LLM(policy=policy, sleep=sleeps, rng=random.Random(seed))

        assert ask(llm, model, "coder") == "ok"

    assert len(sleeps) == faults
    for attempt, waited in enumerate(sleeps):
        assert 0 <= waited <= min(cap, base * 2**attempt)


def test_a_resumed_run_can_count_replies_it_already_has(tmp_path, sleeps):
    model = write(tmp_path / "s.yaml", "coder:\n  - {fail: timeout}\n  - step one\n  - step two\n")
    resumed = LLM(sleep=sleeps)

    resumed.note_answered(agent="coder", model=model)  # step one finished before the stop
    resumed.note_answered(agent="coder", model="openai/gpt-4o-mini")  # not scripted: no effect

    assert ask(resumed, model, "coder") == "step two"
