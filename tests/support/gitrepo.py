"""Real git repositories for tests, made and inspected with the plain git CLI."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path


def git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    """Run the real git CLI in ``cwd`` and return stdout; fail the test on a non-zero exit."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
    return done.stdout


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """``git init`` at ``path`` and commit ``files`` (default: a README and a module)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for name, text in (files or {"README.md": "# sample\n", "pkg/mod.py": "X = 1\n"}).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def commit_file(path: Path, name: str, text: str, message: str = "change") -> str:
    """Write ``name`` in the working tree, commit it with the CLI, return the new HEAD sha."""
    target = path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    git(path, "add", name)
    git(path, "commit", "-q", "-m", message)
    return git(path, "rev-parse", "HEAD").strip()


def user_state(path: Path) -> str:
    """A digest of everything the user owns: working tree, index, HEAD, stash, non-talkgit refs.

    talkgit must leave this unchanged; tests compare it before and after.
    """
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if ".git" not in p.parts and p.is_file()):
        digest.update(str(file.relative_to(path)).encode() + b"\0" + file.read_bytes())
    digest.update((path / ".git" / "index").read_bytes())
    digest.update((path / ".git" / "HEAD").read_bytes())
    refs = git(path, "for-each-ref", "--format=%(refname) %(objectname)")
    user_refs = [r for r in refs.splitlines() if "talkgit" not in r.split()[0]]
    digest.update("\n".join(user_refs).encode())
    return digest.hexdigest()


def fsck(path: Path) -> None:
    """``git fsck --strict`` must be clean after every talkgit operation."""
    done = subprocess.run(
        ["git", "fsck", "--strict", "--no-progress"],
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "error" not in done.stderr, done.stderr
