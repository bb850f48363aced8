"""The JSON notes talkgit writes, as pydantic models: ``talkgit.step/v1`` and ``talkgit.run/v1``.

These are a published format (other tools read them with `git notes show`): add fields
only with defaults, and bump the schema version for anything else. No secrets, ever:
nothing here holds a key, a token or a full prompt — only hashes and counts.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

STEP_SCHEMA: Final = "talkgit.step/v1"
RUN_SCHEMA: Final = "talkgit.run/v1"
# A step note's ``model`` when the agent uses no model (``needs_model`` False): still a
# string, so readers of talkgit.step/v1 that expect one keep reading every note.
NO_MODEL: Final = ""

Verdict = Literal["pass", "fail", "warn", "skip", "error"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class StepRef(_Record):
    index: int = Field(ge=0)
    id: str
    attempt: int = Field(default=1, ge=1)
    parents: tuple[str, ...] = ()  # ids of the steps this one depends on


class UsageRecord(_Record):
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cost: Decimal = Decimal(0)  # written as a decimal string: floats lose cents
    currency: Literal["USD"] = "USD"
    calls: int = Field(default=0, ge=0)
    cached_calls: int = Field(default=0, ge=0)

    @field_serializer("cost")
    def _cost_as_string(self, cost: Decimal) -> str:
        return str(cost)

    def __add__(self, other: UsageRecord) -> UsageRecord:
        return UsageRecord(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost=self.cost + other.cost,
            calls=self.calls + other.calls,
            cached_calls=self.cached_calls + other.cached_calls,
        )


class GitRecord(_Record):
    commit: str
    tree: str
    base: str


class GateRecord(_Record):
    tool: str
    version: str = ""
    verdict: Verdict
    counts: dict[str, int] = Field(default_factory=dict)  # e.g. {"new": 1, "base": 40}
    duration_s: float = 0.0


class JudgeRecord(_Record):
    """One council judge's vote on a step: the static gates (``gates``) or an LLM reviewer."""

    name: str
    kind: Literal["gates", "llm"]
    model: str = ""  # provider/model of an LLM judge
    verdict: Literal["approve", "reject", "error"]
    reason: str
    weight: float = 1.0


class CouncilRecord(_Record):
    """The reviewer council's decision on a step (strict mode), with every judge's vote."""

    rule: Literal["all", "majority", "weighted"]
    threshold: float | None = None  # for the weighted rule
    decision: Literal["approve", "reject"]
    judges: tuple[JudgeRecord, ...]
    usage: UsageRecord = UsageRecord()  # the LLM judges' calls


class EditRecord(_Record):
    """How one edit block of the step's reply found its place in the file.

    ``how`` is "exact", "whitespace" (indentation differed), "fuzzy 0.89" (similar lines,
    not the same: check them), "elided (2 parts)", "created", "replaced whole file", ...
    """

    path: str
    how: str


class StepNote(_Record):
    """The note on every step commit, in ``refs/notes/talkgit/steps``."""

    schema_: Literal["talkgit.step/v1"] = Field(default=STEP_SCHEMA, alias="schema")
    run: str
    step: StepRef
    agent: str
    model: str  # provider/model (``model_label``); NO_MODEL ("") for an agent that uses none
    prompt_sha256: str
    response_sha256: str
    usage: UsageRecord = UsageRecord()
    git: GitRecord
    gates: tuple[GateRecord, ...] = ()
    skills: tuple[str, ...] = ()  # the skills put into the agent's prompt
    edits: tuple[EditRecord, ...] = ()  # each applied edit block, in reply order
    council: CouncilRecord | None = None  # strict mode only
    started: datetime
    finished: datetime

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"


class RunNote(_Record):
    """The summary note on the commit ``talkgit finish`` makes, in ``refs/notes/talkgit/runs``."""

    schema_: Literal["talkgit.run/v1"] = Field(default=RUN_SCHEMA, alias="schema")
    run: str
    task: str
    steps: int
    models: tuple[str, ...]
    agents: tuple[str, ...]
    usage: UsageRecord
    gates: dict[str, Verdict] = Field(default_factory=dict)
    integration: str  # the integration branch's commit that was brought in
    finished: datetime

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"


def model_label(model: str) -> str:
    """The ``provider/model`` name provenance records for a litellm model string.

    ``scripted:PATH`` becomes ``scripted/<file stem>`` so no machine path reaches a commit;
    a bare name that litellm resolves itself (``gpt-4o``) becomes ``litellm/gpt-4o``.
    """
    if model.startswith("scripted:"):
        stem = model.removeprefix("scripted:").replace("\\", "/").rsplit("/", 1)[-1]
        name = "-".join(stem.rsplit(".", 1)[0].split())  # trailers allow no blanks
        return f"scripted/{name or 'script'}"
    return model if "/" in model else f"litellm/{model}"
