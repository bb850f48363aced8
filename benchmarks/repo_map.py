"""How long does the repository map take, cold and warm, and does it find the file a task
is about?

Two repositories, each committed once: (a) 10,000 generated Python modules that import and
call each other; (b) Django 5.0.6's sdist (6,772 files, 2,774 Python modules). For each, the
wall time of a map (``build_index`` + ``rank`` + ``render_map``, 4,096 tokens of a
four-characters-a-token counter) cold (no cache: every file parsed) and warm (the same
tree again, its index in the cache; the median of three), beside `git ls-tree -r HEAD` on
the same repository;
then a new commit changing 10 files (only those are parsed). Then, for tasks that name a
symbol, a path or a file name, the rank of the file they are about.

Also, on the same Python files: parsing all of them with ``ast`` against the regular-
expression fallback in one process, the measurement behind the choice of ``ast``.

Target (issue 15): a 10,000-file repository maps in seconds cold and in <= 0.2 s warm;
the file a task names ranks in the top 3.

    python benchmarks/repo_map.py [--smoke] [--files N] [--no-django]

``--smoke``: a 300-file generated repository only, in a second or two (tests run it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from talkgit.git.repo import GitRepo
from talkgit.repomap import build_index, cache_location, render_map
from talkgit.repomap.rank import rank
from talkgit.repomap.symbols import extract, fallback
from tests.support.sdists import sdist_tree

BUDGET = 4096  # tokens
WARM_RUNS = 3  # the median of these: a warm map is short enough for a busy machine to double
CHANGED = 10  # files of the incremental commit
TOP = 3  # where the file a task is about should rank
PACKAGES = 100  # of the generated repository: its modules are spread over these


@dataclass(frozen=True)
class Task:
    text: str
    about: str  # the path of the file the task is about


@dataclass(frozen=True)
class Figures:
    name: str
    files: int
    ls_tree: float
    cold: float
    warm: float
    incremental: float
    ranks: list[tuple[Task, int]]


def count_tokens(text: str) -> int:
    return len(text) // 4


# --- (a) the generated repository ------------------------------------------------------------


def generated_files(count: int, seed: int = 15) -> dict[str, bytes]:
    """``count`` modules in ``PACKAGES`` packages, each importing and calling four others."""
    rng = random.Random(seed)
    per_package = max(1, -(-count // PACKAGES))
    names = [(n // per_package, n % per_package) for n in range(count)]
    files = {"README.md": b"# generated\n"}
    for package, module in names:
        imports = rng.sample(names, 4)
        files[_module_path(package, module)] = _module_text(package, module, imports).encode()
    return files


def _module_path(package: int, module: int) -> str:
    return f"src/pkg{package:03d}/mod{module:03d}.py"


def _module_text(package: int, module: int, imports: list[tuple[int, int]]) -> str:
    tag = f"{package}_{module}"
    lines = [f'"""Module {tag}: generated for the repository map benchmark."""', ""]
    for p, m in imports:
        lines.append(f"from src.pkg{p:03d}.mod{m:03d} import Widget{p}_{m}, compute_{p}_{m}")
    lines += ["", f"LIMIT_{tag} = {package * 7 + module}", "", ""]
    lines += [f"def compute_{tag}(value: int, scale: float = 1.0) -> float:"]
    lines += [f'    """Scale ``value`` through the modules {tag} imports."""', "    total = 0.0"]
    lines += [f"    total += compute_{p}_{m}(value) * scale" for p, m in imports]
    lines += [f"    return min(total, LIMIT_{tag})", "", ""]
    lines += [f"class Widget{tag}:", f'    """A widget of module {tag}."""', ""]
    lines += ["    def __init__(self, size: int) -> None:", "        self.size = size", ""]
    lines += ["    def render(self) -> str:"]
    lines += [
        f"        parts = [Widget{p}_{m}(self.size).render() for _ in range(1)]"
        for p, m in imports[:2]
    ]
    lines += [f"        return f'<{tag} {{compute_{tag}(self.size)}}>'", ""]
    return "\n".join(lines) + "\n"


def generated_tasks(count: int) -> list[Task]:
    per_package = max(1, -(-count // PACKAGES))
    last = (count - 1) // per_package, (count - 1) % per_package
    middle = (count // 2) // per_package, (count // 2) % per_package
    return [
        Task(f"compute_{middle[0]}_{middle[1]} overflows its limit", _module_path(*middle)),
        Task(f"Widget{last[0]}_{last[1]}.render should escape the size", _module_path(*last)),
        Task(f"fix the docstring of {_module_path(*middle)}", _module_path(*middle)),
        Task(f"pkg{last[0]:03d}/mod{last[1]:03d}.py is slow", _module_path(*last)),
    ]


# --- (b) Django ------------------------------------------------------------------------------

DJANGO = ("Django", "5.0.6")
DJANGO_TASKS = [
    Task("QuerySet.bulk_create should set the primary key on SQLite", "django/db/models/query.py"),
    Task("make_password should reject a salt with a dollar sign", "django/contrib/auth/hashers.py"),
    Task("parse_duration fails on ISO 8601 weeks", "django/utils/dateparse.py"),
    Task("CsrfViewMiddleware rejects a valid Origin header", "django/middleware/csrf.py"),
    Task("slugify should keep underscores when allow_unicode is set", "django/utils/text.py"),
    Task("HttpResponseRedirect must refuse a javascript: URL", "django/http/response.py"),
    Task("escape the title in django/utils/html.py format_html", "django/utils/html.py"),
    Task("the paginator.py page range is off by one", "django/core/paginator.py"),
]


def tree_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


# --- measuring -------------------------------------------------------------------------------


def commit(root: Path, files: dict[str, bytes], parent: bool = False) -> None:
    """Commit ``files`` on main with `git fast-import` (a whole tree, or changes on HEAD)."""
    if not parent:
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream = bytearray(b"commit refs/heads/main\n")
    stream += b"committer bench <bench@example.com> 0 +0000\ndata 9\ngenerated\n"
    if parent:
        stream += b"from refs/heads/main^0\n"
    for path, data in files.items():
        stream += b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data)
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=stream, check=True)


@contextmanager
def timed() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0]
    elapsed.append(time.perf_counter() - start)


def one_map(repo: GitRepo, commit_sha: str, cache: Path, text: str) -> float:
    with timed() as seconds:
        index = build_index(repo, commit_sha, cache)
        render_map(index, rank(index, text), BUDGET, count_tokens)
    return seconds()


def measure(name: str, root: Path, files: dict[str, bytes], tasks: Sequence[Task]) -> Figures:
    commit(root, files)
    os.sync()  # the disk's writeback of the new repository is not the map's time
    repo = GitRepo(pygit2.Repository(str(root)))
    head = repo.head()
    cache = cache_location(repo.private_dir)
    with timed() as ls_tree:
        subprocess.run(
            ["git", "-C", str(root), "ls-tree", "-r", "HEAD"], check=True, capture_output=True
        )
    cold = one_map(repo, head, cache, tasks[0].text)
    warm = statistics.median(one_map(repo, head, cache, tasks[0].text) for _ in range(WARM_RUNS))
    changed = [path for path in files if path.endswith(".py")][:: max(1, len(files) // CHANGED)][
        :CHANGED
    ]
    commit(root, {path: files[path] + b"\nCHANGED = 1\n" for path in changed}, parent=True)
    incremental = one_map(repo, repo.resolve("refs/heads/main"), cache, tasks[0].text)
    index = build_index(repo, head, cache)
    ranks = [(task, rank(index, task.text).index(task.about) + 1) for task in tasks]
    return Figures(name, len(files), ls_tree(), cold, warm, incremental, ranks)


def parse_times(files: dict[str, bytes]) -> tuple[int, int, float, float]:
    """Python files, their lines, and seconds to parse them all with ast and the fallback."""
    python = [(path, data) for path, data in files.items() if path.endswith(".py")]
    lines = sum(data.count(b"\n") for _, data in python)
    with timed() as with_ast:
        for path, data in python:
            extract(path, data)
    with timed() as with_fallback:
        for _, data in python:
            fallback("python", data.decode("utf-8", "replace"))
    return len(python), lines, with_ast(), with_fallback()


# --- printing --------------------------------------------------------------------------------


def print_times(rows: Sequence[Figures]) -> None:
    print(
        f"{'repository':<24}{'files':>7}{'ls-tree':>9}{'cold':>9}{'warm':>9}{'+10 files':>11}"
        f"{'cold/ls':>9}{'warm/ls':>9}"
    )
    for row in rows:
        print(
            f"{row.name:<24}{row.files:>7}{row.ls_tree:8.3f}s{row.cold:8.2f}s{row.warm:8.3f}s"
            f"{row.incremental:10.3f}s{row.cold / row.ls_tree:8.0f}x{row.warm / row.ls_tree:8.1f}x"
        )


def print_ranks(rows: Sequence[Figures]) -> None:
    print(f"{'rank':>4}  task -> the file it is about")
    for row in rows:
        for task, place in row.ranks:
            print(f"{place:>4}  {task.text!r} -> {task.about}")


def print_parsing(name: str, figures: tuple[int, int, float, float]) -> None:
    modules, lines, with_ast, with_fallback = figures
    print(
        f"{name}: {modules} modules, {lines} lines: ast {with_ast:.2f}s, fallback "
        f"{with_fallback:.2f}s ({with_ast / with_fallback:.1f}x), one process"
    )


def verdicts(rows: Sequence[Figures]) -> list[str]:
    big = [row for row in rows if row.files >= 10_000]
    lines = []
    if big:
        warm = max(row.warm for row in big)
        lines.append(f"target: <= 0.2 s warm at 10,000 files: {'met' if warm <= 0.2 else 'MISSED'}")
    ranked = [place for row in rows for _, place in row.ranks]
    top = sum(place <= TOP for place in ranked)
    lines.append(f"target: the file a task is about in the top {TOP}: {top} of {len(ranked)}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="a 300-file repository only")
    parser.add_argument("--files", type=int, default=10_000, help="of the generated repository")
    parser.add_argument("--no-django", action="store_true", help="leave Django out")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]  # other work on the machine slows every figure alike
    count = 300 if args.smoke else args.files
    rows, parsing = [], []
    with tempfile.TemporaryDirectory() as scratch:
        generated = generated_files(count)
        rows.append(
            measure(
                f"generated {count}", Path(scratch) / "generated", generated, generated_tasks(count)
            )
        )
        parsing.append((f"generated {count}", parse_times(generated)))
        django = None if args.smoke or args.no_django else sdist_tree(*DJANGO)
        if django is not None:
            files = tree_files(django)
            rows.append(measure("Django 5.0.6", Path(scratch) / "django", files, DJANGO_TASKS))
            parsing.append(("Django 5.0.6", parse_times(files)))
        elif not args.smoke and not args.no_django:
            print("Django's sdist cannot be downloaded: left out")
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the start; a map is build_index +")
    print(f"rank + render_map ({BUDGET} tokens); cold: no cache, once; warm: the same tree again,")
    print(f"median of {WARM_RUNS}; +10 files: a commit changing 10 files, once\n")
    print_times(rows)
    print()
    print_ranks(rows)
    print()
    for name, figures in parsing:
        print_parsing(name, figures)
    print()
    print("\n".join(verdicts(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
