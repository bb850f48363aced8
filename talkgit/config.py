"""talkgit's settings: one frozen model, read from the command line, the environment and files.

Precedence, highest first: overrides (the command line) > ``TALKGIT_*`` environment variables
> ``.env`` > ``.talkgit.toml`` > ``[tool.talkgit]`` in ``pyproject.toml`` > defaults;
pydantic-settings merges the sources key by key. Files are read through a ``ReadFile``
callable, never from disk directly, so that review mode can take them from a pull request's
base commit.

API keys are not settings: they stay in the provider's own variables (``OPENAI_API_KEY`` …).
"""

from __future__ import annotations

import io
import ipaddress
import json
import os
import re
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_origin
from urllib.parse import urlsplit

from dotenv.parser import parse_stream
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from talkgit.errors import ConfigError
from talkgit.gates.base import Severity
from talkgit.gates.policy import DEFAULT_POLICY, GATE_DEFAULTS, GatePolicy, Waiver
from talkgit.gates.rules import GateList, GateRules

_T = TypeVar("_T")

if sys.version_info >= (3, 11):
    import tomllib
else:  # tomli is tomllib's backport, a dependency on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

ReadFile = Callable[[str], str | None]
"""Repository-relative path -> text, or None when the file is absent."""

ENV_PREFIX = "TALKGIT_"
DOTENV_FILE = ".env"
CONFIG_FILE = ".talkgit.toml"
PYPROJECT_FILE = "pyproject.toml"
PYPROJECT_TABLE = ("tool", "talkgit")

Loc = tuple[str | int, ...]

_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_DURATION_HINT = 'expected a duration like "90s", "30m" or "1h"'


def parse_duration(value: str | float) -> float:
    """Seconds from a number or a string: ``"90"``, ``"90s"``, ``"30m"``, ``"1h"``, ``"1h30m"``.

    Raises ValueError for anything else (booleans included).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(_DURATION_HINT)
    if not isinstance(value, str):
        return float(value)
    text = value.strip().lower()
    try:
        return float(text)
    except ValueError:
        pass
    if not text or _DURATION_PART.sub("", text):
        raise ValueError(_DURATION_HINT)
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))


def _duration(value: object) -> object:
    return parse_duration(value) if isinstance(value, (str, int, float)) else value


def _refuse_bool(expected: str) -> Callable[[object], object]:
    # pydantic's lax mode reads True as 1: in a config file that is always a mistake.
    def check(value: object) -> object:
        if isinstance(value, bool):
            raise ValueError(expected)
        return value

    return check


def _split_command(value: object) -> object:
    """A command from a JSON list or a shell-like string ("pytest -q -x"), for env vars and TOML."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return json.loads(text) if text.startswith("[") else shlex.split(text)
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise ValueError(f"expected a JSON list or a command line ({exc})") from exc


Seconds = Annotated[float, BeforeValidator(_duration), Field(gt=0, allow_inf_nan=False)]
Count = Annotated[int, BeforeValidator(_refuse_bool("expected an integer"))]
Money = Annotated[
    Decimal, BeforeValidator(_refuse_bool("expected a decimal number")), Field(allow_inf_nan=False)
]
Command = Annotated[list[str], NoDecode, BeforeValidator(_split_command), Field(min_length=1)]
# How an agent asks for more context: the provider's function calling ("native"), JSON in
# its reply ("text"), or native where litellm's map says the model has it ("auto").
ToolCalls = Literal["auto", "native", "text"]


class AgentSettings(BaseModel):
    """Per-agent settings under ``agents.<name>``; each unset value falls back to the global one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = None
    api_base: str | None = None
    timeout: Seconds | None = None
    instructions: str | None = None
    context_window: Count | None = Field(default=None, ge=256)
    prompt_tokens: Count | None = Field(default=None, ge=256)
    map_tokens: Count | None = Field(default=None, ge=0)
    lookups: Count | None = Field(default=None, ge=0)
    tool_calls: ToolCalls | None = None


_NO_AGENT_SETTINGS = AgentSettings()


@dataclass(frozen=True)
class PromptSettings:
    """How big one agent's prompts may be and how it may ask for more (``Settings.prompt``)."""

    context_window: int | None  # for models litellm's map does not know
    prompt_tokens: int | None  # a cap below the model's window
    map_tokens: int  # the repository map's share of the prompt
    lookups: int  # requests for more context per step attempt
    tool_calls: ToolCalls


class ReviewerSettings(BaseModel):
    """One LLM judge of the reviewer council (``council.reviewers``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    model: str = Field(min_length=1)
    instructions: str = ""  # what this judge looks for, in its own words
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    api_base: str | None = None


class CouncilSettings(BaseModel):
    """Who must approve a step in strict mode, and how their votes are counted (``council``).

    The static gates are always a judge (named ``gates``); ``reviewers`` add LLM judges.
    ``all``: every judge approves; ``majority``: more than half do; ``weighted``: the
    approving judges' weights reach ``threshold`` of the total weight.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: Literal["all", "majority", "weighted"] = "all"
    threshold: float = Field(default=0.5, gt=0, le=1, allow_inf_nan=False)
    gates_weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    reviewers: list[ReviewerSettings] = Field(default_factory=list)

    @field_validator("reviewers")
    @classmethod
    def _one_judge_per_name(cls, reviewers: list[ReviewerSettings]) -> list[ReviewerSettings]:
        names = [reviewer.name for reviewer in reviewers]
        if "gates" in names:
            raise ValueError("'gates' is the static gates' seat: name the reviewer otherwise")
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"two reviewers are named {repeated[0]!r}")
        return reviewers


