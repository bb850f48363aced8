"""How much does recording one agent step cost, as the repository grows?

For generated repositories of 1k, 10k and 100k files, time ``record_step`` (blobs + trees
+ commit + branch + note + ledger update, in one compare-and-swap) with 1-5 changed files,
beside copying the working tree into a numbered folder (the old design this replaces).

The sizes take their steps in turn (step n of each, then step n + 1), so the disk's busy
spells fall on every size alike.

Targets (issue 2): median <= 5 ms per step at 100k files, and the 100k-file median <=
1.5x the 1k-file median: the cost follows the change, not the repository.

    python benchmarks/step_overhead.py [--sizes 1000,10000,100000] [--steps 100]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import pygit2

from talkgit.edits.model import FileChange
from talkgit.git.ledger import Ledger, dump_json
from talkgit.git.names import step_branch
from talkgit.git.repo import GitRepo
from talkgit.provenance.record import record_step
from talkgit.provenance.schema import GitRecord, StepNote, StepRef

FILES_PER_DIRECTORY = 100
RUN_ID = "bench000"


def make_repository(root: Path, files: int) -> GitRepo:
    """A repository whose HEAD commit and working tree hold ``files`` small Python files.

    The commit goes in through `git fast-import`, as one pack, the way a clone arrives.
    Everything is synced to disk before anything is timed: the steps must not be measured
    against the writeback of the repository just generated.
    """
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream = bytearray(b"commit refs/heads/main\n")
    stream += b"committer bench <bench@example.com> 0 +0000\ndata 10\ngenerated\n"
    for index in range(files):
        path = root / _path(index)
        text = f"VALUE_{index} = {index}\n".encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text)
        stream += b"M 100644 inline %s\ndata %d\n%s\n" % (_path(index).encode(), len(text), text)
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=stream, check=True)
    os.sync()
    return GitRepo(pygit2.Repository(str(root)))


def _path(index: int) -> str:
    return f"src/d{index // FILES_PER_DIRECTORY:04d}/f{index}.py"


class StepTimer:
    """Records steps on one repository and keeps how long each took."""

    def __init__(self, repo: GitRepo, files: int, rng: random.Random) -> None:
        self.repo, self.files, self.rng = repo, files, rng
        self.ledger = Ledger(repo, RUN_ID)
        self.ledger.write({"run.json": dump_json({"run": RUN_ID})})
        self.base = repo.head()
        self.durations: list[float] = []

    def step(self, index: int) -> None:
        changes = [
            FileChange(_path(n), f"CHANGED = {index}\n".encode())
            for n in self.rng.sample(range(self.files), self.rng.randint(1, 5))
        ]
        started = time.perf_counter()
        record_step(
            self.repo,
            self.ledger,
            branch=step_branch(RUN_ID, index, "edit"),
            base=self.base,
            changes=changes,
            message=f"step {index}\n\nTalkgit-Run: {RUN_ID}\n",
            note=partial(_note, index, base=self.base),
            ledger_files=partial(_step_file, index),
        )
        self.durations.append(time.perf_counter() - started)


def _step_file(index: int, commit: str) -> dict[str, bytes | None]:
    return {f"steps/{index:02d}-edit.json": dump_json({"commit": commit})}


def _note(index: int, commit: str, tree: str, *, base: str) -> StepNote:
    now = datetime.now(timezone.utc)
    return StepNote(
        run=RUN_ID,
        step=StepRef(index=index, id="edit"),
        agent="coder",
        model="scripted/bench",
        prompt_sha256="0" * 64,
        response_sha256="0" * 64,
        git=GitRecord(commit=commit, tree=tree, base=base),
        started=now,
        finished=now,
    )


def time_copies(root: Path, copies: int) -> list[float]:
    durations = []
    for index in range(copies):
        target = root.parent / f"talk{index + 1}"
        started = time.perf_counter()
        shutil.copytree(root, target, ignore=shutil.ignore_patterns(".git"))
        durations.append(time.perf_counter() - started)
        shutil.rmtree(target)
    return durations


def _object_files(root: Path) -> tuple[int, int]:
    """How the steps' objects were left: pack files, and loose objects."""
    objects = root / ".git" / "objects"
    packs = len(list((objects / "pack").glob("*.pack")))
    loose = sum(1 for path in objects.glob("??/*") if path.is_file())
    return packs, loose


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--copies", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(1)
    sizes = [int(size) for size in args.sizes.split(",")]
    medians: dict[int, float] = {}
    print(
        f"{'files':>8} {'step median':>12} {'step p90':>10} {'step mean':>10} "
        f"{'copy median':>12} {'copy/step':>10} {'packs':>6} {'loose':>6}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        roots = {files: Path(scratch) / f"repo{files}" for files in sizes}
        timers = {
            files: StepTimer(make_repository(roots[files], files), files, rng) for files in sizes
        }
        # Round-robin: step n of every size runs before step n + 1 of any, so a busy spell
        # of the disk slows every size alike instead of whichever was being timed.
        for index in range(1, args.steps + 1):
            for timer in timers.values():
                timer.step(index)
        for files, timer in timers.items():
            steps = sorted(timer.durations)
            packs, loose = _object_files(roots[files])
            copies = time_copies(roots[files], args.copies)
            medians[files] = statistics.median(steps)
            p90 = steps[int(len(steps) * 0.9) - 1]
            copy = statistics.median(copies)
            mean = statistics.mean(steps)
            print(
                f"{files:>8} {medians[files] * 1e3:>10.2f}ms {p90 * 1e3:>8.2f}ms "
                f"{mean * 1e3:>8.2f}ms {copy * 1e3:>10.1f}ms {copy / medians[files]:>9.0f}x "
                f"{packs:>6} {loose:>6}"
            )
    smallest, largest = min(medians), max(medians)
    ratio = medians[largest] / medians[smallest]
    print(
        f"\nmedian at {largest} files: {medians[largest] * 1e3:.2f} ms (target <= 5 ms): "
        f"{'met' if medians[largest] <= 0.005 else 'MISSED'}"
    )
    print(
        f"ratio {largest}/{smallest} files: {ratio:.2f}x (target <= 1.5x): "
        f"{'met' if ratio <= 1.5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
