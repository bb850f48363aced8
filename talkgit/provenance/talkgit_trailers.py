"""talkgit's trailers: the ``Talkgit-*`` and ``Assisted-by`` lines on the commits it makes.

A step commit (DESIGN.md, "git layout")::

    Talkgit-Run: <run-id>
    Talkgit-Step: <NN>/<step-id>
    Talkgit-Agent: <agent>
    Assisted-by: talkgit-<agent>:<provider/model>      (one per model; none without one)
    Talkgit-Gates: ruff=pass mypy=pass bandit=pass pytest=pass   (only when gates ran)

The commit ``talkgit finish`` makes (a squash or a merge) sums up a whole run::

    Assisted-by: talkgit-<agent>:<provider/model>      (one per distinct agent and model)
    Talkgit-Run: <run-id>
    Talkgit-Steps: <steps brought in>
    Talkgit-Tokens: <input + output tokens the run paid for>
    Talkgit-Cost: <decimal> USD

The two never mix: ``Talkgit-Step``, ``Talkgit-Agent`` or ``Talkgit-Gates`` make a step
commit; otherwise ``Talkgit-Steps``, ``Talkgit-Tokens`` or ``Talkgit-Cost`` make a run
summary. Never ``Signed-off-by``: that certifies a human's work. Keys match
case-insensitively, as git's do; ``Assisted-by`` lines not naming ``talkgit-…`` belong to
someone else and are left alone. A message with no ``Talkgit-*`` trailer makes no claim
(a human commit).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal, NamedTuple, TypeVar

from talkgit.errors import TalkgitError, UsageError
from talkgit.git.names import check_run_id, check_step_id
from talkgit.git.trailers import Trailer, line_key, locate_trailers

RUN: Final = "Talkgit-Run"
STEP: Final = "Talkgit-Step"
AGENT: Final = "Talkgit-Agent"
GATES: Final = "Talkgit-Gates"
STEPS: Final = "Talkgit-Steps"
TOKENS: Final = "Talkgit-Tokens"
COST: Final = "Talkgit-Cost"
ASSISTED_BY: Final = "Assisted-by"
VERDICTS: Final = frozenset({"pass", "fail", "warn", "skip", "error"})
CURRENCY: Final = "USD"

_PREFIX: Final = "talkgit-"
_STEP_ONLY: Final = (STEP, AGENT, GATES)
_RUN_ONLY: Final = (STEPS, TOKENS, COST)
_KEYS: Final = {key.lower(): key for key in (RUN, *_STEP_ONLY, *_RUN_ONLY)}
_STEP_REQUIRED: Final = (RUN, STEP, AGENT)
_RUN_REQUIRED: Final = (RUN, STEPS, TOKENS, COST)
_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_MODEL: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[!-~]+\Z")  # printable, no blanks
_STEP: Final = re.compile(r"([0-9]{2,})/(.*)\Z", re.DOTALL)
_COUNT: Final = re.compile(r"(0|[1-9][0-9]*)\Z")
_COST: Final = re.compile(r"((?:0|[1-9][0-9]*)(?:\.[0-9]+)?) " + CURRENCY + r"\Z")
_T = TypeVar("_T")
_Kind = Literal["step", "run"]
MISPLACED: Final = "Talkgit trailers must be in the final trailer block"


class ProvenanceError(TalkgitError):
    """Talkgit trailers that are present but malformed, or fields that cannot be rendered."""


class TrailerProblem(NamedTuple):
    """One fault in a commit message: its 1-based line, that line's text, and why."""

    line: int
    text: str
    reason: str


