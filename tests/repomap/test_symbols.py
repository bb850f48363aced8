"""What one file defines and uses: Python through ast, other languages and broken Python
through the regular-expression fallback, and the files that are not read at all."""

from __future__ import annotations

import textwrap

import pytest

from talkgit.repomap.symbols import MAX_BYTES, SIGNATURE_LIMIT, FileSymbols, extract, reader_of


def defined(symbols: FileSymbols) -> list[tuple[str, str, int]]:
    return [(s.name, s.kind, s.line) for s in symbols.defines]


def signatures(symbols: FileSymbols) -> dict[str, str]:
    return {s.name: s.signature for s in symbols.defines}


PYTHON = textwrap.dedent(
    '''\
    """A module."""
    import os.path
    from collections import OrderedDict as Ordered
    from typing import TYPE_CHECKING, Final

    MAX_SIZE: Final = 10
    _PRIVATE_LIMIT = 3
    lower_case = 4
    BIG = {
        "a": 1,
    }

    if TYPE_CHECKING:
        from pathlib import Path

        def only_typed(path: Path) -> None: ...


    def plain(a, b=2, *args, key: str = "k", **kwargs) -> int:
        def nested():  # not a top-level symbol
            pass
        return helper_call(a) + os.path.sep.count(b)


    async def fetch(url: str) -> bytes:
        return await download(url)


    @dataclass(frozen=True)
    class Point(Base, metaclass=Meta):
        x: int

        @property
        def norm(self) -> float:
            return self.x.real

        async def refresh(self) -> None:
            class Inner:  # not listed: two levels deep
                def deep(self): ...

        @staticmethod
        def make(
            x: int,
            y: int,
        ) -> "Point":
            return Point(x)
    '''
)


def test_python_top_level_symbols_with_lines_and_kinds():
    symbols = extract("pkg/mod.py", PYTHON.encode())

    assert defined(symbols) == [
        ("MAX_SIZE", "constant", 6),
        ("_PRIVATE_LIMIT", "constant", 7),
        ("BIG", "constant", 9),
        ("only_typed", "function", 16),
        ("plain", "function", 19),
        ("fetch", "function", 25),
        ("Point", "class", 30),
        ("norm", "method", 34),
        ("refresh", "method", 37),
        ("make", "method", 42),
    ]


def test_python_signatures_hold_arguments_returns_decorators_and_async():
    shown = signatures(extract("pkg/mod.py", PYTHON.encode()))

    assert shown["plain"] == "def plain(a, b=2, *args, key: str='k', **kwargs) -> int"
    assert shown["fetch"] == "async def fetch(url: str) -> bytes"
    assert shown["Point"] == "@dataclass(frozen=True) class Point(Base, metaclass=Meta)"
    assert shown["norm"] == "@property def norm(self) -> float"
    assert shown["refresh"] == "async def refresh(self) -> None"
    assert shown["make"] == "@staticmethod def make(x: int, y: int) -> 'Point'"
    assert shown["MAX_SIZE"] == "MAX_SIZE: Final = 10"
    assert shown["BIG"] == "BIG = { ..."  # a literal over several lines is cut, not printed


def test_python_references_are_names_attributes_and_imports_of_three_letters_or_more():
    references = extract("pkg/mod.py", PYTHON.encode()).references

    assert {"helper_call", "download", "sep", "count", "real", "Ordered", "OrderedDict"} <= (
        references
    )
    assert {"collections", "path", "typing", "TYPE_CHECKING"} <= references
    assert "os" not in references  # two letters: links everything to everything
    assert "A module" not in references and "module" not in references  # docstring words


def test_a_long_signature_is_cut():
    arguments = ", ".join(f"argument_{n}: int = {n}" for n in range(30))

    signature = extract("m.py", f"def long({arguments}):\n    pass\n".encode()).defines[0].signature

    assert len(signature) == SIGNATURE_LIMIT and signature.endswith("...")


