"""The orchestrator, with tiny real gates: they read real files in tmp_path trees."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from talkgit import exit_codes
from talkgit.errors import ToolError
from talkgit.gates.base import Finding, Gate, GateRun, Severity, Target
from talkgit.gates.evaluate import BaseCache, GateReport, evaluate
from talkgit.gates.lines import LineChanges
from talkgit.gates.placeholder import PlaceholderGate
from talkgit.gates.policy import GatePolicy, Waiver
from talkgit.git.diff import Hunk

TODAY = date(2026, 6, 1)


@dataclass
class GrepGate:
    """A real, tiny tool: every line of a target file that contains ``needle`` is a finding."""

    name: str = "grep"
    needle: str = "eval("
    severity: Severity = Severity.MEDIUM
    version: str = "1.0"
    calls: list[Path] = field(default_factory=list)

    def run(self, target: Target) -> GateRun:
        self.calls.append(target.root)
        findings = []
        for path in target.files:
            file = target.root / path
            lines = file.read_text().splitlines() if file.exists() else []
            for number, line in enumerate(lines, 1):
                if self.needle in line:
                    column = line.index(self.needle) + 1
                    findings.append(
                        Finding(self.name, "G1", self.severity, path, number, column, "grep hit")
                    )
        return GateRun(self.name, self.version, tuple(findings), 0.01)


@dataclass
class BrokenGate:
    """A tool that crashes on the trees whose root is named in ``broken_at``."""

    name: str = "broken"
    broken_at: tuple[str, ...] = ("head", "base")

    def run(self, target: Target) -> GateRun:
        if target.root.name in self.broken_at:
            return GateRun(self.name, "", error="`broken` exited 2: Segmentation fault")
        return GateRun(self.name, "2.0", extra={"tests": 7})


class RaisingGate:
    name = "raising"

    def run(self, target: Target) -> GateRun:
        raise ToolError("`raising` is not installed or not on PATH")


class BuggyGate:
    name = "buggy"

    def run(self, target: Target) -> GateRun:
        versions: dict[str, str] = {}
        return GateRun(self.name, versions["no such key"])


@dataclass
class SlowGate:
    """Sleeps, then waits for ``barrier``: it only gets past it when all runs are in flight."""

    name: str
    seconds: float
    barrier: threading.Barrier | None = None

    def run(self, target: Target) -> GateRun:
        time.sleep(self.seconds)
        if self.barrier is not None:
            self.barrier.wait()
        return GateRun(self.name, "1")


LEGACY = "import os\n\nx = eval(a)\ny = eval(b)\n\n\ndef old():\n    pass\n"


@pytest.fixture
def trees(tmp_path: Path) -> tuple[Target, Target]:
    """A base with old findings, and a head that shifts them and adds one of each kind."""
    base, head = tmp_path / "base", tmp_path / "head"
    (base / "pkg").mkdir(parents=True)
    (base / "pkg" / "legacy.py").write_text(LEGACY)
    (base / "pkg" / "other.py").write_text("z = eval(c)  # TODO: old\n")
    shutil.copytree(base, head)
    (head / "pkg" / "legacy.py").write_text(
        '"""Now documented."""\n' + LEGACY + "\nw = eval(d)\n\n\ndef new():\n    ...\n"
    )
    files = ("pkg/legacy.py", "pkg/other.py")
    return (
        Target(head, files, tmp_path / "cache-head"),
        Target(base, files, tmp_path / "cache-base"),
    )


def check(
    gates: list[Gate],
    trees: tuple[Target, Target | None],
    policies: dict[str, GatePolicy] | None = None,
    waivers: list[Waiver] | None = None,
    *,
    base_cache: BaseCache | None = None,
    base_key: str | None = None,
    workers: int | None = None,
    hunks: LineChanges | Callable[[], LineChanges] | None = None,
) -> GateReport:
    head, base = trees
    return evaluate(
        gates,
        head,
        base,
        policies or {},
        waivers or [],
        base_cache=base_cache,
        base_key=base_key,
        today=TODAY,
        workers=workers,
        hunks=hunks,
    )


def test_only_new_findings_block(trees: tuple[Target, Target]) -> None:
    report = check([GrepGate(), PlaceholderGate()], trees)
    grep, placeholder = report.gates
    assert [(f.path, f.line) for f in grep.new] == [("pkg/legacy.py", 11)]
    assert grep.counts == {"new": 1, "preexisting": 3, "fixed": 0, "waived": 0}
    assert [(f.rule, f.line) for f in placeholder.new] == [("stub", 14)]
    assert len(placeholder.preexisting) == 2
    assert report.verdicts() == {"grep": "fail", "placeholder": "fail"}
    assert report.blocking and not report.tool_failed
    assert report.exit_code == exit_codes.FAILURE
    assert report.compared_to_base and report.expired_waivers == ()


# The change in ``trees`` as `git diff -U0` gives it: a docstring on top, code at the end.
HUNKS = {"pkg/legacy.py": (Hunk(0, 0, 1, 1), Hunk(8, 0, 10, 6)), "pkg/other.py": ()}


def test_hunks_are_computed_once_and_only_to_compare(trees: tuple[Target, Target]) -> None:
    calls: list[int] = []

    def hunks() -> LineChanges:
        calls.append(1)
        return HUNKS

    report = check([GrepGate(), PlaceholderGate()], trees, hunks=hunks)
    grep, placeholder = report.gates
    assert [(f.path, f.line) for f in grep.new] == [("pkg/legacy.py", 11)]
    assert [(f.rule, f.line) for f in placeholder.new] == [("stub", 14)]
    assert calls == [1]
    check([GrepGate()], (trees[0], None), hunks=hunks)
    check([BrokenGate()], trees, hunks=hunks)
    assert calls == [1]  # no base, or no run to compare: the diff is not needed


def test_hunks_place_a_finding_added_above_its_twin(trees: tuple[Target, Target]) -> None:
    head, _ = trees
    (head.root / "pkg" / "legacy.py").write_text("x = eval(a)\n" + LEGACY)
    on_top = {"pkg/legacy.py": (Hunk(0, 0, 1, 1),), "pkg/other.py": ()}
    (by_text,) = check([GrepGate()], trees).gates
    (by_lines,) = check([GrepGate()], trees, hunks=on_top).gates
    assert [f.line for f in by_text.new] == [4]  # the old `x = eval(a)`, one line down
    assert [f.line for f in by_lines.new] == [1]


def test_a_clean_change_to_a_legacy_tree_passes(trees: tuple[Target, Target]) -> None:
    head, _ = trees
    (head.root / "pkg" / "legacy.py").write_text("# shifted\n\n" + LEGACY)
    report = check([GrepGate(), PlaceholderGate()], trees)
    assert report.verdicts() == {"grep": "pass", "placeholder": "pass"}
    assert report.exit_code == exit_codes.OK
    assert [r.counts["preexisting"] for r in report.gates] == [3, 2]


def test_fixed_findings_are_counted(trees: tuple[Target, Target]) -> None:
    head, _ = trees
    (head.root / "pkg" / "other.py").write_text("z = c\n")
    (grep,) = check([GrepGate()], trees).gates
    assert grep.counts["fixed"] == 1


def test_without_a_base_every_finding_is_new(trees: tuple[Target, Target]) -> None:
    head, _ = trees
    gate = GrepGate()
    report = check([gate], (head, None))
    assert report.gates[0].counts == {"new": 4, "preexisting": 0, "fixed": 0, "waived": 0}
    assert gate.calls == [head.root]
    assert not report.compared_to_base


def test_a_failed_tool_is_an_error_never_a_pass(trees: tuple[Target, Target]) -> None:
    report = check([BrokenGate(), GrepGate()], trees)
    broken, grep = report.gates
    assert (broken.verdict, broken.error) == ("error", "`broken` exited 2: Segmentation fault")
    assert broken.new == () and grep.verdict == "fail"
    assert report.tool_failed and report.exit_code == exit_codes.TOOL


def test_a_tool_failing_only_at_the_base_is_an_error(trees: tuple[Target, Target]) -> None:
    (broken,) = check([BrokenGate(broken_at=("base",))], trees).gates
    assert broken.verdict == "error"
    assert broken.error == "at the base: `broken` exited 2: Segmentation fault"


def test_a_gate_that_raises_is_a_failed_tool(trees: tuple[Target, Target]) -> None:
    (raising,) = check([RaisingGate()], trees).gates
    assert (raising.tool, raising.verdict) == ("raising", "error")
    assert raising.error == "`raising` is not installed or not on PATH"


def test_a_gate_with_a_bug_is_a_failed_tool_too(trees: tuple[Target, Target]) -> None:
    (buggy,) = check([BuggyGate()], trees).gates
    assert (buggy.verdict, buggy.error) == ("error", "KeyError: 'no such key'")


def test_the_head_run_extra_counts_are_kept(trees: tuple[Target, Target]) -> None:
    (broken,) = check([BrokenGate(broken_at=())], trees).gates
    assert (broken.verdict, broken.extra) == ("pass", {"tests": 7})


def test_a_gate_turned_off_is_not_run(trees: tuple[Target, Target]) -> None:
    gate = GrepGate()
    report = check([gate, BrokenGate()], trees, {"grep": GatePolicy(mode="off")})
    assert report.verdicts() == {"grep": "skip", "broken": "error"}
    assert gate.calls == []


def test_warn_mode_reports_without_blocking(trees: tuple[Target, Target]) -> None:
    report = check([GrepGate()], trees, {"grep": GatePolicy(mode="warn")})
    assert report.verdicts() == {"grep": "warn"}
    assert not report.blocking and report.exit_code == exit_codes.OK


def test_findings_below_the_threshold_are_listed_but_pass(trees: tuple[Target, Target]) -> None:
    (grep,) = check([GrepGate()], trees, {"grep": GatePolicy(severity=Severity.HIGH)}).gates
    assert (grep.verdict, len(grep.new), grep.decisive) == ("pass", 1, ())


def test_waived_findings_do_not_block(trees: tuple[Target, Target]) -> None:
    waiver = Waiver("G1", "pkg/**", "eval is reviewed here")
    (grep,) = check([GrepGate()], trees, waivers=[waiver]).gates
    assert grep.verdict == "pass"
    assert [(w.finding.line, w.waiver) for w in grep.waived] == [(11, waiver)]
    assert grep.new == ()


def test_an_expired_waiver_stops_applying_and_is_reported(trees: tuple[Target, Target]) -> None:
    expired = Waiver("G1", "pkg/**", "was reviewed", expires=date(2026, 5, 1))
    report = check([GrepGate()], trees, waivers=[expired])
    assert report.verdicts() == {"grep": "fail"}
    assert report.expired_waivers == (expired,)


def test_block_preexisting_judges_old_findings_too(trees: tuple[Target, Target]) -> None:
    head, _ = trees
    (head.root / "pkg" / "legacy.py").write_text(LEGACY)  # no new finding at all
    policy = GatePolicy(block_preexisting=True)
    waiver = Waiver("G1", "pkg/other.py", "old code")
    (grep,) = check([GrepGate()], trees, {"grep": policy}, [waiver]).gates
    assert grep.verdict == "fail"
    assert [f.path for f in grep.preexisting] == ["pkg/legacy.py", "pkg/legacy.py"]
    assert [w.finding.path for w in grep.waived] == ["pkg/other.py"]
    (default,) = check([GrepGate()], trees).gates
    assert default.verdict == "pass"


# --- parallel ----------------------------------------------------------------------------------


def test_gates_run_on_head_and_base_at_the_same_time(trees: tuple[Target, Target]) -> None:
    barrier = threading.Barrier(4, timeout=5)  # two gates, each on head and base: all four at once
    gates: list[Gate] = [SlowGate("one", 0.3, barrier), SlowGate("two", 0.3, barrier)]
    started = time.perf_counter()
    report = check(gates, trees)
    elapsed = time.perf_counter() - started
    assert report.verdicts() == {"one": "pass", "two": "pass"}
    assert elapsed < 0.9, f"four 0.3 s runs took {elapsed:.2f} s: not in parallel"


def test_workers_can_cap_the_threads(trees: tuple[Target, Target]) -> None:
    barrier = threading.Barrier(2, timeout=0.2)
    gates: list[Gate] = [SlowGate("one", 0, barrier), SlowGate("two", 0, barrier)]
    report = check(gates, trees, workers=1)  # one thread: the barrier can never fill
    assert report.verdicts() == {"one": "error", "two": "error"}
    assert "BrokenBarrierError" in (report.gates[0].error or "")


# --- the base cache ----------------------------------------------------------------------------


def test_base_runs_are_cached_per_key(trees: tuple[Target, Target], tmp_path: Path) -> None:
    head, base = trees
    cache = BaseCache(tmp_path / "base-cache")
    gate = GrepGate()
    first = check([gate], trees, base_cache=cache, base_key="abc123 files")
    assert sorted(gate.calls) == sorted([head.root, base.root])
    assert not first.gates[0].base_cached

    gate.calls.clear()
    second = check([gate], trees, base_cache=cache, base_key="abc123 files")
    assert gate.calls == [head.root]
    assert second.gates[0].base_cached
    assert second.gates[0].new == first.gates[0].new
    assert second.gates[0].preexisting == first.gates[0].preexisting

    gate.calls.clear()
    check([gate], trees, base_cache=cache, base_key="def456 files")
    assert base.root in gate.calls


def test_the_cache_is_one_json_file_per_key(trees: tuple[Target, Target], tmp_path: Path) -> None:
    cache = BaseCache(tmp_path / "base-cache")
    check([GrepGate(), PlaceholderGate()], trees, base_cache=cache, base_key="k")
    files = sorted((tmp_path / "base-cache").iterdir())
    assert len(files) == 2 and all(f.suffix == ".json" for f in files)
    records = [json.loads(f.read_text()) for f in files]
    assert sorted(r["tool"] for r in records) == ["grep", "placeholder"]
    assert all(len(finding["fingerprint"]) == 64 for r in records for finding in r["findings"])


def test_no_cache_without_a_key(trees: tuple[Target, Target], tmp_path: Path) -> None:
    cache = BaseCache(tmp_path / "base-cache")
    check([GrepGate()], trees, base_cache=cache)
    assert not (tmp_path / "base-cache").exists()


def test_failed_base_runs_are_not_cached(trees: tuple[Target, Target], tmp_path: Path) -> None:
    cache = BaseCache(tmp_path / "base-cache")
    check([BrokenGate()], trees, base_cache=cache, base_key="k")
    assert not (tmp_path / "base-cache").exists()


def test_a_new_tool_version_runs_the_base_again(
    trees: tuple[Target, Target], tmp_path: Path
) -> None:
    _, base = trees
    cache = BaseCache(tmp_path / "base-cache")
    check([GrepGate(version="1.0")], trees, base_cache=cache, base_key="k")
    upgraded = GrepGate(version="1.1")
    (result,) = check([upgraded], trees, base_cache=cache, base_key="k").gates
    assert base.root in upgraded.calls and not result.base_cached
    again = GrepGate(version="1.1")
    (cached,) = check([again], trees, base_cache=cache, base_key="k").gates
    assert base.root not in again.calls and cached.base_cached  # the re-run was stored


def test_an_unreadable_cache_entry_is_a_miss(tmp_path: Path) -> None:
    cache = BaseCache(tmp_path)
    run = GateRun("grep", "1.0", (), 0.5, None, {"tests": 3})
    cache.put("key", run)
    assert cache.get("key") == run
    (entry,) = tmp_path.iterdir()
    entry.write_text("{not json")
    assert cache.get("key") is None
    assert cache.get("never stored") is None


def test_cache_round_trip_keeps_every_field(tmp_path: Path) -> None:
    cache = BaseCache(tmp_path)
    finding = Finding(
        "pytest", "pytest:failed", Severity.HIGH, "t.py", 3, 0, "m", "f" * 64, "t::x", "k" * 64
    )
    run = GateRun("pytest", "8.3", (finding,), 1.5, None, {"tests": 12})
    cache.put("../../escape", run)  # any text is a key; it never names a path
    assert cache.get("../../escape") == run
    assert [p.parent for p in tmp_path.rglob("*.json")] == [tmp_path]


def test_an_entry_from_before_text_keys_is_a_miss(tmp_path: Path) -> None:
    cache = BaseCache(tmp_path)
    finding = Finding("grep", "G1", Severity.LOW, "m.py", 1, 1, "hit", "f" * 64, "", "k" * 64)
    cache.put("key", GateRun("grep", "1.0", (finding,)))
    (entry,) = tmp_path.iterdir()
    record = json.loads(entry.read_text())
    for item in record["findings"]:
        del item["text_key"]
    entry.write_text(json.dumps({**record, "format": 1}))
    assert cache.get("key") is None


def test_an_entry_whose_finding_has_no_fingerprint_is_a_miss(tmp_path: Path) -> None:
    cache = BaseCache(tmp_path)
    finding = Finding("grep", "G1", Severity.LOW, "m.py", 1, 1, "hit", "f" * 64, "", "k" * 64)
    cache.put("key", GateRun("grep", "1.0", (finding,)))
    assert cache.get("key") == GateRun("grep", "1.0", (finding,))
    (entry,) = tmp_path.iterdir()
    record = json.loads(entry.read_text())
    del record["findings"][0]["fingerprint"]  # a Finding may leave it out; a cached one may not
    entry.write_text(json.dumps(record))
    assert cache.get("key") is None
