from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from talkgit import exit_codes
from talkgit.config import (
    AgentSettings,
    Settings,
    load_settings,
    parse_duration,
    read_from_directory,
)
from talkgit.errors import ConfigError
from talkgit.gates.base import Severity
from talkgit.gates.policy import GatePolicy

NO_FILES: dict[str, str] = {}


@dataclass
class World:
    """The repository files, the environment and the command line one load sees."""

    files: dict[str, str] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, object] = field(default_factory=dict)

    def merged(self, other: World) -> World:
        files = {**self.files, **other.files}
        return World(
            files, {**self.environ, **other.environ}, {**self.overrides, **other.overrides}
        )

    def load(self, **kwargs: bool) -> Settings:
        return load_settings(
            self.files.get, environ=self.environ, overrides=self.overrides, **kwargs
        )


def load(
    files: dict[str, str] | None = None,
    environ: dict[str, str] | None = None,
    overrides: dict[str, object] | None = None,
) -> Settings:
    return World(files or {}, environ or {}, overrides or {}).load()


def config_error(world: World) -> str:
    with pytest.raises(ConfigError) as caught:
        world.load()
    assert caught.value.exit_code == exit_codes.CONFIG
    return str(caught.value)


# --- one way to write a value at every level -------------------------------------------------


def _toml_line(path: tuple[str, ...], value: object) -> str:
    return f"{'.'.join(path)} = {json.dumps(value)}\n"


def _nested(path: tuple[str, ...], value: object) -> dict[str, object]:
    tree: object = value
    for key in reversed(path):
        tree = {key: tree}
    assert isinstance(tree, dict)
    return tree


def _variable(path: tuple[str, ...]) -> str:
    return "TALKGIT_" + "__".join(path).upper()


def written(level: str, path: tuple[str, ...], value: object) -> World:
    """A world where only ``level`` sets ``path`` to ``value``."""
    if level == "overrides":
        return World(overrides=_nested(path, value))
    if level == "environ":
        return World(environ={_variable(path): str(value)})
    if level == "dotenv":
        return World(files={".env": f"{_variable(path)}={value}\n"})
    if level == "talkgit_toml":
        return World(files={".talkgit.toml": _toml_line(path, value)})
    assert level == "pyproject"
    return World(files={"pyproject.toml": "[tool.talkgit]\n" + _toml_line(path, value)})


LEVELS = ("overrides", "environ", "dotenv", "talkgit_toml", "pyproject")  # highest first
KEYS: dict[tuple[str, ...], tuple[object, object]] = {
    ("model",): ("high/model", "low/model"),
    ("parallel",): (7, 3),
    ("agents", "coder", "model"): ("high/coder", "low/coder"),
    ("gates", "ruff", "mode"): ("warn", "off"),
}


def value_at(settings: Settings, path: tuple[str, ...]) -> object:
    if path[0] == "agents":
        return getattr(settings.agent(path[1]), path[2])
    if path[0] == "gates":
        return getattr(settings.gate_policy(path[1]), path[2])
    return getattr(settings, path[0])


# --- precedence ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(KEYS))
@pytest.mark.parametrize(("higher", "lower"), list(itertools.combinations(LEVELS, 2)))
def test_the_higher_source_wins_in_every_pair(
    higher: str, lower: str, path: tuple[str, ...]
) -> None:
    high_value, low_value = KEYS[path]
    world = written(higher, path, high_value).merged(written(lower, path, low_value))
    assert value_at(world.load(), path) == high_value


@pytest.mark.parametrize("path", list(KEYS))
@pytest.mark.parametrize("level", LEVELS)
def test_every_source_beats_the_default(level: str, path: tuple[str, ...]) -> None:
    high_value, _ = KEYS[path]
    assert value_at(load(), path) != high_value
    assert value_at(written(level, path, high_value).load(), path) == high_value


