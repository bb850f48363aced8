from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talkgit import exit_codes
from talkgit.edits.model import Entry, EntryKind, FileChange
from talkgit.edits.paths import (
    BinaryFileError,
    UnsafeContentError,
    UnsafePathError,
    check_content,
    check_path,
    decode_text,
)
from talkgit.errors import EditError
from tests.edits import DictTree

TREE = DictTree(
    {
        "README.md": b"# sample\n",
        "pkg/mod.py": b"X = 1\n",
        "bin/run.sh": Entry(EntryKind.EXECUTABLE, b"#!/bin/sh\n"),
        "link": Entry(EntryKind.SYMLINK, b"/etc"),
        "pkg/inner-link": Entry(EntryKind.SYMLINK, b"../.."),
        "vendor/lib": Entry(EntryKind.SUBMODULE),
    }
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("README.md", "README.md"),
        ("./pkg/mod.py", "pkg/mod.py"),
        ("pkg//./mod.py", "pkg/mod.py"),
        ("bin/run.sh", "bin/run.sh"),
        ("new/dir/file.py", "new/dir/file.py"),
        ("pkg/new.py", "pkg/new.py"),
        (".github/workflows/ci.yml", ".github/workflows/ci.yml"),
        ("docs/.gitignore", "docs/.gitignore"),
    ],
)
def test_safe_paths_come_back_normalised(path, expected):
    assert check_path(path, TREE) == expected


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (".", "names no file"),
        ("./", "names no file"),
        ("/etc/passwd", "relative"),
        ("C:\\Windows\\x", "'\\'"),
        ("C:/Windows/x", "relative"),
        ("../outside.py", "'..'"),
        ("pkg/../../outside.py", "'..'"),
        ("pkg/..", "'..'"),
        (".git/config", ".git"),
        (".GIT/hooks/pre-commit", ".git"),
        ("sub/.Git/HEAD", ".git"),
        (".git./config", ".git"),
        ("git~1/config", ".git"),
        ("git~1./config", ".git"),
        (".g\u200cit/config", r"'.g\u200cit' is .git on macOS or Windows"),  # shown escaped
        ("src/.GITMODULES", "spell it .gitmodules"),
        (".gitmodules/x", ".gitmodules to be a file"),
        ("pkg\\mod.py", "'\\'"),
        ("pkg/mod\0.py", "NUL"),
    ],
)
def test_unsafe_spellings_are_refused(path, why):
    with pytest.raises(UnsafePathError, match=re.escape(why)):
        check_path(path, TREE)


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("link", "'link' is a symlink"),
        ("link/passwd", "'link' is a symlink"),
        ("pkg/inner-link/x.py", "'pkg/inner-link' is a symlink"),
        ("vendor/lib", "'vendor/lib' is a submodule"),
        ("vendor/lib/src/a.c", "'vendor/lib' is a submodule"),
        ("pkg", "is a directory"),
        ("README.md/x.py", "'README.md', which is a file"),
    ],
)
def test_paths_through_links_or_onto_the_wrong_kind_are_refused(path, why):
    with pytest.raises(UnsafePathError, match=re.escape(why)):
        check_path(path, TREE)


def test_unsafe_gitmodules_content_is_refused():
    check_content(FileChange(".gitmodules", b'[submodule "x"]\n\turl = ../x.git\n'))
    check_content(FileChange("README.md", b"url = -x\n"))
    check_content(FileChange(".gitmodules", None))
    with pytest.raises(UnsafeContentError, match=r"^unsafe lib/\.gitmodules: submodule 'x' has"):
        check_content(FileChange("lib/.gitmodules", b'[submodule "x"]\n\turl = -x\n'))


def test_errors_belong_to_the_one_hierarchy():
    assert issubclass(UnsafePathError, EditError)
    assert issubclass(UnsafeContentError, EditError)
    assert issubclass(BinaryFileError, EditError)
    assert UnsafePathError.exit_code == exit_codes.FAILURE


def test_text_decodes():
    assert decode_text("a.txt", "héllo\n".encode()) == "héllo\n"


def test_a_nul_byte_early_means_binary():
    with pytest.raises(BinaryFileError, match=r"logo\.png is a binary file"):
        decode_text("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")


def test_a_nul_byte_after_the_sniffed_prefix_is_still_text():
    data = b"a" * 8000 + b"\0"
    assert decode_text("late.txt", data) == data.decode()


def test_invalid_utf8_is_binary():
    with pytest.raises(BinaryFileError, match="not UTF-8"):
        decode_text("latin1.txt", "café".encode("latin-1"))


_SEGMENT = st.sampled_from(["a", "b.py", ".", "..", "", ".git", "src", ".GiT", "x y"])


@settings(max_examples=200)
@given(st.lists(_SEGMENT, min_size=1, max_size=6))
def test_accepted_paths_are_plain_relative_and_stable(segments):
    path = "/".join(segments)
    try:
        normal = check_path(path, DictTree({}))
    except UnsafePathError:
        parts = [s for s in segments if s not in ("", ".")]
        refused = not parts or path.startswith("/") or ".." in parts
        assert refused or any(s.lower() == ".git" for s in parts)
        return
    parts = normal.split("/")
    assert parts and all(p not in ("", ".", "..") and p.lower() != ".git" for p in parts)
    assert check_path(normal, DictTree({})) == normal
