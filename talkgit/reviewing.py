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

from talkgit.config import ReadFile, gate_rules, load_settings
from talkgit.gates.base import Change, Severity
from talkgit.gates.change import judge_with_rules
from talkgit.gates.evaluate import GateReport, GateResult
from talkgit.gates.policy import load_waivers
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
    rules = gate_rules(
        settings,
        load_waivers(read),
        default="run_gates",
        gates=options.gates,
        fail_on=options.fail_on,
    )
    held = tuple(g for g in rules.gates if g in RUNS_THE_CHANGE) if secrets_held else ()
    report = judge_with_rules(
        repo,
        Change(head, base, changed_paths(repo, base, head)),
        rules.without(held),
        today=date.today(),
        lane="review",
        rules_from_base=True,
    )
    if held:
        skipped = tuple(GateResult(g, "", "skip", rules.policies[g]) for g in held)
        report = replace(report, gates=report.gates + skipped, held_back=held)
    commits = tuple(provenance_of(repo, c) for c in walk(repo, f"{base}..{head}"))
    return Reviewed(report, commits)


def base_reader(repo: GitRepo, base: str) -> ReadFile:
    """Configuration files as the base commit has them."""

    def read(path: str) -> str | None:
        data = repo.read_file(base, path)
        return None if data is None else data.decode("utf-8", "replace")

    return read


def _talkgit_only(environ: Mapping[str, str] | None) -> dict[str, str]:
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k.upper().startswith("TALKGIT_")}
