"""The runner against real litellm calls to a local OpenAI-protocol server."""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.agents.coder import CoderAgent
from talkgit.agents.tester import TesterAgent
from talkgit.commands.run import RunOptions, run
from talkgit.config import AgentSettings, Settings
from talkgit.engine.report import PlainReporter
from talkgit.engine.runner import step_model
from talkgit.plan import PlanStep
from tests.support.gitrepo import fsck, git, make_repo, user_state
from tests.support.openai_server import Fault, OpenAIServer
from tests.support.routing import RunRouter
from tests.support.scripts import NO_GATES, edit, plan_reply

FAKE_KEY = "sk-test-TALKGIT-FAKE-runner-0987654321"
MODEL = "openai/gpt-4o-mini"


def _run(repo: Path, server: OpenAIServer, parallel: int = 1) -> tuple[int, str]:
    out, progress = io.StringIO(), io.StringIO()
    environ = {"OPENAI_API_KEY": FAKE_KEY, "TALKGIT_API_BASE": server.base_url, **NO_GATES}
    options = RunOptions(model=MODEL, parallel=parallel)
    code = run(
        repo, "do the work", options, out=out, reporter=PlainReporter(progress), environ=environ
    )
    return code, out.getvalue() + progress.getvalue()


def _new_file(name: str) -> str:
    return edit(name, "", f"NAME = {name!r}\n")


def _integration(repo: Path) -> str:
    (branch,) = [
        b
        for b in git(repo, "branch", "--format=%(refname:short)").split()
        if b.endswith("/integration")
    ]
    return branch


@pytest.mark.parametrize("parallel", [1, 4])
def test_independent_steps_run_in_parallel_lanes_and_all_merge(
    tmp_path: Path, parallel: int
) -> None:
    repo = make_repo(tmp_path / "r")
    names = [f"s{i}" for i in range(4)]
    router = RunRouter(
        plan_reply(*((name, "coder", []) for name in names)),
        {name: [_new_file(f"{name}.py")] for name in names},
        hold=0.3,
    )
    with OpenAIServer(fallback=router) as server:
        code, text = _run(repo, server, parallel)
    assert code == exit_codes.OK, text
    assert router.max_in_flight == parallel
    integration = _integration(repo)
    files = git(repo, "ls-tree", "--name-only", integration).split()
    assert {f"{name}.py" for name in names} <= set(files)
    merges = git(repo, "rev-list", "--merges", f"main..{integration}").split()
    assert (len(merges) > 0) == (parallel > 1)  # lanes that overlapped meet in merge commits
    # every step was stored as a pack, and the run's end merged them into one
    assert len(list((repo / ".git" / "objects" / "pack").glob("*.pack"))) == 1
    fsck(repo)


def test_a_conflicting_step_is_redone_on_the_new_integration_head(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"app.py": "A = 1\nB = 2\n"})
    router = RunRouter(
        plan_reply(("left", "coder", []), ("right", "coder", [])),
        {
            "left": [edit("app.py", "A = 1\nB = 2\n", "A = 10\nB = 2\n")],
            "right": [
                edit("app.py", "A = 1\nB = 2\n", "A = 1\nB = 20\n"),
                edit("app.py", "B = 2\n", "B = 20\n"),  # the redo, on top of left's change
            ],
        },
        hold={"right": 0.5},  # left merges first; right then conflicts
    )
    with OpenAIServer(fallback=router) as server:
        code, text = _run(repo, server, parallel=2)
    assert code == exit_codes.OK, text
    assert "conflict" in text
    assert git(repo, "show", f"{_integration(repo)}:app.py") == "A = 10\nB = 20\n"


