"""File names git accepts and UTF-8 or a terminal does not, through every command and format.

Each name is shown as ``git -c core.quotePath=false`` shows it (``talkgit.filenames.shown``):
plain names as they are, the others C-quoted, ``b"caf\\xe9.py"`` as ``"caf\\351.py"``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no types-jsonschema in the test extra
import pytest

from talkgit import exit_codes
from talkgit.filenames import shown, uri
from tests.support.github_server import GitHubServer, actions_environ
from tests.support.gitrepo import fsck, git, make_repo
from tests.support.scripts import edit, plan_reply, scripted_model

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())
# bandit finds B602 in every file; ruff finds F401 in those it can read (UTF-8 names).
SOURCE = (
    b"import os\nimport subprocess\n\n\n"
    b"def run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
)
NAMES = (
    b"caf\xe9.py",  # Latin-1: not UTF-8
    b"new\nline.py",
    b"tab\there.py",
    b'quo"te.py',
    b"back\\slash.py",
    b"-dash.py",
    "ünï cödé.py".encode(),
    b"sp ace.py",
)
LATIN1 = os.fsdecode(NAMES[0])
CONFIG = 'run_gates = ["ruff", "bandit", "placeholder"]\n'


def _names() -> list[str]:
    return [os.fsdecode(name) for name in NAMES]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one commit, and a second one that adds a file under each name."""
    path = make_repo(tmp_path / "repo", {"README.md": "# r\n", ".talkgit.toml": CONFIG})
    for name in NAMES:
        Path(os.fsdecode(os.fsencode(path) + b"/" + name)).write_bytes(SOURCE)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "Add oddly named files")
    return path


def _talkgit(repo: Path, *args: str, environ: Mapping[str, str] | None = None) -> tuple[int, str]:
    """The real command line: its exit code and its output, which must be UTF-8 without a
    traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "talkgit", *args],
        cwd=repo,
        capture_output=True,
        env={**os.environ, **(environ or {})},
        check=False,
    )
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert "Traceback" not in out + err, err
    return done.returncode, out


def _shown_in(text: str) -> None:
    for name in _names():
        assert shown(name) in text, shown(name)
    assert '"caf\\351.py"' in text and '"new\\nline.py"' in text


def test_shown_as_git_shows_them(repo: Path) -> None:
    # quotePath=false leaves the UTF-8 name as it is, but prints the Latin-1 byte raw.
    for quote_path in ("true", "false"):
        command = ["git", "-c", f"core.quotePath={quote_path}", "ls-files"]
        listed = subprocess.run(command, cwd=repo, capture_output=True, check=True).stdout
        lines = set(listed.decode("utf-8", "surrogateescape").splitlines())
        unquoted = {LATIN1, "ünï cödé.py"}
        assert {shown(name) for name in _names() if name not in unquoted} <= lines
    assert "ünï cödé.py" in lines and shown("ünï cödé.py") == "ünï cödé.py"
    assert shown(LATIN1) == '"caf\\351.py"' and uri(LATIN1) == "caf%E9.py"


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_check_prints_names_escaped(repo: Path, fmt: str) -> None:
    code, out = _talkgit(repo, "check", "--base", "HEAD~1", "--format", fmt)
    assert code == exit_codes.FAILURE
    _shown_in(out)


def test_check_staged(repo: Path) -> None:
    Path(os.fsdecode(os.fsencode(repo) + b"/more\xff.py")).write_bytes(SOURCE)
    git(repo, "add", "-A")
    code, out = _talkgit(repo, "check", "--staged")
    assert code == exit_codes.FAILURE
    assert '"more\\377.py":6:12: B602' in out


def test_check_json_is_utf8_with_the_names_escaped(repo: Path) -> None:
    code, out = _talkgit(repo, "check", "--base", "HEAD~1", "--format", "json")
    assert code == exit_codes.FAILURE
    document = json.loads(out)
    paths = {f["path"] for gate in document["gates"] for f in gate["new"]}
    assert paths == {shown(name) for name in _names()}
    ruff = {f["path"] for gate in document["gates"] for f in gate["new"] if f["tool"] == "ruff"}
    assert ruff == {shown(name) for name in _names() if name != LATIN1}  # ruff cannot read it


def test_check_sarif_is_valid_with_the_names_as_uris(repo: Path, tmp_path: Path) -> None:
    written = tmp_path / "check.sarif"
    code, _ = _talkgit(repo, "check", "--base", "HEAD~1", "--format", "sarif", "-o", str(written))
    assert code == exit_codes.FAILURE
    document = json.loads(written.read_bytes().decode("utf-8"))
    jsonschema.Draft4Validator(SCHEMA).validate(document)
    uris = {
        location["physicalLocation"]["artifactLocation"]["uri"]
        for run in document["runs"]
        for result in run["results"]
        for location in result["locations"]
    }
    assert uris == {uri(name) for name in _names()}
    assert "caf%E9.py" in uris and "new%0Aline.py" in uris


def test_review_prints_names_escaped(repo: Path) -> None:
    code, out = _talkgit(repo, "review", "--base", "HEAD~1")
    assert code == exit_codes.FAILURE
    _shown_in(out)


def test_review_sarif(repo: Path) -> None:
    code, out = _talkgit(repo, "review", "--base", "HEAD~1", "--format", "sarif")
    assert code == exit_codes.FAILURE
    document = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(document)
    assert "caf%E9.py" in json.dumps(document)


@pytest.mark.parametrize("name", [LATIN1, "new\nline.py", "-dash.py"])
def test_blame(repo: Path, name: str) -> None:
    code, out = _talkgit(repo, "blame", "--", name)
    assert code == exit_codes.OK
    assert out.splitlines()[1].endswith(") import subprocess")
    code, out = _talkgit(repo, "blame", "--json", "--", name)
    assert code == exit_codes.OK and json.loads(out)[1]["text"] == "import subprocess"


def test_review_on_github_posts_the_names_escaped(repo: Path, tmp_path: Path) -> None:
    base, head = git(repo, "rev-parse", "HEAD~1").strip(), git(repo, "rev-parse", "HEAD").strip()
    with GitHubServer() as github:
        # GitHub names a file that is not UTF-8 with U+FFFD, so nothing lines up with it.
        files = {os.fsencode(n).decode("utf-8", "replace"): None for n in _names()}
        pull = github.add_pull(7, base_sha=base, head_sha=head, files=files)
        environ = {
            **actions_environ(tmp_path, github, "pull_request", {"pull_request": pull}),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        }
        code, out = _talkgit(repo, "review", "--github", environ=environ)
        comments = github.issue_comments[7]
        annotations = [a for run in github.check_runs.values() for a in run["annotations"]]
    assert code == exit_codes.FAILURE, out
    assert len(comments) == 1
    _shown_in(comments[0]["body"])
    _shown_in((tmp_path / "summary.md").read_text(encoding="utf-8"))
    assert {a["path"] for a in annotations} >= {shown(LATIN1), "new\nline.py"}, annotations


def test_run_in_a_repository_of_odd_names(repo: Path, tmp_path: Path) -> None:
    plan = plan_reply(("fix", "coder", []), files={"fix": ["README.md"]})
    replies: dict[str, list[object]] = {
        "planner": [plan],
        "coder": [edit("README.md", "# r\n", "# repo\n")],
    }
    model = scripted_model(tmp_path, replies)
    code, out = _talkgit(repo, "run", "--model", model, "fix the readme")
    assert code == exit_codes.OK, out
    assert f"run {_run_id(repo)}: done" in out
    fsck(repo)


def _run_id(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()
