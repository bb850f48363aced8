"""The gates and the provenance of a commit range, configured by its base commit.

`talkgit review` prints them; the GitHub Action (``talkgit.github.workflow``) posts them on a
pull request. Configuration and waivers come from the BASE commit, never the head: a change
cannot switch off the gates that judge it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from talkgit.config import ReadFile, Settings, load_settings
from talkgit.gates.base import Change, Severity
from talkgit.gates.change import judge
from talkgit.gates.evaluate import GateReport, GateResult
from talkgit.gates.policy import GatePolicy, load_waivers
from talkgit.git.history import walk
from talkgit.git.repo import GitRepo
from talkgit.git.snapshot import changed_paths
from talkgit.provenance.read import CommitProvenance, provenance_of


@dataclass(frozen=True)
class ReviewOptions:
    gates: Sequence[str] = ()  # empty: the base's `run_gates`
    fail_on: Severity | None = None  # replaces every gate's severity threshold
    review_model: str | None = None
    sarif: Path | None = None


@dataclass(frozen=True)
class Reviewed:
    report: GateReport
    provenance: tuple[CommitProvenance, ...]


def review_range(
    repo: GitRepo,
    base: str,
    head: str,
    options: ReviewOptions,
    environ: Mapping[str, str] | None = None,
    *,
    secrets_held: Sequence[str] = (),
) -> Reviewed:
    """The gates on what ``head`` changes from ``base``, configured by ``base``.

    With ``secrets_held`` (names of secret variables this process has), the gates that run
    the change's own code are held back: its tests must not run next to a secret.
    """
    from talkgit.gates.registry import RUNS_THE_CHANGE

    read = base_reader(repo, base)
    settings = load_settings(read, environ=_talkgit_only(environ), use_dotenv=False)
    wanted = list(options.gates) or settings.run_gates
    held = [g for g in wanted if g in RUNS_THE_CHANGE] if secrets_held else []
    gates = [g for g in wanted if g not in held]
    report = judge(
        repo,
        Change(head, base, changed_paths(repo, base, head)),
        gates=gates,
        policies=_policies(settings, gates, options.fail_on),
        waivers=load_waivers(read),
        today=date.today(),
        lane="review",
        timeout=settings.test_timeout,
        test_command=settings.test_command,
        rules_from_base=True,
    )
    if held:
        policies = settings.gate_policies(held)
        skipped = tuple(GateResult(g, "", "skip", policies[g]) for g in held)
        report = replace(report, gates=report.gates + skipped, held_back=tuple(held))
    commits = tuple(provenance_of(repo, c) for c in walk(repo, f"{base}..{head}"))
    return Reviewed(report, commits)


def base_reader(repo: GitRepo, base: str) -> ReadFile:
    """Configuration files as the base commit has them."""

    def read(path: str) -> str | None:
        data = repo.read_file(base, path)
        return None if data is None else data.decode("utf-8", "replace")

    return read


def _policies(
    settings: Settings, gates: Sequence[str], fail_on: Severity | None
) -> dict[str, GatePolicy]:
    policies = settings.gate_policies(gates)
    if fail_on is None:
        return policies
    return {
        name: policy.model_copy(update={"severity": fail_on}) for name, policy in policies.items()
    }


def _talkgit_only(environ: Mapping[str, str] | None) -> dict[str, str]:
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k.upper().startswith("TALKGIT_")}
