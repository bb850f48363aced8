from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from talkgit import __version__
from talkgit.gates.base import Finding, Gate, Severity, Target
from talkgit.gates.compare import new_findings
from talkgit.gates.fingerprint import fingerprint_all, line_reader
from talkgit.gates.placeholder import PlaceholderGate, scan_file
from tests.support.sdists import require_sdist

GATE: Gate = PlaceholderGate()  # the protocol, checked by mypy


def run_on(root: Path, *files: str) -> tuple[Finding, ...]:
    run = GATE.run(Target(root, files, root / ".cache"))
    assert (run.tool, run.version, run.error) == ("placeholder", __version__, None)
    return run.findings


def scan(tmp_path: Path, name: str, source: str) -> list[tuple[str, int, str]]:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(textwrap.dedent(source))
    return [(f.rule, f.line, f.message) for f in scan_file(tmp_path, name)]


# --- stubs -------------------------------------------------------------------------------------


def test_stub_bodies_are_found(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        "m.py",
        """\
        def a():
            pass
        def b(x: int) -> int:
            ...
        def c():
            raise NotImplementedError
        def d():
            '''Documented, still a stub.'''
            raise NotImplementedError("later")
        async def e():
            pass
        class K:
            def method(self):
                ...
        def outer():
            def inner():
                pass
            return inner
        """,
    )
    assert found == [
        ("stub", 1, "function `a` is a stub: its body is only `pass`"),
        ("stub", 3, "function `b` is a stub: its body is only `...`"),
        ("stub", 5, "function `c` is a stub: its body is only `raise NotImplementedError`"),
        ("stub", 7, "function `d` is a stub: its body is only `raise NotImplementedError`"),
        ("stub", 10, "function `e` is a stub: its body is only `pass`"),
        ("stub", 13, "function `method` is a stub: its body is only `...`"),
        ("stub", 16, "function `inner` is a stub: its body is only `pass`"),
    ]


def test_real_bodies_are_not_stubs(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        "m.py",
        """\
        def only_a_docstring():
            '''Some protocols are written like this.'''
        def does_something():
            pass
            return 1
        def raises_something_else():
            raise ValueError("no")
        def reraises_not_implemented_as_value():
            return NotImplemented
        class Empty:
            pass
        """,
    )
    assert found == []


def test_abstract_overloads_and_protocol_members_are_exempt(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        "m.py",
        """\
        import abc
        import typing
        from typing import Protocol, TypeVar, overload
        T = TypeVar("T")
        class Base(abc.ABC):
            @abc.abstractmethod
            def a(self): ...
            @abc.abstractmethod
            def b(self):
                raise NotImplementedError
        @overload
        def f(x: int) -> int: ...
        @typing.overload
        def f(x: str) -> str: ...
        def f(x):
            return x
        class Reader(Protocol):
            def read(self) -> str: ...
        class Box(typing.Protocol[T]):
            def get(self) -> T: ...
        class NotAProtocol(Base):
            def c(self):
                pass
        """,
    )
    assert found == [("stub", 22, "function `c` is a stub: its body is only `pass`")]


def test_methods_raising_not_implemented_are_override_points(tmp_path: Path) -> None:
    # requests' BaseAdapter and AuthBase, flask's View, paramiko's PKey: a base class asks
    # its subclasses for the body, documented or not, and a subclass may decline one.
    found = scan(
        tmp_path,
        "m.py",
        """\
        class BaseAdapter:
            def send(self, request):
                \'\'\'Sends PreparedRequest object.\'\'\'
                raise NotImplementedError
            def close(self):
                raise NotImplementedError()
        class AuthBase:
            def __call__(self, r):
                raise NotImplementedError("Auth hooks must be callable.")
        class PKey:
            def __eq__(self, other):
                return self._fields == other._fields
            @property
            def _fields(self):
                raise NotImplementedError
        class GSSAuth(PKey):
            @staticmethod
            def save_client_creds(token) -> None:
                raise NotImplementedError("not supported by this backend")
        """,
    )
    assert found == []


def test_documented_no_op_methods_are_hooks(tmp_path: Path) -> None:
    # paramiko's ServerInterface, requests' HTTPAdapter.add_headers: the docstring says
    # what the default does, and doing nothing is that default.
    found = scan(
        tmp_path,
        "m.py",
        """\
        class ServerInterface:
            def cancel_port_forward_request(self, address, port):
                \'\'\'Called when a client would like to cancel a port forward.\'\'\'
                pass
            async def on_close(self) -> None:
                \'\'\'Called when the channel closes; nothing to do by default.\'\'\'
                ...
        """,
    )
    assert found == []


def test_no_op_dunder_methods_are_not_stubs(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        "m.py",
        """\
        class Quiet:
            def __init__(self):
                pass
            def __enter__(self):
                pass
            def __exit__(self, *exc_info) -> None:
                ...
            def __del__(self):
                pass
        """,
    )
    assert found == []


