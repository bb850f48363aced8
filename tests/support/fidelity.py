"""Does `talkgit check` report what ruff, mypy and bandit report by hand, on real projects?

Each project is two released versions of a real source distribution, committed as base and
head in a fresh git repository. The oracle runs each tool by hand the way the project runs
it, on a plain export of each commit, and never looks at talkgit's code:

- ruff: ``ruff check`` in the project's root (``--no-fix``: some projects set ``fix = true``);
- mypy: ``mypy`` with no file arguments when the project's configuration names ``files``,
  its declared scope; a project that declares none (its scope lives in a tox or Makefile
  line talkgit does not read) is checked the way a developer checks a change by hand: on
  each top-level folder (or root file) that holds a changed Python file, mypy crawling
  them itself;
- bandit: ``bandit -r .``, with ``-c pyproject.toml`` when it has a ``[tool.bandit]`` table.

Findings are compared as (rule, path, line), counted with multiplicity:

(a) what the tool reports by hand at the head in the changed files (for mypy: in the
    changed files the project's own mypy run checks) is exactly what talkgit reports at the
    head, new and pre-existing together: anything else is *missed* or *invented*;
(b) a finding talkgit calls new sits on a line the diff adds or changes, or its rule and
    message are absent from the base's by-hand findings for that file, or the head's file
    has more findings with that rule and message than the base's, and no more are called
    new on untouched lines than it has more (*wrongly new*); and a by-hand head finding on
    an added line whose rule and message the base's file does not have must be called new
    (*not called new*).

mypy resolves the projects' third-party imports (flask's werkzeug, requests' urllib3) from
the environment running the test; talkgit's mypy runs in the same one, so both agree.
"""

from __future__ import annotations

import collections
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from tests.support.sdists import sdist_tree

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - tomli is tomllib's backport, a dependency on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

TOOLS = ("ruff", "mypy", "bandit")
IDENTITY = {
    **{f"GIT_{role}_NAME": "Fidelity" for role in ("AUTHOR", "COMMITTER")},
    **{f"GIT_{role}_EMAIL": "fidelity@example.com" for role in ("AUTHOR", "COMMITTER")},
    **{f"GIT_{role}_DATE": "2026-01-01T00:00:00+00:00" for role in ("AUTHOR", "COMMITTER")},
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}
HUNK = re.compile(r"^@@ -\S+ \+(\d+)(?:,(\d+))? @@")


class Project(NamedTuple):
    name: str
    base: str
    head: str

    @property
    def id(self) -> str:
        return f"{self.name}-{self.base}-{self.head}"


PROJECTS = (
    # mypy `files` in pyproject (the head adds tests/typing); strict at the head.
    Project("flask", "3.0.0", "3.0.3"),
    # .pyi stubs beside the modules; mypy configured in setup.cfg, without `files`.
    Project("more-itertools", "10.2.0", "10.3.0"),
    # No mypy configuration: mypy with its defaults.
    Project("requests", "2.28.2", "2.31.0"),
    # Two packages with .pyi stubs, a src layout, ruff's select = ["ALL"].
    Project("attrs", "23.2.0", "24.2.0"),
)


class Finding(NamedTuple):
    tool: str
    rule: str
    path: str
    line: int
    message: str

    @property
    def key(self) -> tuple[str, str, int]:
        return self.rule, self.path, self.line

    @property
    def kind(self) -> tuple[str, str, str]:
        """What the finding says where, whatever its line: path, rule and message."""
        return self.path, self.rule, self.message

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.tool} {self.rule} {self.message}"


class Change(NamedTuple):
    repo: Path
    base: str
    head: str
    added: Mapping[str, frozenset[int]]
    """Each changed file that exists at the head, with the head lines the diff adds."""


class Reported(NamedTuple):
    """One gate's part of `talkgit check --format json`."""

    error: str | None
    new: tuple[Finding, ...]
    preexisting: tuple[Finding, ...]

    @property
    def head(self) -> tuple[Finding, ...]:
        return self.new + self.preexisting


