from __future__ import annotations

from talkgit.agents.coder import Overlay
from talkgit.edits.model import FileChange
from tests.edits import DictTree


def test_an_overlay_lists_the_base_files_with_this_steps_changes():
    overlay = Overlay(DictTree({"a.py": b"a\n", "gone.py": b"g\n", "pkg/b.py": b"b\n"}))
    overlay.record((FileChange("gone.py", None), FileChange("new/c.py", b"c\n")))
    overlay.record((FileChange("a.py", b"A\n"),))

    assert list(overlay.paths()) == ["a.py", "pkg/b.py", "new/c.py"]