def test_defaults() -> None:
    settings = load()
    assert settings == Settings()
    assert (settings.model, settings.api_base, settings.agents) == (None, None, {})
    assert (settings.parallel, settings.max_steps, settings.max_fix_attempts) == (1, 20, 3)
    assert (settings.budget_usd, settings.max_tokens, settings.retries) == (None, None, 4)
    assert (settings.timeout, settings.call_timeout, settings.test_timeout) == (1800, 120, 600)
    assert settings.test_command == ["pytest", "-q"]
    assert settings.gates == {}
    assert settings.gate_policy("ruff") == GatePolicy()


def test_the_two_toml_files_merge_key_by_key() -> None:
    settings = load(
        files={
            "pyproject.toml": (
                "[tool.talkgit]\nmodel = 'py/model'\nparallel = 4\n"
                "[tool.talkgit.agents.coder]\nmodel = 'py/coder'\napi_base = 'http://py'\n"
            ),
            ".talkgit.toml": "model = 'own/model'\n[agents.coder]\nmodel = 'own/coder'\n",
        }
    )
    assert (settings.model, settings.parallel) == ("own/model", 4)
    assert settings.agent("coder") == AgentSettings(model="own/coder", api_base="http://py")


def test_environment_and_dotenv_merge_nested_keys() -> None:
    settings = load(
        files={".env": "TALKGIT_AGENTS__CODER__MODEL=dotenv/coder\n"},
        environ={
            "TALKGIT_AGENTS__CODER__TIMEOUT": "2m",
            "TALKGIT_AGENTS__REVIEWER__API_BASE": "http://127.0.0.1:8000",
        },
    )
    assert settings.agents == {
        "coder": AgentSettings(model="dotenv/coder", timeout=120),
        "reviewer": AgentSettings(api_base="http://127.0.0.1:8000"),
    }


def test_none_overrides_are_ignored() -> None:
    settings = load(environ={"TALKGIT_MODEL": "env/model"}, overrides={"model": None, "retries": 0})
    assert (settings.model, settings.retries) == ("env/model", 0)


def test_use_dotenv_false_skips_the_file_without_reading_it() -> None:
    asked: list[str] = []

    def read_file(path: str) -> str | None:
        asked.append(path)
        return {".env": "TALKGIT_MODEL=dotenv/model\n"}.get(path)

    assert load_settings(read_file, environ={}, use_dotenv=False).model is None
    assert ".env" not in asked
    assert load_settings(read_file, environ={}).model == "dotenv/model"


# --- the read_file injection -----------------------------------------------------------------


def test_files_come_only_from_the_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".talkgit.toml").write_text("model = 'disk/model'\n")
    (tmp_path / ".env").write_text("TALKGIT_PARALLEL=9\n")
    monkeypatch.chdir(tmp_path)
    asked: list[str] = []

    def base_commit(path: str) -> str | None:
        asked.append(path)
        return {".talkgit.toml": "model = 'base/model'\n"}.get(path)

    settings = load_settings(base_commit, environ={})
    assert (settings.model, settings.parallel) == ("base/model", 1)
    assert sorted(asked) == [".env", ".talkgit.toml", "pyproject.toml"]


def test_environ_defaults_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALKGIT_MAX_STEPS", "5")
    assert load_settings(NO_FILES.get).max_steps == 5
    assert load_settings(NO_FILES.get, environ={}).max_steps == 20


def test_plain_settings_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALKGIT_PARALLEL", "6")
    assert Settings().parallel == 1
    assert Settings(parallel=2).parallel == 2


def test_read_from_directory(tmp_path: Path) -> None:
    (tmp_path / ".talkgit.toml").write_text("parallel = 2\n")
    (tmp_path / "pyproject.toml").write_text("[tool.talkgit]\nmax_steps = 8\n")
    (tmp_path / ".env").mkdir()  # not a regular file: treated as absent
    read = read_from_directory(tmp_path)
    assert read(".talkgit.toml") == "parallel = 2\n"
    assert read("missing.toml") is None
    assert read(".env") is None
    settings = load_settings(read, environ={})
    assert (settings.parallel, settings.max_steps) == (2, 8)


