"""`talkgit check-message FILE`: the commit-msg check, on message files as git writes them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talkgit import exit_codes
from talkgit.cli import main
from talkgit.commands.check_message import check_message
from talkgit.errors import NotFoundError

GOOD = (
    "Add the parser\n"
    "\n"
    "Talkgit-Run: a1b2c3d4\n"
    "Talkgit-Step: 03/parse\n"
    "Talkgit-Agent: coder\n"
    "Assisted-by: talkgit-coder:openai/gpt-4o\n"
)
BROKEN = (
    "Add the parser\n"  # 1
    "\n"
    "Talkgit-Run: a1b2c3d4\n"  # 3
    "Talkgit-Step: 3/parse\n"  # 4
    "Talkgit-Agent: coder\n"  # 5
    "Talkgit-Gates: ruff=pass mypy=ok\n"  # 6
)
# What `git commit` (no -m) leaves in COMMIT_EDITMSG: the message, then its comments.
TEMPLATE_TAIL = (
    "# Please enter the commit message for your changes. Lines starting\n"
    "# with '#' will be ignored, and an empty message aborts the commit.\n"
    "#\n"
    "# ------------------------ >8 ------------------------\n"
    "# Do not modify or remove the line above.\n"
    "diff --git a/x.py b/x.py\n"
    "+Talkgit-Run: an added line of a file, not a trailer\n"
)


def _check(path: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = check_message(path, shown="MSG", out=out)
    return code, out.getvalue()


def _message(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "COMMIT_EDITMSG"
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def test_a_well_formed_claim_passes_silently(tmp_path: Path) -> None:
    assert _check(_message(tmp_path, GOOD)) == (exit_codes.OK, "")


def test_a_human_message_passes_silently(tmp_path: Path) -> None:
    human = "Fix the thing\n\nReviewed-by: Someone <s@example.com>\nAssisted-by: Copilot\n"
    assert _check(_message(tmp_path, human)) == (exit_codes.OK, "")


def test_each_fault_is_printed_as_file_line_reason(tmp_path: Path) -> None:
    code, out = _check(_message(tmp_path, BROKEN))
    assert code == exit_codes.FAILURE
    lines = out.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == ["MSG:4", "MSG:6"]
    assert "not <NN>/<step-id>" in lines[0]
    assert "unknown verdict 'ok'" in lines[1]


def test_the_editor_template_after_the_message_is_ignored(tmp_path: Path) -> None:
    assert _check(_message(tmp_path, GOOD + TEMPLATE_TAIL)) == (exit_codes.OK, "")
    code, out = _check(_message(tmp_path, BROKEN + TEMPLATE_TAIL))
    assert code == exit_codes.FAILURE
    assert out.startswith("MSG:4: ")


def test_crlf_and_other_encodings_are_read_as_git_would(tmp_path: Path) -> None:
    assert _check(_message(tmp_path, GOOD.replace("\n", "\r\n")))[0] == exit_codes.OK
    latin1 = "Caf\xe9 au lait\n\nFixed-by: Andr\xe9\n".encode("latin-1")
    assert _check(_message(tmp_path, latin1)) == (exit_codes.OK, "")


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="MSG: no such file"):
        check_message(tmp_path / "absent", shown="MSG")


def test_the_command_line_names_the_file_as_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _message(tmp_path, BROKEN)
    code = main(["-C", str(tmp_path), "check-message", "COMMIT_EDITMSG"])
    assert code == exit_codes.FAILURE
    assert capsys.readouterr().out.splitlines()[0].startswith("COMMIT_EDITMSG:4: ")
    assert main(["-C", str(tmp_path), "check-message", "absent"]) == exit_codes.NOT_FOUND
    assert capsys.readouterr().err == "talkgit: error: absent: no such file\n"


KEYS = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True).filter(
    lambda key: not key.lower().startswith("talkgit-")
)
VALUES = st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=40)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80), st.lists(st.tuples(KEYS, VALUES), max_size=6))
def test_trailers_without_a_talkgit_key_always_pass(
    tmp_path: Path, body: str, trailers: list[tuple[str, str]]
) -> None:
    # Only a Talkgit-* key makes a claim to check; any other trailer, even an
    # `Assisted-by: talkgit-...`, is someone else's business.
    block = "".join(f"{key}: {value}\n" for key, value in trailers)
    message = f"Subject\n\n{body.replace('Talkgit-', '')}\n\n{block}"
    assert _check(_message(tmp_path, message)) == (exit_codes.OK, "")