class Comparison(NamedTuple):
    tool: str
    error: str | None
    agree: int
    missed: tuple[Finding, ...]
    invented: tuple[Finding, ...]
    wrongly_new: tuple[Finding, ...]
    not_called_new: tuple[Finding, ...]
    changed: frozenset[str]
    """The files the change leaves at the head."""

    def findings_problem(self) -> str:
        """What (a) found wrong, or "" when talkgit reported exactly the by-hand findings."""
        outside = tuple(f for f in self.invented if f.path not in self.changed)
        return _problem(
            self,
            missed=self.missed,
            invented=tuple(f for f in self.invented if f.path in self.changed),
            invented_in_files_the_change_does_not_touch=outside,
        )

    def attribution_problem(self) -> str:
        """What (b) found wrong, or "" when talkgit split new from pre-existing right."""
        return _problem(self, wrongly_new=self.wrongly_new, not_called_new=self.not_called_new)


def _problem(comparison: Comparison, **groups: tuple[Finding, ...]) -> str:
    lines = [f"talkgit's {comparison.tool} gate failed: {comparison.error}"] * bool(
        comparison.error
    )
    for name, findings in groups.items():
        if findings:
            lines.append(f"{len(findings)} {name.replace('_', ' ')}:")
            lines += (f"  {finding}" for finding in findings)
    return "\n".join(lines)


def environment() -> dict[str, str]:
    """This environment with git's identity and dates pinned, no git or talkgit state leaking
    in, and the tools beside this interpreter first on PATH for talkgit and the oracle alike."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "TALKGIT_"))}
    env.update(IDENTITY, TALKGIT_CHECK_SERVER="0")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
    )


def git(cwd: Path, *args: str) -> str:
    done = run("git", *args, cwd=cwd)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout


def commit_versions(base_tree: Path, head_tree: Path, repo: Path) -> Change:
    """A repository with ``base_tree`` committed, then ``head_tree`` over it."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    shas = []
    for tree in (base_tree, head_tree):
        git(repo, "rm", "-rq", "--ignore-unmatch", ".")
        shutil.copytree(tree, repo, dirs_exist_ok=True)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", tree.name)
        shas.append(git(repo, "rev-parse", "HEAD").strip())
    base, head = shas
    return Change(repo, base, head, added_lines(repo, base, head))


def added_lines(repo: Path, base: str, head: str) -> dict[str, frozenset[int]]:
    """Each file the diff leaves at the head, with the head line numbers it adds or changes."""
    diff = git(repo, "diff", "-U0", "--no-renames", "--no-ext-diff", base, head)
    added: dict[str, set[int]] = {}
    path: str | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else None
            if path is not None:
                added[path] = set()
        elif path is not None and (hunk := HUNK.match(line)):
            start, count = int(hunk[1]), int(hunk[2] or 1)
            added[path].update(range(start, start + count))
    return {name: frozenset(lines) for name, lines in added.items()}


def export(repo: Path, commit: str, destination: Path) -> Path:
    """A checkout of ``commit`` in a clone of its own: the project's root, as a developer
    who runs the tools by hand has it."""
    git(repo, "clone", "-q", "--shared", "--no-checkout", ".", str(destination))
    git(destination, "checkout", "-q", "--detach", commit)
    return destination


def by_hand_commands(tree: Path, change: Change, cache: Path) -> dict[str, list[str]]:
    """Each tool's command line the way the project runs it, writing caches under ``cache``."""
    bandit_config = ["-c", "pyproject.toml"] if _has_bandit_table(tree) else []
    return {
        "ruff": [
            *("ruff", "check", "--output-format", "json", "--no-fix", "--exit-zero"),
            *("--cache-dir", str(cache / "ruff")),
        ],
        "mypy": [
            *("mypy", "-O", "json", "--no-error-summary", "--cache-dir", str(cache / "mypy")),
            *mypy_arguments(tree, change),
        ],
        "bandit": ["bandit", "-r", ".", "-f", "json", "-q", *bandit_config],
    }