# Set by load_settings for the duration of one Settings() call: the sources to read, highest first.
_INJECTED_SOURCES: ContextVar[tuple[PydanticBaseSettingsSource, ...]] = ContextVar(
    "talkgit_config_sources", default=()
)


class Settings(BaseSettings):
    """Everything a talkgit run can be configured with. Build it with ``load_settings``.

    ``Settings(**values)`` alone validates ``values`` over the defaults and reads nothing else.
    """

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_ignore_empty=True,
        case_sensitive=False,
    )

    model: str | None = None
    api_base: str | None = None
    agents: dict[str, AgentSettings] = Field(default_factory=dict)
    parallel: Count = Field(default=1, ge=1)
    max_steps: Count = Field(default=20, ge=1)
    max_fix_attempts: Count = Field(default=3, ge=0)
    budget_usd: Money | None = Field(default=None, ge=0)
    max_tokens: Count | None = Field(default=None, ge=1)
    timeout: Seconds = 1800.0
    call_timeout: Seconds = 120.0
    retries: Count = Field(default=4, ge=0)
    test_command: Command = Field(default_factory=lambda: ["pytest", "-q"])
    test_timeout: Seconds = 600.0
    # Tests already failing where a run started: the tester reports them ("report") or
    # sends them to the coder with what the run broke ("fix").
    preexisting_tests: Literal["report", "fix"] = "report"
    gates: dict[str, GatePolicy] = Field(default_factory=dict)
    # Which gates judge what: `talkgit check` and the hooks skip the test suite by default
    # (it is the slow one); a run's steps must pass all of them to merge.
    check_gates: list[str] = Field(
        default_factory=lambda: ["ruff", "mypy", "bandit", "placeholder"]
    )
    run_gates: list[str] = Field(
        default_factory=lambda: ["ruff", "mypy", "bandit", "pytest", "placeholder"]
    )
    council: CouncilSettings = Field(default_factory=CouncilSettings)
    # How many tokens of skills (.talkgit/skills/*.md) one step's prompt may carry.
    skill_tokens: Count = Field(default=1500, ge=0)
    # Prompt sizes (docs/agents.md): the window of a model litellm's map does not know, a
    # cap on any prompt, the repository map's share, and lookups per step attempt.
    context_window: Count | None = Field(default=None, ge=256)
    prompt_tokens: Count | None = Field(default=None, ge=256)
    map_tokens: Count = Field(default=2048, ge=0)
    lookups: Count = Field(default=6, ge=0)
    tool_calls: ToolCalls = "auto"
    # `talkgit check` and the hooks hand their work to a warm resident process (talkgit/server);
    # read before the configuration is loaded, from TALKGIT_CHECK_SERVER or the config files.
    check_server: bool = False
    # An api_base that the repository's own files set would receive the user's API key:
    # allowed only with this, which only the environment or the command line may set.
    trust_repository_api_base: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Which files and variables count is the caller's choice (review mode reads a base
        # commit, tests inject an environment), so the built-in disk and os.environ readers
        # are dropped and load_settings hands its own sources in.
        return (init_settings, *_INJECTED_SOURCES.get())

    def agent(self, name: str) -> AgentSettings:
        """The settings under ``agents.<name>``, or empty ones when the agent has none."""
        return self.agents.get(name, _NO_AGENT_SETTINGS)

    def prompt(self, agent: str) -> PromptSettings:
        """``agent``'s prompt settings: ``agents.<agent>.*`` over the global ones."""
        own = self.agent(agent)
        return PromptSettings(
            context_window=_first_set(own.context_window, self.context_window),
            prompt_tokens=_first_set(own.prompt_tokens, self.prompt_tokens),
            map_tokens=_first_set(own.map_tokens, self.map_tokens) or 0,
            lookups=_first_set(own.lookups, self.lookups) or 0,
            tool_calls=own.tool_calls or self.tool_calls,
        )

    def model_for(self, agent: str, override: str | None = None) -> str | None:
        """The model for ``agent``: ``override`` > ``agents.<agent>.model`` > ``model``."""
        return _first_set(override, self.agent(agent).model, self.model)

    def api_base_for(self, agent: str, override: str | None = None) -> str | None:
        """The API base for ``agent``: ``override`` > ``agents.<agent>.api_base`` > ``api_base``."""
        return _first_set(override, self.agent(agent).api_base, self.api_base)

    def gate_policy(self, gate: str) -> GatePolicy:
        """The policy under ``gates.<gate>``, or the default one (block, from ``low``)."""
        return self.gates.get(gate) or GATE_DEFAULTS.get(gate, DEFAULT_POLICY)

    def gate_policies(self, gates: Sequence[str]) -> dict[str, GatePolicy]:
        return {gate: self.gate_policy(gate) for gate in gates}

    def call_timeout_for(self, agent: str) -> float:
        """Seconds per model call for ``agent``: ``agents.<agent>.timeout`` > ``call_timeout``."""
        timeout = self.agent(agent).timeout
        return self.call_timeout if timeout is None else timeout


