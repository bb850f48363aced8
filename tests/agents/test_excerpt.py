"""Excerpts of long Python files: the definitions a step names, with their line numbers."""

from __future__ import annotations

from talkgit.agents.excerpt import GAP, excerpt, named_words

FILLER = "".join(f"def filler_{n}(x):\n    return x + {n}\n\n\n" for n in range(40))
MODULE = (
    "import os\n\n\n"
    + FILLER
    + "@cache\ndef get_debug_flag() -> bool:\n"
    + '    val = os.environ.get("FLASK_DEBUG")\n'
    + '    return bool(val and val.lower() not in {"0", "false", "no"})\n\n\n'
    + FILLER.replace("filler", "more")
    + "class App:\n    def run(self):\n        return 1\n"
)


def test_the_named_function_with_its_decorator_and_a_few_lines_around() -> None:
    shown = excerpt("helpers.py", MODULE, named_words("get_debug_flag should treat off as false"))
    assert shown is not None
    head, body = shown.split("\n", 1)
    assert head.startswith("helpers.py (lines 161-170 of ")
    assert head.endswith(": the parts this step names; read_file for more)")
    lines = MODULE.splitlines()
    assert body == "```\n" + "\n".join(lines[160:170]) + "\n```"
    assert "@cache\ndef get_debug_flag() -> bool:" in body


def test_two_parts_are_separated_and_a_method_is_found_inside_its_class() -> None:
    shown = excerpt("app.py", MODULE, {"get_debug_flag", "run"})
    assert shown is not None
    assert shown.count(GAP) == 1
    assert "    def run(self):\n        return 1\n```" in shown


def test_no_excerpt_without_a_named_definition_or_python() -> None:
    assert excerpt("helpers.py", MODULE, {"nothing_like_it"}) is None
    assert excerpt("notes.md", MODULE, {"get_debug_flag"}) is None
    assert excerpt("broken.py", "def (:\n", {"get_debug_flag"}) is None
