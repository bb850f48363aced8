from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from talkgit.gates.base import Finding, Severity
from talkgit.gates.compare import new_findings
from talkgit.gates.fingerprint import fingerprint_all, line_reader


def finding(path: str, line: int, rule: str = "S307") -> Finding:
    return Finding("bandit", rule, Severity.MEDIUM, path, line, 1, "use of eval")


def stamped(root: Path, *findings: Finding) -> tuple[Finding, ...]:
    return fingerprint_all(findings, line_reader(root))


def write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text)


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

    result = new_findings(
        stamped(base, failed(1, "test_old")),
        stamped(head, failed(3, "test_old"), failed(4, "test_flaky")),
    )
    assert [f.anchor for f in result.new] == ["test_a.py::test_flaky"]
    assert [f.anchor for f in result.preexisting] == ["test_a.py::test_old"]


def test_findings_must_be_fingerprinted_first() -> None:
    with pytest.raises(ValueError, match="fingerprint_all"):
        new_findings((), (finding("m.py", 1),))


prints = st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8)


@given(base=prints, head=prints)
def test_property_new_preexisting_and_fixed_partition_the_runs(
    base: list[str], head: list[str]
) -> None:
    def run(names: list[str]) -> tuple[Finding, ...]:
        return tuple(replace(finding("m.py", 1), fingerprint=name) for name in names)

    result = new_findings(run(base), run(head))
    assert {f.fingerprint for f in result.new} == set(head) - set(base)
    assert {f.fingerprint for f in result.preexisting} == set(head) & set(base)
    assert {f.fingerprint for f in result.fixed} == set(base) - set(head)
    assert len(result.new) + len(result.preexisting) == len(head)
