"""`talkgit review`: locally, and as the GitHub Action runs it against a local GitHub server."""

from __future__ import annotations

import io
import json
from pathlib import Path

from talkgit import exit_codes
from talkgit.commands.review import ReviewOptions, review, review_github
from tests.support.github_server import GitHubServer, actions_environ
from tests.support.gitrepo import commit_file, git, make_repo

SHELL = (
    "import subprocess\n\n\ndef run(cmd: str) -> int:\n"
    + "    return subprocess.call(cmd, shell=True)\n"
)
CONFIG = 'run_gates = ["bandit", "placeholder"]\n'
GATES_OFF = CONFIG + '[gates.bandit]\nmode = "off"\n'


def _pull_request(tmp_path: Path) -> tuple[Path, str, str]:
    """A repository whose head adds a bandit finding and tries to switch bandit off."""
    repo = make_repo(tmp_path / "repo", {"README.md": "# r\n", ".talkgit.toml": CONFIG})
    base = git(repo, "rev-parse", "HEAD").strip()
    (repo / ".talkgit.toml").write_text(GATES_OFF)
    git(repo, "add", ".talkgit.toml")
    commit_file(repo, "tools.py", SHELL, "Add a shell helper")
    return repo, base, git(repo, "rev-parse", "HEAD").strip()


def test_local_review_takes_its_configuration_from_the_base(tmp_path: Path) -> None:
    repo, base, head = _pull_request(tmp_path)
    out = io.StringIO()
    code = review(repo, base, head, ReviewOptions(), out=out, environ={})
    assert code == exit_codes.FAILURE  # the head's `mode = "off"` does not count
    assert "B602" in out.getvalue()


def _patch(repo: Path, base: str, head: str, path: str) -> str:
    diff = git(repo, "diff", base, head, "--", path)
    return diff[diff.index("@@") :]


def _environ(tmp_path: Path, github: GitHubServer, pull: dict[str, object]) -> dict[str, str]:
    return {
        **actions_environ(tmp_path, github, "pull_request", {"pull_request": pull}),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
    }


def test_review_in_actions_posts_one_sticky_comment_and_sets_outputs(tmp_path: Path) -> None:
    origin, base, head = _pull_request(tmp_path)
    checkout = tmp_path / "checkout"  # what actions/checkout leaves: shallow, head only
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(checkout))
    with GitHubServer() as github:
        files = {path: _patch(origin, base, head, path) for path in ("tools.py", ".talkgit.toml")}
        pull = github.add_pull(7, base_sha=base, head_sha=head, files=files)
        environ = _environ(tmp_path, github, pull)
        options = ReviewOptions(sarif=tmp_path / "talkgit.sarif")
        for _ in range(2):  # a re-run updates the comment; it never adds a second one
            code = review_github(checkout, options, environ=environ, out=io.StringIO())
            assert code == exit_codes.FAILURE
        comments = github.issue_comments[7]
        review_comments = github.review_comments[7]
    assert len(comments) == 1
    assert "B602" in comments[0]["body"] and "Add a shell helper" in comments[0]["body"]
    # The blocking new finding, on its line; bandit's low-severity B404 is below its threshold.
    assert [c["line"] for c in review_comments] == [5]
    outputs = (tmp_path / "output.txt").read_text().splitlines()
    # GitHub's multi-line form: name<<DELIMITER, the value, DELIMITER
    values = {outputs[i].split("<<")[0]: outputs[i + 1] for i in range(0, len(outputs), 3)}
    assert values["verdict"] == "fail" and values["new-findings"] == "1"
    assert json.loads((tmp_path / "talkgit.sarif").read_text())["version"] == "2.1.0"
    assert "B602" in (tmp_path / "summary.md").read_text()