def test_python_that_does_not_parse_falls_back_to_patterns_with_methods_one_level_deep():
    broken = textwrap.dedent(
        """\
        LIMIT = 5

        class Broken(Base):
            def method(self, a,
                       b):
                if True:
                    def too_deep(): pass
            async def later(self) -> int:
                return (

        def free(x):
            return x
        """
    )

    symbols = extract("broken.py", broken.encode())

    assert defined(symbols) == [
        ("LIMIT", "constant", 1),
        ("Broken", "class", 3),
        ("method", "method", 4),
        ("later", "method", 8),
        ("free", "function", 11),
    ]
    assert signatures(symbols)["method"] == "def method(self, a, b)"
    assert {"Base", "LIMIT", "self", "free"} <= symbols.references


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        (
            "web/app.ts",
            """\
            export default async function handle(req: Request): Promise<Response> {
            export class Router extends Base {
            export const ROUTES: string[] = [];
            interface Options {
            export type Handler = (r: Request) => void;
            enum Color { Red }
            function* walk() {
            """,
            [
                ("handle", "function"),
                ("Router", "class"),
                ("ROUTES", "const"),
                ("Options", "interface"),
                ("Handler", "type"),
                ("Color", "enum"),
                ("walk", "function"),
            ],
        ),
        (
            "main.go",
            """\
            package main
            type Server struct {
            func (s *Server) Serve(port int) error {
            func main() {
            """,
            [("Server", "type"), ("Serve", "function"), ("main", "function")],
        ),
        (
            "src/lib.rs",
            """\
            pub struct Parser<'a> {
            pub(crate) enum Token {
            pub trait Visitor {
            impl<'a> Iterator for Parser<'a> {
            pub async fn parse(input: &str) -> Result<Ast, Error> {
                fn helper() {}
            mod tests {
            """,
            [
                ("Parser", "struct"),
                ("Token", "enum"),
                ("Visitor", "trait"),
                ("Parser", "impl"),
                ("parse", "function"),
                ("helper", "function"),
                ("tests", "module"),
            ],
        ),
        (
            "src/Main.java",
            """\
            public final class Main extends Base {
                public static void main(String[] args) {
            interface Shape {
            public enum Kind {
            """,
            [("Main", "class"), ("main", "method"), ("Shape", "class"), ("Kind", "enum")],
        ),
        (
            "Service.cs",
            """\
            public sealed partial class Service : IService {
                public async Task<int> RunAsync(int count) {
            """,
            [("Service", "class"), ("RunAsync", "method")],
        ),
        (
            "App.kt",
            """\
            data class User(val name: String)
            suspend fun load(id: Int): User {
            object Registry {
            """,
            [("User", "class"), ("load", "function"), ("Registry", "class")],
        ),
        (
            "src/buffer.c",
            """\
            #define BUFFER_SIZE 4096
            struct buffer {
            typedef unsigned long size_type;
            static int buffer_grow(struct buffer *b, size_t n)
            int main(int argc, char **argv) {
            """,
            [
                ("BUFFER_SIZE", "macro"),
                ("buffer", "struct"),
                ("size_type", "type"),
                ("buffer_grow", "function"),
                ("main", "function"),
            ],
        ),
        (
            "lib/thing.rb",
            """\
            module Things
              class Thing < Base
                def self.build(size)
                def valid?
            """,
            [("Things", "module"), ("Thing", "class"), ("build", "method"), ("valid?", "method")],
        ),
        (
            "scripts/deploy.sh",
            """\
            #!/bin/sh
            build_all() {
            function push_image {
            """,
            [("build_all", "function"), ("push_image", "function")],
        ),
    ],
)
def test_other_languages_by_pattern(path, source, expected):
    symbols = extract(path, textwrap.dedent(source).encode())

    assert [(s.name, s.kind) for s in symbols.defines] == expected


def test_fallback_signatures_are_the_definition_line_without_its_body():
    source = "export function render(\n  props: Props,\n  ref: Ref,\n): Node {\n  return 1\n}\n"

    symbols = extract("view.js", source.encode())

    assert signatures(symbols) == {
        "render": "export function render( props: Props, ref: Ref, ): Node"
    }
    assert {"render", "props", "Props", "return"} <= symbols.references


def test_a_script_without_extension_is_read_by_its_shebang():
    python = extract("bin/tool", b"#!/usr/bin/env python3\ndef main():\n    run()\n")
    shell = extract("bin/setup", b"#!/bin/bash\ninstall() {\n  true\n}\n")
    text = extract("LICENSE", b"def not_code(): pass\n")

    assert defined(python) == [("main", "function", 2)]
    assert defined(shell) == [("install", "function", 2)]
    assert text == FileSymbols()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("blob.py", b"def f():\n    pass\n\0\x01\x02"),  # binary: a NUL byte
        ("huge.py", b"def f():\n    pass\n" + b"# filler\n" * (MAX_BYTES // 9 + 1)),
        ("vendor/app.min.js", b"function f(){return 1}\n"),
        ("package-lock.json", b'{"name": "x"}\n'),
        ("poetry.lock", b"[[package]]\n"),
        ("static/bundle.js", b"function f(){" + b"var a=1;" * 200 + b"}"),  # one long line
        ("notes.txt", b"def looks_like_code(): pass\n"),
        ("image.png", b"\x89PNG\r\n"),
    ],
)
def test_files_not_worth_reading_define_and_use_nothing(path, data):
    assert extract(path, data) == FileSymbols()


def test_bytes_that_are_not_utf8_are_read_with_replacement():
    symbols = extract("latin.py", b"# caf\xe9\ndef caf\xc3\xa9():\n    return '\xe9'\n")

    assert defined(symbols) == [("café", "function", 2)]


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("Main.java", "    public " + "static " * 2000 + "x"),
        ("Main.java", "    public " + "a b " * 2000),
        ("a.c", "int " + "x, " * 3000),
        ("a.c", "typedef " + "a " * 3000),
        ("a.rs", "impl<" + "a " * 3000),
        ("a.ts", "export " * 2000),
        ("a.py", "def f(" + "[" * 3000),
    ],
)
def test_long_lines_that_almost_match_take_linear_time(path, line):
    # A pattern that tried every split of such a line would not end (pytest's time-out).
    symbols = extract(path, "\n".join([line] * 20).encode())

    assert len(symbols.defines) <= 20


def test_reader_of_names_what_decides_how_a_file_is_read():
    assert reader_of("a/b.py") == reader_of("c.pyi") == "python"
    assert reader_of("x.TSX") == "javascript"
    assert reader_of("bin/tool") == "script"
    assert reader_of("README.md") is None
    assert reader_of(".bashrc") == "script"  # a dot file has no extension
    assert reader_of("yarn.lock") is None and reader_of("d3.min.js") is None


@pytest.mark.parametrize(
    "path",
    ["node_modules/react/index.js", "web/vendor/jquery.js", "src/third_party/zlib/inflate.c"],
)
def test_vendored_code_is_not_read(path):
    assert reader_of(path) is None


def test_a_file_named_like_a_vendored_folder_is_read():
    assert reader_of("src/vendor.py") == reader_of("vendors_list/x.py") == "python"