def test_a_no_op_method_of_a_class_that_works_is_a_choice(tmp_path: Path) -> None:
    # paramiko's PageantConnection has nothing to close; urllib3's HTTPS connection on
    # Emscripten inherits its work from a base in the same module and ignores certificates.
    found = scan(
        tmp_path,
        "m.py",
        """\
        class PageantConnection:
            def __init__(self):
                self._response = None
            def send(self, data):
                self._response = query(data)
            def close(self):
                pass
        class Connection:
            def connect(self):
                return open_socket()
        class SecureConnection(Connection):
            def __init__(self, cert):
                self.cert = cert
            def set_cert(self, cert) -> None:
                pass
        """,
    )
    assert found == []


def test_declarations_under_type_checking_are_not_stubs(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        "m.py",
        """\
        import typing
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            class Translations:
                def gettext(self, message: str) -> str: ...
                def ngettext(self, singular: str, plural: str, n: int) -> str:
                    pass
            def helper(x: int) -> int: ...
        if typing.TYPE_CHECKING:
            def other() -> None: ...
        else:
            def other():
                pass
        """,
    )
    assert found == [("stub", 12, "function `other` is a stub: its body is only `pass`")]


def test_explicit_returns_and_exception_classes_are_not_stubs(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        "m.py",
        """\
        def default_timeout():
            return None
        def nothing():
            return
        class Error(Exception):
            pass
        class NotFound(Error):
            \'\'\'The thing is not there.\'\'\'
        class Gone(NotFound): ...
        """,
    )
    assert found == []


def test_no_op_command_groups_are_not_stubs(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        "m.py",
        """\
        import click
        @click.group()
        def cli():
            pass
        @cli.group(name="db")
        def database() -> None:
            \'\'\'Database commands.\'\'\'
            ...
        @cli.command()
        def migrate():
            pass
        @cli.group()
        def later():
            raise NotImplementedError
        """,
    )
    assert [line for _, line, _ in found] == [10, 13]


def test_lazy_stubs_an_agent_writes_are_reported(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        "m.py",
        """\
        def parse(text):
            pass
        def render(tree) -> str:
            \'\'\'Render the tree as HTML.\'\'\'
            raise NotImplementedError
        class Cache:
            def __init__(self):
                self._data = {}
            def get(self, key):
                pass
            def put(self, key, value):
                ...
        class LruCache(Cache):
            def evict(self):
                pass
        class Report:
            def rows(self):
                return [1, 2]
            def total(self) -> int:
                \'\'\'The sum of the rows.\'\'\'
                pass
            def __len__(self) -> int:
                ...
        """,
    )
    assert [(line, message.split("`")[1]) for _, line, message in found] == [
        (1, "parse"),
        (3, "render"),
        (9, "get"),
        (11, "put"),
        (14, "evict"),
        (19, "total"),
        (22, "__len__"),
    ]


def test_stub_files_are_exempt(tmp_path: Path) -> None:
    assert scan(tmp_path, "m.pyi", "def f(x: int) -> int: ...\n# TODO: type g\n") == [
        ("todo", 2, "TODO marker: # TODO: type g")
    ]


# --- real projects ----------------------------------------------------------------------------


def stubs_in(root: Path, files: list[str]) -> list[str]:
    found = (finding for path in files for finding in scan_file(root, path))
    return [f"{f.path}:{f.line}: {f.message}" for f in found if f.rule == "stub"]


# Released sdists and the folder of each that holds the package's own code.
REAL_PROJECTS = [
    ("requests", "2.32.5", "src/requests"),
    ("flask", "3.1.3", "src/flask"),
    ("paramiko", "3.5.1", "paramiko"),
]


@pytest.mark.parametrize(("name", "version", "package"), REAL_PROJECTS)
def test_real_projects_interfaces_and_hooks_are_not_stubs(
    name: str, version: str, package: str
) -> None:
    # Before override points and deliberate no-ops were told apart, the gate called 29
    # methods here stubs: 5 in requests, 11 in flask, 13 in paramiko.
    root = require_sdist(name, version)
    files = [path.relative_to(root).as_posix() for path in (root / package).rglob("*.py")]
    assert len(files) > 10
    assert stubs_in(root, sorted(files)) == []


def test_real_placeholders_in_a_real_project_are_still_stubs() -> None:
    # paramiko's tests hold a skipped class of test functions nobody has written yet.
    found = stubs_in(require_sdist("paramiko", "3.5.1"), ["tests/test_config.py"])
    assert [line.split("`")[1] for line in found] == [
        f"test_permitted_cnames_may_be_{mapping}"
        for mapping in (
            "one_to_one_mapping",
            "one_to_many_mapping",
            "many_to_one_mapping",
            "many_to_many_mapping",
            "multiple_mappings",
            "multiple_complex_mappings",
        )
    ]


