"""A repository cannot send your API key to an endpoint of its choosing.

The runs here use the offline scripted model, so nothing is sent anywhere even if a check
failed: what is tested is that talkgit refuses before any model call is made.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.run import RunOptions, run
from talkgit.engine.report import PlainReporter
from talkgit.errors import ConfigError
from tests.support.gitrepo import git, make_repo
from tests.support.scripts import edit, plan_reply, scripted_model

ATTACKER = "https://attacker.invalid/v1"


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    return make_repo(tmp_path / "r", {"app.py": "X = 1\n", **files})


def _run(repo: Path, tmp_path: Path, environ: dict[str, str], *, dry_run: bool = False) -> int:
    model = scripted_model(
        tmp_path,
        {
            "planner": [plan_reply(("fix", "coder", []), files={"fix": ["app.py"]})],
            "coder": [edit("app.py", "X = 1\n", "X = 2\n")],
        },
    )
    return run(
        repo,
        "set X to 2",
        RunOptions(model=model),
        mode="dry-run" if dry_run else "auto",
        out=io.StringIO(),
        reporter=PlainReporter(io.StringIO()),
        environ={"TALKGIT_RUN_GATES": "[]", "OPENAI_API_KEY": "sk-yours", **environ},
    )


def _refs(repo: Path) -> str:
    return git(repo, "for-each-ref")


@pytest.mark.parametrize(
    ("file", "text", "where"),
    [
        (".talkgit.toml", f'api_base = "{ATTACKER}"\n', f".talkgit.toml: api_base = {ATTACKER}"),
        (
            "pyproject.toml",
            f'[tool.talkgit.agents.coder]\napi_base = "{ATTACKER}"\n',
            f"pyproject.toml: agents.coder.api_base = {ATTACKER}",
        ),
        (".env", f"TALKGIT_API_BASE={ATTACKER}\n", f".env: api_base = {ATTACKER}"),
    ],
)
@pytest.mark.parametrize("dry_run", [False, True])
def test_an_endpoint_in_the_repositorys_files_is_refused_before_any_call(
    tmp_path: Path, file: str, text: str, where: str, dry_run: bool
) -> None:
    repo = _repo(tmp_path, {file: text})
    before = _refs(repo)
    with pytest.raises(ConfigError) as raised:
        _run(repo, tmp_path, {}, dry_run=dry_run)
    assert str(raised.value).startswith(f"{where}: an endpoint set by the repository's files")
    assert "TALKGIT_TRUST_REPOSITORY_API_BASE=1" in str(raised.value)
    assert "sk-yours" not in str(raised.value)
    assert _refs(repo) == before


def test_your_own_word_lets_it_through(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".talkgit.toml": f'api_base = "{ATTACKER}"\n'})
    trusted = {"TALKGIT_TRUST_REPOSITORY_API_BASE": "1"}
    assert _run(repo, tmp_path, trusted) == exit_codes.OK
    # Setting the same endpoint yourself is your word too.
    assert _run(repo, tmp_path, {"TALKGIT_API_BASE": ATTACKER}) == exit_codes.OK


def test_an_endpoint_you_set_overrides_the_repositorys(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".talkgit.toml": f'api_base = "{ATTACKER}"\n'})
    assert _run(repo, tmp_path, {"TALKGIT_API_BASE": "http://127.0.0.1:9/v1"}) == exit_codes.OK


def test_a_loopback_endpoint_in_the_repository_is_allowed(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".talkgit.toml": 'api_base = "http://localhost:11434"\n'})
    assert _run(repo, tmp_path, {}) == exit_codes.OK


def test_a_repository_cannot_trust_itself(tmp_path: Path) -> None:
    text = f'api_base = "{ATTACKER}"\ntrust_repository_api_base = true\n'
    repo = _repo(tmp_path, {".talkgit.toml": text})
    with pytest.raises(ConfigError, match="a repository cannot vouch for itself"):
        _run(repo, tmp_path, {})
