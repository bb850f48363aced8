"""benchmarks/repo_map.py keeps working: its smoke mode, on a small generated repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_smoke_run_prints_its_figures_and_finds_every_file():
    done = subprocess.run(
        [sys.executable, "benchmarks/repo_map.py", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )

    assert done.returncode == 0, done.stderr
    assert "generated 300" in done.stdout and "cold/ls" in done.stdout
    assert "target: the file a task is about in the top 3: 4 of 4" in done.stdout
