"""A GateReport for people and programs: terminal text, JSON, Markdown (a PR comment), SARIF.

The JSON shape (``talkgit.gates/v1``) is a published format, documented in docs/gates.md:
add keys only, and bump the schema for anything else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final, Literal

from talkgit.errors import UsageError
from talkgit.filenames import shown
from talkgit.gates.base import Finding, Verdict
from talkgit.gates.evaluate import GateReport, GateResult
from talkgit.gates.policy import WAIVERS_FILE, WaivedFinding, Waiver
from talkgit.gates.sarif import render_sarif

JSON_SCHEMA: Final = "talkgit.gates/v1"
Format = Literal["text", "json", "markdown", "sarif"]
FORMATS: Final[tuple[Format, ...]] = ("text", "json", "markdown", "sarif")
MARKDOWN_LIMIT: Final = 50  # findings listed per gate in a PR comment; the rest are counted

_ICONS: Final[dict[Verdict, str]] = {
    "pass": "✅",
    "fail": "❌",
    "warn": "⚠️",
    "error": "💥",
    "skip": "⏭️",
}


def render(report: GateReport, format: Format) -> str:
    """``report`` in ``format``; UsageError names the formats for any other."""
    renderers: dict[str, Callable[[GateReport], str]] = {
        "text": render_text,
        "json": render_json,
        "markdown": render_markdown,
        "sarif": render_sarif,
    }
    if format not in renderers:
        raise UsageError(f"unknown format {format!r}: choose one of {', '.join(FORMATS)}")
    return renderers[format](report)


def outcome(report: GateReport) -> Literal["pass", "fail", "error"]:
    """The one word for the whole report: ``error`` wins over ``fail``, as the exit code does."""
    if report.tool_failed:
        return "error"
    return "fail" if report.blocking else "pass"


def _decisive(result: GateResult) -> frozenset[str]:
    """Fingerprints of the findings that decided ``result``'s verdict."""
    return frozenset(finding.fingerprint for finding in result.decisive)


def location(finding: Finding) -> str:
    """``path:line:column``, leaving out what the tool did not give; the path as ``shown``."""
    parts = [shown(finding.path)]
    if finding.line > 0:
        parts.append(str(finding.line))
        if finding.column > 0:
            parts.append(str(finding.column))
    return ":".join(parts)


# --- text --------------------------------------------------------------------------------------


def render_text(report: GateReport) -> str:
    """Plain lines for a terminal or a log: one per gate, then its findings, then the result."""
    lines: list[str] = []
    width = max((len(_gate_label(r)) for r in report.gates), default=0)
    for result in report.gates:
        summary = "held back" if result.tool in report.held_back else _summary(result)
        lines.append(f"{_gate_label(result):<{width}}  {result.verdict:<5}  {summary}")
        lines.extend(f"  {line}" for line in _text_findings(result))
    lines.extend(_text_expired(report.expired_waivers))
    lines.extend(_notes(report, "note"))
    lines.append(f"result: {outcome(report)} ({_explain_outcome(report)})")
    return "\n".join(lines) + "\n"


def _notes(report: GateReport, label: str) -> list[str]:
    """What the reader must know about how the change was judged."""
    notes = []
    if report.base_rules:
        notes.append(
            f"{label}: this change edits tool settings ({', '.join(report.base_rules)}); the "
            "gates used the base's version, so the edit takes effect only once it is merged"
        )
    if report.held_back:
        notes.append(
            f"{label}: not run: {', '.join(report.held_back)}, which would run the change's "
            "code in a process that holds secrets; run it in a job without any "
            "(see talkgit's docs/github-action.md)"
        )
    return notes


def _gate_label(result: GateResult) -> str:
    return f"{result.tool} {result.version}".strip()


