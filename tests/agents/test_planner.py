"""The planner on real repositories: the map it sees, lookups, placeholders, budgets —
with real litellm calls against a local server speaking the OpenAI protocol."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from talkgit.agents.planner import Workspace, make_plan
from talkgit.config import Settings
from talkgit.git.repo import GitRepo
from talkgit.llm import LLM, Message
from talkgit.plan import PlanError
from tests.support.gitrepo import git, make_repo
from tests.support.openai_server import OpenAIServer, Reply

MODEL = "openai/local-test-model"
AGENTS = {"coder": object(), "tester": object()}


pytestmark = pytest.mark.usefixtures("openai_key")


def big_repository(root: Path) -> Workspace:
    """600 modules named a... that call nothing of interest, and the one the task is about
    last in alphabetical order."""
    files = {f"pkg/a{n:03d}.py": f"def helper_{n}(x):\n    return x + {n}\n" for n in range(600)}
    files["pkg/zz_stats.py"] = (
        "import statistics\n\n\ndef median_absolute_deviation(values):\n"
        "    middle = statistics.median(values)\n"
        "    return statistics.median(abs(v - middle) for v in values)\n"
    )
    make_repo(root, files)
    return Workspace(GitRepo.discover(root), git(root, "rev-parse", "HEAD").strip())


def plan(*files: str) -> str:
    step = {"id": "edit", "agent": "coder", "goal": "do it", "files": list(files)}
    return json.dumps({"steps": [step]})


def planner(server: OpenAIServer, workspace: Workspace, **settings: object):
    return make_plan(
        LLM(),
        model=MODEL,
        task="Make median_absolute_deviation accept an empty list",
        workspace=workspace,
        agents=AGENTS,
        settings=Settings(**settings).prompt("planner"),  # type: ignore[arg-type]
        api_base=server.base_url,
    )


def test_the_file_a_task_is_about_is_in_the_planner_s_map(server, tmp_path):
    workspace = big_repository(tmp_path / "repo")
    server.push(Reply(plan("pkg/zz_stats.py")))
    planned = planner(server, workspace)
    prompt = server.requests[0].messages[1]["content"]
    assert "pkg/zz_stats.py" in prompt
    assert "median_absolute_deviation(values)" in prompt
    first_listed = re.search(r"pkg/\w+\.py", prompt)
    assert first_listed is not None and first_listed.group() == "pkg/zz_stats.py"
    assert planned.plan.steps[0].files == ("pkg/zz_stats.py",)


def test_every_planner_prompt_fits_its_budget(server, tmp_path):
    workspace = big_repository(tmp_path / "repo")
    server.push(Reply(plan("pkg/zz_stats.py")))
    planner(server, workspace, context_window=2048, map_tokens=4000)
    llm = LLM()
    (request,) = server.requests
    sent = [Message(m["role"], m["content"]) for m in request.messages]
    assert llm.count_tokens(MODEL, sent) <= 2048 - 2048 // 4


def test_a_placeholder_path_goes_back_with_the_real_candidates(server, tmp_path):
    workspace = big_repository(tmp_path / "repo")
    server.push(Reply(plan("path/to/zz_stats.py")), Reply(plan("pkg/zz_stats.py")))
    planned = planner(server, workspace)
    repair = server.requests[1].messages[-1]["content"]
    assert "'path/to/zz_stats.py', which is not a real path" in repair
    assert "pkg/zz_stats.py" in repair
    assert planned.plan.steps[0].files == ("pkg/zz_stats.py",)


def test_a_new_file_with_a_real_looking_path_is_a_plan(server, tmp_path):
    workspace = big_repository(tmp_path / "repo")
    server.push(Reply(plan("pkg/new_module.py")))
    assert planner(server, workspace).plan.steps[0].files == ("pkg/new_module.py",)


def test_the_planner_may_look_things_up_and_it_is_in_the_transcript(server, tmp_path):
    workspace = big_repository(tmp_path / "repo")
    server.push(
        Reply('{"tool": "search", "text": "median_absolute"}'), Reply(plan("pkg/zz_stats.py"))
    )
    planned = planner(server, workspace)
    answer = server.requests[1].messages[-1]["content"]
    assert "pkg/zz_stats.py:4: def median_absolute_deviation(values):" in answer
    roles = [m.role for m in planned.transcript]
    assert roles == ["system", "user", "assistant", "user", "assistant"]
    assert len(planned.replies) == 2


def test_placeholders_that_never_get_fixed_fail_the_plan(server, tmp_path):
    workspace = big_repository(tmp_path / "repo")
    server.push(*[Reply(plan("path/to/stats.py"))] * 3)
    with pytest.raises(PlanError, match="no valid plan after 3 tries"):
        planner(server, workspace)


def test_a_plan_that_copies_the_example_goes_back(server, tmp_path):
    workspace = big_repository(tmp_path / "repo")
    copied = {
        "id": "total-start",
        "agent": "coder",
        "goal": "Give total(items) in shop/cart.py a start=0 parameter and pass it to sum()",
        "files": ["shop/cart.py"],
    }
    server.push(Reply(json.dumps({"steps": [copied]})), Reply(plan("pkg/zz_stats.py")))
    planner(server, workspace)
    repair = server.requests[1].messages[-1]["content"]
    assert "the goal is the example's" in repair
    assert "names 'shop/cart.py', which is not a real path" in repair
