from __future__ import annotations

import os

import pytest

from talkgit.filenames import addressed, as_bytes, is_utf8, shown, uri


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (b"pkg/mod.py", "pkg/mod.py"),
        (b"sp ace.py", "sp ace.py"),
        (b"-dash.py", "-dash.py"),
        ("ünï.py".encode(), "ünï.py"),
        (b"caf\xe9.py", '"caf\\351.py"'),
        (b"new\nline.py", '"new\\nline.py"'),
        (b"tab\there.py", '"tab\\there.py"'),
        (b'quo"te.py', '"quo\\"te.py"'),
        (b"back\\slash.py", '"back\\\\slash.py"'),
        ("\u202egnp.py".encode(), '"\\342\\200\\256gnp.py"'),  # a bidi override hides nothing
    ],
)
def test_shown_as_git_quotes_with_quote_path_false(name: bytes, expected: str) -> None:
    assert shown(os.fsdecode(name)) == expected
    expected.encode("utf-8")  # always printable as UTF-8


def test_the_bytes_come_back() -> None:
    name = os.fsdecode(b"dir/caf\xe9 x.py")
    assert as_bytes(name) == b"dir/caf\xe9 x.py"
    assert uri(name) == "dir/caf%E9%20x.py"
    assert not is_utf8(name) and addressed(name) == '"dir/caf\\351 x.py"'
    assert addressed("new\nline.py") == "new\nline.py"
