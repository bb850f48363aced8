"""An edit that matched its file only approximately is printed and kept in the step's note."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from talkgit import exit_codes
from tests.support.gitrepo import fsck, git, make_repo
from tests.support.scripts import NO_GATES, edit, plan_reply, run_scripted, scripted_model

STATS = "def median(values):\n    ordered = sorted(values)\n    return ordered[len(ordered) // 2]\n"
FIXED = STATS.replace("// 2]", "// 2] if ordered else None")


def run_edit(tmp_path: Path, search: str) -> tuple[Path, str, dict[str, Any]]:
    """A one-step run whose coder replaces ``search`` in stats.py: the repository, the
    progress lines and the step's note."""
    repo = make_repo(tmp_path / "r", {"stats.py": STATS})
    model = scripted_model(
        tmp_path,
        {
            "planner": [plan_reply(("empty", "coder", []), files={"empty": ["stats.py"]})],
            "coder": [edit("stats.py", search, FIXED)],
        },
    )
    code, progress = run_scripted(repo, model, "median of nothing is None", NO_GATES)
    assert code == exit_codes.OK, progress
    refs = git(repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/talkgit/runs")
    (run_id,) = refs.split()
    note = git(repo, "notes", "--ref=talkgit/steps", "show", f"talkgit/{run_id}/01-empty")
    assert git(repo, "show", f"talkgit/{run_id}/integration:stats.py") == FIXED
    fsck(repo)
    return repo, progress, json.loads(note)


def test_a_fuzzy_match_is_in_the_progress_and_the_step_note(tmp_path: Path) -> None:
    typo = STATS.replace("ordered = sorted", "ordred = sorted")  # as a model misremembers it
    _, progress, note = run_edit(tmp_path, typo)
    assert "empty: edit of stats.py matched fuzzily, similarity 0." in progress
    (matched,) = note["edits"]
    assert matched["path"] == "stats.py" and matched["how"].startswith("fuzzy 0.")


def test_exact_edits_are_recorded_as_exact_and_not_printed(tmp_path: Path) -> None:
    _, progress, note = run_edit(tmp_path, STATS)
    assert "matched" not in progress
    assert note["edits"] == [{"path": "stats.py", "how": "exact"}]
