"""Hand `talkgit check` to a warm server, or say there is none (then the command runs here).

A server is found by a socket whose name is a fingerprint of talkgit's code and the Python
running it, so a server started before an upgrade or an edit is never asked: it idles out.
The first command that finds no server starts one in the background and runs itself.
This runs before every command, so it imports little (os.path, not pathlib), and only
once a served command is on its way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

SERVED_COMMANDS = frozenset({"check", "check-staged"})
SWITCH = "TALKGIT_CHECK_SERVER"
_ON = {"1", "true", "on", "yes"}
_OFF = {"0", "false", "off", "no"}
CONNECT_TIMEOUT = 0.2  # seconds to reach a server; a busy one still answers in time
REPLY_TIMEOUT = 900.0  # a check with a slow test suite may take long
PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def try_server(argv: Sequence[str]) -> int | None:
    """Run ``argv`` on the server: its exit code, or None to run it in this process."""
    if not wanted(argv):
        return None
    path = socket_path()
    if path is None:
        return None
    reply = _ask(path, argv)
    if reply is None:
        start_server(path)
        return None
    sys.stdout.write(reply["stdout"])
    sys.stderr.write(reply["stderr"])
    sys.stdout.flush()
    return int(reply["code"])


def wanted(argv: Sequence[str]) -> bool:
    """A served command, and the server switched on (environment, then the config files)."""
    if _command(argv) not in SERVED_COMMANDS or "--help" in argv or "-h" in argv:
        return False
    switch = os.environ.get(SWITCH, "").strip().lower()
    if switch in _ON | _OFF:
        return switch in _ON
    return _configured(_directory(argv))


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand, after the global options (-C DIR, --debug)."""
    args = list(argv)
    while args:
        head = args.pop(0)
        if head == "-C":
            args = args[1:]
        elif not head.startswith("-"):
            return head
    return None


def _directory(argv: Sequence[str]) -> str:
    directory = os.getcwd()
    for index, arg in enumerate(argv[:-1]):
        if arg == "-C":
            directory = os.path.join(directory, argv[index + 1])
    return os.path.abspath(directory)


def _configured(directory: str) -> bool:
    """``check_server`` from .talkgit.toml, else [tool.talkgit] in pyproject.toml."""
    root = directory
    while not os.path.exists(os.path.join(root, ".git")):
        parent = os.path.dirname(root)
        if parent == root:
            return False
        root = parent
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the backport, on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    for name, table in ((".talkgit.toml", ()), ("pyproject.toml", ("tool", "talkgit"))):
        try:
            with open(os.path.join(root, name), "rb") as file:
                document: Any = tomllib.load(file)
        except (OSError, ValueError):
            continue  # absent, or broken: the command itself reports a broken file
        for key in table:
            document = document.get(key, {}) if isinstance(document, dict) else {}
        if isinstance(document, dict) and "check_server" in document:
            return document["check_server"] is True
    return False


def socket_path() -> str | None:
    """Where the server for this code listens; None when no private directory can be had."""
    from talkgit.userdirs import private_directory, private_temp_directory

    runtime = os.environ.get("XDG_RUNTIME_DIR")
    directory = private_directory(runtime, "talkgit") if runtime else private_temp_directory()
    if directory is None:
        return None  # someone else could reach the socket: run without the server
    return os.path.join(directory, f"check-{code_fingerprint()}.sock")


def code_fingerprint(package: str = PACKAGE) -> str:
    """A hash of the Python in use and of every talkgit source file's path, size and mtime."""
    import hashlib

    digest = hashlib.sha256(f"{sys.executable}\0{package}".encode())
    for folder, folders, files in sorted(os.walk(package)):
        folders.sort()
        for name in sorted(f for f in files if f.endswith(".py")):
            status = os.stat(os.path.join(folder, name))
            where = os.path.relpath(os.path.join(folder, name), package)
            digest.update(f"\0{where}\0{status.st_size}\0{status.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _ask(path: str, argv: Sequence[str]) -> dict[str, Any] | None:
    import json
    import socket

    request = {"argv": list(argv), "cwd": os.getcwd(), "env": dict(os.environ)}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(CONNECT_TIMEOUT)
            connection.connect(path)
            connection.settimeout(REPLY_TIMEOUT)
            connection.sendall(json.dumps(request).encode())
            connection.shutdown(socket.SHUT_WR)
            data = b"".join(iter(lambda: connection.recv(65536), b""))
        reply = json.loads(data)
    except (OSError, ValueError):
        return None  # no server, or it died answering: the command runs here
    if not isinstance(reply, dict) or not {"code", "stdout", "stderr"} <= reply.keys():
        return None
    return reply


def start_server(path: str) -> None:
    """Start a server for ``path`` in the background; it serves from the next command on."""
    import subprocess

    try:
        subprocess.Popen(
            [sys.executable, "-m", "talkgit.server", path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not killed with the terminal or the hook that started it
            close_fds=True,
        )
    except OSError:
        return
