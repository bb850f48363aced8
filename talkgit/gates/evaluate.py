"""Run gates on a head and its base in parallel, keep only new findings, judge them.

Every gate runs on the head and (unless cached) on the base at the same time, each in its
own thread: the tools are subprocesses, so threads are enough. A base's findings depend
only on the base commit, the tool and the files, so they are cached per ``base_key``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, field_validator

from talkgit import exit_codes
from talkgit.errors import NoSpaceError, TalkgitError
from talkgit.filenames import as_bytes
from talkgit.files import write_atomically
from talkgit.gates.base import Finding, Gate, GateRun, Target, Verdict
from talkgit.gates.compare import Comparison, new_findings
from talkgit.gates.fingerprint import fingerprint_all, line_reader
from talkgit.gates.lines import LineChanges
from talkgit.gates.policy import (
    DEFAULT_POLICY,
    GatePolicy,
    WaivedFinding,
    Waiver,
    expired_waivers,
    split_waived,
    verdict,
)

CACHE_FORMAT = 2  # bump when the cached record changes shape (2: findings have a text_key)


@dataclass(frozen=True)
class GateResult:
    """One gate's outcome against a base.

    ``new`` are the head's findings that are not at the base and no waiver covers, of any
    severity (those below ``policy.severity`` are shown but decide nothing);
    ``preexisting`` were at the base already (judged only with ``block_preexisting``);
    ``waived`` are the judged findings a waiver excused; ``fixed`` counts base findings
    gone at head. ``error`` says why the tool failed, at head or at base.
    """

    tool: str
    version: str
    verdict: Verdict
    policy: GatePolicy
    new: tuple[Finding, ...] = ()
    preexisting: tuple[Finding, ...] = ()
    waived: tuple[WaivedFinding, ...] = ()
    fixed: int = 0
    duration_s: float = 0.0
    base_cached: bool = False
    error: str | None = None
    extra: Mapping[str, int] = field(default_factory=dict)  # the head run's, e.g. {"tests": 12}

    @property
    def counts(self) -> dict[str, int]:
        """The numbers a step note records (``GateRecord.counts``)."""
        return {
            "new": len(self.new),
            "preexisting": len(self.preexisting),
            "fixed": self.fixed,
            "waived": len(self.waived),
        }

    @property
    def judged(self) -> tuple[Finding, ...]:
        """The findings the verdict was taken on: new ones, and old ones if the policy says."""
        return self.new + self.preexisting if self.policy.block_preexisting else self.new

    @property
    def decisive(self) -> tuple[Finding, ...]:
        """The judged findings at or above the policy's severity: those that set the verdict."""
        threshold = self.policy.severity.rank
        return tuple(f for f in self.judged if f.severity.rank >= threshold)


@dataclass(frozen=True)
class GateReport:
    """Every gate's result, the waivers that have expired, and what it all adds up to."""

    gates: tuple[GateResult, ...]
    expired_waivers: tuple[Waiver, ...] = ()
    compared_to_base: bool = True
    base_rules: tuple[str, ...] = ()  # files the change edits that were judged as the base has them
    held_back: tuple[str, ...] = ()  # gates not run: they would run the change's code near a secret

    @property
    def blocking(self) -> bool:
        """A gate in block mode has a decisive new finding."""
        return any(result.verdict == "fail" for result in self.gates)

    @property
    def tool_failed(self) -> bool:
        """A gate's tool crashed or is missing: the answer cannot be trusted."""
        return any(result.verdict == "error" for result in self.gates)

    @property
    def lets_through(self) -> bool:
        """No blocking new finding and no failed tool: the change may merge."""
        return not (self.blocking or self.tool_failed)

    @property
    def exit_code(self) -> int:
        """TOOL when a tool failed (that wins: the rest may be wrong), FAILURE when blocking."""
        if self.tool_failed:
            return exit_codes.TOOL
        return exit_codes.FAILURE if self.blocking else exit_codes.OK

    def verdicts(self) -> dict[str, Verdict]:
        """``{tool: verdict}`` in gate order, as the ``Talkgit-Gates`` trailer lists them."""
        return {result.tool: result.verdict for result in self.gates}


# --- the base cache ----------------------------------------------------------------------------


