"""Extracting the symbols of many files: in this process, or a pool of processes when a
cold build has enough files to repay starting them.

``ast`` reads Django's 465,000 lines in about 6 seconds: a big repository's first map is
seconds of parsing, and a process per core divides it. The pool's processes are spawned,
not forked: a fork copies the locks other threads (parallel lanes, libgit2) hold then.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Final

from talkgit.repomap import collector
from talkgit.repomap.symbols import FileSymbols, extract

POOL_FROM: Final = 400  # files: fewer parse faster than two processes start
CHUNKS_PER_WORKER: Final = 4  # a worker that drew the big files does not hold up the rest

Job = tuple[str, bytes]  # a path (its name picks the language) and the file's bytes


def extract_all(jobs: Sequence[Job], workers: int | None = None) -> list[FileSymbols]:
    """The symbols of each job, in order; ``workers`` processes (default: one per core)."""
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 2 or len(jobs) < POOL_FROM or not _main_importable():
        return [extract(path, data) for path, data in jobs]
    try:
        return _in_pool(jobs, workers)
    except (OSError, BrokenProcessPool):
        # No processes to be had (a sandbox, a limit on processes): it only takes longer.
        return [extract(path, data) for path, data in jobs]


def _main_importable() -> bool:
    """Whether a spawned process can import this program's ``__main__``, as it does first.

    A script read from standard input cannot be (its workers would fail, and say so). A
    script run by path is imported in each worker: like any program using multiprocessing,
    it must keep its work under ``if __name__ == "__main__":`` (talkgit's own entry points
    and pytest do).
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path is None or getattr(main, "__spec__", None) is not None or Path(path).is_file()


def _in_pool(jobs: Sequence[Job], workers: int) -> list[FileSymbols]:
    size = -(-len(jobs) // (workers * CHUNKS_PER_WORKER))
    chunks = [jobs[start : start + size] for start in range(0, len(jobs), size)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return [symbols for done in pool.map(_extract_chunk, chunks) for symbols in done]


def _extract_chunk(jobs: Sequence[Job]) -> list[FileSymbols]:
    # ast's trees hold no cycles: the collector would walk every node a parse makes and
    # free nothing (a quarter of a worker's time).
    with collector.paused():
        return [extract(path, data) for path, data in jobs]