def verdict_line(verdicts: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """``ruff=pass mypy=fail``: each gate's verdict, in order, as ``Talkgit-Gates`` says them.

    The one way talkgit writes gate verdicts in a line, wherever it shows them; ``_parse_gates``
    reads it back.
    """
    pairs = verdicts.items() if isinstance(verdicts, Mapping) else verdicts
    return " ".join(f"{gate}={verdict}" for gate, verdict in pairs)


@dataclass(frozen=True)
class StepTrailers:
    """What a step commit's trailers say: which run, step, agent and models, and the gates."""

    run_id: str
    step_index: int
    step_id: str
    agent: str
    models: tuple[str, ...]
    gates: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        _check_run_id(self.run_id)
        if isinstance(self.step_index, bool) or self.step_index < 0:
            raise ProvenanceError(f"step index {self.step_index!r} must be an integer >= 0")
        _check_step_id(self.step_id)
        _check_agent(self.agent)
        for model in self.models:
            _check_model(model)
        _check_gates(self.gates)

    def to_trailers(self) -> list[Trailer]:
        """The trailers in their fixed order; ``Talkgit-Gates`` only when gates ran."""
        trailers = [
            Trailer(RUN, self.run_id),
            Trailer(STEP, f"{self.step_index:02d}/{self.step_id}"),
            Trailer(AGENT, self.agent),
            *(Trailer(ASSISTED_BY, f"{_PREFIX}{self.agent}:{model}") for model in self.models),
        ]
        if self.gates:
            trailers.append(Trailer(GATES, verdict_line(self.gates)))
        return trailers

    @classmethod
    def from_trailers(cls, trailers: Sequence[Trailer]) -> StepTrailers | None:
        """Read a step back; None for a commit that is no step (a human one, a run summary).

        Raises ProvenanceError naming the first fault when step trailers are present
        but malformed: repeated or unknown keys, a missing one, a bad step or verdict.
        """
        claim = _claim_of("step", trailers)
        return claim if isinstance(claim, StepTrailers) else None


@dataclass(frozen=True)
class RunTrailers:
    """What the commit ``talkgit finish`` made says: the run, who assisted, and its totals.

    ``assisted`` holds each distinct (agent, ``provider/model``) pair once; ``tokens`` and
    ``cost`` are what the whole run paid for, ``steps`` how many steps it brought in.
    """

    run_id: str
    steps: int
    tokens: int
    cost: Decimal
    assisted: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        _check_run_id(self.run_id)
        _check_count("steps", self.steps)
        _check_count("tokens", self.tokens)
        _check_cost(self.cost)
        _check_assisted(self.assisted)

    def to_trailers(self) -> list[Trailer]:
        """``Assisted-by`` lines first, as the kernel places them, then the run and totals."""
        return [
            *(Trailer(ASSISTED_BY, f"{_PREFIX}{agent}:{model}") for agent, model in self.assisted),
            Trailer(RUN, self.run_id),
            Trailer(STEPS, str(self.steps)),
            Trailer(TOKENS, str(self.tokens)),
            Trailer(COST, f"{self.cost:f} {CURRENCY}"),
        ]

    @classmethod
    def from_trailers(cls, trailers: Sequence[Trailer]) -> RunTrailers | None:
        """Read a run summary back; None for a commit that is none (a human one, a step).

        Raises ProvenanceError naming the first fault when summary trailers are present
        but malformed: repeated or unknown keys, a missing total, a bad count or cost.
        """
        claim = _claim_of("run", trailers)
        return claim if isinstance(claim, RunTrailers) else None


def read_talkgit_trailers(trailers: Sequence[Trailer]) -> StepTrailers | RunTrailers | None:
    """Whatever talkgit claims in ``trailers``: a step, a run summary, or None (a human commit).

    Raises ProvenanceError naming the first fault when the claim is malformed.
    """
    _, claim, faults = _read(list(enumerate(trailers, 1)))
    if faults:
        raise ProvenanceError(faults[0][1])
    return claim


def _claim_of(kind: _Kind, trailers: Sequence[Trailer]) -> StepTrailers | RunTrailers | None:
    found, claim, faults = _read(list(enumerate(trailers, 1)))
    if found != kind:
        return None
    if faults:
        raise ProvenanceError(faults[0][1])
    return claim


def check_talkgit_trailers(message: str) -> list[TrailerProblem]:
    """Every fault in the talkgit provenance ``message`` claims, for a commit-msg hook.

    Empty when the message claims none, or claims it correctly. ``Talkgit-*`` lines git
    would not read as trailers — with or without a ``---`` divider, i.e. by both
    ``git interpret-trailers`` and ``git log --format=%(trailers)`` — are faults too.
    """
    lines = message.split("\n")
    readable = _talkgit_lines(message, divider=True) & _talkgit_lines(message, divider=False)
    faults = [
        (number, MISPLACED)
        for number, text in enumerate(lines, 1)
        if _is_talkgit_key(line_key(text)) and number not in readable
    ]
    _, _, block_faults = _read(locate_trailers(message))
    return [
        TrailerProblem(number, lines[number - 1], reason)
        for number, reason in sorted(faults + block_faults, key=_line)
    ]


def _line(fault: tuple[int, str]) -> int:
    return fault[0]


def _talkgit_lines(message: str, *, divider: bool) -> set[int]:
    return {
        located.line
        for located in locate_trailers(message, divider=divider)
        if _is_talkgit_key(located.trailer.key)
    }


def _is_talkgit_key(key: str | None) -> bool:
    return key is not None and _has_talkgit_prefix(key)


def _has_talkgit_prefix(text: str) -> bool:
    return text.lower().startswith(_PREFIX)


def _read(
    located: Sequence[tuple[int, Trailer]],
) -> tuple[_Kind | None, StepTrailers | RunTrailers | None, list[tuple[int, str]]]:
    """What numbered trailers claim (its kind, and the claim), or every (line, reason) fault.

    The kind is None when there is no ``Talkgit-*`` trailer at all (a human commit).
    """
    ours = [(line, trailer) for line, trailer in located if _is_talkgit_key(trailer.key)]
    if not ours:
        return None, None, []
    kind = _kind_of(ours)
    fields, faults = _collect_fields(ours, kind)
    required = _STEP_REQUIRED if kind == "step" else _RUN_REQUIRED
    faults += [(ours[0][0], f"missing {key}") for key in required if key not in fields]
    assisted = _assisted_by(located)
    claim = (
        _build(fields, assisted, faults) if kind == "step" else _build_run(fields, assisted, faults)
    )
    return kind, (None if faults else claim), sorted(faults, key=_line)


def _kind_of(ours: Sequence[tuple[int, Trailer]]) -> _Kind:
    """A run summary has run totals and nothing only a step has; anything else is a step."""
    keys = {_KEYS.get(trailer.key.lower()) for _, trailer in ours}
    if keys.isdisjoint(_STEP_ONLY) and not keys.isdisjoint(_RUN_ONLY):
        return "run"
    return "step"


def _collect_fields(
    ours: Sequence[tuple[int, Trailer]], kind: _Kind
) -> tuple[dict[str, tuple[int, str]], list[tuple[int, str]]]:
    """The ``Talkgit-*`` values by canonical key; unknown or repeated keys are faults."""
    fields: dict[str, tuple[int, str]] = {}
    faults: list[tuple[int, str]] = []
    for line, (key, value) in ours:
        canonical = _KEYS.get(key.lower())
        if canonical is None:
            faults.append((line, f"unknown talkgit trailer {key!r}"))
        elif kind == "step" and canonical in _RUN_ONLY:
            faults.append((line, f"unknown talkgit trailer {key!r} on a step commit"))
        elif canonical in fields:
            faults.append((line, f"{canonical} is repeated"))
        else:
            fields[canonical] = (line, value)
    return fields, faults


def _assisted_by(located: Sequence[tuple[int, Trailer]]) -> list[tuple[int, str]]:
    """talkgit's own ``Assisted-by`` values (``talkgit-…``), with their lines."""
    return [
        (line, trailer.value)
        for line, trailer in located
        if trailer.key.lower() == ASSISTED_BY.lower() and _has_talkgit_prefix(trailer.value)
    ]


def _build(
    fields: dict[str, tuple[int, str]],
    assisted: Sequence[tuple[int, str]],
    faults: list[tuple[int, str]],
) -> StepTrailers | None:
    """Parse each field where it stands, adding a fault with its line for each bad one."""
    run_id = _field(fields, RUN, _check_run_id, faults)
    step = _field(fields, STEP, _parse_step, faults)
    agent = _field(fields, AGENT, _check_agent, faults)
    gates = _field(fields, GATES, _parse_gates, faults) if GATES in fields else ()
    models = _parse_models(assisted, agent, faults)
    if run_id is None or step is None or agent is None or gates is None:
        return None
    return StepTrailers(run_id, step[0], step[1], agent, models, gates)


def _build_run(
    fields: dict[str, tuple[int, str]],
    assisted: Sequence[tuple[int, str]],
    faults: list[tuple[int, str]],
) -> RunTrailers | None:
    run_id = _field(fields, RUN, _check_run_id, faults)
    steps = _field(fields, STEPS, _parse_count, faults)
    tokens = _field(fields, TOKENS, _parse_count, faults)
    cost = _field(fields, COST, _parse_cost, faults)
    pairs = _parse_assistants(assisted, faults)
    if run_id is None or steps is None or tokens is None or cost is None:
        return None
    return RunTrailers(run_id, steps, tokens, cost, pairs)


def _field(
    fields: dict[str, tuple[int, str]],
    key: str,
    parse: Callable[[str], _T],
    faults: list[tuple[int, str]],
) -> _T | None:
    if key not in fields:
        return None
    line, value = fields[key]
    try:
        return parse(value)
    except ProvenanceError as exc:
        faults.append((line, f"{key}: {exc}"))
        return None


def _parse_step(value: str) -> tuple[int, str]:
    match = _STEP.match(value)
    if match is None or f"{int(match[1]):02d}" != match[1]:
        raise ProvenanceError(f"{value!r} is not <NN>/<step-id>, e.g. 03/write-tests")
    return int(match[1]), _check_step_id(match[2])


def _parse_gates(value: str) -> tuple[tuple[str, str], ...]:
    if not value:
        raise ProvenanceError("empty; leave the trailer out when no gate ran")
    return _check_gates(tuple(_parse_gate(word) for word in value.split(" ")))


def _parse_gate(word: str) -> tuple[str, str]:
    tool, equals, verdict = word.partition("=")
    if not equals:
        raise ProvenanceError(f"{word!r} is not <tool>=<verdict>, e.g. ruff=pass")
    return tool, verdict


def _parse_models(
    assisted: Sequence[tuple[int, str]], agent: str | None, faults: list[tuple[int, str]]
) -> tuple[str, ...]:
    models = []
    for line, value in assisted:
        named, colon, model = value[len(_PREFIX) :].partition(":")
        if not colon:
            faults.append((line, f"{ASSISTED_BY}: {value!r} is not talkgit-<agent>:<model>"))
        elif agent is not None and named != agent:
            faults.append((line, f"{ASSISTED_BY} names agent {named!r}, not {agent!r}"))
        else:
            try:
                models.append(_check_model(model))
            except ProvenanceError as exc:
                faults.append((line, f"{ASSISTED_BY}: {exc}"))
    return tuple(models)


def _parse_count(value: str) -> int:
    if not _COUNT.match(value):
        raise ProvenanceError(f"{value!r} is not a whole number, e.g. 12")
    return int(value)


def _parse_cost(value: str) -> Decimal:
    match = _COST.match(value)
    if match is None:
        raise ProvenanceError(f"{value!r} is not <decimal> {CURRENCY}, e.g. 0.0123 {CURRENCY}")
    return Decimal(match[1])


def _parse_assistants(
    assisted: Sequence[tuple[int, str]], faults: list[tuple[int, str]]
) -> tuple[tuple[str, str], ...]:
    """The distinct (agent, model) pairs of a run summary's ``Assisted-by`` lines."""
    pairs: list[tuple[str, str]] = []
    for line, value in assisted:
        try:
            pair = _parse_assistant(value)
        except ProvenanceError as exc:
            faults.append((line, f"{ASSISTED_BY}: {exc}"))
            continue
        if pair in pairs:
            faults.append((line, f"{ASSISTED_BY} {value!r} is repeated"))
        else:
            pairs.append(pair)
    return tuple(pairs)


def _parse_assistant(value: str) -> tuple[str, str]:
    agent, colon, model = value[len(_PREFIX) :].partition(":")
    if not colon:
        raise ProvenanceError(f"{value!r} is not talkgit-<agent>:<model>")
    return _check_agent(agent), _check_model(model)


def _check_count(what: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProvenanceError(f"{what} {value!r} must be an integer >= 0")


def _check_cost(cost: Decimal) -> None:
    if not isinstance(cost, Decimal) or not cost.is_finite() or cost.is_signed():
        raise ProvenanceError(f"cost {cost!r} must be a finite decimal >= 0")


def _check_assisted(assisted: tuple[tuple[str, str], ...]) -> None:
    for agent, model in assisted:
        _check_agent(agent)
        _check_model(model)
    if len(set(assisted)) != len(assisted):
        raise ProvenanceError("each agent and model may assist only once")


def _check_run_id(value: str) -> str:
    try:
        return check_run_id(_check_name("run id", value))
    except UsageError as exc:
        raise ProvenanceError(str(exc)) from None


def _check_step_id(value: str) -> str:
    try:
        return check_step_id(_check_name("step id", value))
    except UsageError as exc:
        raise ProvenanceError(str(exc)) from None


def _check_agent(value: str) -> str:
    return _check_name("agent", value)


def _check_name(what: str, value: str) -> str:
    if not _NAME.match(value):
        raise ProvenanceError(f"{what} {value!r} must be letters, digits, '.', '_' or '-'")
    return value


def _check_model(model: str) -> str:
    if not _MODEL.match(model):
        raise ProvenanceError(f"model {model!r} must be <provider>/<model>, without blanks")
    return model


def _check_gates(gates: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    seen: set[str] = set()
    for tool, verdict in gates:
        _check_name("gate", tool)
        if verdict not in VERDICTS:
            raise ProvenanceError(
                f"unknown verdict {verdict!r} for {tool} (pass, fail, warn, skip or error)"
            )
        if tool in seen:
            raise ProvenanceError(f"gate {tool} is given twice")
        seen.add(tool)
    return gates
