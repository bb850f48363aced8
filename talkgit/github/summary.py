"""The sticky comment's Markdown: a verdict per gate, the new findings, and who made the commits.

Everything a pull request's author controls (commit messages, file names, tool messages
about their code, the model's words about their diff) is shown as code — inline code, or
for the model a fenced block under a label that says whose words they are — or escaped
with @-mentions broken, so the comment cannot ping people, hide text, forge talkgit's own
markers or headings, or show links and images of someone else's choosing.
The comment stays under GitHub's limit by listing fewer findings and commits, and says
how many it left out.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from talkgit import __version__
from talkgit.filenames import shown
from talkgit.gates.base import Finding, Verdict
from talkgit.github.diff import LineComment
from talkgit.provenance.read import CommitProvenance
from talkgit.provenance.talkgit_trailers import verdict_line

SUMMARY_MARKER: Final = "<!-- talkgit:summary -->"
COMMENT_LIMIT: Final = 65_000  # GitHub refuses bodies over 65,536 characters
MESSAGE_LIMIT: Final = 400  # characters of one finding's message in the summary
LLM_SUMMARY_LIMIT: Final = 6_000
MODEL_WIDTH: Final = 100  # a fenced block does not wrap: the model's lines are wrapped here
MODEL_LABEL: Final = "The model's words, as it wrote them; talkgit has not checked them:"
_RESERVE: Final = 400  # room for the "… N more" lines and the hard-cut notice

ICONS: Final[dict[Verdict, str]] = {
    "pass": "✅",
    "fail": "❌",
    "warn": "⚠️",
    "error": "💥",
    "skip": "⏭️",
}
_HEADLINES: Final[dict[Verdict, str]] = {
    "pass": "no blocking new findings",
    "fail": "blocking new findings",
    "warn": "new findings to look at",
    "error": "a gate's tool failed",
    "skip": "no gate ran",
}


@dataclass(frozen=True)
class ReviewData:
    """Everything one review publishes.

    ``findings`` are the new findings only; ``provenance`` is one entry per commit of
    the pull request; ``llm_*`` come from the optional LLM reviewer (``llm_omitted``:
    files its token budget left out).
    """

    verdicts: tuple[tuple[str, Verdict], ...]
    findings: tuple[Finding, ...]
    provenance: tuple[CommitProvenance, ...]
    overall: Verdict
    llm_comments: tuple[LineComment, ...] = ()
    llm_summary: str = ""
    llm_model: str = ""
    llm_omitted: tuple[str, ...] = ()


def render_summary(
    data: ReviewData,
    *,
    limit: int = COMMENT_LIMIT,
    run_url: str | None = None,
    head_sha: str = "",
) -> str:
    """The sticky comment (also the job summary), at most ``limit`` characters long."""
    head = [SUMMARY_MARKER, headline(data.overall), "", *_verdict_table(data.verdicts)]
    llm = _llm_section(data)
    footer = ["", _footer(run_url, head_sha)]
    fixed = len("\n".join(head + llm + footer)) + _RESERVE
    room = max(limit - fixed, 0)
    findings = [_finding_line(f) for f in data.findings]
    commits = [_commit_row(p) for p in data.provenance]
    kept_findings = _fit(findings, room - min(_size(commits), room // 3))
    kept_commits = _fit(commits, room - _size(kept_findings))
    text = "\n".join(
        head
        + _findings_section(data.findings, kept_findings)
        + _provenance_section(data.provenance, kept_commits)
        + llm
        + footer
    )
    return _hard_cut(text, limit - 1) + "\n"


# --- sections ---------------------------------------------------------------------------------


def headline(verdict: Verdict) -> str:
    """The summary's heading, the one line that states the verdict."""
    return f"### {ICONS[verdict]} talkgit: {_HEADLINES[verdict]}"