def test_read_from_directory_refuses_non_utf8(tmp_path: Path) -> None:
    (tmp_path / ".talkgit.toml").write_bytes(b"model = '\xff'\n")
    with pytest.raises(ConfigError, match=r"^\.talkgit\.toml: not UTF-8 text"):
        load_settings(read_from_directory(tmp_path), environ={})


# --- unknown keys and bad values, named with their origin ------------------------------------


@pytest.mark.parametrize(
    ("world", "message"),
    [
        (World(overrides={"modle": "x"}), "command line: modle: unknown key"),
        (World(environ={"TALKGIT_MODLE": "x"}), "TALKGIT_MODLE: unknown key"),
        (
            World(environ={"TALKGIT_AGENTS__CODER__MODLE": "x"}),
            "TALKGIT_AGENTS__CODER__MODLE: unknown key",
        ),
        (World(environ={"TALKGIT_PARALLEL__MAX": "2"}), "TALKGIT_PARALLEL__MAX: unknown key"),
        (World(files={".env": "TALKGIT_MODLE=x\n"}), ".env: TALKGIT_MODLE: unknown key"),
        (
            World(files={".talkgit.toml": "[agents.coder]\nmodle = 'x'\n"}),
            ".talkgit.toml: agents.coder.modle: unknown key",
        ),
        (
            World(files={"pyproject.toml": "[tool.talkgit.agents.coder]\nmodle = 'x'\n"}),
            "pyproject.toml: tool.talkgit.agents.coder.modle: unknown key",
        ),
        (
            World(files={".talkgit.toml": "[gates.ruff]\nmood = 'warn'\n"}),
            ".talkgit.toml: gates.ruff.mood: unknown key",
        ),
        (
            World(environ={"TALKGIT_GATES__MYPY__MOOD": "warn"}),
            "TALKGIT_GATES__MYPY__MOOD: unknown key",
        ),
    ],
)
def test_unknown_keys_name_the_key_and_the_source(world: World, message: str) -> None:
    assert config_error(world) == message


@pytest.mark.parametrize(
    ("world", "message"),
    [
        (
            World(overrides={"parallel": "many"}),
            "command line: parallel: expected an integer, got 'many'",
        ),
        (
            World(environ={"TALKGIT_PARALLEL": "many"}),
            "TALKGIT_PARALLEL: expected an integer, got 'many'",
        ),
        (
            World(files={".env": "TALKGIT_PARALLEL=many\n"}),
            ".env: TALKGIT_PARALLEL: expected an integer, got 'many'",
        ),
        (
            World(files={".talkgit.toml": "parallel = 'many'\n"}),
            ".talkgit.toml: parallel: expected an integer, got 'many'",
        ),
        (
            World(files={"pyproject.toml": "[tool.talkgit]\nparallel = 'many'\n"}),
            "pyproject.toml: tool.talkgit.parallel: expected an integer, got 'many'",
        ),
    ],
)
def test_bad_types_name_the_key_and_the_source(world: World, message: str) -> None:
    assert config_error(world) == message


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("parallel = 0", "parallel: must be >= 1, got 0"),
        ("parallel = 2.5", "parallel: expected an integer, got 2.5"),
        ("parallel = true", "parallel: expected an integer, got True"),
        ("max_fix_attempts = -1", "max_fix_attempts: must be >= 0, got -1"),
        ("max_tokens = 0", "max_tokens: must be >= 1, got 0"),
        ("retries = 'x'", "retries: expected an integer, got 'x'"),
        ("budget_usd = -1", "budget_usd: must be >= 0, got -1"),
        ("budget_usd = 'lots'", "budget_usd: expected a decimal number, got 'lots'"),
        ("budget_usd = 'nan'", "budget_usd: expected a finite number, got 'nan'"),
        ("model = 3", "model: expected a string, got 3"),
        ("agents = 'coder'", "agents: expected a table, got 'coder'"),
        ("agents.coder = 'x'", "agents.coder: expected a table, got 'x'"),
        ("test_command = []", "test_command: must not be empty, got []"),
        ("test_command = ['pytest', 1]", "test_command[1]: expected a string, got 1"),
        ("test_command = 'pytest \"-q'", "test_command: expected a JSON list or a command line"),
        ("timeout = 'soon'", 'timeout: expected a duration like "90s", "30m" or "1h"'),
        ("call_timeout = 0", "call_timeout: must be > 0, got 0"),
        ("agents.coder.timeout = '-5s'", "agents.coder.timeout: expected a duration"),
        ("gates = 'all'", "gates: expected a table, got 'all'"),
        ("gates.ruff.mode = 'strict'", "gates.ruff.mode: input should be 'block', 'warn' or 'off'"),
        ("gates.bandit.severity = 'critical'", "gates.bandit.severity: input should be 'info'"),
        ("gates.pytest.block_preexisting = 'maybe'", "gates.pytest.block_preexisting: input"),
    ],
)
def test_bad_values_are_explained(toml: str, message: str) -> None:
    error = config_error(World(files={".talkgit.toml": toml + "\n"}))
    assert error.startswith(f".talkgit.toml: {message}")