def _first_set(*values: _T | None) -> _T | None:
    return next((value for value in values if value is not None), None)


def load_settings(
    read_file: ReadFile,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
    use_dotenv: bool = True,
) -> Settings:
    """Read, merge and validate talkgit's settings.

    ``read_file`` gives the repository's ``.env``, ``.talkgit.toml`` and ``pyproject.toml``;
    ``environ`` defaults to ``os.environ``; ``overrides`` (the command line) win over
    everything, and their None values are ignored. Any unknown key or ill-typed value raises
    ConfigError naming the key and the file or variable it came from.
    """
    sources = _sources(
        read_file,
        os.environ if environ is None else environ,
        {key: value for key, value in (overrides or {}).items() if value is not None},
        use_dotenv=use_dotenv,
    )
    # Each source alone must be valid, so a broken file is reported even where a
    # higher source shadows the bad value, and every problem has exactly one origin.
    for source in sources:
        _validate_alone(source)
        _refuse_self_trust(source)
    token = _INJECTED_SOURCES.set(sources)
    try:
        return Settings()
    except ValidationError as exc:  # not expected: valid sources merge into valid settings
        raise ConfigError(_describe(exc, _dotted)) from exc
    finally:
        _INJECTED_SOURCES.reset(token)


def _validate_alone(source: _MappingSource | _VariablesSource) -> None:
    try:
        Settings.model_validate(source())
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source.where)) from exc
    except SettingsError as exc:
        raise ConfigError(str(exc)) from exc


def _refuse_self_trust(source: _MappingSource | _VariablesSource) -> None:
    if _is_repository_file(source) and "trust_repository_api_base" in source():
        raise ConfigError(
            f"{_label(source)}: trust_repository_api_base can only be set in the environment "
            "or on the command line: a repository cannot vouch for itself"
        )


