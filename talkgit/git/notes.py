"""Reading talkgit's JSON notes (writing goes through Transaction.add_note)."""

from __future__ import annotations

import json
from typing import Any

import pygit2

from talkgit.git.repo import GitRepo


def read_note(repo: GitRepo, notes_ref: str, target: str) -> str | None:
    """The note text on commit ``target`` in ``notes_ref``, or None."""
    try:
        note = repo.raw.lookup_note(target, notes_ref)
    except (KeyError, pygit2.GitError):
        return None
    return str(note.message)


def read_json_note(repo: GitRepo, notes_ref: str, target: str) -> dict[str, Any] | None:
    """The note parsed as a JSON object; a note that is not one is treated as absent."""
    text = read_note(repo, notes_ref, target)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
