"""Code talkgit did not write never runs where it can read a secret.

The attacks: a test (conftest.py) reads the key from its parent's /proc/<pid>/environ or
memory, after talkgit stripped it from the test's own environment; a pull request's tests
run while `talkgit review --github` holds GITHUB_TOKEN; a mypy plugin (code the base's
configuration names) reads the token from its environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from talkgit.secret_env import is_secret_name, secret_names
from tests.support.cli import SOURCE, talkgit_process
from tests.support.github_server import TOKEN, GitHubServer, actions_environ
from tests.support.gitrepo import commit_file, git, make_repo
from tests.support.scripts import edit, plan_reply, scripted_model

KEY = "sk-test-secret-never-seen-5b1e"

# What a hostile conftest.py does the moment pytest loads it: take all it can reach of
# its parent's secrets (as root, /proc/<pid>/mem would be open too: see secret_env).
STEAL = """\
import os
from pathlib import Path


def _read(path):
    try:
        return Path(path).read_bytes().decode("latin-1")
    except OSError as exc:
        return f"denied: {exc.errno}"


Path(os.environ["LOOT"]).write_text(
    repr(dict(os.environ)) + _read(f"/proc/{os.getppid()}/environ")
)
"""


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("OPENAI_API_KEY", True),
        ("GITHUB_TOKEN", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", True),
        ("DB_PASSWORD", True),
        ("GH_PAT", True),
        ("PATH", False),
        ("SSH_AUTH_SOCK", False),  # the ssh agent's socket: git over ssh needs it
        ("KEYBOARD_LAYOUT", False),
        ("TOKENIZERS_PARALLELISM", False),
    ],
)
def test_which_variables_are_secrets(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret
    assert secret_names({name: "value", "EMPTY_TOKEN": ""}) == ([name] if secret else [])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_a_protected_process_shows_its_children_no_secret(tmp_path: Path) -> None:
    loot = tmp_path / "loot.txt"
    code = (
        "import subprocess, sys\n"
        "from talkgit.secret_env import protect_process\n"
        "assert protect_process()\n"
        "import os; assert os.environ['OPENAI_API_KEY'] == sys.argv[1]  # still ours\n"
        "subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider'])\n"
    )
    (tmp_path / "conftest.py").write_text(STEAL)
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    env = {**os.environ, "PYTHONPATH": str(SOURCE), "OPENAI_API_KEY": KEY}
    env |= {"LOOT": str(loot), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    subprocess.run([sys.executable, "-c", code, KEY], cwd=tmp_path, env=env, check=True)
    assert loot.exists() and KEY not in loot.read_text()


def test_a_runs_tests_cannot_read_the_model_key(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {"app.py": "X = 1\n", "test_app.py": "def test_x():\n    pass\n", "conftest.py": STEAL},
    )
    loot = tmp_path / "loot.txt"
    model = scripted_model(
        tmp_path,
        {
            "planner": [
                plan_reply(
                    ("fix", "coder", []), ("test", "tester", ["fix"]), files={"fix": ["app.py"]}
                )
            ],
            "coder": [edit("app.py", "X = 1\n", "X = 2\n")],
        },
    )
    tests = json.dumps([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])
    env = {"OPENAI_API_KEY": KEY, "LOOT": str(loot), "TALKGIT_TEST_COMMAND": tests}
    env |= {"TALKGIT_RUN_GATES": "[]", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = talkgit_process("run", "--model", model, "set X to 2", cwd=repo, env=env)
    assert done.returncode == 0, done.stderr
    assert loot.exists() and KEY not in loot.read_text()


def test_a_pull_requests_tests_do_not_run_next_to_the_token(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin-saw.txt"
    base_files = {
        "README.md": "# r\n",
        ".talkgit.toml": 'run_gates = ["mypy", "pytest"]\n',
        "mypy.ini": "[mypy]\nplugins = checks/envplugin.py\n",
        # The base's own plugin (trusted code) still must not see the token.
        "checks/envplugin.py": (
            "import os\nfrom pathlib import Path\nfrom mypy.plugin import Plugin\n\n\n"
            "def plugin(version):\n"
            f"    Path({str(plugin)!r}).write_text(repr(dict(os.environ)))\n"
            "    return Plugin\n"
        ),
        "test_ok.py": "def test_ok():\n    pass\n",
    }
    origin = make_repo(tmp_path / "origin", base_files)
    base = git(origin, "rev-parse", "HEAD").strip()
    git(origin, "add", "-A")
    commit_file(origin, "conftest.py", STEAL)
    head = commit_file(origin, "app.py", "X: int = 1\n")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", f"file://{origin}", str(checkout))
    git(checkout, "checkout", "-q", head)
    loot = tmp_path / "loot.txt"
    with GitHubServer() as github:
        pull = github.add_pull(3, base_sha=base, head_sha=head, files={})
        env = {
            **actions_environ(tmp_path, github, "pull_request", {"pull_request": pull}),
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "LOOT": str(loot),
        }
        done = talkgit_process("review", "--github", cwd=checkout, env=env)
        comments = github.issue_comments.get(3, [])
    assert not loot.exists(), "the pull request's conftest.py ran next to the token"
    assert "this job holds secrets (GITHUB_TOKEN): tests are not run" in done.stderr
    assert "not run: pytest" in done.stderr
    assert comments and "pytest" in comments[0]["body"], done.stderr
    assert plugin.exists() and TOKEN not in plugin.read_text()
