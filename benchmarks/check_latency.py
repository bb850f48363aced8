"""How long does `talkgit check --staged` take, beside three stock hooks doing the same?

On a generated repository of 300+ Python files with one changed (staged) file, it times
`talkgit check --staged` (warm: the second run) beside running ruff, mypy and bandit one
after another on that file, as three stock pre-commit hooks do (each warm too), and again
with the resident check server on (TALKGIT_CHECK_SERVER=1; it is stopped at the end).
Targets (issue 4): talkgit <= 0.8x the three tools, and `talkgit check` with no change
<= 0.3 s.

    python benchmarks/check_latency.py [--files 300] [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def make_repository(root: Path, files: int) -> Path:
    for index in range(files):
        package = root / "src" / f"pkg{index // 30}"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").touch()
        source = f"def value_{index}(x: int) -> int:\n    return x + {index}\n"
        (package / f"mod{index}.py").write_text(f'"""Module {index}."""\n\n\n{source}')
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, *IDENTITY, "commit", "-qm", "generated")
    changed = root / "src" / "pkg0" / "mod0.py"
    changed.write_text(changed.read_text() + "\n\ndef twice(x: int) -> int:\n    return 2 * x\n")
    git(root, "add", str(changed))
    return changed


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True)


def tool(name: str) -> str:
    """The tool's own script beside this interpreter (what a pre-commit environment runs),
    not a version manager's shim on PATH, which would add its own start-up to the stock side."""
    script = Path(sys.executable).parent / name
    return str(script) if script.exists() else shutil.which(name) or name


@contextlib.contextmanager
def resident_server(runtime: Path) -> Iterator[None]:
    """``TALKGIT_CHECK_SERVER=1`` with the server's socket under ``runtime``; stopped after."""
    runtime.mkdir(mode=0o700)
    saved = {name: os.environ.get(name) for name in ("TALKGIT_CHECK_SERVER", "XDG_RUNTIME_DIR")}
    os.environ.update(TALKGIT_CHECK_SERVER="1", XDG_RUNTIME_DIR=str(runtime))
    try:
        yield
    finally:
        for pid_file in runtime.glob("talkgit/*.pid"):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.update({name: value})


def timed(command: list[str], cwd: Path, repeat: int, warm_ups: int = 1) -> float:
    """Median wall time of ``command`` after ``warm_ups`` runs (the first starts a server)."""
    for _ in range(warm_ups):
        subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        time.sleep(0.5)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    talkgit = [sys.executable, "-m", "talkgit"]
    # Both sides run the tools installed beside this interpreter, as in a virtual environment
    # or a pre-commit environment: talkgit's gates find them first on PATH.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "repo"
        root.mkdir()
        changed = str(make_repository(root, args.files).relative_to(root))
        tools = {
            "ruff": [tool("ruff"), "check", changed],
            "mypy": [tool("mypy"), changed],
            "bandit": [tool("bandit"), "-q", changed],
        }
        stock = {name: timed(command, root, args.repeat) for name, command in tools.items()}
        check_staged = timed([*talkgit, "check", "--staged"], root, args.repeat)
        with resident_server(Path(scratch) / "run"):
            served = timed([*talkgit, "check", "--staged"], root, args.repeat, warm_ups=2)
        git(root, *IDENTITY, "commit", "-qm", "the change")
        check_clean = timed([*talkgit, "check"], root, args.repeat)
    total = sum(stock.values())
    print(f"repository: {args.files} Python files, one changed; medians of {args.repeat} warm runs")
    for name, seconds in stock.items():
        print(f"  {name:<8} {seconds:6.3f} s")
    print(f"  stock hooks, one after another: {total:.3f} s")
    print(f"talkgit check --staged:           {check_staged:.3f} s ({check_staged / total:.2f}x)")
    print(f"  with the resident check server: {served:.3f} s")
    ratio = served / total
    verdict = "met" if ratio <= 0.8 else "MISSED"
    print(f"ratio talkgit (server) / stock: {ratio:.2f}x (target <= 0.8x): {verdict}")
    verdict = "met" if check_clean <= 0.3 else "MISSED"
    print(f"talkgit check, no change:         {check_clean:.3f} s (target <= 0.3 s): {verdict}")


if __name__ == "__main__":
    main()
