from __future__ import annotations

import io
import shutil
from pathlib import Path

from talkgit import exit_codes
from talkgit.commands.doctor import doctor
from talkgit.proc import find_program
from tests.support.tools import git_only_path, nothing_beside_python


def test_ready_machine_reports_tools_and_key_presence_only(repo: Path) -> None:
    out = io.StringIO()
    fake_key = "sk-test-TALKGIT-FAKE-doctor-123456"
    code = doctor(repo, environ={"OPENAI_API_KEY": fake_key}, out=out)
    text = out.getvalue()
    assert code == exit_codes.OK, text
    for tool in ("git", "pygit2", "ruff", "mypy", "bandit", "pytest"):
        assert tool in text
    assert "OPENAI_API_KEY is set" in text
    assert fake_key not in text
    assert "talkgit is ready" in text


def test_no_keys_is_a_note_not_a_failure(repo: Path) -> None:
    out = io.StringIO()
    assert doctor(repo, environ={}, out=out) == exit_codes.OK
    assert "no provider key is set" in out.getvalue()
    assert "talkgit demo" in out.getvalue()


def test_missing_gate_tool_fails_with_a_fix(repo: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # git too: doctor must say so, not crash
    nothing_beside_python(monkeypatch, tmp_path / "empty")
    out = io.StringIO()
    assert doctor(repo, environ={}, out=out) == exit_codes.FAILURE
    text = out.getvalue()
    assert "FAIL  gate: mypy" in text and "fix: pip install mypy" in text
    assert "FAIL  git" in text


def test_outside_a_repository_is_only_a_note(tmp_path: Path) -> None:
    out = io.StringIO()
    assert doctor(tmp_path, environ={}, out=out) == exit_codes.OK
    assert "note  repository" in out.getvalue()


def test_gate_tools_off_path_are_found_beside_talkgits_python(repo: Path, monkeypatch) -> None:
    git_dir = git_only_path()
    monkeypatch.setenv("PATH", git_dir)  # as under pipx: talkgit's tools are not on it
    out = io.StringIO()
    doctor(repo, environ={}, out=out)
    lines = out.getvalue().splitlines()
    for tool in ("ruff", "mypy", "bandit"):
        line = next(line for line in lines if f"gate: {tool} " in line)
        assert line.startswith("ok") and f"at {find_program(tool)}" in line
    if shutil.which("pytest", path=git_dir) is None:
        # pytest must be the project's own: talkgit's would judge the wrong environment
        assert any(line.startswith("FAIL  gate: pytest") for line in lines)
