"""A model's reply never produces a commit `git fsck --strict` rejects (issue 14, point 8).

Each attack goes in twice: as a model's edit (parse, apply, commit) and as a plug-in agent's
FileChange handed straight to the git store. Both are refused before any object is written.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talkgit import exit_codes
from talkgit.edits.apply import apply_edits
from talkgit.edits.model import Edit, FileChange, SearchReplace, WholeFile
from talkgit.edits.parse import parse_edits
from talkgit.edits.paths import UnsafeContentError, UnsafePathError
from talkgit.errors import EditError
from talkgit.git.repo import GitRepo
from talkgit.git.trees import create_commit
from talkgit.git.treeview import CommitTree
from tests.support.gitrepo import fsck, git, make_repo
from tests.support.scripts import NO_GATES, edit, plan_reply, run_scripted, scripted_model

# utf8.c next_hfs_char: the code points HFS+ drops from names.
HFS_IGNORED = [
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u206a",
    "\u206b",
    "\u206c",
    "\u206d",
    "\u206e",
    "\u206f",
    "\ufeff",
]

# Spellings of .git that macOS or Windows resolve to the repository's own .git.
DOTGIT_LOOKALIKES = [
    ".g\u200cit/hooks/pre-commit",  # the three from the issue
    ".git\u200d/config",
    "\ufeff.git/config",
    *(f".gi{ignored}t/config" for ignored in HFS_IGNORED),
    ".GIT/config",
    ".Git/config",
    "src/.gIt/HEAD",
    ".git./config",
    ".git /config",
    ".git. . ./hooks/post-checkout",
    ".git::$INDEX_ALLOCATION/config",
    ".git:stream",
    "git~1/config",
    "GIT~1/hooks/pre-commit",
    "git~1./config",
    "git~1 :x/config",
]

# Spellings of the files git reads (.gitmodules above all), and those files as directories.
SPECIAL_LOOKALIKES = [
    ".GITMODULES",
    ".Gitmodules",
    ".gitmodules.",
    ".gitmodules ",
    ".gitmodules:$DATA",
    ".git\u200cmodules",
    "gitmod~1",
    "GITMOD~4",
    "gi7eba~1",
    "~1000000",
    "lib/.gitmodules .",
    "sub/.Gitattributes",
    "GITATT~1",
    "gi7d29~1",
    ".gitignore.",
    ".Gitignore",
    "GITIGN~1",
    ".mailmap ",
    ".MAILMAP",
    "MAILMA~1",
    ".gitmodules/x",
    ".gitattributes/x",
    "a" * 4097,
]

NEAR_MISSES = [
    ".github/workflows/x.yml",
    "git/config.py",
    ".gitkeep",
    "a.git/b",
    ".gitx/y",
    "git~2/x",
    ".git-blame-ignore-revs",
    "x.gitmodules",
    "docs/.gitignore",
    ".gitignore",
    ".mailmap",
    "\u200cnotes.md",
    "caf\u00e9/.g\u200bit",  # U+200B: HFS+ keeps it
]

GOOD_GITMODULES = """\
[submodule "vendor/lib"]
\tpath = vendor/lib
\turl = https://github.com/example/lib.git
\tbranch = main
\tupdate = rebase
[submodule "sibling"]
\tpath = sibling
\turl = ../sibling.git
[submodule "mirror"]
\tpath = mirror
\turl = git@example.com:team/mirror.git
"""

UNSAFE_GITMODULES = {
    "url-upload-pack": '[submodule "x"]\n\tpath = x\n\turl = --upload-pack=touch pwned\n',
    "url-quoted-option": '[submodule "x"]\n\tpath = x\n\turl = "-oProxyCommand=sh"\n',
    "url-continued-option": '[submodule "x"]\n\turl = \\\n--upload-pack=sh\n',
    "url-upper-case-key": '[Submodule "x"]\n\tURL = -u\n',
    "url-old-section-syntax": "[submodule.x]\n\turl = -u\n",
    "url-ssh-host-option": '[submodule "x"]\n\turl = ssh://-oProxyCommand=sh/x\n',
    "url-newline": '[submodule "x"]\n\turl = https://example.com/x%0a.git\n',
    "url-climbs-out-of-host": '[submodule "x"]\n\turl = ../../:x\n',
    "url-no-host": '[submodule "x"]\n\turl = https:///x\n',
    "path-option": '[submodule "x"]\n\tpath = -x\n\turl = https://example.com/x.git\n',
    "update-command": '[submodule "x"]\n\tpath = x\n\tupdate = !sh\n',
    "update-command-quoted": '[submodule "x"]\n\tupdate = "!touch pwned"\n',
    "name-climbs-out": '[submodule "../../hooks"]\n\tpath = x\n',
    "name-climbs-with-backslash": '[submodule "a\\\\..\\\\..\\\\b"]\n\tpath = x\n',
    "name-empty": '[submodule ""]\n\tpath = x\n',
    "unparseable": '[submodule "x"\n\turl = -u\n',
}


def _state(path: Path) -> tuple[str, str]:
    """How many objects the repository holds, and where every ref points."""
    objects = git(path, "count-objects", "-v")
    refs = git(path, "for-each-ref", "--format=%(refname) %(objectname)")
    return objects, refs + git(path, "rev-parse", "HEAD")


def _through_the_coder(path: Path, edits: list[Edit]) -> str:
    """What the coder does with a reply: apply it to HEAD's tree, commit what it changed."""
    repo = GitRepo.discover(path)
    result = apply_edits(edits, CommitTree(repo, repo.head()))
    assert result.all_applied, result.explain()
    return create_commit(repo, base=repo.head(), changes=result.changes, message="step\n")


