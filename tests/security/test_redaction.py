"""A provider that echoes keys: none reaches anything talkgit stores, shows or shares.

The provider is the local OpenAI-protocol server, called by real litellm. Its every reply
repeats the key it was called with, the ``Authorization`` header, a secret the prompt showed
it (from a repository file) and keys of other services. Everything the run wrote is then
read with plain git — every object talkgit made, ``git log -p``, the notes, the files under
``.git`` — and after ``talkgit sync``, everything the remote received.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from talkgit import exit_codes
from talkgit.commands.run import RunOptions, resume, run
from talkgit.commands.show import show
from talkgit.commands.sync import sync
from talkgit.engine.report import PlainReporter
from talkgit.redaction import REDACTED
from tests.support.gitrepo import fsck, git, make_repo
from tests.support.openai_server import Action, Delay, OpenAIServer, RecordedRequest
from tests.support.scripts import NO_GATES, edit

MODEL = "openai/gpt-4o-mini"
KEY = "sk-test-TALKGIT-SECURITY-5150-abcdef"
VENDOR = "plain-vendor-value-7733-qwerty"  # a secret by its variable's name, not its shape
OTHER_KEYS = (
    "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "github_pat_11AAAAAAA0123456789_abcdefghijklmnop",
    "AKIAIOSFODNN7EXAMPLQ",
    "AIzaSyD-1234567890abcdefghijklmnopqrs",
    "sk-ant-api03-Zz9Yy8Xx7Ww6Vv5Uu4Tt3",
)
# Committed by the user, so in the prompt: the repository holds it, talkgit must not copy it.
REPO_KEY = "AKIAZZZZREPOFILE0042"
SETTINGS = f'DEPLOY_KEY = "{REPO_KEY}"\nVENDOR = "{VENDOR}"\n'
# Never in the user's own commits: found anywhere in the repository, talkgit put it there.
ECHOED = (KEY, *OTHER_KEYS)
EVERY_SECRET = (*ECHOED, VENDOR, REPO_KEY)


class EchoingProvider:
    """Answers a one-step run, repeating every secret it saw or knows in every reply.

    The coder's first answer has no edits, so it is asked again in the same attempt; while
    ``hold`` is set that second answer takes a minute (a run can be interrupted there).
    """

    def __init__(self) -> None:
        self.hold = False

    def __call__(self, request: RecordedRequest) -> Action:
        header = request.headers.get("authorization", "")
        prompt = "\n".join(str(m["content"]) for m in request.messages)
        seen = VENDOR if VENDOR in prompt else "nothing"
        echo = (
            f"You called me with {header.removeprefix('Bearer ')} (Authorization: {header}); "
            f"the files showed me {seen}; here are more: {' '.join(OTHER_KEYS)}."
        )
        if "planner of talkgit" in str(request.messages[0]["content"]):
            step = {"id": "wire", "agent": "coder", "goal": f"Wire the client. {echo}"}
            return json.dumps({"steps": [{**step, "files": ["settings.py"], "depends_on": []}]})
        if not any(m["role"] == "assistant" for m in request.messages):
            return f"I would rather talk. {echo}"
        code = f'TOKEN = "{OTHER_KEYS[0]}"\nKEY = "{KEY}"\n'
        answer = f"{echo}\n\n{edit('client.py', '', code)}"
        return Delay(60.0, then=answer) if self.hold else answer


def _environ(server: OpenAIServer) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": KEY,
        "VENDOR_TOKEN": VENDOR,
        "TALKGIT_API_BASE": server.base_url,
        **NO_GATES,
    }


def _repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "r", {"README.md": "# r\n", "settings.py": SETTINGS})


def _run_id(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").strip()


def _batch(repo: Path, *objects: str) -> str:
    """The contents of ``objects`` (every object in the repository when none are named)."""
    every = () if objects else ("--batch-all-objects",)
    done = subprocess.run(
        ["git", "cat-file", "--batch", *every],
        cwd=repo,
        input="".join(f"{o}\n" for o in objects).encode(),
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8", "replace")


def _written_by_talkgit(repo: Path, user: str) -> str:
    """Every object reachable from talkgit's refs and not from the user's commit ``user``."""
    refs = ("--glob=refs/talkgit", "--glob=refs/notes", "--glob=refs/heads/talkgit")
    listed = git(repo, "rev-list", "--objects", *refs, "--not", user).splitlines()
    return _batch(repo, *(line.split()[0] for line in listed))


def _plain_files(git_dir: Path) -> str:
    """Every file under the git directory but the (compressed) objects: refs, logs, config."""
    files = [p for p in git_dir.rglob("*") if p.is_file() and "objects" not in p.parts]
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in files)


def _absent(secrets: Iterable[str], **texts: str) -> None:
    for where, text in texts.items():
        found = [secret for secret in secrets if secret in text]
        assert not found, f"{where} holds {found}"


def _assert_no_secret_stored(repo: Path, user: str) -> None:
    talkgit_refs = ("--glob=refs/talkgit", "--glob=refs/notes", "--glob=refs/heads/talkgit")
    _absent(
        ECHOED,
        objects=_batch(repo),
        log=git(repo, "log", "--all", "-p", "--format=fuller"),
        git_dir=_plain_files(repo / ".git"),
    )
    _absent(
        EVERY_SECRET,
        refs=git(repo, "for-each-ref"),
        talkgit_objects=_written_by_talkgit(repo, user),
        talkgit_log=git(repo, "log", "-p", *talkgit_refs, "--not", user),
        notes=git(repo, "log", "-p", "--glob=refs/notes"),
    )


def _show(repo: Path, run_id: str) -> str:
    text, document = io.StringIO(), io.StringIO()
    assert show(repo, run_id, out=text) == exit_codes.OK
    assert show(repo, run_id, as_json=True, out=document) == exit_codes.OK
    return text.getvalue() + document.getvalue()


def test_an_echoed_key_reaches_no_ledger_note_commit_output_or_remote(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    user = git(repo, "rev-parse", "main").strip()
    out, progress = io.StringIO(), io.StringIO()
    with OpenAIServer(fallback=EchoingProvider()) as server:
        code = run(
            repo,
            "wire the client",
            RunOptions(model=MODEL),
            out=out,
            reporter=PlainReporter(progress),
            environ=_environ(server),
        )
        sent = server.requests
    assert code == exit_codes.OK, progress.getvalue()
    assert all(KEY in r.headers["authorization"] for r in sent)  # the key was really in use
    run_id = _run_id(repo)
    ledger = f"refs/talkgit/runs/{run_id}"

    # What the model said is stored redacted, and the run still did what it asked.
    assert git(repo, "show", f"talkgit/{run_id}/integration:client.py") == (
        f'TOKEN = "{REDACTED}"\nKEY = "{REDACTED}"\n'
    )
    transcript = git(repo, "show", f"{ledger}:transcripts/01-wire.json")
    assert f"Authorization: Bearer {REDACTED}" in transcript
    assert f'DEPLOY_KEY = \\"{REDACTED}\\"' in transcript  # the prompt side: settings.py
    assert REDACTED in json.loads(git(repo, "show", f"{ledger}:plan.json"))["steps"][0]["goal"]
    _assert_no_secret_stored(repo, user)
    _absent(EVERY_SECRET, output=out.getvalue(), progress=progress.getvalue())
    _absent(EVERY_SECRET, show=_show(repo, run_id))

    # The note's hashes are of what the ledger holds: its cache entry and that entry's text.
    note = json.loads(
        git(repo, "notes", "--ref=talkgit/steps", "show", f"talkgit/{run_id}/01-wire")
    )
    entry = json.loads(git(repo, "show", f"{ledger}:cache/{note['prompt_sha256']}.json"))
    assert note["response_sha256"] == hashlib.sha256(entry["text"].encode()).hexdigest()

    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")  # the user's own commits are theirs to share
    assert sync(repo, "origin", out=io.StringIO()) == exit_codes.OK
    assert git(remote, "for-each-ref", "--format=%(refname)", "refs/talkgit/runs").strip() == ledger
    _absent(ECHOED, remote_objects=_batch(remote))
    received = git(remote, "rev-list", "--objects", "--all", "--not", user).splitlines()
    _absent(EVERY_SECRET, remote_talkgit=_batch(remote, *(r.split()[0] for r in received)))
    fsck(repo)


def _wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_resume_replays_the_redacted_reply_from_the_cache(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    user = git(repo, "rev-parse", "main").strip()
    provider = EchoingProvider()
    provider.hold = True
    with OpenAIServer(fallback=provider) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "talkgit", "run", "--model", MODEL, "wire the client"],
            cwd=repo,
            env={**os.environ, **_environ(server)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_for(lambda: server.calls == 3)  # planned; the coder's second call is in flight
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == exit_codes.INTERRUPTED, err
        _absent(EVERY_SECRET, stderr=err)
        interrupted = server.requests

        provider.hold = False
        progress = io.StringIO()
        code = resume(
            repo,
            _run_id(repo),
            RunOptions(model=MODEL),
            out=io.StringIO(),
            reporter=PlainReporter(progress),
            environ=_environ(server),
        )
        resumed = server.requests[len(interrupted) :]
    assert code == exit_codes.OK, progress.getvalue()
    # The coder's first answer came from the cache: only the unanswered call was made again,
    # carrying the replayed answer — the redacted text the interrupted run had been given.
    assert len(resumed) == 1
    assert resumed[0].messages == interrupted[2].messages
    replayed = resumed[0].messages[2]
    assert replayed["role"] == "assistant" and REDACTED in replayed["content"]
    _absent(EVERY_SECRET, replayed=replayed["content"])
    run_id = _run_id(repo)
    assert REDACTED in git(repo, "show", f"talkgit/{run_id}/integration:client.py")
    _assert_no_secret_stored(repo, user)
