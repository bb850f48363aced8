"""How long does `talkgit check --staged` take, beside three stock hooks doing the same?

On a generated repository of 300+ Python files with one changed (staged) file, it times
`talkgit check --staged` (warm: the second run) beside running ruff, mypy and bandit one
after another on that file, as three stock pre-commit hooks do (each warm too). Targets
(issue 4): talkgit <= 0.8x the three tools, and `talkgit check` with no change <= 0.3 s.

    python benchmarks/check_latency.py [--files 300] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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


def timed(command: list[str], cwd: Path, repeat: int) -> float:
    """Median wall time of ``command`` after one warm-up run."""
    subprocess.run(command, cwd=cwd, capture_output=True, check=False)
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
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "repo"
        root.mkdir()
        changed = str(make_repository(root, args.files).relative_to(root))
        tools = {
            "ruff": [shutil.which("ruff") or "ruff", "check", changed],
            "mypy": [shutil.which("mypy") or "mypy", changed],
            "bandit": [shutil.which("bandit") or "bandit", "-q", changed],
        }
        stock = {name: timed(command, root, args.repeat) for name, command in tools.items()}
        check_staged = timed([*talkgit, "check", "--staged"], root, args.repeat)
        git(root, *IDENTITY, "commit", "-qm", "the change")
        check_clean = timed([*talkgit, "check"], root, args.repeat)
    total = sum(stock.values())
    print(f"repository: {args.files} Python files, one changed; medians of {args.repeat} warm runs")
    for name, seconds in stock.items():
        print(f"  {name:<8} {seconds:6.3f} s")
    print(f"  stock hooks, one after another: {total:.3f} s")
    print(f"talkgit check --staged:           {check_staged:.3f} s")
    ratio = check_staged / total
    verdict = "met" if ratio <= 0.8 else "MISSED"
    print(f"ratio talkgit / stock: {ratio:.2f}x (target <= 0.8x): {verdict}")
    verdict = "met" if check_clean <= 0.3 else "MISSED"
    print(f"talkgit check, no change:         {check_clean:.3f} s (target <= 0.3 s): {verdict}")


if __name__ == "__main__":
    main()
