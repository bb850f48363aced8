"""Reading pytest's JUnit XML: which tests ran, which failed and why.

The XML comes from tests an agent may have written, so it is parsed with defusedxml.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element  # the type only; parsing goes through defusedxml

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException


@dataclass(frozen=True)
class TestCase:
    __test__ = False  # not a pytest test class, whatever its name

    id: str  # "path/to/test_file.py::test_name" where the XML allows it
    outcome: str  # passed | failed | error | skipped
    message: str = ""
    path: str = ""  # the test's file, relative to the tree's root, forward slashes
    line: int = 0  # 1-based; 0 when the report gives none


@dataclass(frozen=True)
class TestReport:
    __test__ = False

    cases: tuple[TestCase, ...]

    def count(self, outcome: str) -> int:
        return sum(1 for case in self.cases if case.outcome == outcome)

    @property
    def failures(self) -> tuple[TestCase, ...]:
        return tuple(c for c in self.cases if c.outcome in ("failed", "error"))

    def summary(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in ("failed", "error", "passed", "skipped")]
        return ", ".join(part for part in parts if not part.startswith("0 ")) or "no tests ran"


def read_junit(path: Path, root: Path | None = None) -> TestReport | None:
    """The report in ``path``, or None when the file is missing or not JUnit XML.

    Test files are given relative to ``root`` (the directory pytest ran in) when pytest
    wrote them as absolute paths.
    """
    try:
        tree = SafeTree.parse(path).getroot()
    except (OSError, SafeTree.ParseError, DefusedXmlException):
        return None
    if tree is None:
        return None
    return TestReport(tuple(_case(element, root) for element in tree.iter("testcase")))


def _case(element: Element, root: Path | None) -> TestCase:
    classname, name = element.get("classname", ""), element.get("name", "")
    path = _relative(element.get("file", ""), root)
    test_id = node_id(path, classname, name)
    line = element.get("line", "")
    number = int(line) + 1 if line.isdigit() else 0  # pytest counts lines from 0
    for tag, outcome in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        found = element.find(tag)
        if found is not None:
            message = (found.get("message") or found.text or "").strip()
            return TestCase(test_id, outcome, message, path, number)
    return TestCase(test_id, "passed", "", path, number)


def _relative(file: str, root: Path | None) -> str:
    path = Path(file)
    if file and root is not None and path.is_absolute():
        for base in (root.resolve(), root.absolute()):
            if path.is_relative_to(base):
                return path.relative_to(base).as_posix()
    return path.as_posix() if file else ""


def node_id(path: str, classname: str, name: str) -> str:
    """pytest's node id from a JUnit testcase: ("a/t.py", "a.t.C", "f") → "a/t.py::C::f".

    pytest writes the classname as the file's dotted module name and the classes inside it;
    a module that failed to collect has no classname and its dotted name as its name.
    """
    if not path:
        return f"{classname}::{name}" if classname else name
    module = path.removesuffix(".py").replace("/", ".")
    if not classname and name == module:
        return path
    classes = classname[len(module) + 1 :].split(".") if classname.startswith(f"{module}.") else []
    return "::".join([path, *classes, name])