def mypy_arguments(tree: Path, change: Change) -> list[str]:
    """None when the project's mypy configuration names ``files``; else the top-level
    folders and root files of ``tree`` that hold the change's Python files."""
    if _names_mypy_files(tree):
        return []
    tops = {Path(path).parts[0] for path in change.added if path.endswith((".py", ".pyi"))}
    return sorted(top for top in tops if (tree / top).exists())


def _names_mypy_files(tree: Path) -> bool:
    pyproject = tree / "pyproject.toml"
    if pyproject.is_file():
        mypy = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("mypy")
        if isinstance(mypy, dict) and "files" in mypy:
            return True
    for name, section in (("mypy.ini", "mypy"), (".mypy.ini", "mypy"), ("setup.cfg", "mypy")):
        parser = configparser.ConfigParser()
        if (tree / name).is_file():
            parser.read(tree / name, encoding="utf-8")
            if parser.has_option(section, "files"):
                return True
    return False


def _has_bandit_table(tree: Path) -> bool:
    pyproject = tree / "pyproject.toml"
    if not pyproject.is_file():
        return False
    return "bandit" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})


class ByHand(NamedTuple):
    findings: dict[str, tuple[Finding, ...]]
    seconds: float
    """The wall time of the three tools, one after another."""


def by_hand(tree: Path, change: Change, cache: Path) -> ByHand:
    """Every finding each tool reports by hand on ``tree``, one tool after another."""
    findings = {}
    started = time.perf_counter()
    for tool, command in by_hand_commands(tree, change, cache).items():
        done = run(*command, cwd=tree)
        findings[tool] = tuple(READERS[tool](done, tree))
    return ByHand(findings, time.perf_counter() - started)


def _relative(reported: str, root: Path) -> str:
    path = Path(reported)
    if path.is_absolute():
        path = path.resolve().relative_to(root.resolve())
    return path.as_posix().removeprefix("./")


def _ruff(done: subprocess.CompletedProcess[str], root: Path) -> Iterable[Finding]:
    if done.returncode != 0:
        raise RuntimeError(f"ruff exited {done.returncode}: {done.stderr}")
    for item in json.loads(done.stdout):
        path = _relative(item["filename"], root)
        rule = item["code"] or "invalid-syntax"
        yield Finding("ruff", rule, path, item["location"]["row"], item["message"])


def _mypy(done: subprocess.CompletedProcess[str], root: Path) -> Iterable[Finding]:
    if done.returncode not in (0, 1):
        raise RuntimeError(f"mypy exited {done.returncode}: {done.stdout}{done.stderr}")
    # mypy prints some notes about its configuration as plain text among its JSON lines.
    messages = (json.loads(line) for line in done.stdout.splitlines() if line.startswith("{"))
    for item in messages:
        if item["severity"] == "error":
            # mypy's own name for an error without a more specific code is "misc".
            rule = item["code"] or "misc"
            yield Finding(
                "mypy", rule, _relative(item["file"], root), item["line"], item["message"]
            )


def _bandit(done: subprocess.CompletedProcess[str], root: Path) -> Iterable[Finding]:
    report = json.loads(done.stdout)
    if done.returncode not in (0, 1) or report["errors"]:
        raise RuntimeError(f"bandit could not scan everything: {report['errors'] or done.stderr}")
    for item in report["results"]:
        path = _relative(item["filename"], root)
        yield Finding("bandit", item["test_id"], path, item["line_number"], item["issue_text"])


READERS = {"ruff": _ruff, "mypy": _mypy, "bandit": _bandit}


class Checked(NamedTuple):
    reported: dict[str, Reported]
    seconds: float


def talkgit_check(change: Change) -> Checked:
    """`talkgit check --base --head --format json` on the change, read per gate."""
    started = time.perf_counter()
    done = run(
        *(sys.executable, "-m", "talkgit", "check", "--base", change.base, "--head", change.head),
        *("--format", "json", "--gates", ",".join(TOOLS)),
        cwd=change.repo,
    )
    seconds = time.perf_counter() - started
    if not done.stdout.strip():
        raise RuntimeError(f"talkgit check exited {done.returncode}: {done.stderr}")
    gates = {gate["tool"]: gate for gate in json.loads(done.stdout)["gates"]}
    return Checked({tool: _reported(gates.get(tool)) for tool in TOOLS}, seconds)