def repository_endpoints(
    read_file: ReadFile, settings: Settings, environ: Mapping[str, str] | None = None
) -> list[str]:
    """The ``api_base`` values in effect that the repository's files set and you did not,
    as ``"<file>: <key> = <url>"``. Loopback addresses are left out: a server there is
    one you run. Empty when ``settings.trust_repository_api_base``.
    """
    if settings.trust_repository_api_base:
        return []
    sources = _sources(read_file, os.environ if environ is None else environ, {}, use_dotenv=True)
    in_effect = _endpoints(settings)
    yours = {
        key: url
        for source in sources
        if not _is_repository_file(source)
        for key, url in _endpoints(Settings.model_validate(source())).items()
    }
    found = []
    for source in filter(_is_repository_file, sources):
        for key, url in _endpoints(Settings.model_validate(source())).items():
            if in_effect.get(key) == url and yours.get(key) != url and not _loopback(url):
                found.append(f"{_label(source)}: {key} = {url}")
    return found


def _endpoints(settings: Settings) -> dict[str, str]:
    found = {"api_base": settings.api_base}
    found |= {f"agents.{name}.api_base": a.api_base for name, a in settings.agents.items()}
    found |= {
        f"council.reviewers.{r.name}.api_base": r.api_base for r in settings.council.reviewers
    }
    return {key: url for key, url in found.items() if url}


def _loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_repository_file(source: _MappingSource | _VariablesSource) -> bool:
    return _label(source) in (DOTENV_FILE, CONFIG_FILE, PYPROJECT_FILE)


def _label(source: _MappingSource | _VariablesSource) -> str:
    return source.label if isinstance(source, _MappingSource) else (source.file or "environment")


def read_from_directory(root: Path) -> ReadFile:
    """A ReadFile over the directory ``root`` (the working tree): regular files only."""

    def read(path: str) -> str | None:
        target = root / path
        if not target.is_file():
            return None
        try:
            return target.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from exc
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc

    return read


# --- sources -------------------------------------------------------------------------------


class _MappingSource(InitSettingsSource):
    """Values already parsed (a TOML table, the command line), labelled for error messages."""

    def __init__(self, values: dict[str, Any], *, label: str, key_prefix: str = "") -> None:
        super().__init__(Settings, values)
        self.label = label
        self.key_prefix = key_prefix

    def where(self, loc: Loc) -> str:
        return f"{self.label}: {self.key_prefix}{_dotted(loc)}"


class _VariablesSource(EnvSettingsSource):
    """``TALKGIT_*`` variables from a given mapping (the environment or a parsed .env file).

    Unlike pydantic-settings' own reader it reports unknown ``TALKGIT_*`` names, so that a
    typo is an error rather than a silently ignored setting.
    """

    def __init__(self, variables: Mapping[str, str], *, file: str | None = None) -> None:
        # Read by _load_env_vars, which the base class calls from its __init__.
        self._variables = variables
        self.file = file
        super().__init__(Settings)
        self._spelling = {name.lower(): name for name in variables}

    def _load_env_vars(self) -> Mapping[str, str | None]:
        ignore_empty = bool(self.env_ignore_empty)
        return {
            name.lower(): value
            for name, value in self._variables.items()
            if value or not ignore_empty
        }

    def __call__(self) -> dict[str, Any]:
        given = super().__call__()
        prefix = self.env_prefix.lower()
        for name, value in self.env_vars.items():
            if name.startswith(prefix) and not self._names_a_setting(name[len(prefix) :]):
                given[name[len(prefix) :]] = value  # validation reports it as an unknown key
        return given

    def _names_a_setting(self, key: str) -> bool:
        head, nested, _ = key.partition("__")
        field = Settings.model_fields.get(head)
        return field is not None and (not nested or get_origin(field.annotation) is dict)

    def prepare_field_value(
        self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool
    ) -> Any:
        try:
            return super().prepare_field_value(field_name, field, value, value_is_complex)
        except ValueError as exc:  # a nested value that is not JSON
            raise ConfigError(
                f"{self.where((field_name,))}: expected JSON, got {_shown(value)}"
            ) from exc

    def where(self, loc: Loc) -> str:
        for size in range(len(loc), 0, -1):
            name = (self.env_prefix + "__".join(map(str, loc[:size]))).lower()
            if name in self.env_vars:
                rest = f": {_dotted(loc[size:])}" if loc[size:] else ""
                return f"{self.file}: " * bool(self.file) + self._spelling[name] + rest
        return f"{self.file}: " * bool(self.file) + ENV_PREFIX + "__".join(map(str, loc)).upper()


