"""git's rules, ported: the spellings git's own tests (t0060-path-utils) call .gitmodules and
.git, the config syntax as `git config` reads it, and the submodule urls fsck refuses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from talkgit.edits import fsck

# t0060's "match .gitmodules", both ways: macOS (HFS+) and Windows (NTFS) spellings.
GITMODULES = [
    ".gitmodules",
    ".git\u200cmodules",
    ".Gitmodules",
    ".gitmoduleS",
    ".gitmodules ",
    ".gitmodules.",
    ".gitmodules. ",
    ".gitmodules .",
    ".Gitmodules  .",
    "GITMOD~1",
    "gitmod~4",
    "gitmod~2.",
    "gitmod~4 . ",
    "GI7EBA~1",
    "gi7eba~9",
    "GI7EB~10",
    "GI7E~999",
    "~1000000",
    "~9999999",
    ".gitmodules:$DATA",
    "gitmod~4 . :$DATA",
]
NOT_GITMODULES = [
    ".gitmodules x",
    ".gitmodules .x",
    " .gitmodules",
    "..gitmodules",
    "gitmodules",
    ".gitmodule",
    "GI7EBA~",
    "GI7EBA~0",
    "GI7EBA~~1",
    "GI7EBA~X",
    "Gx7EBA~1",
    "GI7EBX~1",
    "GI7EB~1",
    "GI7EB~01",
    "GI7EB~1X",
    ".gitmodules,:$DATA",
    ".gitmod\u00fcles",
]


@pytest.mark.parametrize("name", GITMODULES)
def test_every_spelling_of_gitmodules_is_recognised(name: str) -> None:
    modules = fsck._MODULES
    assert fsck.is_hfs_dot(name, "gitmodules") or fsck.is_ntfs_dot(name.encode(), modules)


@pytest.mark.parametrize("name", NOT_GITMODULES)
def test_near_misses_are_not_gitmodules(name: str) -> None:
    modules = fsck._MODULES
    assert not fsck.is_hfs_dot(name, "gitmodules")
    assert not fsck.is_ntfs_dot(name.encode(), modules)


@pytest.mark.parametrize(
    "name",
    [".git", ".GIT", ".git.", ".git . ", ".git::$INDEX_ALLOCATION", "git~1", "GIT~1 .", "git~1:x"],
)
def test_windows_spellings_of_dotgit(name: str) -> None:
    assert fsck.is_ntfs_dotgit(name.encode())


@pytest.mark.parametrize("name", [".gitx", "git~2", "git~10", ".git~1", "xgit~1", "git", ".gi"])
def test_windows_near_misses_of_dotgit(name: str) -> None:
    assert not fsck.is_ntfs_dotgit(name.encode())


@pytest.mark.parametrize(
    "name", [".git", ".gIT", "\u200c.git", ".g\u206fit", ".git\ufeff", "\u202e.\u202dgit"]
)
def test_macos_spellings_of_dotgit(name: str) -> None:
    assert fsck.is_hfs_dot(name, "git")


@pytest.mark.parametrize("name", [".git.", ".gi\u00dft", ".g\u200bit", "\u212a", ".g\u0130t"])
def test_macos_near_misses_of_dotgit(name: str) -> None:
    # U+200B is not one of the code points HFS+ drops; non-ASCII letters never fold to ASCII.
    assert not fsck.is_hfs_dot(name, "git")


def test_names_are_judged_as_files_or_directories() -> None:
    assert fsck.name_problem(".gitmodules", directory=False) is None
    assert fsck.name_problem(".gitmodules", directory=True) == (
        "git needs .gitmodules to be a file, not a directory"
    )
    assert fsck.name_problem(".gitignore", directory=True) is None
    assert "spell it .mailmap" in (fsck.name_problem("MAILMA~1", directory=False) or "")
    assert "4096 bytes" in (fsck.name_problem("\u00e9" * 2049, directory=False) or "")
    assert fsck.name_problem("\u00e9" * 2048, directory=False) is None
    assert "not valid Unicode" in (fsck.name_problem("g\udc80", directory=False) or "")


def test_the_config_syntax_is_read_as_git_reads_it() -> None:
    text = (
        b"\xef\xbb\xbf# comment\r\n"
        b'[Submodule "Lib.Core"] ; trailing comment\n'
        b'\tURL = "-quoted" \\\n  continued # comment\n'
        b"\tbare\n"
        b"[old.Style]\n"
        b'\tk = "a\\tb\\"c" ;x\n'
    )
    assert fsck.parse_config(text) == [
        (b"submodule.Lib.Core.url", b"-quoted   continued"),
        (b"submodule.Lib.Core.bare", None),
        (b"old.style.k", b'a\tb"c'),
    ]


def test_the_parser_agrees_with_git_config(tmp_path: Path) -> None:
    text = b'[a "B.c"]\n  x-y = 1 2  ; c\n[d]\nflag\nq = "x;#y" z\\\\\n'
    config = tmp_path / "config"
    config.write_bytes(text)
    listed = subprocess.run(
        ["git", "config", "--file", str(config), "--list", "-z"], capture_output=True, check=True
    ).stdout
    theirs = [item.partition(b"\n") for item in listed.split(b"\0")[:-1]]
    expected = [(key, value if sep else None) for key, sep, value in theirs]
    assert fsck.parse_config(text) == expected


@pytest.mark.parametrize(
    "text",
    [b'[submodule "x"', b"[sub\x01]\n", b"k = \\q\n", b'k = "open\n', b"=v\n", b"[a]\n1k=v\n"],
)
def test_what_git_cannot_parse_is_none(text: bytes) -> None:
    assert fsck.parse_config(text) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        (b"--upload-pack=touch pwned", "option"),
        (b"-x", "option"),
        (b"ssh://-oProxyCommand=sh/x", "option"),
        (b"../../:x", "climbs out"),
        (b"./../..\\/x", "climbs out"),
        (b"git://host/x%0ay", "control character"),
        (b"https://host/x\ty", "control character"),
        (b"https:///x", "no host"),
        (b"https::https://ho%st/", "bad %-escape"),
        (b"http::nothing", "not a url"),
        (b"https://h_o st/", "bad host"),
        (b"https://host:0/x", "bad host or port"),
        (b"https://host:65536/x", "bad host or port"),
        (b"https://host/a/../../x", "climbs above"),
        (b"https://host/%2e%2e", "climbs above"),
    ],
)
def test_unsafe_submodule_urls(url: bytes, why: str) -> None:
    assert why in (fsck.submodule_url_problem(url) or "")


@pytest.mark.parametrize(
    "url",
    [
        b"https://github.com/o/r.git",
        b"https://user@host:8443/a/./b/../r.git?x=1#y",
        b"https://[::1]:80/r",
        b"http::https://host/r",
        b"git://host/r.git",
        b"../sibling.git",
        b"./x",
        b"git@host:o/r.git",
        b"ssh://git@host/r",
        b"file:///srv/r.git",
        b"/srv/r.git",
    ],
)
def test_ordinary_submodule_urls(url: bytes) -> None:
    assert fsck.submodule_url_problem(url) is None


def test_gitattributes_lines_stay_under_gits_limit() -> None:
    assert fsck.gitattributes_problem(b"*.py diff=python\n" + b"x" * 2047 + b"\n") is None
    assert "2048 bytes" in (fsck.gitattributes_problem(b"x" * 2048) or "")
    assert fsck.gitattributes_problem(b"ok\n\0" + b"x" * 3000) is None  # git stops at NUL
