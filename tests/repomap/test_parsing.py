"""Many files parsed at once: a pool of processes gives what one process gives."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from talkgit.repomap.parsing import POOL_FROM, extract_all
from talkgit.repomap.symbols import extract

ROOT = Path(__file__).resolve().parents[2]


def jobs(count: int) -> list[tuple[str, bytes]]:
    made = []
    for n in range(count):
        source = f"LIMIT_{n} = {n}\n\n\ndef handle_{n}(value):\n    return other_{n + 1}(value)\n"
        made.append((f"pkg/mod_{n}.py" if n % 3 else f"web/mod_{n}.js", source.encode()))
    return made


def test_a_pool_parses_what_one_process_parses_in_the_same_order():
    work = jobs(POOL_FROM + 7)

    pooled = extract_all(work, workers=2)

    assert pooled == [extract(path, data) for path, data in work]


def test_few_files_or_one_worker_stay_in_this_process(monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("no pool for this")

    monkeypatch.setattr("talkgit.repomap.parsing._in_pool", no_pool)

    assert len(extract_all(jobs(POOL_FROM - 1), workers=8)) == POOL_FROM - 1
    assert len(extract_all(jobs(POOL_FROM + 1), workers=1)) == POOL_FROM + 1


def test_without_processes_to_be_had_it_parses_here(monkeypatch):
    def refused(*args, **kwargs):
        raise OSError("fork: Resource temporarily unavailable")

    monkeypatch.setattr("talkgit.repomap.parsing.ProcessPoolExecutor", refused)
    work = jobs(POOL_FROM)

    assert extract_all(work, workers=2) == [extract(path, data) for path, data in work]


def test_a_program_read_from_standard_input_parses_in_its_own_process():
    # A spawned worker imports the program's __main__ first: "<stdin>" is no file to import.
    out = run_python_from_stdin(
        """
        from talkgit.repomap import parsing
        parsing._in_pool = None  # would fail if called
        print(len(parsing.extract_all([("a.py", b"def f(): pass")] * parsing.POOL_FROM, 2)))
        """
    )

    assert out == str(POOL_FROM)


def run_python_from_stdin(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-"],
        input=textwrap.dedent(code),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
