"""A full disk during run, resume, finish or check: one line, exit 9, nothing half-written.

The repository and the temporary directory (where talkgit's private worktrees live) sit
on a small tmpfs; a filler file leaves a chosen amount free at a chosen moment. Every
command goes through ``talkgit.cli.main``, the entry point's handler, so what reaches
stderr is what a person would read; in this process, as an interpreter per command would
cost more than the tests' budget.
"""

from __future__ import annotations

import gc
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from talkgit import exit_codes
from talkgit.cli import main
from tests.support.gitrepo import fsck, git, make_repo
from tests.support.scripts import NO_GATES, edit, plan_reply, scripted_model

DISK_SIZE = "64m"  # room for a run of the 1 MiB edit below, its worktrees and packs
# Temporaries a writer leaves when it dies half-way: ours, libgit2's and git's.
# .talkgit-tmp-*: talkgit's own pack temporaries (talkgit/git/packs.py)
DEBRIS = ("*.tmp", "tmp_pack_*", "tmp_obj_*", "tmp_idx_*", "*.lock", "run.lock.*", ".talkgit-tmp-*")


class Done(NamedTuple):
    returncode: int
    stderr: str


class Disk(NamedTuple):
    root: Path
    repo: Path
    capture: pytest.CaptureFixture[str]

    def leave_free(self, kib: int) -> None:
        """Fill the disk with one file so that ``kib`` KiB stay free."""
        stats = os.statvfs(self.root)
        free = stats.f_bavail * stats.f_frsize
        with (self.root / "filler").open("ab") as filler:
            filler.write(b"\0" * max(0, free - kib * 1024))

    def make_room(self) -> None:
        (self.root / "filler").unlink()

    def talkgit(self, *args: str) -> Done:
        self.capture.readouterr()
        code = main(["-C", str(self.repo), *args])
        return Done(code, self.capture.readouterr().err)


@pytest.fixture
def disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Disk]:
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
        monkeypatch.setenv("TMPDIR", str(temporary))
        monkeypatch.setattr(tempfile, "tempdir", str(temporary))
        for name, value in NO_GATES.items():
            monkeypatch.setenv(name, value)
        yield Disk(root, make_repo(root / "app", {"app.py": "X = 1\n"}), capsys)
    finally:
        gc.collect()  # the in-process runs' repositories hold their pack files open
        if subprocess.run(["umount", str(root)], check=False).returncode != 0:
            subprocess.run(["umount", "--lazy", str(root)], check=True)


def _assert_full_disk_reported(done: Done) -> None:
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
    # A worktree git gave up on half-way is gone, not left registered and missing.
    assert "prunable" not in git(disk.repo, "worktree", "list", "--porcelain")


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
    first = disk.talkgit("run", "--model", model, "change X")
    _assert_nothing_half_written(disk)
    if first.returncode == exit_codes.OK:  # it fitted: as good an outcome as a clean stop
        (run_id,) = _runs(disk.repo)
        assert _integrated(disk.repo, run_id) == "X = 2\n"
        return
    _assert_full_disk_reported(first)

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
    # Resuming before there is room stops the same way, and changes nothing.
    _assert_full_disk_reported(disk.talkgit("resume", "--model", model, run_id))
    _assert_nothing_half_written(disk)

    disk.make_room()
    resumed = disk.talkgit("resume", "--model", model, run_id)
    assert resumed.returncode == exit_codes.OK, resumed.stderr
    assert _integrated(disk.repo, run_id) == big


@pytest.mark.parametrize("free_kib", [0, 40, 100])
def test_finish_on_a_full_disk_leaves_the_checkout_whole_and_can_be_retried(
    disk: Disk, tmp_path: Path, free_kib: int
) -> None:
    model = _model(tmp_path, "X = 2\n" + "# padding\n" * 20_000)
    assert disk.talkgit("run", "--model", model, "change X").returncode == exit_codes.OK
    (run_id,) = _runs(disk.repo)
    head = git(disk.repo, "rev-parse", "HEAD")
    disk.leave_free(free_kib)
    _assert_full_disk_reported(disk.talkgit("finish", run_id))
    _assert_nothing_half_written(disk)
    assert git(disk.repo, "rev-parse", "HEAD") == head  # the branch did not move
    assert (disk.repo / "app.py").read_text() == "X = 1\n"  # the checkout was put back
    assert git(disk.repo, "--no-optional-locks", "status", "--porcelain") == ""

    disk.make_room()
    done = disk.talkgit("finish", run_id)
    assert done.returncode == exit_codes.OK, done.stderr
    assert (disk.repo / "app.py").read_text().startswith("X = 2\n")
    fsck(disk.repo)


@pytest.mark.parametrize("free_kib", [0, 16, 40])
def test_check_on_a_full_disk_says_so(disk: Disk, free_kib: int) -> None:
    (disk.repo / "app.py").write_text("X = 2\n")
    disk.leave_free(free_kib)
    _assert_full_disk_reported(disk.talkgit("check", "--gates", "ruff"))
    _assert_nothing_half_written(disk)

    disk.make_room()
    done = disk.talkgit("check", "--gates", "ruff")
    assert done.returncode == exit_codes.OK, done.stderr