def _verdict_table(verdicts: Sequence[tuple[str, Verdict]]) -> list[str]:
    if not verdicts:
        return ["No gate ran."]
    rows = [f"| {escape(gate)} | {ICONS[verdict]} {verdict} |" for gate, verdict in verdicts]
    return ["| gate | verdict |", "| --- | --- |", *rows]


def _findings_section(findings: Sequence[Finding], kept: list[str]) -> list[str]:
    if not findings:
        return ["", "No new findings."]
    lines = ["", f"#### New findings ({len(findings)})", "", *kept]
    rest = len(findings) - len(kept)
    if rest:
        lines.append(f"- … {rest} more new findings (the job summary's annotations list them)")
    return lines


def _finding_line(finding: Finding) -> str:
    where = shown(finding.path) + (f":{finding.line}" if finding.line > 0 else "")
    return (
        f"- {code_span(where)} **{escape(finding.rule)}** "
        f"({escape(finding.tool)}, {finding.severity.value}): "
        f"{code_span(finding.message, MESSAGE_LIMIT)}"
    )


def _provenance_section(provenance: Sequence[CommitProvenance], kept: list[str]) -> list[str]:
    if not provenance:
        return []
    agents = sum(1 for p in provenance if p.is_agent)
    lines = ["", f"#### Provenance: {agents} of {len(provenance)} commits made by agents", ""]
    lines += ["| commit | by | models | tokens in / out | cost | gates |"]
    lines += ["| --- | --- | --- | ---: | ---: | --- |", *kept]
    rest = len(provenance) - len(kept)
    if rest:
        lines.append(f"| … {rest} more commits | | | | | |")
    if agents:
        lines += ["", _totals(provenance)]
    return lines


def _commit_row(entry: CommitProvenance) -> str:
    commit = f"{code_span(entry.commit.sha[:7])} {code_span(entry.commit.summary, 72)}"
    problem = f" ⚠️ {code_span(entry.problem, 120)}" if entry.problem else ""
    if not entry.is_agent:
        return f"| {commit} | 👤 {code_span(entry.commit.author, 60)}{problem} | | | | |"
    usage = entry.note.usage if entry.note else None
    tokens = f"{usage.input_tokens:,} / {usage.output_tokens:,}" if usage else ""
    cost = money(usage.cost) if usage else ""
    models = " ".join(code_span(model) for model in _models(entry))
    gates = verdict_line((escape(tool), verdict) for tool, verdict in _gates(entry))
    return f"| {commit} | 🤖 {_agent(entry)}{problem} | {models} | {tokens} | {cost} | {gates} |"


def _agent(entry: CommitProvenance) -> str:
    if entry.trailers is not None:
        step = f"{entry.trailers.step_index:02d}/{entry.trailers.step_id}"
        return f"{escape(entry.trailers.agent)} ({code_span(entry.trailers.run_id + ' ' + step)})"
    return escape(entry.note.agent) if entry.note else ""


def _models(entry: CommitProvenance) -> tuple[str, ...]:
    if entry.trailers is not None and entry.trailers.models:
        return entry.trailers.models
    return (entry.note.model,) if entry.note and entry.note.model else ()  # "": none used


def _gates(entry: CommitProvenance) -> tuple[tuple[str, str], ...]:
    if entry.note is not None and entry.note.gates:
        return tuple((g.tool, g.verdict) for g in entry.note.gates)
    return entry.trailers.gates if entry.trailers is not None else ()


def _totals(provenance: Sequence[CommitProvenance]) -> str:
    notes = [p.note for p in provenance if p.note is not None]
    tokens_in = sum(n.usage.input_tokens for n in notes)
    tokens_out = sum(n.usage.output_tokens for n in notes)
    cost = sum((n.usage.cost for n in notes), Decimal(0))
    return f"Agents' total: {tokens_in:,} tokens in, {tokens_out:,} out, {money(cost)}."