def _through_the_store(path: Path, changes: list[FileChange]) -> str:
    """What a plug-in agent's changes meet: the git store, with no edits package between."""
    repo = GitRepo.discover(path)
    return create_commit(repo, base=repo.head(), changes=changes, message="step\n")


def _paths_at(path: Path, commit: str) -> list[str]:
    listing = git(path, "-c", "core.quotePath=false", "ls-tree", "-r", "-z", "--name-only", commit)
    return listing.split("\0")[:-1]


def _refused(path: Path, edits: list[Edit], changes: list[FileChange], error: type) -> str:
    """Both routes raise, nothing reaches the object database, and fsck stays clean."""
    before = _state(path)
    with pytest.raises(error) as raised:
        _through_the_coder(path, edits)
    with pytest.raises(EditError, match=r"^refusing to write "):
        _through_the_store(path, changes)
    assert _state(path) == before
    fsck(path)
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("path", DOTGIT_LOOKALIKES, ids=ascii)
def test_a_dotgit_lookalike_is_refused_before_anything_is_written(repo: Path, path: str) -> None:
    message = _refused(repo, [WholeFile(path, "x\n")], [FileChange(path, b"x\n")], UnsafePathError)
    assert "files under .git cannot be edited" in message


@pytest.mark.parametrize("path", SPECIAL_LOOKALIKES, ids=lambda path: ascii(path)[:40])
def test_a_lookalike_of_a_file_git_reads_is_refused(repo: Path, path: str) -> None:
    _refused(repo, [WholeFile(path, "x\n")], [FileChange(path, b"x\n")], UnsafePathError)


@pytest.mark.parametrize("name", list(UNSAFE_GITMODULES))
def test_an_unsafe_gitmodules_is_refused_before_anything_is_written(repo: Path, name: str) -> None:
    text = UNSAFE_GITMODULES[name]
    for path in (".gitmodules", "nested/.gitmodules"):  # fsck reads every one of them
        message = _refused(
            repo,
            [WholeFile(path, text)],
            [FileChange(path, text.encode())],
            UnsafeContentError,
        )
        assert message.startswith(f"unsafe {path}: ")


