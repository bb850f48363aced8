"""How much do talkgit's hooks add to `git commit`?

On a generated repository of 300 Python files, it times real commits (the median of warm
runs, after one warm-up) with no hooks, with talkgit's plain git hooks (`talkgit hooks
install`), with pre-commit and no hook, and with pre-commit running talkgit-check or
talkgit-placeholders:

- a clean tree: `git commit --allow-empty`, nothing staged for the hooks to look at;
- a one-file change: one Python file changed and staged, with no finding in it.

The pre-commit hooks are the manifest's talkgit-check and talkgit-placeholders as local
`language: system` hooks, so no virtualenv has to be built; the command, file types and
options are the manifest's. It also times `talkgit check-staged` alone with nothing staged:
what a hook costs whenever it does start talkgit.
Target (issue 5): talkgit-check adds no more than 0.3 s to a commit on a clean tree.

    python benchmarks/hook_latency.py [--files 300] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

CHECKOUT = Path(__file__).resolve().parents[1]
IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}
SETUPS = (
    "no hooks",
    "plain git hooks",
    "pre-commit, no hook",
    "pre-commit, talkgit-check",
    "pre-commit, talkgit-placeholders",
)
CASES = ("clean tree", "one-file change")
TARGET_S = 0.3


def environment(scratch: Path) -> dict[str, str]:
    """This interpreter's scripts first on PATH (talkgit, ruff, mypy, bandit); no user config."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    return {
        **os.environ,
        **IDENTITY,
        "PATH": path,
        "HOME": str(scratch),
        "GIT_CONFIG_NOSYSTEM": "1",
        "PRE_COMMIT_HOME": str(scratch / "pre-commit"),
    }


def run(cwd: Path, env: dict[str, str], *command: str) -> None:
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)


def make_repository(root: Path, files: int, env: dict[str, str]) -> None:
    for index in range(files):
        package = root / "src" / f"pkg{index // 30}"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").touch()
        source = f"def value_{index}(x: int) -> int:\n    return x + {index}\n"
        (package / f"mod{index}.py").write_text(f'"""Module {index}."""\n\n\n{source}')
    run(root, env, "git", "init", "-q", "-b", "main")
    run(root, env, "git", "add", "-A")
    run(root, env, "git", "commit", "-qm", "generated")


def local_hook_config(hook_id: str) -> str:
    """A hook from the manifest, as a local hook that runs the installed talkgit."""
    manifest = yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text())
    hook = next(hook for hook in manifest if hook["id"] == hook_id)
    local = {key: hook[key] for key in ("id", "name", "entry", "types", "pass_filenames")}
    local.update(language="system", require_serial=hook["require_serial"])
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]})


def install(setup: str, root: Path, env: dict[str, str]) -> None:
    pre_commit = [sys.executable, "-m", "pre_commit"]
    if setup == "plain git hooks":
        run(root, env, sys.executable, "-m", "talkgit", "hooks", "install")
    elif setup.startswith("pre-commit"):
        hook_id = setup.partition(", ")[2]
        config = local_hook_config(hook_id) if hook_id.startswith("talkgit") else "repos: []\n"
        (root / ".pre-commit-config.yaml").write_text(config)
        run(root, env, "git", "add", ".pre-commit-config.yaml")
        run(root, env, "git", "commit", "-qm", "pre-commit", "--no-verify")
        run(root, env, *pre_commit, "install")


def median_seconds(action: Callable[[], None], undo: Callable[[], None], repeat: int) -> float:
    """Median wall time of ``action`` after one warm-up; ``undo`` after each run."""
    times = []
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        action()
        if attempt:
            times.append(time.perf_counter() - started)
        undo()
    return statistics.median(times)


def measure(setup: str, scratch: Path, files: int, repeat: int) -> dict[str, float]:
    root = scratch / setup.replace(" ", "-").replace(",", "")
    root.mkdir()
    env = environment(scratch)
    make_repository(root, files, env)
    install(setup, root, env)

    def commit(*args: str) -> Callable[[], None]:
        return lambda: run(root, env, "git", "commit", "-qm", "bench", *args)

    def undo() -> None:
        run(root, env, "git", "reset", "-q", "--soft", "HEAD~1")

    clean = median_seconds(commit("--allow-empty"), undo, repeat)
    talkgit = [str(Path(sys.executable).parent / "talkgit"), "check-staged"]
    floor = median_seconds(lambda: run(root, env, *talkgit), lambda: None, repeat)
    changed = root / "src" / "pkg0" / "mod0.py"
    changed.write_text(changed.read_text() + "\n\ndef twice(x: int) -> int:\n    return 2 * x\n")
    run(root, env, "git", "add", str(changed))
    one_file = median_seconds(commit(), undo, repeat)
    return {"clean tree": clean, "one-file change": one_file, "floor": floor}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        figures = {setup: measure(setup, scratch, args.files, args.repeat) for setup in SETUPS}
    print(f"`git commit` on {args.files} Python files; medians of {args.repeat} warm runs")
    print("(in brackets, what it adds: to no hooks; for a talkgit hook, to pre-commit with none)")
    print(f"{'':<34}{'clean tree':>22}{'one-file change':>22}")
    for setup, times in figures.items():
        base = figures["pre-commit, no hook" if "talkgit" in setup else "no hooks"]
        cells = [f"{times[case]:6.3f} s ({times[case] - base[case]:+.3f})" for case in CASES]
        print(f"{setup:<34}" + "".join(f"{cell:>22}" for cell in cells))
    floor = figures["no hooks"]["floor"]
    print(f"`talkgit check-staged` alone, nothing staged: {floor:.3f} s (when a hook starts it)")
    for setup in ("plain git hooks", "pre-commit, talkgit-check"):
        reference = figures["pre-commit, no hook" if "pre-commit" in setup else "no hooks"]
        added = figures[setup]["clean tree"] - reference["clean tree"]
        verdict = "met" if added <= TARGET_S else "MISSED"
        print(f"{setup}: adds {added:.3f} s on a clean tree (target <= {TARGET_S} s): {verdict}")


if __name__ == "__main__":
    main()