def test_rate_limits_and_server_errors_are_retried_through_litellm(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    router = RunRouter(plan_reply(("one", "coder", [])), {"one": [_new_file("one.py")]})
    faults = [Fault(429, retry_after="0"), Fault(500)]
    with OpenAIServer(faults, fallback=router) as server:
        code, text = _run(repo, server)
        calls = server.calls
    assert code == exit_codes.OK, text
    assert calls == 4  # two faults, the planner, the coder


def test_no_key_reaches_anything_the_run_wrote(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    before = user_state(repo)
    router = RunRouter(plan_reply(("one", "coder", [])), {"one": [_new_file("one.py")]})
    with OpenAIServer(fallback=router) as server:
        code, text = _run(repo, server)
        headers = [r.headers.get("authorization", "") for r in server.requests]
    assert code == exit_codes.OK, text
    assert all(FAKE_KEY in header for header in headers)  # the key was really in use
    objects = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout
    assert FAKE_KEY.encode() not in objects
    for path in (repo / ".git").rglob("*"):
        if path.is_file():
            assert FAKE_KEY.encode() not in path.read_bytes(), path
    assert FAKE_KEY not in text
    assert user_state(repo) == before


def _record(repo: Path) -> dict[str, object]:
    import json

    (ledger,) = git(repo, "for-each-ref", "--format=%(refname)", "refs/talkgit/runs").split()
    record: dict[str, object] = json.loads(git(repo, "show", f"{ledger}:run.json"))
    return record


def test_the_cost_budget_stops_the_run_cleanly(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    router = RunRouter(plan_reply(("one", "coder", [])), {"one": [_new_file("one.py")]})
    with OpenAIServer(fallback=router) as server:
        environ = {"OPENAI_API_KEY": FAKE_KEY, "TALKGIT_API_BASE": server.base_url, **NO_GATES}
        options = RunOptions(model=MODEL, budget_usd=Decimal("0.0000001"))
        out = io.StringIO()
        code = run(
            repo, "t", options, out=out, reporter=PlainReporter(io.StringIO()), environ=environ
        )
        calls = server.calls
    assert code == exit_codes.FAILURE
    assert calls == 1  # the planner's call used the budget up; no step started
    record = _record(repo)
    assert record["status"] == "stopped" and "cost budget reached" in str(record["reason"])
    assert Decimal(str(record["usage"]["cost"])) > 0  # type: ignore[index]


def test_the_token_budget_stops_the_run_cleanly(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    router = RunRouter(plan_reply(("one", "coder", [])), {"one": [_new_file("one.py")]})
    with OpenAIServer(fallback=router) as server:
        environ = {
            "OPENAI_API_KEY": FAKE_KEY,
            "TALKGIT_API_BASE": server.base_url,
            **NO_GATES,
            "TALKGIT_MAX_TOKENS": "10",
        }
        code = run(
            repo,
            "t",
            RunOptions(model=MODEL),
            out=io.StringIO(),
            reporter=PlainReporter(io.StringIO()),
            environ=environ,
        )
    assert code == exit_codes.FAILURE
    assert "token budget reached" in str(_record(repo)["reason"])


def test_each_agent_uses_its_own_configured_model(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {
            "README.md": "# r\n",
            ".talkgit.toml": '[agents.coder]\nmodel = "openai/gpt-4o"\n',
        },
    )
    router = RunRouter(plan_reply(("one", "coder", [])), {"one": [_new_file("one.py")]})
    with OpenAIServer(fallback=router) as server:
        environ = {
            "OPENAI_API_KEY": FAKE_KEY,
            "TALKGIT_API_BASE": server.base_url,
            **NO_GATES,
            "TALKGIT_MODEL": MODEL,
        }
        code = run(
            repo,
            "t",
            RunOptions(),
            out=io.StringIO(),
            reporter=PlainReporter(io.StringIO()),
            environ=environ,
        )
        models = [r.body["model"] for r in server.requests]
    assert code == exit_codes.OK
    assert models == ["gpt-4o-mini", "gpt-4o"]  # planner: the default; coder: its own
    trailer = git(
        repo, "log", "-1", "--format=%(trailers:key=Assisted-by,valueonly)", _integration(repo)
    )
    assert trailer.strip() == "talkgit-coder:openai/gpt-4o"


def test_step_model_is_the_steps_then_the_runs_then_the_agents_and_none_without_one() -> None:
    settings = Settings(model=MODEL, agents={"coder": AgentSettings(model="openai/gpt-4o")})
    coder, step = CoderAgent(), PlanStep(id="a", agent="coder", goal="g")
    own = step.model_copy(update={"model": "anthropic/claude-3-5-haiku-latest"})
    assert step_model(settings, coder) == "openai/gpt-4o"
    assert step_model(settings, coder, step, "ollama_chat/qwen") == "ollama_chat/qwen"
    assert step_model(settings, coder, own, "ollama_chat/qwen") == own.model
    tester = PlanStep(id="t", agent="tester", goal="g", model=MODEL)
    assert step_model(settings, TesterAgent(), tester, MODEL) is None  # it uses no model