def _sources(
    read_file: ReadFile,
    environ: Mapping[str, str],
    overrides: dict[str, object],
    *,
    use_dotenv: bool,
) -> tuple[_MappingSource | _VariablesSource, ...]:
    """The sources in precedence order, highest first; absent files are left out."""
    sources: list[_MappingSource | _VariablesSource] = [
        _MappingSource(dict(overrides), label="command line"),
        _VariablesSource(environ),
    ]
    dotenv = read_file(DOTENV_FILE) if use_dotenv else None
    if dotenv is not None:
        sources.append(_VariablesSource(_parse_dotenv(dotenv), file=DOTENV_FILE))
    config = read_file(CONFIG_FILE)
    if config is not None:
        sources.append(_MappingSource(_parse_toml(config, CONFIG_FILE), label=CONFIG_FILE))
    pyproject = read_file(PYPROJECT_FILE)
    if pyproject is not None:
        table = _pyproject_table(_parse_toml(pyproject, PYPROJECT_FILE))
        prefix = ".".join(PYPROJECT_TABLE) + "."
        sources.append(_MappingSource(table, label=PYPROJECT_FILE, key_prefix=prefix))
    return tuple(sources)


def _parse_toml(text: str, file: str) -> dict[str, Any]:
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {exc}") from exc
    return document


def _pyproject_table(document: dict[str, Any]) -> dict[str, Any]:
    table: object = document
    for key in PYPROJECT_TABLE:
        table = table.get(key, {}) if isinstance(table, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(f"{PYPROJECT_FILE}: {'.'.join(PYPROJECT_TABLE)}: expected a table")
    return table


def _parse_dotenv(text: str) -> dict[str, str]:
    variables: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            # Never echo the line: a .env file usually holds API keys too.
            raise ConfigError(f"{DOTENV_FILE}: line {binding.original.line}: expected NAME=value")
        if binding.key is not None and binding.value is not None:
            variables[binding.key] = binding.value
    return variables


# --- error messages --------------------------------------------------------------------------

_EXPECTED = {
    "int_parsing": "expected an integer",
    "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "finite_number": "expected a finite number",
    "decimal_parsing": "expected a decimal number",
    "decimal_type": "expected a decimal number",
    "string_type": "expected a string",
    "list_type": "expected a list",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "too_short": "must not be empty",
}
_BOUNDS = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt")}


def _describe(error: ValidationError, where: Callable[[Loc], str]) -> str:
    """One line for the first problem, naming where its value was written."""
    problems = error.errors()
    first = problems[0]
    line = f"{where(first['loc'])}: {_explain(first)}"
    if len(problems) > 1:
        line += f" (and {len(problems) - 1} more)"
    return line


def _explain(problem: ErrorDetails) -> str:
    kind = problem["type"]
    context = problem.get("ctx", {})
    if kind == "extra_forbidden":
        secret = str(problem["loc"][-1]).lower().endswith(("key", "token", "secret"))
        hint = " (API keys stay in the provider's own variables)" if secret else ""
        return f"unknown key{hint}"  # never echo the value: it may be a secret
    if kind == "value_error":
        reason = str(context.get("error", problem["msg"]))
    elif kind in _BOUNDS:
        sign, bound = _BOUNDS[kind]
        reason = f"must be {sign} {context.get(bound)}"
    else:
        reason = _EXPECTED.get(kind, problem["msg"][:1].lower() + problem["msg"][1:])
    return f"{reason}, got {_shown(problem['input'])}"


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _dotted(loc: Loc) -> str:
    return "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc
    ).removeprefix(".")


def gate_rules(
    settings: Settings,
    waivers: Iterable[Waiver],
    *,
    default: GateList,
    gates: Sequence[str] = (),
    fail_on: Severity | None = None,
) -> GateRules:
    """The rules ``settings`` and ``waivers`` make: ``gates``, or else the ``default`` list.

    ``fail_on`` (`review --fail-on`) replaces every gate's severity threshold.
    """
    configured = settings.check_gates if default == "check_gates" else settings.run_gates
    chosen = tuple(gates) or tuple(configured)
    policies = settings.gate_policies(chosen)
    if fail_on is not None:
        policies = {
            name: policy.model_copy(update={"severity": fail_on})
            for name, policy in policies.items()
        }
    return GateRules(
        gates=chosen,
        policies=policies,
        waivers=tuple(waivers),
        timeout=settings.test_timeout,
        test_command=tuple(settings.test_command),
    )
