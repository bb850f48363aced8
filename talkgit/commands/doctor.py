"""`talkgit doctor`: is this machine ready? Checks tools and keys and says what to fix.

A key's value is never printed, only whether its variable is set. Plug-ins are listed with
the distribution each comes from; a broken one is a note, not a failure: talkgit works
without it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from talkgit import exit_codes
from talkgit.errors import TalkgitError
from talkgit.git.command import git
from talkgit.proc import cmd_output, find_program

GATE_TOOLS = ("ruff", "mypy", "bandit", "pytest")
MODEL_KEY_VARIABLES = {
    "OPENAI_API_KEY": "openai/…",
    "ANTHROPIC_API_KEY": "anthropic/…",
    "GEMINI_API_KEY": "gemini/…",
    "MISTRAL_API_KEY": "mistral/…",
    "GROQ_API_KEY": "groq/…",
    "OPENROUTER_API_KEY": "openrouter/…",
    "OLLAMA_API_BASE": "ollama_chat/… (a local server, no key)",
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def doctor(
    directory: Path, *, environ: Mapping[str, str] | None = None, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    env = os.environ if environ is None else environ
    checks = [_git(), _pygit2(), *(_tool(name) for name in GATE_TOOLS), _repository(directory)]
    checks += _model_keys(env)
    checks += _plugins()
    for check in checks:
        mark = "ok  " if check.ok else ("FAIL" if check.required else "note")
        out.write(f"{mark}  {check.name:<22} {check.detail}\n")
        if not check.ok and check.fix:
            out.write(f"      fix: {check.fix}\n")
    broken = [c for c in checks if c.required and not c.ok]
    out.write("\ntalkgit is ready.\n" if not broken else f"\n{len(broken)} problem(s) to fix.\n")
    return exit_codes.OK if not broken else exit_codes.FAILURE


def _probe(name: str, fix: str, version: Callable[[], str]) -> Check:
    try:
        return Check(name, True, version())
    except (TalkgitError, OSError, ImportError) as exc:
        return Check(name, False, str(exc), fix)


def _git() -> Check:
    return _probe("git", "install git 2.30 or newer", lambda: git("--version").stdout.strip())


def _pygit2() -> Check:
    def version() -> str:
        from talkgit.git.repo import library_versions

        return library_versions()

    return _probe("pygit2", "pip install --upgrade pygit2", version)


def _tool(name: str) -> Check:
    def version() -> str:
        executable = find_program(name)
        if executable is None:
            raise TalkgitError(f"{name} is neither on PATH nor beside talkgit's Python")
        lines = cmd_output(executable, "--version", timeout=60).stdout.strip().splitlines()
        return f"{lines[0] if lines else '(no version printed)'} at {executable}"

    return _probe(f"gate: {name}", f"pip install {name}", version)


def _repository(directory: Path) -> Check:
    from talkgit.git.repo import GitRepo

    def describe() -> str:
        repo = GitRepo.discover(directory)
        shallow = " (shallow clone: blame and history need `git fetch --unshallow`)"
        return f"{repo.workdir}{shallow if repo.is_shallow else ''}"

    check = _probe("repository", "run talkgit inside a git repository with a commit", describe)
    return Check(check.name, check.ok, check.detail, check.fix, required=False)


def _model_keys(env: Mapping[str, str]) -> list[Check]:
    found = [
        Check(f"model: {hint}", True, f"{var} is set")
        for var, hint in MODEL_KEY_VARIABLES.items()
        if env.get(var)
    ]
    if found:
        return found
    return [
        Check(
            "model keys",
            False,
            "no provider key is set; only the offline scripted model will work",
            "export OPENAI_API_KEY=… (or another provider's key); try `talkgit demo` offline",
            required=False,
        )
    ]


def _plugins() -> list[Check]:
    from talkgit.agents.registry import agent_plugins
    from talkgit.gates.registry import gate_plugins

    checks: list[Check] = []
    for found in (agent_plugins(), gate_plugins()):
        checks += [
            Check(f"plug-in: {p.name}", True, f"{p.group}, from {p.dist}") for p in found.plugins
        ]
        checks += [
            Check(
                f"plug-in: {p.name}",
                False,
                f"{p.group}, from {p.dist}: skipped: {p.reason}",
                f"talkgit works without it; fix or uninstall {p.dist}",
                required=False,
            )
            for p in found.problems
        ]
    return checks or [Check("plug-ins", True, "none installed")]
