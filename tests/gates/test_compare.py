from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from talkgit.gates.base import Finding, Severity
from talkgit.gates.compare import new_findings
from talkgit.gates.fingerprint import fingerprint_all, line_reader
from talkgit.gates.lines import LineChanges, Unchanged, locate
from talkgit.git.diff import Hunk
from tests.gates.test_lines import hunks_of

EVAL = "Use of possibly insecure function - consider using safer ast.literal_eval."


def finding(
    path: str, line: int, rule: str = "B307", message: str = EVAL, column: int = 1
) -> Finding:
    return Finding("bandit", rule, Severity.MEDIUM, path, line, column, message)


def stamped(root: Path, *findings: Finding) -> tuple[Finding, ...]:
    return fingerprint_all(findings, line_reader(root))


def write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text)


def compare(
    tmp_path: Path,
    texts: tuple[str, str],
    found: tuple[list[Finding], list[Finding]],
    hunks: LineChanges | None,
) -> tuple[list[int], list[int], list[int]]:
    """Lines of (new, pre-existing, fixed) for findings in m.py at base and head."""
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, "m.py", texts[0])
    write(head, "m.py", texts[1])
    result = new_findings(stamped(base, *found[0]), stamped(head, *found[1]), hunks)
    return (
        [f.line for f in result.new],
        [f.line for f in result.preexisting],
        [f.line for f in result.fixed],
    )


# --- text only: no hunks, or a file they leave out ---------------------------------------


def test_only_what_the_head_added_is_new(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, "legacy.py", "a = eval(x)\nb = eval(y)\n")
    write(head, "legacy.py", "import os\n\na = eval(x)\nc = eval(z)\nb = eval(y)\n")
    at_base = stamped(base, finding("legacy.py", 1), finding("legacy.py", 2))
    at_head = stamped(head, *(finding("legacy.py", n) for n in (3, 4, 5)))
    result = new_findings(at_base, at_head)
    assert [f.line for f in result.new] == [4]
    assert [f.line for f in result.preexisting] == [3, 5]
    assert result.fixed == ()


def test_fixed_findings_are_the_base_ones_gone_at_head(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, "m.py", "a = eval(x)\nb = eval(y)\n")
    write(head, "m.py", "b = eval(y)\n")
    result = new_findings(
        stamped(base, finding("m.py", 1), finding("m.py", 2)), stamped(head, finding("m.py", 1))
    )
    assert (result.new, [f.line for f in result.preexisting]) == ((), [1])
    assert [f.line for f in result.fixed] == [1]


def test_a_second_identical_line_is_new(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, "m.py", "assert x\n")
    write(head, "m.py", "assert x\nassert x\n")
    result = new_findings(
        stamped(base, finding("m.py", 1, "B101")),
        stamped(head, finding("m.py", 1, "B101"), finding("m.py", 2, "B101")),
    )
    assert len(result.new) == 1 and len(result.preexisting) == 1


def test_pytest_failures_compare_by_test_id(tmp_path: Path) -> None:
    """Failing at both is pre-existing; failing only at head is a regression, wherever it moved."""
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, "test_a.py", "def test_old(): ...\ndef test_flaky(): ...\n")
    write(head, "test_a.py", "import x\n\ndef test_old(): ...\ndef test_flaky(): ...\n")

    def failed(line: int, test: str) -> Finding:
        return replace(finding("test_a.py", line, "pytest:failed"), anchor=f"test_a.py::{test}")

    at_base = stamped(base, failed(1, "test_old"))
    at_head = stamped(head, failed(3, "test_old"), failed(4, "test_flaky"))
    # With hunks too: a test id is never paired by its line (line 3 was base line 1).
    for hunks in (None, {"test_a.py": (Hunk(0, 0, 1, 2),)}):
        result = new_findings(at_base, at_head, hunks)
        assert [f.anchor for f in result.new] == ["test_a.py::test_flaky"]
        assert [f.anchor for f in result.preexisting] == ["test_a.py::test_old"]


def test_findings_must_be_fingerprinted_first() -> None:
    with pytest.raises(ValueError, match="fingerprint_all"):
        new_findings((), (finding("m.py", 1),))


# --- where the change is ---------------------------------------------------------------------

PASSES = "try:\n    run()\nexcept Exception:\n    pass\n"


def test_an_identical_line_added_above_is_the_new_one(tmp_path: Path) -> None:
    """requests: new `except: pass` blocks above old ones were reported on the old lines."""
    base = "import os\n\n" + PASSES + "\nx = 1\n" + PASSES
    head = "import os\n\n" + PASSES + PASSES + "\nx = 1\n" + PASSES
    old = [finding("m.py", n, "B110", "Try, Except, Pass detected.") for n in (5, 11)]
    new = [finding("m.py", n, "B110", "Try, Except, Pass detected.") for n in (5, 9, 15)]
    hunks = {"m.py": (Hunk(2, 0, 3, 4),)}  # what `git diff -U0` says: lines 3-6 are added
    assert compare(tmp_path, (base, head), (old, new), hunks) == ([5], [9, 15], [])
    # Text alone pairs the first occurrences and calls the old block at line 15 new:
    assert compare(tmp_path, (base, head), (old, new), None) == ([15], [5, 9], [])


