"""Edits from model text, applied in memory: pure functions over strings and bytes.

``parse_edits`` reads search/replace blocks, unified diffs and whole files from a reply;
``apply_edits`` applies them to a TreeView and returns FileChanges for the git store and an
outcome per block, which ``EditResult.explain`` turns into words a model can act on.
"""

from __future__ import annotations

from talkgit.edits.apply import apply_edits
from talkgit.edits.model import (
    BlockOutcome,
    Edit,
    EditResult,
    Entry,
    EntryKind,
    FileChange,
    Hunk,
    SearchReplace,
    Suggestion,
    TreeView,
    UnifiedDiff,
    WholeFile,
)
from talkgit.edits.parse import EditParseError, parse_edits, render_edit
from talkgit.edits.paths import BinaryFileError, UnsafePathError, check_path

__all__ = [
    "BinaryFileError",
    "BlockOutcome",
    "Edit",
    "EditParseError",
    "EditResult",
    "Entry",
    "EntryKind",
    "FileChange",
    "Hunk",
    "SearchReplace",
    "Suggestion",
    "TreeView",
    "UnifiedDiff",
    "UnsafePathError",
    "WholeFile",
    "apply_edits",
    "check_path",
    "parse_edits",
    "render_edit",
]
