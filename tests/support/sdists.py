"""Released source distributions of real projects, for tests that run talkgit on real code.

``sdist_tree(name, version)`` downloads ``name==version`` once with ``pip download
--no-binary :all: --no-deps``, unpacks it into the cache and returns the unpacked root
(the directory holding ``pyproject.toml`` or ``setup.py``); ``None`` when it cannot be
had: no network, no such release. ``require_sdist`` skips the test instead.

The cache is ``$TALKGIT_TEST_CACHE``, else ``~/.cache/talkgit-tests``, both read when this
module is imported, so import it at the top of a test module: tests/conftest.py gives
every test a HOME of its own, and a cache there would be thrown away with it.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest

from talkgit.errors import ToolError
from talkgit.proc import cmd_output

# The variables tests/conftest.py replaces per test, as they were before: pip reads its
# user configuration and keeps its own cache by them.
_USER_ENV = {
    name: os.environ[name]
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")
    if name in os.environ
}
CACHE_DIR = Path(os.environ.get("TALKGIT_TEST_CACHE") or Path.home() / ".cache" / "talkgit-tests")
DOWNLOAD_TIMEOUT = 180.0  # seconds for the whole `pip download`


def sdist_tree(name: str, version: str, cache: Path = CACHE_DIR) -> Path | None:
    """The unpacked sdist of ``name==version``, downloaded into ``cache`` on first use."""
    tree = cache / "sdists" / f"{_normalized(name)}-{version}"
    if tree.is_dir():
        return tree
    # An unwritable cache is one more way of not having the sdist.
    with contextlib.suppress(OSError):
        tree.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=tree.parent, prefix=".download-") as scratch:
            root = _download_and_unpack(name, version, Path(scratch))
            if root is not None:
                # Atomic: when a parallel run got there first, its tree is as good.
                root.rename(tree)
    return tree if tree.is_dir() else None


def require_sdist(name: str, version: str) -> Path:
    """``sdist_tree``, or skip the calling test with the reason."""
    tree = sdist_tree(name, version)
    if tree is None:
        pytest.skip(f"no sdist of {name}=={version}: offline, or {CACHE_DIR} is not writable")
    return tree


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _download_and_unpack(name: str, version: str, scratch: Path) -> Path | None:
    archive = _download(name, version, scratch / "archive")
    if archive is None:
        return None
    unpacked = scratch / "unpacked"
    if not _unpack(archive, unpacked):
        return None
    entries = list(unpacked.iterdir())
    # An sdist holds one top directory, `name-version/`; anything else is taken as it is.
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else unpacked


def _download(name: str, version: str, into: Path) -> Path | None:
    command = (sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps")
    options = ("--quiet", "--retries", "1", "--timeout", "30", "--dest", str(into))
    env = {**os.environ, **_USER_ENV}
    try:
        ran = cmd_output(
            *command, *options, f"{name}=={version}", env=env, timeout=DOWNLOAD_TIMEOUT, check=False
        )
    except ToolError:
        return None
    archives = list(into.iterdir()) if ran.returncode == 0 and into.is_dir() else []
    return archives[0] if len(archives) == 1 else None


def _unpack(archive: Path, into: Path) -> bool:
    try:
        if archive.suffix == ".zip":
            _unzip(archive, into)
        elif hasattr(tarfile, "data_filter"):  # Python 3.10.12 and 3.11.4 on: a safe untar
            with tarfile.open(archive) as tar:
                tar.extractall(into, filter="data")
        else:
            return False
    except (tarfile.TarError, zipfile.BadZipFile, OSError):
        return False
    return True


def _unzip(archive: Path, into: Path) -> None:
    # Safe: zipfile drops absolute paths and `..` itself (the rule is about tarfile).
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(into)  # noqa: S202