def test_only_the_first_problem_is_spelled_out() -> None:
    error = config_error(World(files={".talkgit.toml": "parallel = 'x'\nretries = 'y'\n"}))
    assert error == ".talkgit.toml: parallel: expected an integer, got 'x' (and 1 more)"


def test_a_shadowed_bad_value_is_still_an_error() -> None:
    world = World(
        files={"pyproject.toml": "[tool.talkgit]\nparallel = 'many'\n"},
        environ={"TALKGIT_PARALLEL": "2"},
    )
    assert config_error(world).startswith("pyproject.toml: tool.talkgit.parallel:")


def test_unknown_keys_never_echo_their_value() -> None:
    error = config_error(World(files={".talkgit.toml": "api_key = 'sk-very-secret'\n"}))
    assert "sk-very-secret" not in error
    assert (
        error
        == ".talkgit.toml: api_key: unknown key (API keys stay in the provider's own variables)"
    )


def test_malformed_json_in_a_variable_is_named() -> None:
    error = config_error(World(environ={"TALKGIT_AGENTS": "{not json"}))
    assert error == "TALKGIT_AGENTS: expected JSON, got '{not json'"


def test_json_variables_report_the_path_inside_them() -> None:
    error = config_error(World(environ={"TALKGIT_AGENTS": '{"coder": {"modle": "x"}}'}))
    assert error == "TALKGIT_AGENTS: coder.modle: unknown key"


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        (".talkgit.toml", "parallel = = 2\n", r"^\.talkgit\.toml: .*line 1"),
        ("pyproject.toml", "[tool.talkgit\n", r"^pyproject\.toml: .*line 1"),
        (
            "pyproject.toml",
            "[tool]\ntalkgit = 3\n",
            r"^pyproject\.toml: tool\.talkgit: expected a table$",
        ),
        (".env", "TALKGIT_MODEL=a\nnot a line\n", r"^\.env: line 2: expected NAME=value$"),
    ],
)
def test_unparsable_files_are_config_errors(file: str, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(files={file: text})


# --- .env and environment parsing ------------------------------------------------------------


def test_dotenv_parsing() -> None:
    dotenv = "\n".join(
        [
            "# a comment",
            "OPENAI_API_KEY=sk-not-ours",  # other tools' variables are not settings
            "export TALKGIT_MODEL='ollama_chat/llama3'",
            'TALKGIT_API_BASE="http://127.0.0.1:11434"  # trailing comment',
            "TALKGIT_BUDGET_USD=2.50",
            "TALKGIT_TEST_COMMAND=pytest -x -q",
            "TALKGIT_MAX_TOKENS=",
            "TALKGIT_RETRIES",
        ]
    )
    settings = load(files={".env": dotenv})
    assert settings.model == "ollama_chat/llama3"
    assert settings.api_base == "http://127.0.0.1:11434"
    assert settings.budget_usd == Decimal("2.50")
    assert settings.test_command == ["pytest", "-x", "-q"]
    assert (settings.max_tokens, settings.retries) == (None, 4)


def test_dotenv_does_not_expand_variables_from_the_environment() -> None:
    settings = load(files={".env": "TALKGIT_MODEL=${PROVIDER}/model\n"}, environ={"PROVIDER": "x"})
    assert settings.model == "${PROVIDER}/model"


def test_environment_names_are_case_insensitive_and_empty_values_ignored() -> None:
    settings = load(
        files={".talkgit.toml": "model = 'file/model'\n"},
        environ={"talkgit_parallel": "3", "TALKGIT_MODEL": "", "OPENAI_API_KEY": "sk-x"},
    )
    assert (settings.parallel, settings.model) == (3, "file/model")


def test_test_command_from_a_json_list_or_a_command_line() -> None:
    as_json = load(environ={"TALKGIT_TEST_COMMAND": '["python", "-m", "pytest", "a b"]'})
    assert as_json.test_command == ["python", "-m", "pytest", "a b"]
    as_line = load(files={".talkgit.toml": "test_command = \"pytest -k 'not slow'\"\n"})
    assert as_line.test_command == ["pytest", "-k", "not slow"]


def test_whole_agents_table_as_json() -> None:
    settings = load(environ={"TALKGIT_AGENTS": '{"coder": {"model": "m", "timeout": "1m"}}'})
    assert settings.agent("coder") == AgentSettings(model="m", timeout=60)


# --- durations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("30m", 1800),
        ("1h", 3600),
        ("1h30m", 5400),
        ("1.5h", 5400),
        (" 2M ", 120),
        ("0.5s", 0.5),
    ],
)
def test_duration_strings(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
    assert load(environ={"TALKGIT_TEST_TIMEOUT": text}).test_timeout == seconds


@pytest.mark.parametrize("text", ["", "soon", "1d", "m", "1h 30m", "h1", "-1s", "1s1"])
def test_bad_duration_strings(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_durations_take_plain_numbers_but_not_booleans() -> None:
    assert load(files={".talkgit.toml": "timeout = 45.5\n"}).timeout == 45.5
    assert "timeout: expected a duration" in config_error(
        World(files={".talkgit.toml": "timeout = true\n"})
    )


@given(
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from([("s", 1), ("m", 60), ("h", 3600)]),
)
def test_duration_units_scale(amount: int, unit: tuple[str, int]) -> None:
    suffix, factor = unit
    assert parse_duration(f"{amount}{suffix}") == amount * factor


@given(st.lists(st.tuples(st.integers(0, 999), st.sampled_from("hms")), min_size=1, max_size=4))
def test_duration_parts_add_up(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{amount}{unit}" for amount, unit in parts)
    expected = sum(amount * {"h": 3600, "m": 60, "s": 1}[unit] for amount, unit in parts)
    assert parse_duration(text) == expected


# --- per-agent resolution --------------------------------------------------------------------


@pytest.fixture
def per_agent() -> Settings:
    return load(
        files={
            ".talkgit.toml": (
                "model = 'openai/gpt-4o-mini'\napi_base = 'http://127.0.0.1:4000'\n"
                "call_timeout = '90s'\n"
                "[agents.coder]\nmodel = 'ollama_chat/qwen'\napi_base = 'http://127.0.0.1:11434'\n"
                "timeout = '5m'\n"
                "[agents.reviewer]\ninstructions = 'Be terse.'\n"
            )
        }
    )


def test_model_for(per_agent: Settings) -> None:
    assert per_agent.model_for("coder") == "ollama_chat/qwen"
    assert per_agent.model_for("reviewer") == "openai/gpt-4o-mini"
    assert per_agent.model_for("planner") == "openai/gpt-4o-mini"
    assert per_agent.model_for("coder", override="scripted:replay.json") == "scripted:replay.json"
    assert Settings().model_for("coder") is None


def test_api_base_for(per_agent: Settings) -> None:
    assert per_agent.api_base_for("coder") == "http://127.0.0.1:11434"
    assert per_agent.api_base_for("reviewer") == "http://127.0.0.1:4000"
    assert per_agent.api_base_for("coder", override="http://127.0.0.1:1") == "http://127.0.0.1:1"
    assert Settings().api_base_for("coder") is None


def test_call_timeout_for(per_agent: Settings) -> None:
    assert per_agent.call_timeout_for("coder") == 300
    assert per_agent.call_timeout_for("reviewer") == 90
    assert per_agent.agent("reviewer").instructions == "Be terse."
    assert per_agent.agent("nobody") == AgentSettings()


def test_gate_policies_merge_key_by_key() -> None:
    settings = load(
        files={"pyproject.toml": "[tool.talkgit.gates.bandit]\nseverity = 'medium'\n"},
        environ={"TALKGIT_GATES__BANDIT__MODE": "warn", "TALKGIT_GATES__PYTEST__MODE": "off"},
    )
    assert settings.gate_policy("bandit") == GatePolicy(mode="warn", severity=Severity.MEDIUM)
    assert settings.gate_policy("pytest") == GatePolicy(mode="off")
    assert settings.gate_policy("ruff") == GatePolicy()


def test_settings_are_frozen(per_agent: Settings) -> None:
    with pytest.raises(ValueError, match="frozen"):
        per_agent.parallel = 3
    with pytest.raises(ValueError, match="frozen"):
        per_agent.agent("coder").model = "other"


def test_the_documented_examples_load() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()
    pyproject, own = re.findall(r"```toml\n(.*?)```", docs, flags=re.DOTALL)
    settings = load(files={"pyproject.toml": pyproject, ".talkgit.toml": own})
    assert settings.model_for("coder") == "ollama_chat/qwen2.5-coder"
    assert settings.model_for("reviewer") == "anthropic/claude-3-5-sonnet-latest"
    assert (settings.parallel, settings.budget_usd) == (2, Decimal("1.5"))
    assert (settings.call_timeout_for("coder"), settings.test_timeout) == (600, 900)
    assert settings.gate_policy("bandit") == GatePolicy(severity=Severity.MEDIUM)
    assert settings.gate_policy("mypy") == GatePolicy(mode="warn")


def test_the_documented_variables_load() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()
    (exports,) = re.findall(r"```sh\n(.*?)```", docs, flags=re.DOTALL)
    settings = load(files={".env": exports})  # `export NAME=value` is valid in .env too
    assert (settings.parallel, settings.timeout) == (4, 2700)
    assert settings.test_command == ["pytest", "-q", "-x"]
    assert settings.agent("coder") == AgentSettings(
        model="ollama_chat/qwen2.5-coder", api_base="http://127.0.0.1:11434"
    )
    assert settings.model_for("reviewer") == "openai/gpt-4o"
    assert settings.gate_policy("pytest") == GatePolicy(block_preexisting=True)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (("gates",), "'gates' is the static gates' seat"),
        (("a", "a"), "two reviewers are named 'a'"),
    ],
)
def test_council_reviewers_have_names_of_their_own(names: tuple[str, ...], message: str) -> None:
    tables = "".join(
        f'[[tool.talkgit.council.reviewers]]\nname = "{n}"\nmodel = "x/y"\n' for n in names
    )
    with pytest.raises(
        ConfigError, match=f"pyproject.toml: tool.talkgit.council.reviewers: {message}"
    ):
        load_settings(lambda path: tables if path == "pyproject.toml" else None, environ={})
