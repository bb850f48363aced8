"""git's own rules for what a tree may hold, so every commit talkgit writes passes `git fsck`.

Pure functions over names and bytes, ported from git (path.c, utf8.c, fsck.c,
submodule-config.c, config.c, urlmatch.c), with no pygit2: here, below the git store, so
that ``edits.paths`` checks a model's paths with them and the store's ``trees.write_tree``
checks every change again before it writes an object. Each function returns why git would
refuse a thing, or None.

macOS (HFS+) ignores some invisible code points in names and folds case; Windows (NTFS)
drops trailing dots and spaces, reads ``name:stream`` as ``name``, and knows a file by an
8.3 short name (``git~1`` for ``.git``). ``git fsck --strict`` refuses every such spelling
of ``.git`` on every platform, and reads every spelling of ``.gitmodules`` and
``.gitattributes`` as the real thing; talkgit refuses all of them but the plain names.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple
from urllib.parse import unquote_to_bytes

MAX_NAME_BYTES: Final = 4096  # fsck's max_tree_entry_len; longer is an error under --strict
ATTR_MAX_LINE_LENGTH: Final = 2048  # attr.h
ATTR_MAX_FILE_SIZE: Final = 100 * 1024 * 1024

# utf8.c next_hfs_char: code points HFS+ drops from a name, so ".g\u200cit" is ".git".
HFS_IGNORED: Final = frozenset(
    "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u206a\u206b\u206c\u206d\u206e\u206f\ufeff"
)


class _Special(NamedTuple):
    name: str  # what follows the dot
    short: str  # the prefix of its fall-back 8.3 short name (path.c)


_MODULES = _Special("gitmodules", "gi7eba")
_ATTRIBUTES = _Special("gitattributes", "gi7d29")
_OTHERS = (_MODULES, _ATTRIBUTES, _Special("gitignore", "gi250a"), _Special("mailmap", "maba30"))
# A name can only be one of the above when it starts with one of these (or is not ASCII).
_LOOKALIKE_START = frozenset(".gGmM~")


def name_problem(name: str, *, directory: bool) -> str | None:
    """Why git refuses ``name`` as one entry of a tree (a directory's if ``directory``)."""
    if len(name) > MAX_NAME_BYTES // 4 and len(name.encode("utf-8", "replace")) > MAX_NAME_BYTES:
        return f"a name longer than git's limit of {MAX_NAME_BYTES} bytes"
    if "\\" in name or "\0" in name:
        return f"{name!r} holds a backslash or a NUL byte"
    if name.isascii() and name[:1] not in _LOOKALIKE_START:
        return None  # the fast path: most names cannot be a look-alike
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        return f"{name!r} is not valid Unicode"
    if is_hfs_dot(name, "git") or is_ntfs_dotgit(raw):
        spelling = "" if name.lower() == ".git" else f"{name!r} is .git on macOS or Windows: "
        return f"{spelling}files under .git cannot be edited"
    for special in _OTHERS:
        dotted = f".{special.name}"
        if name != dotted and (is_hfs_dot(name, special.name) or is_ntfs_dot(raw, special)):
            return f"{name!r} is {dotted} to git on macOS or Windows: spell it {dotted}"
        if name == dotted and directory and special in (_MODULES, _ATTRIBUTES):
            return f"git needs {dotted} to be a file, not a directory"
    return None


def is_hfs_dot(name: str, needle: str) -> bool:
    """utf8.c is_hfs_dot_generic: ``name`` is ``.needle`` once HFS+ drops and folds."""
    kept = name if name.isascii() else "".join(c for c in name if c not in HFS_IGNORED)
    return kept.isascii() and kept.lower() == f".{needle}"


def is_ntfs_dotgit(raw: bytes) -> bool:
    """path.c is_ntfs_dotgit: ``.git`` or ``git~1``, then only dots and spaces, or a stream."""
    lowered = raw.lower()
    for spelling in (b".git", b"git~1"):
        if lowered.startswith(spelling):
            return _only_dots_and_spaces(raw[len(spelling) :])
    return False


def is_ntfs_dot(raw: bytes, special: _Special) -> bool:
    """path.c is_ntfs_dot_generic: the name, a short name ``gitmod~1``..``~4``, or a
    fall-back short name (``gi7eba~1``, ``~1000000``), then only dots, spaces, a stream."""
    needle = special.name.encode()
    if raw[:1] == b"." and raw[1 : 1 + len(needle)].lower() == needle:
        return _only_dots_and_spaces(raw[1 + len(needle) :])
    if raw[:6].lower() == needle[:6] and raw[6:7] == b"~" and raw[7:8] in (b"1", b"2", b"3", b"4"):
        return _only_dots_and_spaces(raw[8:])
    return _is_fallback_short_name(raw[:8], special.short.encode()) and _only_dots_and_spaces(
        raw[8:]
    )


def _is_fallback_short_name(head: bytes, prefix: bytes) -> bool:
    # Up to six characters of ``prefix``, "~", a digit 1-9, then digits: eight in all.
    if len(head) < 8:
        return False
    tilde = head.find(b"~")
    if not 0 <= tilde <= 6 or head[tilde + 1 : tilde + 2] not in b"123456789":
        return False
    return head[:tilde].lower() == prefix[:tilde] and head[tilde + 1 :].isdigit()


def _only_dots_and_spaces(rest: bytes) -> bool:
    # Windows drops trailing dots and spaces; anything after a ":" names a stream.
    return rest.split(b":", 1)[0].strip(b". ") == b""


def blob_problem(name: str, data: bytes) -> str | None:
    """Why git refuses ``data`` as the content of a file called ``name`` (any directory)."""
    if name == ".gitmodules":
        return gitmodules_problem(data)
    if name == ".gitattributes":
        return gitattributes_problem(data)
    return None


def gitattributes_problem(data: bytes) -> str | None:
    """fsck.c: a .gitattributes git cannot read whole (too large, or a line too long)."""
    if len(data) > ATTR_MAX_FILE_SIZE:
        return f"it is larger than git's limit of {ATTR_MAX_FILE_SIZE} bytes"
    for line in data.split(b"\0", 1)[0].split(b"\n"):
        if len(line) >= ATTR_MAX_LINE_LENGTH:
            return f"it has a line of {ATTR_MAX_LINE_LENGTH} bytes or more, past git's limit"
    return None


def gitmodules_problem(data: bytes) -> str | None:
    """fsck.c fsck_gitmodules_fn: an unsafe submodule name, url, path or update command.

    talkgit also refuses what git cannot parse (git only notes it) and NUL bytes.
    """
    if b"\0" in data:
        return "it contains a NUL byte"
    entries = parse_config(data)
    if entries is None:
        return "it is not in git's config syntax"
    for var, value in entries:
        problem = _submodule_problem(var, value)
        if problem is not None:
            return problem
    return None


def _submodule_problem(var: bytes, value: bytes | None) -> str | None:
    # config.c parse_config_key: "submodule.<name>.<key>"; the name may hold dots.
    if not var.startswith(b"submodule.") or var.count(b".") < 2:
        return None
    name, key = var[len(b"submodule.") :].rsplit(b".", 1)
    shown = name.decode("utf-8", "replace")
    if not name or b".." in re.split(rb"[/\\]", name):
        return f"submodule name {shown!r} could escape .git/modules"
    if value is None:
        return None
    text = value.decode("utf-8", "replace")
    if key == b"url" and (why := submodule_url_problem(value)) is not None:
        return f"submodule {shown!r} has url {text!r}, which {why}"
    if key == b"path" and value.startswith(b"-"):
        return f"submodule {shown!r} has path {text!r}, which git reads as an option"
    if key == b"update" and value.startswith(b"!"):
        return f"submodule {shown!r} has update {text!r}, which runs a command"
    return None


# -- submodule urls (submodule-config.c check_submodule_url)

_CURL_PREFIXES = (b"http::", b"https::", b"ftp::", b"ftps::")
_CURL_SCHEMES = (b"http://", b"https://", b"ftp://", b"ftps://")
_SCHEME = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*://")
_HOST = re.compile(rb"[A-Za-z0-9._\[:\]-]*")
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_DOTS = re.compile(rb"(?:\.\.?[/\\])*")


def submodule_url_problem(url: bytes) -> str | None:
    """Why git refuses ``url`` as a submodule's url (the clause after "which"), or None.

    git's rules, and one more: no control character, even %-encoded, in any url.
    """
    if url.startswith(b"-"):
        return "git reads as an option"
    if any(byte < 0x20 or byte == 0x7F for byte in unquote_to_bytes(url)):
        return "holds a control character"
    if _SCHEME.match(url) and _authority(url).startswith(b"-"):
        return "names a host git reads as an option"
    if url.startswith((b"./", b".\\", b"../", b"..\\", b"git://")):
        dots = _DOTS.match(url)
        climbed = dots is not None and b".." in dots.group()
        rest = url[dots.end() :] if dots is not None else url
        if climbed and rest[:1] in (b":", b"/"):
            return "climbs out of its host (CVE-2020-11008)"
        return None
    for prefix in _CURL_PREFIXES:
        if url.startswith(prefix):
            return _curl_url_problem(url[len(prefix) :])
    return _curl_url_problem(url) if url.startswith(_CURL_SCHEMES) else None


def _authority(url: bytes) -> bytes:
    after = url.split(b"://", 1)[1]
    return re.split(rb"[/?#]", after, maxsplit=1)[0]


def _curl_url_problem(url: bytes) -> str | None:
    """urlmatch.c url_normalize: why it would refuse a url git hands to curl."""
    scheme = _SCHEME.match(url)
    if scheme is None:
        return "is not a url git can normalise"
    if _BAD_ESCAPE.search(url):
        return "has a bad %-escape"
    rest = url[scheme.end() :]
    cut = re.search(rb"[/?#]", rest)
    authority, tail = (rest[: cut.start()], rest[cut.start() :]) if cut else (rest, b"")
    host_port = authority.split(b"@", 1)[1] if b"@" in authority else authority
    if not host_port or host_port[:1] == b":":
        return "has no host"
    host, port = _split_port(host_port)
    if not _HOST.fullmatch(host) or not _port_ok(port):
        return "has a bad host or port"
    if not _path_ok(tail):
        return "climbs above its root with '..'"
    return None


def _split_port(host_port: bytes) -> tuple[bytes, bytes | None]:
    # The last ":" not inside an IPv6 literal's brackets starts the port.
    colon = max(host_port.rfind(b":"), 0)
    if host_port.rfind(b"]") > colon or host_port[colon : colon + 1] != b":":
        return host_port, None
    return host_port[:colon], host_port[colon + 1 :]


def _port_ok(port: bytes | None) -> bool:
    if not port:
        return True  # no port, or ":" alone: the default
    return port.isdigit() and len(port.lstrip(b"0")) <= 5 and 0 < int(port) <= 65535


def _path_ok(tail: bytes) -> bool:
    path = re.split(rb"[?#]", tail, maxsplit=1)[0]
    depth = 0
    for segment in path.split(b"/")[1:] if path else []:
        segment = unquote_to_bytes(segment)
        if segment == b"..":
            if depth == 0:
                return False
            depth -= 1
        elif segment != b".":
            depth += 1
    return True


# -- git's config syntax (config.c git_parse_source), enough to read .gitmodules as git does

_SPACE = b" \t\n\r"  # git's isspace (ctype.c): no \v or \f
_ESCAPES = {ord("t"): ord("\t"), ord("b"): ord("\b"), ord("n"): ord("\n")}
_BOM = b"\xef\xbb\xbf"


def _is_key_char(byte: int) -> bool:
    return chr(byte).isascii() and (chr(byte).isalnum() or byte == ord("-"))


class _Reader:
    """config.c get_next_char: bytes, "\\r\\n" read as "\\n", and "\\n" forever at the end."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0
        self.eof = False

    def next(self) -> int:
        if self.at >= len(self.data):
            self.eof = True
            return ord("\n")
        byte = self.data[self.at]
        self.at += 1
        if byte == ord("\r") and self.data[self.at : self.at + 1] == b"\n":
            self.at += 1
            return ord("\n")
        return byte


def parse_config(data: bytes) -> list[tuple[bytes, bytes | None]] | None:
    """The (variable, value) pairs of a git config file in order, or None where git errs.

    Variables are ``section.subsection.key`` with section and key in lower case; a value
    is None for a bare ``key`` (git's boolean true).
    """
    reader = _Reader(data.removeprefix(_BOM))
    entries: list[tuple[bytes, bytes | None]] = []
    stem, comment = b"", False
    while True:
        byte = reader.next()
        if byte == ord("\n"):
            if reader.eof:
                return entries
            comment = False
        elif comment or byte in _SPACE:
            continue
        elif byte in b"#;":
            comment = True
        elif byte == ord("["):
            section = _section(reader)
            if not section:
                return None
            stem = section + b"."
        elif chr(byte).isascii() and chr(byte).isalpha():
            entry = _entry(reader, stem + bytes([byte]).lower())
            if entry is None:
                return None
            entries.append(entry)
        else:
            return None


def _section(reader: _Reader) -> bytes | None:
    """config.c get_base_var: ``[section]``, ``[section "sub"]`` or ``[section.sub]``."""
    name = bytearray()
    while True:
        byte = reader.next()
        if reader.eof:
            return None
        if byte == ord("]"):
            return bytes(name)
        if byte in _SPACE:
            return _subsection(reader, name, byte)
        if not (_is_key_char(byte) or byte == ord(".")):
            return None
        name += bytes([byte]).lower()


def _subsection(reader: _Reader, name: bytearray, byte: int) -> bytes | None:
    while byte in _SPACE:
        if byte == ord("\n"):
            return None
        byte = reader.next()
    if byte != ord('"'):
        return None
    name += b"."
    while True:
        byte = reader.next()
        if byte == ord("\\"):
            byte = reader.next()
        elif byte == ord('"'):
            break
        if byte == ord("\n"):
            return None
        name.append(byte)
    return bytes(name) if reader.next() == ord("]") else None


def _entry(reader: _Reader, name: bytes) -> tuple[bytes, bytes | None] | None:
    """config.c get_value: a key, then ``= value`` or nothing (a boolean)."""
    key = bytearray(name)
    while True:
        byte = reader.next()
        if reader.eof or not _is_key_char(byte):
            break
        key += bytes([byte]).lower()
    while byte in b" \t":
        byte = reader.next()
    if byte == ord("\n"):
        return bytes(key), None
    if byte != ord("="):
        return None
    value = _value(reader)
    return None if value is None else (bytes(key), value)


def _value(reader: _Reader) -> bytes | None:
    """config.c parse_value: quotes, escapes, continued lines, comments, trimmed spaces."""
    value = bytearray()
    quoted = comment = False
    trim = 0
    while True:
        byte = reader.next()
        if byte == ord("\n"):
            if quoted:
                return None
            return bytes(value[:trim] if trim else value)
        if comment:
            continue
        if byte in _SPACE and not quoted:
            trim = trim or len(value)
            if value:
                value.append(byte)
            continue
        if not quoted and byte in b";#":
            comment = True
            continue
        trim = 0
        if byte == ord("\\"):
            byte = reader.next()
            if byte == ord("\n"):
                continue
            if byte in _ESCAPES:
                byte = _ESCAPES[byte]
            elif byte not in b'\\"':
                return None
            value.append(byte)
        elif byte == ord('"'):
            quoted = not quoted
        else:
            value.append(byte)


def change_problem(path: str, data: bytes | None) -> str | None:
    """Why git refuses a tree with ``data`` at ``path`` ("a/b/c"; None deletes, always fine)."""
    if data is None:
        return None
    parts = path.split("/")
    for depth, part in enumerate(parts, 1):
        if part in ("", ".", ".."):
            return f"{part!r} cannot be a name in a git tree"
        problem = name_problem(part, directory=depth < len(parts))
        if problem is not None:
            return problem
    return blob_problem(parts[-1], data)
