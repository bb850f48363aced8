"""A full disk during run, resume, finish or check: one line, exit 9, nothing half-written.

The repository and the temporary directory (where talkgit's private worktrees live) sit
on a small tmpfs; a filler file leaves a chosen amount free at a chosen moment. Every
command runs as a user runs it, in a process of its own, so what reaches stderr is what a
person would read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from talkgit import exit_codes
from tests.support.gitrepo import fsck, git, make_repo
from tests.support.scripts import NO_GATES, edit, plan_reply, scripted_model

DISK_SIZE = "8m"
# Temporaries a writer leaves when it dies half-way: ours, libgit2's and git's.
DEBRIS = ("*.tmp", "tmp_pack_*", "tmp_obj_*", "tmp_idx_*", "*.lock", "run.lock.*")


class Disk(NamedTuple):
    root: Path
    repo: Path
    env: dict[str, str]

    def leave_free(self, kib: int) -> None:
        """Fill the disk with one file so that ``kib`` KiB stay free."""
        stats = os.statvfs(self.root)
        free = stats.f_bavail * stats.f_frsize
        with (self.root / "filler").open("ab") as filler:
            filler.write(b"\0" * max(0, free - kib * 1024))

    def make_room(self) -> None:
        (self.root / "filler").unlink()

    def talkgit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "talkgit", *args],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    root = tmp_path / "disk"
    root.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        temporary = root / "tmp"
        temporary.mkdir()
        env = {**os.environ, **NO_GATES, "TMPDIR": str(temporary)}
        yield Disk(root, make_repo(root / "app", {"app.py": "X = 1\n"}), env)
    finally:
        subprocess.run(["umount", str(root)], check=True)


def _assert_full_disk_reported(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == exit_codes.NO_SPACE, done.stderr
    assert "Traceback" not in done.stderr
    # Progress lines go to stderr too; the error is the last line, and the only one.
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("talkgit:")]
    assert error == done.stderr.splitlines()[-1]
    assert error.startswith("talkgit: error: no space left on device while "), error


def _assert_nothing_half_written(disk: Disk) -> None:
    fsck(disk.repo)
    debris = [str(p) for pattern in DEBRIS for p in disk.root.rglob(pattern)]
    assert not debris


def _model(tmp_path: Path, new_text: str) -> str:
    """A scripted run of one coder step that replaces app.py with ``new_text``."""
    reply = edit("app.py", "X = 1\n", new_text)
    return scripted_model(
        tmp_path, {"planner": [plan_reply(("one", "coder", []))], "coder": [reply] * 3}
    )


def _runs(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs").split()


def _integrated(repo: Path, run_id: str) -> str:
    return git(repo, "show", f"talkgit/{run_id}/integration:app.py")


@pytest.mark.parametrize("free_kib", [0, 40, 100])
def test_a_run_on_a_full_disk_stops_in_one_line_and_resumes(
    disk: Disk, tmp_path: Path, free_kib: int
) -> None:
    model = _model(tmp_path, "X = 2\n")
    disk.leave_free(free_kib)
    _assert_full_disk_reported(disk.talkgit("run", "--model", model, "change X"))
    _assert_nothing_half_written(disk)

    disk.make_room()
    runs = _runs(disk.repo)
    if not runs:  # full before the run was recorded: there is nothing to resume
        assert disk.talkgit("run", "--model", model, "change X").returncode == exit_codes.OK
        runs = _runs(disk.repo)
    else:
        done = disk.talkgit("resume", "--model", model)
        assert done.returncode == exit_codes.OK, done.stderr
    (run_id,) = runs
    assert _integrated(disk.repo, run_id) == "X = 2\n"
    fsck(disk.repo)


def test_an_edit_larger_than_the_free_space_stops_the_run_mid_step(
    disk: Disk, tmp_path: Path
) -> None:
    # Hex of random bytes: zlib halves it at best, so the blob cannot fit in what is left.
    big = f"X = {os.urandom(1 << 20).hex()!r}\n"
    model = _model(tmp_path, big)
    disk.leave_free(512)
    _assert_full_disk_reported(done := disk.talkgit("run", "--model", model, "change X"))
    (run_id,) = _runs(disk.repo)
    assert f"`talkgit resume {run_id}`" in done.stderr
    _assert_nothing_half_written(disk)

    disk.make_room()
    resumed = disk.talkgit("resume", "--model", model, run_id)
    assert resumed.returncode == exit_codes.OK, resumed.stderr
    assert _integrated(disk.repo, run_id) == big
