"""Native tool calls, token counts and the context-window guard, through real litellm calls
against a local server speaking the OpenAI protocol."""

from __future__ import annotations

import json

import pytest

from talkgit.errors import ModelError
from talkgit.llm import LLM, Message
from talkgit.llm.cache import request_key
from talkgit.llm.types import Tool, ToolCall
from tests.llm.conftest import HELLO, MODEL
from tests.support.openai_server import Reply

READ = Tool(
    "read_file",
    "Show a file.",
    {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)


def test_tools_are_offered_and_the_calls_come_back(llm: LLM, openai_server) -> None:
    openai_server.push(Reply("", tool_calls=(("read_file", '{"path": "app.py"}'),)))
    reply = llm.complete(
        agent="coder", model=MODEL, messages=HELLO, api_base=openai_server.base_url, tools=[READ]
    )
    assert reply.tool_calls == (ToolCall("call_1", "read_file", '{"path": "app.py"}'),)
    sent = openai_server.requests[-1].body
    assert [tool["function"]["name"] for tool in sent["tools"]] == ["read_file"]


def test_a_tool_answer_is_sent_in_the_protocol_s_form(llm: LLM, openai_server) -> None:
    openai_server.push(Reply("done"))
    call = ToolCall("call_7", "read_file", '{"path": "app.py"}')
    messages = [
        *HELLO,
        Message("assistant", "", tool_calls=(call,)),
        Message("tool", "print('hi')", tool_call_id="call_7"),
    ]
    llm.complete(agent="coder", model=MODEL, messages=messages, api_base=openai_server.base_url)
    sent = openai_server.requests[-1].messages
    assert sent[2]["tool_calls"][0]["function"] == {
        "name": "read_file",
        "arguments": call.arguments,
    }
    assert sent[3] == {"role": "tool", "content": "print('hi')", "tool_call_id": "call_7"}


def test_a_cached_reply_keeps_its_tool_calls(llm: LLM, openai_server, cache_dir) -> None:
    openai_server.push(Reply("", tool_calls=(("read_file", '{"path": "a.py"}'),)))
    base = openai_server.base_url
    first = llm.complete(agent="coder", model=MODEL, messages=HELLO, api_base=base, tools=[READ])
    again = llm.complete(agent="coder", model=MODEL, messages=HELLO, api_base=base, tools=[READ])
    assert again.cached and again.tool_calls == first.tool_calls
    assert again.response_sha256 == first.response_sha256
    assert openai_server.calls == 1
    (record,) = cache_dir.iterdir()
    assert json.loads(record.read_text())["version"] == 2  # older readers take it as a miss


def test_tools_change_the_request_hash_but_their_absence_does_not() -> None:
    plain = request_key(MODEL, None, HELLO)
    assert request_key(MODEL, None, HELLO, ()) == plain
    assert request_key(MODEL, None, HELLO, [READ]) != plain
    # The canonical form of a plain request is what it was before tools existed.
    assert plain == request_key(MODEL, None, [Message(m.role, m.content) for m in HELLO])


def test_tokens_are_counted_with_the_model_s_tokenizer(llm: LLM) -> None:
    short = llm.count_tokens("openai/gpt-4o", [Message("user", "hello")])
    longer = llm.count_tokens("openai/gpt-4o", [Message("user", "hello " * 200)])
    assert 0 < short < longer
    assert longer - short == pytest.approx(199, abs=3)  # "hello" is one token in o200k


def test_model_info_reads_litellm_s_map(llm: LLM) -> None:
    known = llm.model_info("openai/gpt-4o")
    assert known.context_window == 128000 and known.native_tools
    unknown = llm.model_info("openai/some-local-model")
    assert unknown.context_window is None and not unknown.native_tools


def test_a_prompt_larger_than_the_window_is_refused_before_any_call(llm: LLM, openai_server):
    huge = [Message("user", "word " * 140_000)]
    with pytest.raises(ModelError, match=r"prompt is \d+ tokens, more than the 128000"):
        llm.complete(
            agent="coder", model="openai/gpt-4o", messages=huge, api_base=openai_server.base_url
        )
    assert openai_server.calls == 0