class _RunRecord(BaseModel):
    """A cached run as stored. Its findings are ``Finding`` itself, which pydantic checks
    field by field: a second model of a finding would have to be kept in step by hand."""

    format: Literal[2]
    tool: str
    version: str
    findings: list[Finding]
    duration_s: float
    extra: dict[str, int]

    @field_validator("findings")
    @classmethod
    def _fingerprinted(cls, findings: list[Finding]) -> list[Finding]:
        # Only fingerprinted runs are stored: an entry without them is not one of ours.
        if not all(finding.fingerprint and finding.text_key for finding in findings):
            raise ValueError("a cached finding has no fingerprint")
        return findings


class BaseCache:
    """A base's fingerprinted gate runs, one ``<sha256>.json`` file per key under ``path``.

    Files are written to a temporary name and renamed, so a reader never sees half of
    one; an unreadable file is a miss. Runs whose tool failed are never stored.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def get(self, key: str) -> GateRun | None:
        try:
            # json, not pydantic's parser: a file name that is not UTF-8 is stored as
            # a surrogate escape (``\udce9``), which pydantic refuses.
            record = _RunRecord.model_validate(json.loads(self._file(key).read_bytes()))
        except (OSError, ValueError):
            return None
        findings = tuple(record.findings)
        return GateRun(record.tool, record.version, findings, record.duration_s, None, record.extra)

    def put(self, key: str, run: GateRun) -> None:
        if run.error is not None:
            return
        record = {
            "format": CACHE_FORMAT,
            "tool": run.tool,
            "version": run.version,
            "findings": [{**asdict(f), "severity": f.severity.value} for f in run.findings],
            "duration_s": run.duration_s,
            "extra": dict(run.extra),
        }
        write_atomically(self._file(key), json.dumps(record, sort_keys=True))

    def _file(self, key: str) -> Path:
        # Keys may hold anything (refs, versions, file lists): hash them into a safe name.
        return self.path / f"{hashlib.sha256(as_bytes(key)).hexdigest()}.json"


# --- evaluation --------------------------------------------------------------------------------


def evaluate(
    gates: Sequence[Gate],
    head: Target,
    base: Target | Callable[[], Target] | None,
    policies: Mapping[str, GatePolicy],
    waivers: Sequence[Waiver],
    *,
    base_cache: BaseCache | None = None,
    base_key: str | None = None,
    today: date,
    workers: int | None = None,
    hunks: LineChanges | Callable[[], LineChanges] | None = None,
) -> GateReport:
    """Run ``gates`` on ``head`` and ``base`` in parallel and judge what the head added.

    ``policies`` maps gate names to their policy (a missing name gets the defaults); gates
    in ``off`` mode are not run. With ``base=None`` every finding counts as new; ``base``
    may be a callable that makes the target, called only when a base run is not cached. The base
    runs are cached in ``base_cache`` under ``base_key`` plus the gate's name when both
    are given; the key must change with the base commit and the files checked. A gate
    that raises is reported as a failed tool. ``workers`` caps the threads (default: one
    per run). ``hunks``, the change's hunks per path (``talkgit.git.diff.line_hunks``) or
    a callable that computes them, called at most once and only to compare with a base,
    says where each head line was at the base; without it findings are paired by their
    line's text (see ``compare``).
    """
    policy_of = [policies.get(gate.name, DEFAULT_POLICY) for gate in gates]
    active = [i for i, policy in enumerate(policy_of) if policy.mode != "off"]
    cache = base_cache if base_key is not None else None
    base_of = {
        i: _BaseSide(gates[i], base, cache, f"{base_key}\0{gates[i].name}")
        for i in active
        if base is not None
    }
    results = [_skipped(gate, policy) for gate, policy in zip(gates, policy_of, strict=True)]
    lines = _Lines(hunks)
    with ThreadPoolExecutor(max_workers=max(1, workers or len(active) + len(base_of))) as pool:
        heads = {i: pool.submit(_fingerprinted, gates[i], head) for i in active}
        bases = {i: pool.submit(side.run) for i, side in base_of.items()}
        for i in active:
            side = (base_of[i], bases[i]) if i in bases else None
            results[i] = _judged(heads[i].result(), side, policy_of[i], waivers, today, lines)
    return GateReport(
        gates=tuple(results),
        expired_waivers=expired_waivers(waivers, today),
        compared_to_base=base is not None,
    )


def _judged(
    head_run: GateRun,
    base: tuple[_BaseSide, Future[tuple[GateRun, bool]]] | None,
    policy: GatePolicy,
    waivers: Sequence[Waiver],
    today: date,
    lines: _Lines,
) -> GateResult:
    if base is None:
        return judge_gate(head_run, None, policy, waivers, today)
    side, job = base
    base_run, cached = job.result()
    if cached and head_run.error is None and base_run.version != head_run.version:
        base_run, cached = side.run(use_cache=False)  # the tool changed since it was cached
    compared = head_run.error is None and base_run.error is None
    hunks = lines() if compared else None
    return judge_gate(head_run, base_run, policy, waivers, today, base_cached=cached, hunks=hunks)


class _Lines:
    """The change's hunks, computed the first time a gate compares with its base."""

    def __init__(self, hunks: LineChanges | Callable[[], LineChanges] | None) -> None:
        self.source = hunks
        self.hunks: LineChanges | None = None if callable(hunks) else hunks

    def __call__(self) -> LineChanges | None:
        if self.hunks is None and callable(self.source):
            self.hunks = self.source()
        return self.hunks