# --- markers -----------------------------------------------------------------------------------


def test_markers_in_python_comments_only(tmp_path: Path) -> None:
    source = """\
    '''The TODO list module.'''
    TODO = "FIXME in a string is data"
    x = 1  # TODO: handle negative x
    # FIXME(me) and PLACEHOLDER on one line
    y = 2  # todo in lower case, TODOS and NOTODO are not markers
    """
    (tmp_path / "m.py").write_text(textwrap.dedent(source))
    found = [(f.rule, f.severity, f.line, f.column) for f in scan_file(tmp_path, "m.py")]
    assert found == [
        ("todo", Severity.LOW, 3, 10),
        ("fixme", Severity.MEDIUM, 4, 3),
        ("placeholder", Severity.MEDIUM, 4, 17),
    ]


def test_markers_on_any_line_of_a_text_file(tmp_path: Path) -> None:
    found = scan(tmp_path, "docs/guide.md", "# Guide\n\nTODO: write the guide.\n")
    assert found == [("todo", 3, "TODO marker: TODO: write the guide.")]


def test_long_lines_are_shortened_in_the_message(tmp_path: Path) -> None:
    ((_, _, message),) = scan(tmp_path, "notes.txt", "TODO " + "x" * 500 + "\n")
    assert len(message) < 160 and message.endswith("…")


# --- what is skipped ---------------------------------------------------------------------------


def test_unparsable_binary_and_odd_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n    pass  # TODO\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\0TODO\n")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 TODO\n".encode("latin-1"))
    (tmp_path / "real.txt").write_text("TODO\n")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    (tmp_path / "linked").symlink_to(tmp_path)  # a folder: what is below it is elsewhere
    files = ("broken.py", "image.png", "latin1.txt", "link.txt", "deleted.py", "../real.txt")
    assert run_on(tmp_path, *files, "linked/real.txt") == ()
    assert len(run_on(tmp_path, "real.txt")) == 1


def test_only_the_target_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    (tmp_path / "b.py").write_text("def g():\n    pass\n")
    assert [f.path for f in run_on(tmp_path, "b.py")] == ["b.py"]


# --- a legacy tree: only what the change added is new ------------------------------------------

LEGACY_MODULE = '''\
"""A module from the old days."""


def unfinished_{n}():
    pass


def later_{n}():
    raise NotImplementedError  # TODO: someday


class Handler{n}:
    def handle(self):
        ...  # FIXME
'''


def make_legacy(root: Path, modules: int = 30) -> tuple[str, ...]:
    for n in range(modules):
        path = root / "legacy" / f"mod_{n}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(LEGACY_MODULE.format(n=n))
    (root / "README.md").write_text("# Legacy\n\nTODO: document everything.\n")
    return (*(f"legacy/mod_{n}.py" for n in range(modules)), "README.md")


def fingerprinted(root: Path, files: tuple[str, ...]) -> tuple[Finding, ...]:
    return fingerprint_all(run_on(root, *files), line_reader(root))


@pytest.fixture
def legacy(tmp_path: Path) -> tuple[Path, Path, tuple[str, ...]]:
    base, head = tmp_path / "base", tmp_path / "head"
    files = make_legacy(base)
    shutil.copytree(base, head)
    return base, head, files


def test_in_a_legacy_tree_only_the_added_placeholders_are_new(
    legacy: tuple[Path, Path, tuple[str, ...]],
) -> None:
    base, head, files = legacy
    changed = head / "legacy" / "mod_7.py"
    text = changed.read_text()
    # Lines added above the old stubs shift them all; one new stub and one TODO are added.
    changed.write_text(
        "import os\nimport sys\n\n"
        + text
        + "\n\ndef brand_new():\n    '''Coming soon.'''\n    ...\n\n\nLIMIT = 3  # TODO: tune\n"
    )
    at_base, at_head = fingerprinted(base, files), fingerprinted(head, files)
    assert len(at_base) == 30 * 5 + 1  # 3 stubs, a TODO and a FIXME per module; the README
    result = new_findings(at_base, at_head)
    assert [(f.path, f.rule, f.line) for f in result.new] == [
        ("legacy/mod_7.py", "stub", 20),
        ("legacy/mod_7.py", "todo", 25),
    ]
    assert len(result.preexisting) == len(at_base) and result.fixed == ()


def test_in_a_legacy_tree_a_finished_stub_is_fixed(
    legacy: tuple[Path, Path, tuple[str, ...]],
) -> None:
    base, head, files = legacy
    changed = head / "legacy" / "mod_3.py"
    changed.write_text(changed.read_text().replace("    pass\n", "    return 3\n"))
    result = new_findings(fingerprinted(base, files), fingerprinted(head, files))
    assert result.new == ()
    assert [(f.path, f.message) for f in result.fixed] == [
        ("legacy/mod_3.py", "function `unfinished_3` is a stub: its body is only `pass`")
    ]