def test_an_edit_that_makes_a_gitmodules_unsafe_is_refused(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r", {".gitmodules": GOOD_GITMODULES})
    url, option = "https://github.com/example/lib.git", "--upload-pack=touch pwned"
    edits: list[Edit] = [SearchReplace(".gitmodules", f"\turl = {url}\n", f"\turl = {option}\n")]
    changes = [FileChange(".gitmodules", GOOD_GITMODULES.replace(url, option).encode())]
    message = _refused(path, edits, changes, UnsafeContentError)
    assert "has url '--upload-pack=touch pwned', which git reads as an option" in message


def test_a_gitattributes_line_git_cannot_parse_is_refused(repo: Path) -> None:
    text = "*.py diff=python\n" + "x" * 2048 + " binary\n"
    changes = [FileChange(".gitattributes", text.encode())]
    _refused(repo, [WholeFile(".gitattributes", text)], changes, UnsafeContentError)


def test_the_attacks_from_the_issue_are_refused_as_a_model_writes_them(repo: Path) -> None:
    repo_handle = GitRepo.discover(repo)
    before = _state(repo)
    for path in (".g\u200cit/hooks/pre-commit", ".git\u200d/config", "\ufeff.git/config"):
        reply = edit(path, "", "#!/bin/sh\ntouch pwned\n")
        with pytest.raises(UnsafePathError, match=r"files under \.git cannot be edited"):
            apply_edits(parse_edits(reply), CommitTree(repo_handle, repo_handle.head()))
    reply = edit(".gitmodules", "", UNSAFE_GITMODULES["url-upload-pack"])
    with pytest.raises(UnsafeContentError, match="which git reads as an option"):
        apply_edits(parse_edits(reply), CommitTree(repo_handle, repo_handle.head()))
    assert _state(repo) == before


@pytest.mark.parametrize("path", NEAR_MISSES, ids=ascii)
def test_near_misses_are_still_committed(repo: Path, path: str) -> None:
    commit = _through_the_coder(repo, [WholeFile(path, "ok\n")])
    assert path in _paths_at(repo, commit)
    fsck(repo)


def test_an_ordinary_gitmodules_and_gitattributes_are_committed(repo: Path) -> None:
    attributes = "*.py diff=python\n*.png binary\n"
    edits: list[Edit] = [
        WholeFile(".gitmodules", GOOD_GITMODULES),
        WholeFile("sub/.gitmodules", GOOD_GITMODULES),
        WholeFile(".gitattributes", attributes),
    ]
    commit = _through_the_coder(repo, edits)
    assert git(repo, "show", f"{commit}:.gitmodules") == GOOD_GITMODULES
    assert git(repo, "config", "--blob", f"{commit}:.gitmodules", "submodule.sibling.url") == (
        "../sibling.git\n"
    )
    fsck(repo)


def test_git_itself_refuses_these_trees(tmp_path: Path) -> None:
    """The premise, checked once: written past talkgit with `git mktree`, git fsck flags them."""
    attacks = [
        (".g\u200cit", "x"),
        ("\ufeff.git", "x"),
        ("git~1", "x"),
        (".git ", "x"),
        *((".gitmodules", UNSAFE_GITMODULES[name]) for name in ("url-upload-pack", "path-option")),
        *((".gitmodules", UNSAFE_GITMODULES[name]) for name in ("update-command", "name-empty")),
    ]
    for index, (name, text) in enumerate(attacks):
        path = make_repo(tmp_path / str(index), {"a": "a\n"})
        blob = git(path, "hash-object", "-w", "--stdin", stdin=text).strip()
        git(path, "mktree", stdin=f"100644 blob {blob}\t{name}\n")
        done = subprocess.run(
            ["git", "fsck", "--strict", "--no-progress"], cwd=path, capture_output=True, text=True
        )
        assert "error in " in done.stderr, (name, text)


def test_a_run_refuses_the_attack_and_the_model_corrects_itself(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r", {"README.md": "# r\n"})
    model = scripted_model(
        tmp_path,
        {
            "planner": [plan_reply(("hook", "coder", []), files={"hook": ["tool.py"]})],
            "coder": [
                edit(".g\u200cit/hooks/pre-commit", "", "#!/bin/sh\ntouch pwned\n"),
                edit("tool.py", "", "X = 1\n"),
            ],
        },
    )
    code, progress = run_scripted(path, model, "add a tool", NO_GATES)
    assert code == exit_codes.OK, progress

    runs = git(path, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs")
    (run_id,) = runs.split()
    ledger = f"refs/talkgit/runs/{run_id}"
    transcript = json.loads(git(path, "show", f"{ledger}:transcripts/01-hook.json"))
    retry = next(m["content"] for m in transcript if "could not be used" in m["content"])
    assert "files under .git cannot be edited" in retry
    for commit in git(path, "rev-list", "--all").split():
        assert not [name for name in _paths_at(path, commit) if "pre-commit" in name]
    assert _paths_at(path, f"talkgit/{run_id}/integration") == ["README.md", "tool.py"]
    fsck(path)


# Names built from the pieces of look-alikes, so the dice often land on one.
_PIECES = [".git", "git~1", "modules", ".gitmodules", "gitmod~1", "~1", "g", "i", "t", "G", "T"]
_PIECES += [".", " ", ":", "a", "\ufeff", "\u202e", *HFS_IGNORED[:3]]
_NAMES = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=3).map("".join)
_PATHS = st.lists(_NAMES, min_size=1, max_size=3).map("/".join)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=_PATHS, text=st.sampled_from(["x\n", GOOD_GITMODULES, *UNSAFE_GITMODULES.values()]))
def test_whatever_the_checks_let_through_git_fsck_accepts(repo: Path, path: str, text: str) -> None:
    try:
        commit = _through_the_coder(repo, [WholeFile(path, text)])
    except EditError:
        return  # refused: nothing to check
    git(repo, "update-ref", "refs/heads/probe", commit)
    fsck(repo)