def _summary(result: GateResult) -> str:
    if result.error is not None:
        return f"tool failed: {result.error}"
    if result.verdict == "skip":
        return "off"
    counts = result.counts
    judged = " (judged too)" if result.policy.block_preexisting else ""
    cached = ", base cached" if result.base_cached else ""
    return (
        f"{counts['new']} new, {counts['preexisting']} pre-existing{judged}, "
        f"{counts['fixed']} fixed, {counts['waived']} waived  {result.duration_s:.2f} s{cached}"
    )


def _text_findings(result: GateResult) -> Iterator[str]:
    counted = _decisive(result)
    for finding in result.new:
        yield _text_finding(finding, counted, "")
    if result.policy.block_preexisting:
        for finding in result.preexisting:
            yield _text_finding(finding, counted, "pre-existing, ")
    for finding, waiver in result.waived:
        yield f"{location(finding)}: {finding.rule} waived: {waiver.reason}"


def _text_finding(finding: Finding, counted: frozenset[str], note: str) -> str:
    below = "" if finding.fingerprint in counted else ", below threshold"
    return (
        f"{location(finding)}: {finding.rule} [{note}{finding.severity.value}{below}] "
        f"{finding.message}"
    )


def _text_expired(waivers: Iterable[Waiver]) -> Iterator[str]:
    expired = tuple(waivers)
    if expired:
        yield f"expired waivers (no longer applied; renew or remove them in {WAIVERS_FILE}):"
        yield from (f"  {_waiver_line(w)}" for w in expired)


def _waiver_line(waiver: Waiver) -> str:
    return f"{waiver.rule} on {waiver.path}, expired {waiver.expires}: {waiver.reason}"


def _explain_outcome(report: GateReport) -> str:
    failed = [r.tool for r in report.gates if r.verdict == "error"]
    blocking = [r.tool for r in report.gates if r.verdict == "fail"]
    if failed:
        return f"a tool failed: {', '.join(failed)}"
    if blocking:
        return f"blocking new findings: {', '.join(blocking)}"
    return "no blocking new findings"


# --- JSON --------------------------------------------------------------------------------------


def render_json(report: GateReport) -> str:
    """The report as ``talkgit.gates/v1`` JSON (see docs/gates.md), keys in a stable order."""
    return json.dumps(report_data(report), indent=2, ensure_ascii=False) + "\n"


def report_data(report: GateReport) -> dict[str, Any]:
    """The JSON document as Python data."""
    return {
        "schema": JSON_SCHEMA,
        "result": outcome(report),
        "blocking": report.blocking,
        "tool_failed": report.tool_failed,
        "compared_to_base": report.compared_to_base,
        "gates": [_gate_data(result) for result in report.gates],
        "expired_waivers": [_waiver_data(waiver) for waiver in report.expired_waivers],
        "rules_from_base": list(report.base_rules),
        "held_back": list(report.held_back),
    }


def _gate_data(result: GateResult) -> dict[str, Any]:
    counted = _decisive(result)
    return {
        "tool": result.tool,
        "version": result.version,
        "verdict": result.verdict,
        "policy": result.policy.model_dump(mode="json"),
        "error": result.error,
        "duration_s": round(result.duration_s, 3),
        "base_cached": result.base_cached,
        "counts": result.counts,
        "extra": dict(result.extra),
        "new": [finding_data(f, f.fingerprint in counted) for f in result.new],
        "preexisting": [finding_data(f, f.fingerprint in counted) for f in result.preexisting],
        "waived": [_waived_data(item) for item in result.waived],
    }


def finding_data(finding: Finding, decisive: bool = False) -> dict[str, Any]:
    """One finding as JSON data; ``decisive`` says whether it decided the verdict."""
    return {
        "tool": finding.tool,
        "rule": finding.rule,
        "severity": finding.severity.value,
        "path": shown(finding.path),
        "line": finding.line,
        "column": finding.column,
        "message": finding.message,
        "fingerprint": finding.fingerprint,
        "decisive": decisive,
    }


def _waived_data(item: WaivedFinding) -> dict[str, Any]:
    return {**finding_data(item.finding), "waiver": _waiver_data(item.waiver)}


