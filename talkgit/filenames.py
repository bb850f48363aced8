"""File names: the bytes git stores, the str talkgit holds, the text talkgit shows.

git accepts any bytes in a name but NUL and ``/``: Latin-1 bytes, newlines, tabs, quotes.
Inside talkgit a name is a str decoded from UTF-8 with ``surrogateescape`` (as
``os.fsdecode`` does on POSIX), so every name goes back to its bytes unchanged. Such a str
can be passed to ``open`` or ``subprocess`` but not printed or written as UTF-8: whatever
shows a name shows ``shown(name)``.
"""

from __future__ import annotations

from urllib.parse import quote

_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}


def as_bytes(name: str) -> bytes:
    """The bytes git has for ``name``."""
    return name.encode("utf-8", "surrogateescape")


def shown(name: str) -> str:
    """``name`` as ``git -c core.quotePath=false`` prints it, and valid UTF-8 always.

    A plain name is left as it is (spaces, leading dashes and printable unicode too).
    Otherwise it goes in double quotes with git's C escapes: ``\\n``, ``\\t``, ``\\"``,
    ``\\\\``, and octal ``\\351`` for each byte of an undecodable or unprintable character,
    so ``b"caf\\xe9.py"`` shows as ``"caf\\351.py"``, as `git status` shows it.
    """
    if name.isprintable() and '"' not in name and "\\" not in name:
        return name
    return '"' + "".join(_escaped(character) for character in name) + '"'


def _escaped(character: str) -> str:
    if character in _ESCAPES:
        return _ESCAPES[character]
    if character.isprintable():
        return character
    return "".join(f"\\{byte:03o}" for byte in as_bytes(character))


def addressed(name: str) -> str:
    """``name`` where it names a file to a service rather than to a person, such as the path
    of a GitHub annotation: as it is, or ``shown`` when it is not UTF-8 (GitHub cannot hold
    such a name, so nothing there matches it anyway)."""
    return name if is_utf8(name) else shown(name)


def is_utf8(name: str) -> bool:
    """Whether ``name``'s bytes are UTF-8 (none is held as a surrogate escape)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def uri(name: str) -> str:
    """``name`` as a relative URI reference: its bytes percent-encoded, ``/`` kept."""
    return quote(as_bytes(name), safe="/")