@dataclass(frozen=True)
class _BaseSide:
    """One gate's run on the base, through the cache when there is one."""

    gate: Gate
    target: Target | Callable[[], Target]  # a callable: made only if some run is not cached
    cache: BaseCache | None
    key: str

    def run(self, *, use_cache: bool = True) -> tuple[GateRun, bool]:
        """The fingerprinted run, and whether it came from the cache."""
        cached = self.cache.get(self.key) if self.cache is not None and use_cache else None
        if cached is not None:
            return cached, True
        target = self.target() if callable(self.target) else self.target
        run = _fingerprinted(self.gate, target)
        if self.cache is not None:
            self.cache.put(self.key, run)
        return run, False


def judge_gate(
    head: GateRun,
    base: GateRun | None,
    policy: GatePolicy,
    waivers: Sequence[Waiver],
    today: date,
    *,
    base_cached: bool = False,
    hunks: LineChanges | None = None,
) -> GateResult:
    """One gate's result from its fingerprinted runs at head and (when there is one) base.

    ``hunks`` are the change's, per path: where each head line was at the base.
    """
    error = _error(head, base)
    if error is not None:
        return GateResult(
            tool=head.tool,
            version=head.version,
            verdict="error",
            policy=policy,
            duration_s=head.duration_s,
            base_cached=base_cached,
            error=error,
        )
    if base is None:
        split = Comparison(head.findings, (), ())
    else:
        split = new_findings(base.findings, head.findings, hunks)
    new, waived_new = split_waived(_ordered(split.new), waivers, today)
    preexisting = _ordered(split.preexisting)
    waived_old: tuple[WaivedFinding, ...] = ()
    if policy.block_preexisting:
        preexisting, waived_old = split_waived(preexisting, waivers, today)
    judged = new + preexisting if policy.block_preexisting else new
    return GateResult(
        tool=head.tool,
        version=head.version,
        verdict=verdict(head, judged, policy, waivers, today),
        policy=policy,
        new=new,
        preexisting=preexisting,
        waived=waived_new + waived_old,
        fixed=len(split.fixed),
        duration_s=head.duration_s,
        base_cached=base_cached,
        extra=dict(head.extra),
    )


def _error(head: GateRun, base: GateRun | None) -> str | None:
    if head.error is not None:
        return head.error
    if base is not None and base.error is not None:
        return f"at the base: {base.error}"  # without the base, nothing can be called new
    return None


def _ordered(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule)))


def _skipped(gate: Gate, policy: GatePolicy) -> GateResult:
    return GateResult(gate.name, "", "skip", policy)


def _fingerprinted(gate: Gate, target: Target) -> GateRun:
    run = _run_safely(gate, target)
    if run.error is not None:
        return run
    findings = fingerprint_all(run.findings, line_reader(target.root))
    return GateRun(run.tool, run.version, findings, run.duration_s, None, dict(run.extra))


def _run_safely(gate: Gate, target: Target) -> GateRun:
    try:
        run = gate.run(target)
    except NoSpaceError:  # not the gate's failure: no gate could run on a full disk
        raise
    except TalkgitError as exc:
        return GateRun(gate.name, "", error=str(exc))
    except Exception as exc:  # a gate that raises is a tool that failed, never a pass
        return GateRun(gate.name, "", error=f"{type(exc).__name__}: {exc}")
    if not isinstance(run, GateRun):  # a plug-in gate's bug, as the one above
        return GateRun(gate.name, "", error=f"the gate returned a {type(run).__name__}")
    return run