def test_a_whole_file_finding_on_an_edited_first_line_is_not_new(tmp_path: Path) -> None:
    exe = finding("m.py", 1, "EXE002", "The file is executable but no shebang is present")
    edited = {"m.py": (Hunk(1, 1, 1, 1),)}
    assert compare(tmp_path, ("import os\n", "import sys\n"), ([exe], [exe]), edited) == (
        [],
        [1],
        [],
    )
    inserted = {"m.py": (Hunk(0, 0, 1, 1),)}  # a line added above line 1
    texts = ("import os\n", '"""doc"""\nimport os\n')
    assert compare(tmp_path, texts, ([exe], [exe]), inserted) == ([], [1], [])


def test_an_edited_line_the_tool_says_something_new_about_is_new(tmp_path: Path) -> None:
    def long(n: int) -> Finding:
        return finding("m.py", 2, "E501", f"Line too long ({n} > 100)")

    hunks = {"m.py": (Hunk(2, 1, 2, 1),)}
    texts = ("x = 1\n" + "y" * 101 + "\n", "x = 1\n" + "y" * 120 + "\n")
    assert compare(tmp_path, texts, ([long(101)], [long(120)]), hunks) == ([2], [], [2])
    assert compare(tmp_path, texts, ([long(101)], [long(101)]), hunks) == ([], [2], [])


def test_an_unchanged_line_keeps_its_findings_whatever_its_twins(tmp_path: Path) -> None:
    """Same rule twice on a line pairs twice; a third is new, even on an untouched line."""
    base = "a\nx = eval(eval(s))\n"
    head = "x = eval(eval(s))\na\nx = eval(eval(s))\n"
    at_base = [finding("m.py", 2, column=c) for c in (5, 10)]
    at_head = [finding("m.py", line, column=c) for line in (1, 3) for c in (5, 10)]
    hunks = {"m.py": (Hunk(0, 0, 1, 1), Hunk(2, 0, 4, 0))}
    assert compare(tmp_path, (base, head), (at_base, at_head), hunks) == ([1, 1], [3, 3], [])
    three = [*at_head, finding("m.py", 3, column=20)]
    assert compare(tmp_path, (base, head), (at_base, three), hunks)[0] == [1, 1, 3]


def test_code_moved_within_the_file_keeps_its_findings(tmp_path: Path) -> None:
    base = "def f():\n    return eval(s)\n\n\ndef g():\n    pass\n"
    head = "def g():\n    pass\n\n\ndef f():\n    return eval(s)\n"
    hunks = {"m.py": (Hunk(1, 4, 0, 0), Hunk(6, 0, 3, 4))}
    found = ([finding("m.py", 2)], [finding("m.py", 6)])
    assert compare(tmp_path, (base, head), found, hunks) == ([], [6], [])


def test_findings_on_no_line_pair_by_message(tmp_path: Path) -> None:
    def lineless(message: str) -> Finding:
        return finding("m.py", 0, "misc", message)

    hunks = {"m.py": (Hunk(1, 1, 1, 1),)}
    texts = ("a\n", "b\n")
    same = ([lineless("cannot read")], [lineless("cannot read")])
    assert compare(tmp_path, texts, same, hunks) == ([], [0], [])
    other = ([lineless("cannot read")], [lineless("cannot parse")])
    assert compare(tmp_path, texts, other, hunks) == ([0], [], [0])


def test_a_file_the_hunks_leave_out_is_compared_by_text(tmp_path: Path) -> None:
    found = ([finding("m.py", 1)], [finding("m.py", 2)])
    texts = ("x = eval(s)\n", "\nx = eval(s)\n")
    assert compare(tmp_path, texts, found, {"other.py": ()}) == ([], [2], [])


# --- properties ------------------------------------------------------------------------------


texts = st.lists(st.sampled_from(["assert x", "assert y", "a = 1", ""]), max_size=12)


@given(base=texts, head=texts, with_hunks=st.booleans())
def test_property_the_parts_partition_both_runs_and_unchanged_lines_are_never_new(
    base: list[str], head: list[str], with_hunks: bool
) -> None:
    def run(lines: list[str]) -> tuple[Finding, ...]:
        found = [finding("m.py", n, "B101") for n, t in enumerate(lines, 1) if "assert" in t]
        return fingerprint_all(found, lambda _path, line: lines[line - 1])

    hunks = hunks_of(base, head)
    result = new_findings(run(base), run(head), {"m.py": hunks} if with_hunks else None)
    assert len(result.new) + len(result.preexisting) == len(run(head))
    assert len(result.fixed) + len(result.preexisting) == len(run(base))
    if with_hunks:
        unchanged = {f.line for f in run(head) if isinstance(locate(hunks, f.line), Unchanged)}
        assert not {f.line for f in result.new} & unchanged
