"""Each tree tested once: test runs cached by tree, test command and Python environment.

A step's head is tested by the pytest gate and then, once merged, by the tester agent;
a run's base by every step that is judged against it. The results depend on the tree's
content, the command, and the packages installed where the command runs, so those make
the key: the environment's stamp is the interpreter, its version and the modification
times of its import path's directories, which change when a package is installed,
upgraded or removed. A run whose results cannot be trusted (``SuiteRun.error``) is never
stored, and a command whose interpreter cannot be told is never cached.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from talkgit.errors import ToolError
from talkgit.files import write_atomically
from talkgit.proc import cmd_output
from talkgit.testing.junit import TestCase, TestReport
from talkgit.testing.suite import SuiteRun, run_suite

CACHE_FORMAT = 1  # bump when the stored record changes shape

_STAMP_CODE = (
    "import os, sys\n"
    "print(sys.executable, sys.version)\n"
    "for p in sys.path:\n"
    "    if os.path.isdir(p):\n"
    "        print(p, os.stat(p).st_mtime_ns)\n"
)

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def run_for_tree(
    root: Path,
    tree: str,
    command: Sequence[str],
    *,
    cache: Path | None,
    scratch: Path,
    timeout: float,
    environ: Mapping[str, str] | None = None,
) -> tuple[SuiteRun, bool]:
    """The test run of ``root`` (whose git tree id is ``tree``), and whether it was cached.

    Without a ``cache`` directory or a ``tree`` id the command simply runs. Two threads
    asking for the same key wait for one run.
    """
    key = _key(tree, command, environ) if cache is not None and tree else None
    if cache is None or key is None:
        return run_suite(root, command, scratch=scratch, timeout=timeout, environ=environ), False
    store = SuiteCache(cache)
    with _lock(key):
        cached = store.get(key)
        if cached is not None:
            return cached, True
        run = run_suite(root, command, scratch=scratch, timeout=timeout, environ=environ)
        store.put(key, run)
        return run, False


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _key(tree: str, command: Sequence[str], environ: Mapping[str, str] | None) -> str | None:
    env = os.environ if environ is None else environ
    interpreter = interpreter_of(command, env.get("PATH"))
    stamp = _stamp(interpreter, env.get("PYTHONPATH", "")) if interpreter else None
    if stamp is None:
        return None
    return "\0".join((tree, *command, stamp))


def interpreter_of(command: Sequence[str], path: str | None) -> str | None:
    """The Python that runs ``command``: the program itself, or its script's ``#!`` line."""
    program = shutil.which(command[0], path=path) if command else None
    if program is None:
        return None
    if Path(program).name.startswith("python"):
        return program
    try:
        with Path(program).open("rb") as script:
            first = script.readline(512)
    except OSError:
        return None
    words = first[2:].decode("utf-8", "replace").split() if first.startswith(b"#!") else []
    if words and Path(words[0]).name == "env" and len(words) > 1:
        return shutil.which(words[1], path=path)
    return words[0] if words and Path(words[0]).name.startswith("python") else None


@functools.lru_cache(maxsize=16)
def _stamp(interpreter: str, pythonpath: str) -> str | None:
    """Once per process: a run's environment does not change under it."""
    env = {**os.environ, "PYTHONPATH": pythonpath}
    try:
        output = cmd_output(interpreter, "-c", _STAMP_CODE, env=env, timeout=60)
    except ToolError:
        return None
    return hashlib.sha256(output.stdout.encode("utf-8")).hexdigest()


# --- the store ---------------------------------------------------------------------------------


class _CaseRecord(BaseModel):
    id: str
    outcome: str
    message: str
    path: str
    line: int


class _RunRecord(BaseModel):
    format: int
    command: list[str]
    returncode: int
    cases: list[_CaseRecord] | None
    output_tail: str
    duration_s: float


class SuiteCache:
    """Test runs, one ``<sha256 of key>.json`` file each under ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, key: str) -> SuiteRun | None:
        try:
            record = _RunRecord.model_validate_json(self._file(key).read_bytes())
        except (OSError, ValidationError):
            return None
        if record.format != CACHE_FORMAT:
            return None
        report = None
        if record.cases is not None:
            report = TestReport(tuple(TestCase(**case.model_dump()) for case in record.cases))
        return SuiteRun(
            tuple(record.command),
            record.returncode,
            report,
            record.output_tail,
            record.duration_s,
        )

    def put(self, key: str, run: SuiteRun) -> None:
        if run.error is not None:
            return
        cases = None
        if run.report is not None:
            cases = [
                {"id": c.id, "outcome": c.outcome, "message": c.message, "path": c.path}
                | {"line": c.line}
                for c in run.report.cases
            ]
        record = {
            "format": CACHE_FORMAT,
            "command": list(run.command),
            "returncode": run.returncode,
            "cases": cases,
            "output_tail": run.output_tail,
            "duration_s": run.duration_s,
        }
        write_atomically(self._file(key), json.dumps(record, sort_keys=True))

    def _file(self, key: str) -> Path:
        return self.path / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()}.json"
