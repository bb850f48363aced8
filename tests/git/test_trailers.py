"""Generic git trailers, checked against the real git CLI rather than against our reading of it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from talkgit.errors import TalkgitError
from talkgit.git.trailers import (
    LocatedTrailer,
    Trailer,
    TrailerError,
    add_trailers,
    format_trailers,
    line_key,
    locate_trailers,
    parse_trailers,
    values,
)

SCISSORS = "# ------------------------ >8 ------------------------"

# The autouse git-identity fixture and tmp_path are per test, not per example; every
# example only reads them (or adds one more commit), so sharing them is safe.
EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def run_git(cwd: Path, *args: str, stdin: str = "") -> bytes:
    """Bytes in, bytes out: text mode would turn a lone CR into a line break."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin.encode(), capture_output=True, check=False, timeout=30
    )
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr.decode()}"
    return done.stdout


def as_trailers(printed: bytes) -> list[Trailer]:
    """git's unfolded ``key: value`` lines (value may be empty) as Trailers."""
    return [Trailer(*line.decode().split(": ", 1)) for line in printed.split(b"\n") if line]


def git_parse(cwd: Path, message: str, *, divider: bool = True) -> list[Trailer]:
    flags = [] if divider else ["--no-divider"]
    return as_trailers(run_git(cwd, "interpret-trailers", "--parse", *flags, stdin=message))


def commit_and_log(repo: Path, message: str) -> tuple[str, list[Trailer]]:
    """Commit ``message`` as is, return the stored message and git log's trailers for it."""
    run_git(
        repo, "commit", "-q", "--allow-empty", "--allow-empty-message", "--cleanup=verbatim",
        "-F", "-", stdin=message,
    )  # fmt: skip
    stored = run_git(repo, "log", "-1", "--format=%B").decode()[:-1]  # tformat adds one \n
    return stored, as_trailers(run_git(repo, "log", "-1", "--format=%(trailers:only,unfold)"))


# --- strategies: messages made of the kinds of lines git's parser tells apart ---------------

# git's own UTF-8 check refuses the noncharacters U+FFFE and U+FFFF and then re-encodes the
# whole message as if it were Latin-1, so they are left out: that is git's quirk, not ours.
TEXT = st.text(
    st.characters(codec="utf-8", min_codepoint=0x20, exclude_characters="\ufffe\uffff")
    | st.sampled_from(" \t:#-()"),
    max_size=16,
)
KEY = st.sampled_from(
    ["Fixes", "Reviewed-by", "Co-authored-by", "Talkgit-Run", "Assisted-by", "X-1", "a", "-"]
) | st.from_regex(r"[A-Za-z0-9-]{1,12}", fullmatch=True)
VALUE = st.from_regex(
    r"[^\s\x00-\x1f]([^\n\r\x00]{0,20}[^\s\x00-\x1f])?", fullmatch=True
) | st.just("")
NEW_TRAILER = st.builds(Trailer, KEY, VALUE)

trailer_line = st.builds(
    lambda key, before, after, value: f"{key}{before}:{after}{value}",
    KEY,
    st.sampled_from(["", "", " ", "\t "]),
    st.sampled_from(["", " ", " ", "  ", "\t"]),
    TEXT,
)
continuation_line = st.builds(
    lambda lead, text: lead + text, st.sampled_from([" ", "\t", "   "]), TEXT
)
generated_line = st.sampled_from(
    ["Signed-off-by: A U Thor <a@example.com>", "(cherry picked from commit 0123abcd)"]
)
body_line = st.builds(lambda first, text: first + text, st.sampled_from(list("Tx9(é")), TEXT)
odd_line = st.sampled_from(
    ["", "  ", "# a comment", "#Talkgit-Run: x", "---", "--- a/file.py", "---\t", "Conflicts:",
     "\tfile.py", ":no key", "two words: no", "Clé: non-ascii key", "\fform feed"]
)  # fmt: skip
line = st.one_of(trailer_line, trailer_line, continuation_line, generated_line, body_line, odd_line)
paragraph = st.lists(line, min_size=1, max_size=6).map("\n".join)
messages = st.builds(
    lambda subject, paragraphs, ending: "\n\n".join([subject, *paragraphs]) + ending,
    body_line,
    st.lists(paragraph, max_size=4),
    st.sampled_from(["", "\n", "\n\n", "\n# comment\n", "\n  \n"]),
)
# Small-alphabet noise finds the corners structured messages miss.
noise = st.text(st.sampled_from("aB9-: \t\n\n\n\r#()\f"), max_size=60)


# --- parsing agrees with git --------------------------------------------------------------


@EXAMPLES
@given(message=messages | noise, divider=st.booleans())
def test_parse_agrees_with_interpret_trailers(tmp_path: Path, message: str, divider: bool) -> None:
    assert parse_trailers(message, divider=divider) == git_parse(tmp_path, message, divider=divider)


@EXAMPLES
@given(message=messages | noise)
def test_parse_of_a_commit_agrees_with_git_log(repo: Path, message: str) -> None:
    stored, logged = commit_and_log(repo, message)
    assert stored == message
    assert parse_trailers(stored, divider=False) == logged


