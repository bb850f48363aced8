"""A pull request's symbolic links never let a tool read a file outside the repository.

The pull request adds ``leak.py``, a link to a ``.env`` elsewhere on the machine, a linked
folder, and a module that imports both, so mypy would follow the imports into them.
Before, ruff, mypy and bandit read the ``.env`` through the link, and its
``NAME=value`` lines came back as findings ("Undefined name `ghp_…`"). Real tools, real
repository: the secret is in nothing `talkgit check` says, in any format.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.commands.check import check
from talkgit.gates.render import Format
from talkgit.git import worktrees
from talkgit.git.repo import GitRepo
from tests.support.gitrepo import git, make_repo

PLANTED = "ghp_secretvalue"  # a token's value in a .env outside the repository
GATES = ("ruff", "mypy", "bandit", "placeholder")
SHELL = (
    "import subprocess\n\n\ndef run(cmd: str) -> int:\n"
    "    return subprocess.call(cmd, shell=True)\n"
)


@pytest.fixture
def pull_request(tmp_path: Path) -> tuple[Path, str, str]:
    home = tmp_path / "home" / "runner"
    home.mkdir(parents=True)
    (home / ".env").write_text(f"GH_TOKEN={PLANTED}\nOTHER_TOKEN = {PLANTED}2\n")
    (home / "secrets.py").write_text(f"TOKEN = {PLANTED}\n")
    repo = make_repo(tmp_path / "repo", {"README.md": "# r\n", "app.py": "X = 1\n"})
    base = git(repo, "rev-parse", "HEAD").strip()
    (repo / "leak.py").symlink_to(home / ".env")
    (repo / "linked").symlink_to(home)
    (repo / "app.py").write_text(
        "from leak import GH_TOKEN\nfrom linked.secrets import TOKEN\n\nX = GH_TOKEN + TOKEN\n"
    )
    (repo / "tools.py").write_text(SHELL)  # the change's one real finding
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "A pull request with links")
    return repo, base, git(repo, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize("output_format", ["text", "json", "markdown", "sarif"])
def test_no_tool_reads_through_a_link(
    pull_request: tuple[Path, str, str], output_format: Format
) -> None:
    repo, base, head = pull_request
    out = io.StringIO()
    code = check(
        repo, base=base, head=head, gates=GATES, output_format=output_format, out=out, environ={}
    )
    # mypy follows app.py's imports into files of link text, not Python: it cannot check
    # app.py, and says so (an error, never a pass); the other gates judge as ever.
    assert code == exit_codes.TOOL, out.getvalue()
    assert "B602" in out.getvalue() and "linked.secrets" in out.getvalue()
    assert PLANTED not in out.getvalue()
    assert "leak.py" not in out.getvalue()  # a link is no file of the change's: nothing to say
    checked = worktrees.worktree_path(GitRepo.discover(repo), "check-head")
    assert not (checked / "leak.py").is_symlink() and not (checked / "linked").is_symlink()