def _waiver_data(waiver: Waiver) -> dict[str, Any]:
    expires = waiver.expires.isoformat() if waiver.expires else None
    return {"rule": waiver.rule, "path": waiver.path, "reason": waiver.reason, "expires": expires}


# --- Markdown ----------------------------------------------------------------------------------


def render_markdown(report: GateReport) -> str:
    """A pull-request comment: a verdict table per gate, then the new findings."""
    title = {"pass": "no blocking new findings", "fail": "blocking new findings"}
    headline = title.get(outcome(report), "a gate's tool failed")
    lines = [f"### {_ICONS[outcome(report)]} talkgit gates: {headline}", ""]
    lines += ["| gate | verdict | new | pre-existing | fixed | waived | time |"]
    lines += ["| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    lines += [_markdown_row(result) for result in report.gates]
    lines += _markdown_errors(report.gates)
    for result in report.gates:
        lines += _markdown_findings(result)
    lines += _markdown_expired(report.expired_waivers)
    lines += [f"> **{line}**" for line in _notes(report, "Note")]
    return "\n".join(lines) + "\n"


def _markdown_row(result: GateResult) -> str:
    gate = _cell(_gate_label(result))
    verdict = f"{_ICONS[result.verdict]} {result.verdict}"
    if result.verdict in ("skip", "error"):
        return f"| {gate} | {verdict} | | | | | |"
    counts = result.counts
    numbers = " | ".join(str(counts[k]) for k in ("new", "preexisting", "fixed", "waived"))
    return f"| {gate} | {verdict} | {numbers} | {result.duration_s:.1f} s |"


def _markdown_errors(results: Iterable[GateResult]) -> list[str]:
    failed = [r for r in results if r.error is not None]
    if not failed:
        return []
    lines = ["", "#### Tools that failed", ""]
    return lines + [f"- **{_cell(r.tool)}**: {_code(r.error or '')}" for r in failed]


def _markdown_findings(result: GateResult) -> list[str]:
    shown = result.judged
    if not shown and not result.waived:
        return []
    counted, old = _decisive(result), frozenset(f.fingerprint for f in result.preexisting)
    lines = ["", f"#### {_cell(result.tool)}: findings", ""]
    lines += _capped(
        [_markdown_finding(f, f.fingerprint in counted, f.fingerprint in old) for f in shown]
    )
    if result.waived:
        lines += ["", f"<details><summary>{len(result.waived)} waived</summary>", ""]
        lines += _capped(
            [f"- {_code(location(f))} {_code(f.rule)}: {_code(w.reason)}" for f, w in result.waived]
        )
        lines += ["", "</details>"]
    return lines


def _capped(items: list[str]) -> list[str]:
    rest = len(items) - MARKDOWN_LIMIT
    return items[:MARKDOWN_LIMIT] + ([f"- … and {rest} more"] if rest > 0 else [])


def _markdown_finding(finding: Finding, counted: bool, preexisting: bool) -> str:
    notes = [finding.severity.value]
    notes += ["pre-existing"] if preexisting else []
    notes += [] if counted else ["below threshold"]
    return (
        f"- {_code(location(finding))} **{_cell(finding.rule)}** "
        f"({', '.join(notes)}): {_code(finding.message)}"
    )


def _markdown_expired(waivers: Iterable[Waiver]) -> list[str]:
    expired = tuple(waivers)
    if not expired:
        return []
    lines = [
        "",
        f"#### Expired waivers (no longer applied; renew or remove them in {_code(WAIVERS_FILE)})",
        "",
    ]
    return lines + [f"- {_code(_waiver_line(w))}" for w in expired]


_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~#@!])")


def _cell(text: str) -> str:
    """Short text (tool names, rules) with Markdown's special characters escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def _code(text: str) -> str:
    """``text`` as an inline code span: nothing in it is formatted, linked or @-mentioned."""
    flat = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"