def test_commit_with_default_cleanup_agrees_with_git_log(repo: Path) -> None:
    message = "Subject  \n\n\n\nBody   \n\nKey: one  \n   two\t\nSigned-off-by: A <a@b>\n# note\n"
    run_git(repo, "commit", "-q", "--allow-empty", "-F", "-", stdin=message)
    stored = run_git(repo, "log", "-1", "--format=%B").decode()[:-1]
    logged = as_trailers(run_git(repo, "log", "-1", "--format=%(trailers:only,unfold)"))
    assert parse_trailers(stored, divider=False) == logged
    assert logged == [Trailer("Key", "one two"), Trailer("Signed-off-by", "A <a@b>")]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param("", [], id="empty"),
        pytest.param("Subject\n\nJust a body.\n", [], id="no-trailers"),
        pytest.param("Fixes: #12\n", [], id="title-is-never-trailers"),
        pytest.param("Subject\nFixes: #12\n", [], id="title-paragraph-is-never-trailers"),
        pytest.param("S\n\nFixes: #1\nmore words\n\nClosing words.\n", [], id="mid-body"),
        pytest.param(
            "S\n\nA: 1\nB: 2\nA: 3\n", [("A", "1"), ("B", "2"), ("A", "3")], id="repeated-keys"
        ),
        pytest.param("S\n\nA: 1\n\nB: 2\n", [("B", "2")], id="last-paragraph-only"),
        pytest.param(
            "S\n\nKey: first  \n  second\n\tthird\n", [("Key", "first   second third")], id="fold"
        ),
        pytest.param("S\n\nKey \t:  value  \n", [("Key", "value")], id="blanks-around-colon"),
        pytest.param("S\n\nKey:\n", [("Key", "")], id="empty-value"),
        pytest.param("S\n\ntwo words: x\nA: 1\n", [], id="blank-inside-key"),
        pytest.param("S\n\nClé: x\n", [], id="non-ascii-key"),
        pytest.param("S\n\nA: \fx\f\n", [("A", "\fx\f")], id="form-feed-is-not-blank"),
        pytest.param("S\n\nA: 1\n---\n\nB: 2\n", [("A", "1")], id="divider"),
        pytest.param("S\n\nA: 1\n--- a/f.py\n+x\n", [("A", "1")], id="divider-with-text"),
        pytest.param("S\n\nA: 1\n---x\n", [], id="not-a-divider"),
        pytest.param("S\n\nA: 1\n---", [], id="final-bare-dashes-are-text"),
        pytest.param("S\n\nA: 1\n# c\nB: 2\n\n# c\n\n", [("A", "1"), ("B", "2")], id="comments"),
        pytest.param("S\n\nA: 1\n# c\n  x\n", [], id="continuation-after-comment"),
        pytest.param(f"S\n\nA: 1\n{SCISSORS}\n\nB: 2\n", [("A", "1")], id="scissors"),
        pytest.param("S\n\nA: 1\n\nConflicts:\n\tf.py\n", [("A", "1")], id="old-conflicts-list"),
        pytest.param(
            "S\n\nwords\nwords\nwords\nSigned-off-by: A <a@b>\n",
            [("Signed-off-by", "A <a@b>")],
            id="25-percent-with-sign-off",
        ),
        pytest.param(
            "S\n\nwords\nwords\nwords\nwords\nSigned-off-by: A <a@b>\n", [], id="under-25-percent"
        ),
        pytest.param("S\n\nwords\nA: 1\n", [], id="mixed-without-git-trailer"),
        pytest.param(
            "S\n\nwords\n(cherry picked from commit 0123abc)\nA: 1\n",
            [("A", "1")],
            id="cherry-pick-counts-but-is-not-printed",
        ),
        pytest.param("S\r\n\r\nA: 1\r\nB: 2\r\n", [("A", "1"), ("B", "2")], id="crlf"),
        pytest.param("S\r\n\r\nA: 1\r\n  2\r\n", [("A", "1\r 2")], id="crlf-fold-keeps-cr"),
    ],
)
def test_edge_cases(tmp_path: Path, message: str, expected: list[tuple[str, str]]) -> None:
    assert parse_trailers(message) == expected
    assert git_parse(tmp_path, message) == expected  # the expectation is git's, not ours


def test_commits_ignore_the_divider(tmp_path: Path) -> None:
    message = "S\n\nA: 1\n---\n\nB: 2\n"
    assert parse_trailers(message, divider=False) == [("B", "2")]
    assert git_parse(tmp_path, message, divider=False) == [("B", "2")]


def test_locate_gives_the_first_line_of_each_trailer() -> None:
    message = "S\n\nbody\n\nA: 1\n  more\n# note\nB: 2\n"
    assert locate_trailers(message) == [
        LocatedTrailer(5, Trailer("A", "1 more")),
        LocatedTrailer(8, Trailer("B", "2")),
    ]