def _reported(gate: Mapping[str, object] | None) -> Reported:
    if gate is None:
        return Reported("talkgit reported no such gate", (), ())

    def findings(*groups: str) -> tuple[Finding, ...]:
        items = [item for group in groups for item in gate[group]]  # type: ignore[attr-defined]
        fields = ("tool", "rule", "path", "line", "message")
        return tuple(Finding(*(item[name] for name in fields)) for item in items)

    error = gate["error"]
    # Waived findings are head findings too: a waiver hides a finding, it does not remove it.
    return Reported(
        str(error) if error else None, findings("new"), findings("preexisting", "waived")
    )


def compare(
    tool: str,
    head: Iterable[Finding],
    base: Iterable[Finding],
    reported: Reported,
    change: Change,
) -> Comparison:
    """Judge talkgit's ``reported`` findings against the by-hand ``head`` and ``base`` ones."""
    expected = [finding for finding in head if finding.path in change.added]
    at_base = collections.Counter(finding.kind for finding in base)
    at_head = collections.Counter(finding.kind for finding in expected)

    def added(finding: Finding) -> bool:
        return finding.line in change.added.get(finding.path, frozenset())

    missed, invented = _difference(expected, reported.head), _difference(reported.head, expected)
    must_be_new = [f for f in expected if added(f) and not at_base[f.kind]]
    # A finding on an untouched line is new when the change elsewhere caused it (mypy: a
    # signature changed); that is certain only for as many of its kind as the head has more.
    may_be_new = {kind: at_head[kind] - count for kind, count in at_base.items()}
    wrongly_new = []
    for finding in sorted(f for f in reported.new if not added(f) and at_base[f.kind]):
        if may_be_new[finding.kind] > 0:
            may_be_new[finding.kind] -= 1
        else:
            wrongly_new.append(finding)
    return Comparison(
        tool=tool,
        error=reported.error,
        agree=len(expected) - len(missed),
        missed=missed,
        invented=invented,
        wrongly_new=tuple(wrongly_new),
        not_called_new=_difference(must_be_new, reported.new),
        changed=frozenset(change.added),
    )


def _difference(these: Iterable[Finding], those: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings of ``these`` whose (rule, path, line) ``those`` lacks, with multiplicity."""
    left = collections.Counter(finding.key for finding in those)
    extra = []
    for finding in sorted(these):
        if left[finding.key]:
            left[finding.key] -= 1
        else:
            extra.append(finding)
    return tuple(extra)


class ProjectCheck(NamedTuple):
    project: Project
    change: Change
    head_tree: Path
    comparisons: dict[str, Comparison]
    by_hand_seconds: float
    """The three tools by hand on the head, cold: the by-hand side of the benchmark."""
    talkgit_seconds: float
    """`talkgit check` cold: a new repository, no caches."""


def check_project(project: Project, scratch: Path) -> ProjectCheck | None:
    """Build ``project``'s change under ``scratch``, run both sides, compare; None when its
    source distributions cannot be had."""
    trees = [sdist_tree(project.name, version) for version in (project.base, project.head)]
    if trees[0] is None or trees[1] is None:
        return None
    change = commit_versions(trees[0], trees[1], scratch / "repo")
    base_tree = export(change.repo, change.base, scratch / "base")
    base = by_hand(base_tree, change, scratch / "base-cache")
    head_tree = export(change.repo, change.head, scratch / "head")
    head = by_hand(head_tree, change, scratch / "head-cache")
    checked = talkgit_check(change)
    comparisons = {
        tool: compare(
            tool, head.findings[tool], base.findings[tool], checked.reported[tool], change
        )
        for tool in TOOLS
    }
    return ProjectCheck(project, change, head_tree, comparisons, head.seconds, checked.seconds)
