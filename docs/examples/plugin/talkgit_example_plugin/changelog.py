"""The ``changelog`` agent: adds its step's goal to CHANGELOG.md, without a model."""

from __future__ import annotations

from talkgit.agents.base import StepContext, StepOutcome
from talkgit.edits.model import EntryKind, FileChange
from talkgit.git.treeview import CommitTree

CHANGELOG = "CHANGELOG.md"
HEADING = "# Changelog\n\n"


class ChangelogAgent:
    name = "changelog"
    needs_model = False
    description = "appends one line saying what changed to CHANGELOG.md (give it the line as goal)"

    def run(self, context: StepContext) -> StepOutcome:
        # The step's base commit, not the user's checkout: steps run on their own branches.
        entry = CommitTree(context.repo, context.base).entry(CHANGELOG)
        if entry is None:
            text = HEADING
        elif entry.kind is EntryKind.FILE:
            text = entry.data.decode("utf-8", errors="replace")
        else:
            return StepOutcome(ok=False, summary=f"{CHANGELOG} is not a regular file")
        line = "- " + " ".join(context.step.goal.split()) + "\n"
        if text and not text.endswith("\n"):
            text += "\n"
        change = FileChange(CHANGELOG, (text + line).encode("utf-8"))
        return StepOutcome(
            ok=True, summary=f"added to {CHANGELOG}: {line.strip()}", changes=(change,)
        )
