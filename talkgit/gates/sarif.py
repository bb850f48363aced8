"""A GateReport as SARIF 2.1.0, for code-scanning services and editors.

One run per gate that ran. Its results are the judged findings (new ones, and pre-existing
ones when the policy judges them too) and the waived ones, which carry an external
suppression with the waiver's reason. Each result's ``partialFingerprints`` holds our
fingerprint, so a service that tracks results across commits matches them the way
talkgit does.
"""

from __future__ import annotations

import json
from typing import Any, Final

from talkgit.filenames import uri
from talkgit.gates.base import Finding, Severity
from talkgit.gates.evaluate import GateReport, GateResult
from talkgit.gates.policy import Waiver

SARIF_VERSION: Final = "2.1.0"
SARIF_SCHEMA: Final = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY: Final = "talkgit/v1"
SOURCE_ROOT: Final = "%SRCROOT%"  # the uriBaseId code-scanning services resolve to the checkout

LEVELS: Final = {
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "warning",
    Severity.INFO: "note",
}


def render_sarif(report: GateReport) -> str:
    """``report`` as a SARIF 2.1.0 log, as JSON text."""
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"


def to_sarif(report: GateReport) -> dict[str, Any]:
    """``report`` as a SARIF 2.1.0 log, as Python data."""
    runs = [_run(r, report.compared_to_base) for r in report.gates if r.verdict != "skip"]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}


def _run(result: GateResult, compared: bool) -> dict[str, Any]:
    listed: list[tuple[Finding, Waiver | None]] = [(f, None) for f in result.judged]
    listed += [(item.finding, item.waiver) for item in result.waived]
    rules = sorted({finding.rule for finding, _ in listed})
    index = {rule: i for i, rule in enumerate(rules)}
    old = {finding.fingerprint for finding in result.preexisting}
    driver: dict[str, Any] = {"name": result.tool, "rules": [{"id": rule} for rule in rules]}
    if result.version:
        driver["version"] = result.version
    return {
        "tool": {"driver": driver},
        "invocations": [_invocation(result)],
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(f, waiver, index[f.rule], _baseline(f, old) if compared else None)
            for f, waiver in listed
        ],
    }


def _invocation(result: GateResult) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": result.error is None}
    if result.error is not None:
        notification = {"level": "error", "message": {"text": result.error}}
        invocation["toolExecutionNotifications"] = [notification]
    return invocation


def _baseline(finding: Finding, preexisting: set[str]) -> str:
    return "unchanged" if finding.fingerprint in preexisting else "new"


def _result(
    finding: Finding, waiver: Waiver | None, rule_index: int, baseline: str | None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message or finding.rule},
        "locations": [{"physicalLocation": _physical_location(finding)}],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"severity": finding.severity.value},
    }
    if baseline is not None:
        result["baselineState"] = baseline
    if waiver is not None:
        suppression = {"kind": "external", "status": "accepted", "justification": waiver.reason}
        result["suppressions"] = [suppression]
    return result


def _physical_location(finding: Finding) -> dict[str, Any]:
    artifact = {"uri": uri(finding.path), "uriBaseId": SOURCE_ROOT}
    location: dict[str, Any] = {"artifactLocation": artifact}
    if finding.line > 0:
        region = {"startLine": finding.line}
        if finding.column > 0:
            region["startColumn"] = finding.column
        location["region"] = region
    return location
