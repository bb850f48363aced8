"""The coder on real repositories: what it is shown, lookups, budgets and how its edits
matched — with real litellm calls against a local server speaking the OpenAI protocol."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkgit.agents.base import StepContext
from talkgit.agents.coder import CoderAgent, Overlay
from talkgit.config import Settings
from talkgit.edits.model import FileChange
from talkgit.git.repo import GitRepo
from talkgit.llm import LLM, Message
from talkgit.plan import PlanStep
from tests.edits import DictTree
from tests.support.gitrepo import git, make_repo
from tests.support.openai_server import OpenAIServer, Reply

MODEL = "openai/local-test-model"
STATS = (
    "import statistics\n\n\ndef mean(values):\n    return statistics.mean(values)\n\n\n"
    "def median(values):\n    return statistics.median(values)\n"
)


pytestmark = pytest.mark.usefixtures("openai_key")


def context(
    root: Path, server: OpenAIServer, files: tuple[str, ...] = (), **settings: object
) -> StepContext:
    repo = GitRepo.discover(root)
    return StepContext(
        run_id="abcd1234",
        task="Add mode() next to median() in the stats module",
        step=PlanStep(id="add-mode", agent="coder", goal="add mode()", files=files),
        base=git(root, "rev-parse", "HEAD").strip(),
        repo=repo,
        settings=Settings(**settings),  # type: ignore[arg-type]
        llm=LLM(),
        model=MODEL,
        api_base=server.base_url,
    )


def edit(search: str, replace: str, path: str = "src/shop/stats.py") -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


MODE = "\n\ndef mode(values):\n    return statistics.mode(values)\n"
MEDIAN = "    return statistics.median(values)\n"
ADD_MODE = (MEDIAN, MEDIAN + MODE)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    files = {f"src/shop/m{n:03d}.py": f"def f{n}():\n    return {n}\n" for n in range(300)}
    files["src/shop/stats.py"] = STATS
    return make_repo(tmp_path / "shop", files)


def test_with_no_files_named_the_best_ranked_are_shown(shop, server):
    server.push(Reply(edit(*ADD_MODE)))
    outcome = CoderAgent().run(context(shop, server))
    assert outcome.ok, outcome.detail
    prompt = server.requests[0].messages[1]["content"]
    assert "src/shop/stats.py\n```\nimport statistics" in prompt  # shown whole
    assert "src/shop/m000.py\n```" not in prompt


def test_lookups_and_their_answers_are_in_the_transcript(shop, server):
    server.push(
        Reply('{"tool": "read_file", "path": "src/shop/stats.py", "start_line": 8}'),
        Reply(edit(*ADD_MODE)),
    )
    outcome = CoderAgent().run(context(shop, server, ("src/shop/m001.py",)))
    assert outcome.ok, outcome.detail
    contents = [m.content for m in outcome.transcript]
    assert any("(lines 8-9 of 9)" in text for text in contents)
    assert len(outcome.replies) == 2


def test_a_fuzzy_match_is_reported_in_the_outcome(shop, server):
    typo = "import statistic\n\n\ndef mean(values):\n"
    server.push(Reply(edit(typo, "import math\nimport statistics\n\n\ndef mean(values):\n")))
    outcome = CoderAgent().run(context(shop, server, ("src/shop/stats.py",)))
    assert outcome.ok, outcome.detail
    (applied,) = outcome.edits
    assert applied.path == "src/shop/stats.py" and applied.how.startswith("fuzzy 0.")


def test_a_file_too_big_for_the_budget_is_named_not_shown(tmp_path, server):
    big = "".join(
        f"VALUE_{n} = {n}  # a long comment to make the line longer\n" for n in range(3000)
    )
    root = make_repo(tmp_path / "big", {"big.py": big, "small.py": "X = 1\n"})
    server.push(Reply(edit("X = 1\n", "X = 2\n", path="small.py")))
    outcome = CoderAgent().run(context(root, server, ("big.py", "small.py"), context_window=4096))
    assert outcome.ok, outcome.detail
    prompt = server.requests[0].messages[1]["content"]
    assert (
        "Not shown, to fit the prompt (read them with read_file, in parts if need be): big.py"
        in prompt
    )
    assert "small.py\n```\nX = 1" in prompt


def test_no_coder_prompt_exceeds_the_budget(shop, server):
    wrong = edit("nothing like this\n", "x\n")
    server.push(
        Reply('{"tool": "read_file", "path": "src/shop/stats.py"}'),
        Reply(wrong),
        Reply(wrong),
        Reply(wrong),
    )
    CoderAgent().run(context(shop, server, (), context_window=2048))
    llm = LLM()
    for request in server.requests:
        sent = [Message(m["role"], m["content"]) for m in request.messages]
        assert llm.count_tokens(MODEL, sent) <= 2048 - 512


def test_lookups_after_the_last_one_get_told_to_edit(shop, server):
    ask = '{"tool": "write_file", "path": "src/shop/stats.py"}'
    server.push(*[Reply(ask)] * 3, Reply(edit(*ADD_MODE)))
    outcome = CoderAgent().run(context(shop, server, ("src/shop/stats.py",), lookups=2))
    assert outcome.ok, outcome.detail
    told = [m.content for m in outcome.transcript if m.role == "user"][-1]
    assert told.startswith("Your reply asks for write_file, but no lookups are left")


def test_an_overlay_lists_the_base_files_with_this_steps_changes():
    overlay = Overlay(DictTree({"a.py": b"a\n", "gone.py": b"g\n", "pkg/b.py": b"b\n"}))
    overlay.record((FileChange("gone.py", None), FileChange("new/c.py", b"c\n")))
    overlay.record((FileChange("a.py", b"A\n"),))

    assert list(overlay.paths()) == ["a.py", "pkg/b.py", "new/c.py"]


def test_a_long_named_file_shows_the_parts_the_step_names(tmp_path, server):
    filler = "".join(
        f"def filler_{n}(x):\n    return x * {n} + {n} * {n}\n\n\n" for n in range(400)
    )
    module = filler + "def median(values):\n    return sorted(values)[len(values) // 2]\n"
    root = make_repo(tmp_path / "long", {"stats.py": module, "other.py": "Y = 2\n"})
    search = "def median(values):\n    return sorted(values)[len(values) // 2]\n"
    server.push(Reply(edit(search, search.replace("sorted", "list"), path="stats.py")))
    step = context(root, server, ("stats.py", "other.py"), context_window=8192)
    outcome = CoderAgent().run(step)
    assert outcome.ok, outcome.detail
    prompt = server.requests[0].messages[1]["content"]
    assert "stats.py (lines 1598-1602 of 1602: the parts this step names" in prompt
    assert "return x * 10 + 10 * 10" not in prompt
