from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from random import Random

from hypothesis import given
from hypothesis import strategies as st

from talkgit.gates.base import Finding, Severity
from talkgit.gates.fingerprint import (
    ReadLine,
    fingerprint,
    fingerprint_all,
    line_reader,
    normalise,
    text_key,
)


def finding(line: int, rule: str = "E1", path: str = "mod.py", column: int = 1) -> Finding:
    return Finding("tool", rule, Severity.LOW, path, line, column, f"message at {line}")


def prints(root: Path, findings: list[Finding]) -> list[str]:
    return [f.fingerprint for f in fingerprint_all(findings, line_reader(root))]


def test_a_finding_keeps_its_fingerprint_when_lines_above_it_shift(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("import os\n\nx = eval(data)\n")
    before = prints(tmp_path, [finding(3)])
    (tmp_path / "mod.py").write_text("'''doc'''\nimport os\nimport sys\n\n\nx = eval(data)\n")
    after = prints(tmp_path, [finding(6)])
    assert before == after
    assert len(before[0]) == 64


def test_reindenting_a_line_keeps_its_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("x = eval(data)\n")
    flat = prints(tmp_path, [finding(1)])
    (tmp_path / "mod.py").write_text("if True:\n    x  =  eval(data)   \n")
    assert prints(tmp_path, [finding(2)]) == flat


def test_editing_the_line_changes_the_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("x = eval(data)\n")
    first = prints(tmp_path, [finding(1)])
    (tmp_path / "mod.py").write_text("x = eval(other)\n")
    assert prints(tmp_path, [finding(1)]) != first


def test_rule_and_path_are_part_of_the_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("same\n")
    (tmp_path / "b.py").write_text("same\n")
    found = prints(
        tmp_path, [finding(1, "E1", "a.py"), finding(1, "E2", "a.py"), finding(1, "E1", "b.py")]
    )
    assert len(set(found)) == 3


def test_identical_lines_are_told_apart_by_occurrence(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("assert x\nassert x\n")
    first, second = prints(tmp_path, [finding(1), finding(2)])
    assert first != second
    assert first == fingerprint("E1", "mod.py", "assert x", 0)
    assert second == fingerprint("E1", "mod.py", "assert x", 1)


def test_the_text_key_is_the_fingerprint_without_the_occurrence(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("assert x\n  assert  x\nassert y\n")
    keys = [
        f.text_key for f in fingerprint_all([finding(n) for n in (1, 2, 3)], line_reader(tmp_path))
    ]
    assert keys[0] == keys[1] == text_key("E1", "mod.py", "assert x") != keys[2]
    assert keys[0] != fingerprint("E1", "mod.py", "assert x", 0)


def test_occurrences_follow_the_file_not_the_order_the_tool_reported(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("assert x\nassert x\n")
    in_order = prints(tmp_path, [finding(1), finding(2)])
    reversed_ = prints(tmp_path, [finding(2), finding(1)])
    assert reversed_ == in_order[::-1]


def test_the_anchor_replaces_the_line_text(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text("def test_one():\n    assert 0\n")
    failing = replace(finding(2, "pytest:failed", "test_a.py"), anchor="test_a.py::test_one")
    (moved,) = fingerprint_all([replace(failing, line=40)], line_reader(tmp_path))
    (here,) = fingerprint_all([failing], line_reader(tmp_path))
    assert here.fingerprint == moved.fingerprint
    assert here.fingerprint == fingerprint("pytest:failed", "test_a.py", "test_a.py::test_one", 0)


def test_fingerprinting_keeps_everything_else(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("x\n")
    original = finding(1)
    (stamped,) = fingerprint_all([original], line_reader(tmp_path))
    assert replace(stamped, fingerprint="", text_key="") == original


def test_line_zero_and_missing_files_fingerprint_with_empty_text(tmp_path: Path) -> None:
    found = prints(tmp_path, [finding(0, path="gone.py"), finding(3, path="gone.py")])
    assert found == [fingerprint("E1", "gone.py", "", 0), fingerprint("E1", "gone.py", "", 1)]


def test_line_reader(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_bytes(b"one\r\ntwo\x0cstill two\n\xffbad\n")
    (tmp_path.parent / "outside.py").write_text("secret\n")
    read = line_reader(tmp_path)
    assert read("pkg/m.py", 1) == "one"
    assert read("pkg/m.py", 2) == "two\x0cstill two"  # a form feed does not end a line
    assert read("pkg/m.py", 3) == "\ufffdbad"
    assert read("pkg/m.py", 99) == ""
    assert read("pkg/m.py", 0) == ""
    assert read("missing.py", 1) == ""
    assert read("../outside.py", 1) == ""
    assert read(str(tmp_path.parent / "outside.py"), 1) == ""


def test_normalise() -> None:
    assert normalise("  a \t b\n") == "a b"
    assert normalise("") == ""


def reader(content: dict[str, list[str]]) -> ReadLine:
    return lambda path, line: content[path][line - 1]


lines = st.lists(st.text(alphabet="ab =()\t", min_size=0, max_size=6), min_size=1, max_size=12)


@given(body=lines, above=st.lists(st.text(alphabet="xyz #", max_size=5), max_size=5))
def test_property_inserting_lines_above_never_changes_fingerprints(
    body: list[str], above: list[str]
) -> None:
    files = {"mod.py": body}
    shifted = {"mod.py": above + body}
    findings = [finding(n) for n in range(1, len(body) + 1)]
    moved = [replace(f, line=f.line + len(above)) for f in findings]

    assert [f.fingerprint for f in fingerprint_all(findings, reader(files))] == [
        f.fingerprint for f in fingerprint_all(moved, reader(shifted))
    ]


@given(body=lines, order=st.randoms(use_true_random=False))
def test_property_fingerprints_in_one_file_are_unique(body: list[str], order: Random) -> None:
    findings = [finding(n) for n in range(1, len(body) + 1)]
    order.shuffle(findings)
    stamped = fingerprint_all(findings, lambda path, line: body[line - 1])
    assert len({f.fingerprint for f in stamped}) == len(findings)