@pytest.mark.parametrize(
    ("line", "key"),
    [("Key: v", "Key"), ("Key \t: v", "Key"), ("A-1:", "A-1"), (": v", None), ("a b: v", None),
     (" Key: v", None), ("# Key: v", None), ("Key v", None)],
)  # fmt: skip
def test_line_key(line: str, key: str | None) -> None:
    assert line_key(line) == key


# --- formatting and adding ----------------------------------------------------------------


def test_format_trailers() -> None:
    trailers = [Trailer("A", "1"), Trailer("Empty", ""), Trailer("A", "x: y")]
    assert format_trailers(trailers) == "A: 1\nEmpty: \nA: x: y\n"
    assert format_trailers([]) == ""


@pytest.mark.parametrize(
    "trailer",
    [Trailer("", "v"), Trailer("Two words", "v"), Trailer("Clé", "v"), Trailer("K:", "v"),
     Trailer("K", "a\nb"), Trailer("K", "a\rb"), Trailer("K", " v"), Trailer("K", "v\t"),
     Trailer("K", "nul\0")],
)  # fmt: skip
def test_format_rejects_what_git_would_not_read_back(trailer: Trailer) -> None:
    with pytest.raises(TrailerError, match="trailer"):
        format_trailers([trailer])
    with pytest.raises(ValueError):  # a TrailerError is both a ValueError ...
        add_trailers("S\n", [trailer])
    assert issubclass(TrailerError, TalkgitError)  # ... and a one-line TalkgitError


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", "\nA: 1\n"),
        ("Subject", "Subject\n\nA: 1\n"),
        ("Subject\n\nBody", "Subject\n\nBody\n\nA: 1\n"),
        ("Subject\n\nBody\n", "Subject\n\nBody\n\nA: 1\n"),
        ("Subject\n\nBody\n  \n", "Subject\n\nBody\n  \nA: 1\n"),
        ("Subject\n\nB: 0", "Subject\n\nB: 0\nA: 1\n"),
        ("Subject\n\nB: 0\n  more\n\n# note\n", "Subject\n\nB: 0\n  more\nA: 1\n\n# note\n"),
        ("Subject\n\nB: 0\n   \n", "Subject\n\nB: 0\nA: 1\n   \n"),
        ("Subject\n\nBody\n---\n diff\n", "Subject\n\nBody\n\nA: 1\n---\n diff\n"),
        (f"S\n\nBody\n\n{SCISSORS}\nx\n", f"S\n\nBody\n\nA: 1\n\n{SCISSORS}\nx\n"),
    ],
)  # fmt: skip
def test_add_trailers_places_them_as_git_reads_them(
    tmp_path: Path, message: str, expected: str
) -> None:
    assert add_trailers(message, [Trailer("A", "1")]) == expected
    assert git_parse(tmp_path, expected) == [*git_parse(tmp_path, message), ("A", "1")]


def test_add_nothing_changes_nothing() -> None:
    assert add_trailers("Subject\n\nBody", []) == "Subject\n\nBody"


@pytest.mark.parametrize("message", ["S\n\nBody\n---", SCISSORS])
def test_add_refuses_when_a_newline_would_cut_the_message(message: str) -> None:
    with pytest.raises(TrailerError, match="cannot add trailers after a final"):
        add_trailers(message, [Trailer("A", "1")])


def test_add_after_final_dashes_without_divider(tmp_path: Path) -> None:
    added = add_trailers("S\n\nBody\n---", [Trailer("A", "1")], divider=False)
    assert git_parse(tmp_path, added, divider=False) == [("A", "1")]


@EXAMPLES
@example(message="T\n\nFixes:\n\n# a comment\n  \n", new=[Trailer("Fixes", "")], divider=False)
@given(message=messages | noise, new=st.lists(NEW_TRAILER, max_size=4), divider=st.booleans())
def test_added_trailers_read_back_after_the_old_ones(
    tmp_path: Path, message: str, new: list[Trailer], divider: bool
) -> None:
    try:
        added = add_trailers(message, new, divider=divider)
    except TrailerError:
        last = message.rsplit("\n", 1)[-1]
        assert last == SCISSORS or (divider and last == "---")
        return
    old = git_parse(tmp_path, message, divider=divider)
    assert git_parse(tmp_path, added, divider=divider) == old + new
    assert parse_trailers(added, divider=divider) == old + new


@settings(EXAMPLES, max_examples=30)
@given(new=st.lists(NEW_TRAILER, min_size=1, max_size=4))
def test_added_trailers_survive_a_real_commit(repo: Path, new: list[Trailer]) -> None:
    message = add_trailers("Subject\n\nBody text.\n\nFixes: #1\n", new, divider=False)
    _, logged = commit_and_log(repo, message)
    assert logged == [Trailer("Fixes", "#1"), *new]


def test_values_match_keys_case_insensitively_in_order() -> None:
    trailers = [Trailer("Assisted-by", "a"), Trailer("Other", "x"), Trailer("assisted-BY", "b")]
    assert values(trailers, "ASSISTED-BY") == ["a", "b"]
    assert values(trailers, "missing") == []
