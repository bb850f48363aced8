"""The reviewer council (strict mode): the static gates and LLM judges vote on a step.

The gates always sit on the council, as the judge ``gates``; ``council.reviewers`` adds LLM
judges, each with its model and instructions. The decision rule is ``all``, ``majority`` or
``weighted``. A judge whose reply cannot be read votes ``error``, which never approves.
The gates keep their veto outside the vote too: the runner never merges a blocking finding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from talkgit.agents.base import Completer
from talkgit.agents.step_judge import Judgement, JudgeVerdict, judge_step
from talkgit.config import CouncilSettings, ReviewerSettings
from talkgit.engine.records import usage_of
from talkgit.gates.evaluate import GateReport
from talkgit.gates.render import render_text
from talkgit.llm.types import Reply
from talkgit.provenance.schema import CouncilRecord, JudgeRecord, model_label
from talkgit.provenance.talkgit_trailers import verdict_line

GATES_JUDGE = "gates"
Decision = Literal["approve", "reject"]


@dataclass(frozen=True)
class CouncilVerdict:
    """The council's record (for the step note) and the judges' replies (for usage)."""

    record: CouncilRecord
    replies: tuple[Reply, ...] = ()

    @property
    def approved(self) -> bool:
        return self.record.decision == "approve"

    def feedback(self) -> str:
        """What the coder is told when the council rejects its change."""
        lines = [
            f"- {judge.name} ({judge.verdict}): {judge.reason}"
            for judge in self.record.judges
            if judge.verdict != "approve"
        ]
        return "The reviewer council rejected your change:\n" + "\n".join(lines)


def convene(
    llm: Completer | None,
    council: CouncilSettings,
    *,
    goal: str,
    diff: str,
    report: GateReport | None,
    api_base_for: Callable[[ReviewerSettings], str | None] = lambda r: r.api_base,
) -> CouncilVerdict:
    """Every judge's vote on one change, and the council's decision by its rule."""
    gates_text = render_text(report) if report is not None and report.gates else ""
    votes = [_gates_vote(report, council.gates_weight)]
    judgements = _ask_judges(llm, council.reviewers, goal, gates_text, diff, api_base_for)
    for reviewer, judgement in zip(council.reviewers, judgements, strict=True):
        votes.append(
            JudgeRecord(
                name=reviewer.name,
                kind="llm",
                model=model_label(reviewer.model),
                verdict=judgement.verdict,
                reason=judgement.reason,
                weight=reviewer.weight,
            )
        )
    record = CouncilRecord(
        rule=council.rule,
        threshold=council.threshold if council.rule == "weighted" else None,
        decision=decide(council.rule, council.threshold, votes),
        judges=tuple(votes),
        usage=usage_of(tuple(j.reply for j in judgements)),
    )
    return CouncilVerdict(record, tuple(j.reply for j in judgements))


def decide(rule: str, threshold: float, votes: Sequence[JudgeRecord]) -> Decision:
    """``all``: no judge withholds approval; ``majority``: more than half approve;
    ``weighted``: the approving weight is at least ``threshold`` of the whole."""
    approving = [vote for vote in votes if vote.verdict == "approve"]
    if rule == "all":
        approved = len(approving) == len(votes)
    elif rule == "majority":
        approved = 2 * len(approving) > len(votes)
    else:
        total = sum(vote.weight for vote in votes)
        approved = sum(vote.weight for vote in approving) >= threshold * total
    return "approve" if approved else "reject"


def _gates_vote(report: GateReport | None, weight: float) -> JudgeRecord:
    verdict: JudgeVerdict
    if report is None or not report.gates:
        verdict, reason = "approve", "no gates are configured for runs"
    elif report.tool_failed:
        verdict, reason = "error", "a gate's tool failed"
    elif report.blocking:
        verdict, reason = "reject", "blocking new findings"
    else:
        passed = verdict_line(report.verdicts())
        verdict, reason = "approve", f"no blocking new finding ({passed})"
    return JudgeRecord(
        name=GATES_JUDGE, kind="gates", verdict=verdict, reason=reason, weight=weight
    )


def _ask_judges(
    llm: Completer | None,
    reviewers: Sequence[ReviewerSettings],
    goal: str,
    gates: str,
    diff: str,
    api_base_for: Callable[[ReviewerSettings], str | None],
) -> list[Judgement]:
    if not reviewers:
        return []
    if llm is None:
        raise AssertionError("a council with reviewers needs the model layer")

    def ask(reviewer: ReviewerSettings) -> Judgement:
        return judge_step(
            llm,
            name=reviewer.name,
            model=reviewer.model,
            instructions=reviewer.instructions,
            goal=goal,
            gates=gates,
            diff=diff,
            api_base=api_base_for(reviewer),
        )

    # Judges wait on their models; asking them at once costs one model's latency, not all.
    with ThreadPoolExecutor(max_workers=min(len(reviewers), 4)) as pool:
        return list(pool.map(ask, reviewers))
