"""The agent conversation loop: lookups (native and as text), bounds and the token budget,
with real litellm calls against a local server speaking the OpenAI protocol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talkgit.agents.dialogue import (
    DEFAULT_CONTEXT_WINDOW,
    DROPPED,
    Dialogue,
    PromptBudget,
    TokenCounter,
    prompt_budget,
)
from talkgit.agents.lookup import Lookup
from talkgit.config import PromptSettings
from talkgit.errors import ModelError
from talkgit.git.repo import GitRepo
from talkgit.git.treeview import CommitTree
from talkgit.llm import LLM, Message
from tests.support.gitrepo import git, make_repo
from tests.support.openai_server import OpenAIServer, Reply

MODEL = "openai/local-test-model"  # not in litellm's map: no window, no native tools known
KNOWN = "openai/gpt-4o"


pytestmark = pytest.mark.usefixtures("openai_key")


@pytest.fixture
def lookup(tmp_path: Path) -> Lookup:
    root = make_repo(tmp_path / "repo", {"src/app.py": "def main():\n    return 1\n"})
    tree = CommitTree(GitRepo.discover(root), git(root, "rev-parse", "HEAD").strip())
    return Lookup(tree, lambda text: text)


def settings(**changes: object) -> PromptSettings:
    values: dict[str, object] = {
        "context_window": None,
        "prompt_tokens": None,
        "map_tokens": 1024,
        "lookups": 3,
        "tool_calls": "auto",
    }
    values.update(changes)
    return PromptSettings(**values)  # type: ignore[arg-type]


def dialogue(server: OpenAIServer, lookup: Lookup | None, budget: PromptBudget) -> Dialogue:
    return Dialogue(
        LLM(),
        agent="coder",
        model=MODEL,
        api_base=server.base_url,
        budget=budget,
        lookup=lookup,
        messages=[Message("system", "You edit code."), Message("user", "Fix main.")],
        is_answer=lambda text: "SEARCH" in text,
    )


def test_a_lookup_written_as_text_is_answered_and_the_model_asked_again(server, lookup):
    server.push(Reply('{"tool": "read_file", "path": "src/app.py"}'), Reply("SEARCH done"))
    talk = dialogue(server, lookup, PromptBudget(4000, 1000, 3, native_tools=False))
    assert talk.ask() == "SEARCH done"
    answer = server.requests[-1].messages[-1]
    assert answer["role"] == "user" and "def main():" in answer["content"]
    assert "(2 lookups left.)" in answer["content"]
    assert "tools" not in server.requests[0].body
    assert [m.role for m in talk.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert len(talk.replies) == 2


def test_native_tool_calls_are_answered_as_tool_messages(server, lookup):
    call = ("read_file", json.dumps({"path": "src/app.py"}))
    server.push(Reply("", tool_calls=(call,)), Reply("SEARCH done"))
    talk = dialogue(server, lookup, PromptBudget(4000, 1000, 1, native_tools=True))
    assert talk.ask() == "SEARCH done"
    first, second = server.requests
    assert [t["function"]["name"] for t in first.body["tools"]] == [
        "read_file",
        "search",
        "list_files",
    ]
    assert "tools" not in second.body  # the one lookup is spent: no more are offered
    tool_answer = second.messages[-1]
    assert tool_answer["role"] == "tool" and tool_answer["tool_call_id"] == "call_1"
    assert "def main():" in tool_answer["content"]


def test_lookups_are_bounded_per_step(server, lookup):
    request = '{"tool": "search", "text": "main"}'
    server.push(Reply(request), Reply(request), Reply("I give up"))
    talk = dialogue(server, lookup, PromptBudget(4000, 1000, 1, native_tools=False))
    assert talk.ask() == request  # no lookups left: this reply is the answer
    assert server.calls == 2
    assert "No lookups are left: reply now with your answer." in talk.messages[3].content


def test_without_lookups_a_request_is_just_the_answer(server):
    server.push(Reply('{"tool": "read_file", "path": "src/app.py"}'))
    talk = dialogue(server, None, PromptBudget(4000, 1000, 3, native_tools=False))
    assert talk.ask().startswith('{"tool"')
    assert server.calls == 1


def test_old_lookup_answers_are_dropped_to_fit_the_budget(server, tmp_path):
    big = "".join(f"line_{n} = {n}\n" for n in range(300))
    root = make_repo(tmp_path / "big", {"big.py": big})
    tree = CommitTree(GitRepo.discover(root), git(root, "rev-parse", "HEAD").strip())
    read = '{"tool": "read_file", "path": "big.py"}'
    read_again = '{"tool": "read_file", "path": "big.py", "start_line": 1}'
    server.push(Reply(read), Reply(read_again), Reply("SEARCH done"))
    llm = LLM()
    budget = PromptBudget(2400, 0, 3, native_tools=False)  # each answer is cut to 400
    opening = "context " * 1700  # leaves room for one lookup answer, not two
    talk = Dialogue(
        llm,
        agent="coder",
        model=MODEL,
        api_base=server.base_url,
        budget=budget,
        lookup=Lookup(tree, lambda text: text),
        messages=[Message("user", opening)],
        is_answer=lambda text: "SEARCH" in text,
    )
    assert talk.ask() == "SEARCH done"
    contents = [m["content"] for m in server.requests[-1].messages]
    assert contents[2] == DROPPED  # the first answer made room for the second
    assert "line_0 = 0" in contents[4]
    assert llm.count_tokens(MODEL, talk.messages[:-1]) <= budget.limit


def test_an_opening_that_cannot_fit_is_one_clear_error_and_no_call(server):
    talk = dialogue(server, None, PromptBudget(5, 0, 0, native_tools=False))
    with pytest.raises(ModelError, match=r"prompt is \d+ tokens, more than its budget of 5"):
        talk.ask()
    assert server.calls == 0


def test_the_budget_comes_from_the_map_the_configuration_or_a_default():
    llm = LLM()
    unknown = prompt_budget(llm, MODEL, settings())
    assert unknown.limit == DEFAULT_CONTEXT_WINDOW - DEFAULT_CONTEXT_WINDOW // 4
    assert not unknown.native_tools
    known = prompt_budget(llm, KNOWN, settings())
    assert known.limit == 128000 - 16384 and known.native_tools
    assert prompt_budget(llm, MODEL, settings(context_window=32768)).limit == 32768 - 2048
    assert prompt_budget(llm, KNOWN, settings(prompt_tokens=6000)).limit == 6000
    assert not prompt_budget(llm, KNOWN, settings(tool_calls="text")).native_tools
    assert prompt_budget(llm, MODEL, settings(tool_calls="native")).native_tools
    assert prompt_budget(llm, MODEL, settings(map_tokens=99999)).map_tokens == unknown.limit // 3


def test_cut_keeps_whole_lines_within_the_tokens():
    counter = TokenCounter(LLM(), MODEL)
    text = "".join(f"value_{n} = compute({n})\n" for n in range(500))
    cut = counter.cut(text, 300)
    assert counter.text(cut) <= 300
    assert cut.endswith("more lines left out to fit\n")
    assert cut.splitlines()[0] == "value_0 = compute(0)"
    assert counter.cut("short\n", 300) == "short\n"


def test_a_repeated_lookup_points_back_and_still_counts(server, lookup):
    read = '{"tool": "read_file", "path": "src/app.py"}'
    server.push(Reply(read), Reply(read), Reply("SEARCH done"))
    talk = dialogue(server, lookup, PromptBudget(4000, 1000, 3, native_tools=False))
    talk.ask()
    assert "def main():" in talk.messages[3].content
    assert "you asked this before: the answer is above" in talk.messages[5].content
    assert talk.lookups_left == 1


def test_reading_a_file_the_opening_showed_says_so(server, lookup):
    server.push(Reply('{"tool": "read_file", "path": "src/app.py"}'), Reply("SEARCH done"))
    talk = dialogue(server, lookup, PromptBudget(4000, 1000, 3, native_tools=False))
    talk.shown_in_full(["src/app.py"])
    talk.ask()
    assert "shown in full in the first message" in talk.messages[3].content
