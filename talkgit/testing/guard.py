"""The tree guard: a pytest plugin that makes a test run import the tree under test.

PYTHONPATH already puts the tree's import roots before site-packages, which is enough for
today's editable installs (a ``.pth`` path or a finder appended to ``sys.meta_path``).
Older ones (``setup.py develop``'s ``easy-install.pth``) move their entries to the front of
``sys.path``, and a ``.pth`` may import the project before any test runs. So the guard,
loaded with ``-p`` before conftest files and other plugins, puts the roots first again and
forgets modules of the project already imported from elsewhere; at the end each pytest
process writes which of the project's packages it found outside the tree, and the run
that reads a non-empty answer is an error, never a pass.

The plugin is written out as a file beside the run (it must import in the project's
interpreter, which need not have talkgit installed), so it uses the standard library only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from talkgit.testing.layout import import_roots, own_packages

MODULE = "_talkgit_tree_guard"

_SOURCE = '''\
"""Written by talkgit for one test run: import the tree under test (see talkgit.testing.guard)."""
import json
import os
import sys

_ROOT = os.path.realpath(os.environ.get("TALKGIT_TREE_ROOT", "/"))
_PATHS = [p for p in os.environ.get("TALKGIT_TREE_PATHS", "").split(os.pathsep) if p]
_PACKAGES = [p for p in os.environ.get("TALKGIT_TREE_PACKAGES", "").split(",") if p]
_REPORTS = os.environ.get("TALKGIT_TREE_REPORTS", "")


def _inside(location):
    return os.path.realpath(location).startswith(_ROOT + os.sep)


def _foreign(module):
    """Where ``module`` was loaded from, when none of its locations is in the tree."""
    file = getattr(module, "__file__", None)
    locations = [file] if file else list(getattr(module, "__path__", None) or [])
    if locations and not any(_inside(location) for location in locations):
        return locations[0]
    return None


for _path in reversed(_PATHS):
    while _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)
for _name in list(sys.modules):
    if _name.partition(".")[0] in _PACKAGES and _foreign(sys.modules[_name]) is not None:
        del sys.modules[_name]


def pytest_sessionfinish(session, exitstatus):
    outside = {}
    for name in _PACKAGES:
        module = sys.modules.get(name)
        where = _foreign(module) if module is not None else None
        if where is not None:
            outside[name] = where
    if _REPORTS:
        path = os.path.join(_REPORTS, "%d.json" % os.getpid())
        with open(path, "w", encoding="utf-8") as stream:
            json.dump({"outside": outside}, stream)
'''


def install(directory: Path) -> None:
    """Write the plugin into ``directory``, which must go on the run's PYTHONPATH."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{MODULE}.py").write_text(_SOURCE, encoding="utf-8")


def environment(
    root: Path, plugin_dir: Path, reports: Path, base: Mapping[str, str]
) -> dict[str, str]:
    """``base`` with the plugin and the tree's import roots first on PYTHONPATH."""
    roots = import_roots(root)
    inherited = [part for part in base.get("PYTHONPATH", "").split(os.pathsep) if part]
    path = [str(plugin_dir), *(str(r) for r in roots), *inherited]
    reports.mkdir(parents=True, exist_ok=True)
    return {
        **base,
        "PYTHONPATH": os.pathsep.join(path),
        "TALKGIT_TREE_ROOT": str(root.resolve()),
        "TALKGIT_TREE_PATHS": os.pathsep.join(str(r) for r in roots),
        "TALKGIT_TREE_PACKAGES": ",".join(own_packages(root, roots)),
        "TALKGIT_TREE_REPORTS": str(reports),
    }


def foreign_imports(reports: Path) -> dict[str, str]:
    """The project's packages some pytest process imported from outside the tree."""
    found: dict[str, str] = {}
    for report in sorted(reports.glob("*.json")):
        try:
            outside = json.loads(report.read_text(encoding="utf-8")).get("outside", {})
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(outside, dict):
            found.update({str(k): str(v) for k, v in outside.items()})
    return found