def _llm_section(data: ReviewData) -> list[str]:
    if not (data.llm_summary or data.llm_comments or data.llm_omitted):
        return []
    model = f" ({code_span(data.llm_model)})" if data.llm_model else ""
    lines = ["", f"#### LLM review{model}", ""]
    if data.llm_summary:
        lines += [MODEL_LABEL, "", model_block(data.llm_summary[:LLM_SUMMARY_LIMIT])]
    if data.llm_comments:
        lines += ["", f"{len(data.llm_comments)} comments on changed lines."]
    if data.llm_omitted:
        omitted = ", ".join(code_span(shown(path)) for path in data.llm_omitted[:50])
        more = f" and {len(data.llm_omitted) - 50} more" if len(data.llm_omitted) > 50 else ""
        lines += ["", f"Left out of the LLM review (token budget): {omitted}{more}."]
    return lines


def _footer(run_url: str | None, head_sha: str) -> str:
    parts = [f"talkgit {__version__}"]
    if head_sha:
        parts.append(f"head {code_span(head_sha[:7])}")
    if run_url:
        parts.append(f"[workflow run]({run_url})")
    return f"<sub>{' · '.join(parts)}</sub>"


# --- fitting ------------------------------------------------------------------------------------


def _size(lines: Sequence[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _fit(lines: Sequence[str], room: int) -> list[str]:
    """The first of ``lines`` that fit in ``room`` characters (with their newlines)."""
    kept: list[str] = []
    used = 0
    for line in lines:
        used += len(line) + 1
        if used > room:
            break
        kept.append(line)
    return kept


def _hard_cut(text: str, limit: int) -> str:
    """A last resort for absurd inputs (a limit smaller than the fixed parts)."""
    if len(text) <= limit:
        return text
    notice = "\n\n… (cut to fit GitHub's comment limit)"
    return text[: max(limit - len(notice), 0)] + notice


# --- safe text ----------------------------------------------------------------------------------

_SPECIAL: Final = re.compile(r"([\\`*_{}\[\]<>|~#!&])")
# GitHub finds mentions in the rendered text, after Markdown's escapes and entities are
# undone: `\@team` and `&#64;team` notify as `@team` does. A zero-width space after the
# `@` is what stops it (the text reads the same).
_MENTION: Final = re.compile(r"@(?=[A-Za-z0-9])")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape(text: str) -> str:
    """Short text (gate, rule and agent names) on one line: nothing in it formats or mentions.

    Markdown's special characters (``&`` too, so no entity is read) are backslash-escaped.
    """
    return unmention(_SPECIAL.sub(r"\\\1", " ".join(text.split())))


def unmention(text: str) -> str:
    """``text`` with every @-mention broken by a zero-width space."""
    return _MENTION.sub("@\u200b", text)


def code_span(text: str, max_chars: int | None = None) -> str:
    """``text`` on one line as inline code: nothing in it is formatted, linked or mentioned."""
    flat = " ".join(text.split()).replace("|", "¦")  # a bar would end a table cell
    if max_chars is not None and len(flat) > max_chars:
        flat = flat[: max_chars - 1] + "…"
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def fenced_block(text: str) -> str:
    """``text`` as a fenced code block that no line of it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def model_block(text: str, width: int = MODEL_WIDTH) -> str:
    """A model's words as a fenced block: shown as written, wrapped to ``width``.

    Nothing in a fenced block is a heading, link, image, table, HTML or mention; mentions
    are broken all the same (a quoting email reply reads it as plain text), and so is any
    ``<!--`` that could pass for a talkgit marker in the comment's source.
    """
    clean = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")
    lines: list[str] = []
    for line in clean.split("\n"):
        lines += textwrap.wrap(line, width, break_on_hyphens=False) or [""]
    return fenced_block(unmention("\n".join(lines)).replace("<!--", "<\u200b!--"))


def money(amount: Decimal) -> str:
    return f"${amount:.4f}"
