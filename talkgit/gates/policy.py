"""What a gate's findings mean: the per-gate policy, waivers, and the verdict.

A ``GatePolicy`` (``gates.<name>`` in the configuration) says whether a gate blocks, warns
or is off, and from which severity on its new findings count. Waivers in
``.talkgit/waivers.toml`` excuse findings by rule and path glob, with a reason and an
optional expiry date; an expired waiver stops applying and is reported.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictStr, ValidationError
from pydantic import Field as PydanticField
from pydantic_core import ErrorDetails

from talkgit.errors import ConfigError
from talkgit.gates.base import Finding, GateRun, Severity, Verdict
from talkgit.globs import glob_matches

if sys.version_info >= (3, 11):
    import tomllib
else:  # tomli is tomllib's backport, a dependency on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

WAIVERS_FILE = ".talkgit/waivers.toml"
ANY_RULE = "*"

ReadFile = Callable[[str], str | None]
"""Repository-relative path -> text, or None when absent (as ``talkgit.config.ReadFile``)."""


class GatePolicy(BaseModel):
    """How one gate's new findings are judged (``gates.<name>`` in the configuration)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["block", "warn", "off"] = "block"
    severity: Severity = Severity.LOW  # findings below it never block nor warn
    block_preexisting: bool = False  # judge findings already at the base too


DEFAULT_POLICY = GatePolicy()
# bandit's low-severity findings (`import subprocess`, `assert`) flag ordinary code; by
# default they are listed and never block. Configuration replaces these, gate by gate.
GATE_DEFAULTS: dict[str, GatePolicy] = {"bandit": GatePolicy(severity=Severity.MEDIUM)}


# --- waivers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiver:
    """An excuse for the findings of ``rule`` (or every rule, ``"*"``) in paths matching ``path``.

    ``path`` is a glob on the repository-relative path: ``*`` and ``?`` stay inside one
    directory, ``**`` crosses directories (``tests/**``, ``**/conftest.py``). From the
    ``expires`` day on, the waiver no longer applies.
    """

    rule: str
    path: str
    reason: str
    expires: date | None = None

    def expired(self, today: date) -> bool:
        return self.expires is not None and today >= self.expires

    def covers(self, finding: Finding) -> bool:
        """Whether rule and path match ``finding``, expired or not."""
        rule_matches = self.rule in (ANY_RULE, finding.rule)
        return rule_matches and glob_matches(self.path, finding.path)


class WaivedFinding(NamedTuple):
    finding: Finding
    waiver: Waiver


def waiver_for(finding: Finding, waivers: Iterable[Waiver], today: date) -> Waiver | None:
    """The first waiver still in force that covers ``finding``, or None."""
    return next((w for w in waivers if not w.expired(today) and w.covers(finding)), None)


def split_waived(
    findings: Iterable[Finding], waivers: Sequence[Waiver], today: date
) -> tuple[tuple[Finding, ...], tuple[WaivedFinding, ...]]:
    """``findings`` no waiver covers, and the others with the waiver that covers each."""
    kept: list[Finding] = []
    waived: list[WaivedFinding] = []
    for finding in findings:
        waiver = waiver_for(finding, waivers, today)
        if waiver is None:
            kept.append(finding)
        else:
            waived.append(WaivedFinding(finding, waiver))
    return tuple(kept), tuple(waived)


def expired_waivers(waivers: Iterable[Waiver], today: date) -> tuple[Waiver, ...]:
    """The waivers that no longer apply on ``today``: to be reported, so they get cleaned up."""
    return tuple(waiver for waiver in waivers if waiver.expired(today))


# --- reading the waivers file ------------------------------------------------------------------


def _date_only(value: object) -> object:
    # A TOML date is a datetime.date; a string gets the same ISO form. A date-time is
    # refused rather than truncated, and integers are refused (pydantic reads them as
    # Unix timestamps).
    if isinstance(value, datetime) or not isinstance(value, (date, str)):
        raise ValueError("expected a date like 2027-01-31")
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("expected a date like 2027-01-31") from exc
    return value


def _not_blank(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[StrictStr, BeforeValidator(_not_blank), PydanticField(min_length=1)]


class _WaiverEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: Text
    path: Text
    reason: Text
    expires: Annotated[date | None, BeforeValidator(_date_only)] = None


def load_waivers(read_file: ReadFile) -> tuple[Waiver, ...]:
    """The waivers in ``.talkgit/waivers.toml`` as ``read_file`` gives it; none when absent.

    ``read_file`` is ``talkgit.config.read_from_directory(root)`` for a working tree; in
    review mode it reads the base commit, so a change cannot waive its own findings.
    """
    text = read_file(WAIVERS_FILE)
    return () if text is None else parse_waivers(text)


def parse_waivers(text: str, file: str = WAIVERS_FILE) -> tuple[Waiver, ...]:
    """The ``[[waiver]]`` tables of ``text``; ConfigError names ``file`` and the waiver."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {exc}") from exc
    unknown = sorted(set(document) - {"waiver"})
    if unknown:
        raise ConfigError(f"{file}: {unknown[0]}: unknown key (expected [[waiver]] tables)")
    entries = document.get("waiver", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{file}: waiver: expected [[waiver]] tables")
    return tuple(_waiver(entry, f"{file}: waiver #{n}") for n, entry in enumerate(entries, 1))


def _waiver(entry: dict[str, Any], where: str) -> Waiver:
    try:
        parsed = _WaiverEntry.model_validate(entry)
    except ValidationError as exc:
        raise ConfigError(f"{where}: {_explain(exc.errors()[0])}") from exc
    return Waiver(parsed.rule, parsed.path, parsed.reason.strip(), parsed.expires)


_EXPECTED = {
    "missing": "is required",
    "extra_forbidden": "unknown key",
    "string_type": "expected a string",
    "string_too_short": "must not be empty",
}


def _explain(problem: ErrorDetails) -> str:
    key = ".".join(str(part) for part in problem["loc"])
    kind = problem["type"]
    if kind == "value_error":
        reason = str(problem.get("ctx", {}).get("error", problem["msg"]))
    else:
        reason = _EXPECTED.get(kind, problem["msg"])
    return f"{key}: {reason}"


# --- the verdict -------------------------------------------------------------------------------


def decisive_findings(
    findings: Iterable[Finding], policy: GatePolicy, waivers: Sequence[Waiver], today: date
) -> tuple[Finding, ...]:
    """The findings that decide a verdict: not waived, and at or above the policy's severity."""
    kept, _ = split_waived(findings, waivers, today)
    return tuple(f for f in kept if f.severity.rank >= policy.severity.rank)


def verdict(
    run: GateRun,
    new: Sequence[Finding],
    policy: GatePolicy,
    waivers: Sequence[Waiver],
    today: date,
) -> Verdict:
    """The verdict on one gate, given the findings that count as new.

    ``off`` gives ``skip`` whatever the run says (the user asked not to be told); a failed
    tool gives ``error``, never ``pass``; a decisive finding gives ``fail`` in block mode
    and ``warn`` in warn mode. Findings below the severity threshold or waived leave the
    verdict at ``pass``: they are listed in the report but never decide anything.
    """
    if policy.mode == "off":
        return "skip"
    if run.error is not None:
        return "error"
    if not decisive_findings(new, policy, waivers, today):
        return "pass"
    return "fail" if policy.mode == "block" else "warn"
