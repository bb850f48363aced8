"""The coder: asks for edits, applies them in memory, retries with precise feedback."""

from __future__ import annotations

from collections.abc import Iterator

from talkgit.agents import prompts
from talkgit.agents.base import StepContext, StepOutcome
from talkgit.edits.apply import apply_edits
from talkgit.edits.model import Entry, EntryKind, FileChange, TreeView
from talkgit.edits.parse import parse_edits
from talkgit.errors import EditError, ModelError
from talkgit.filenames import shown
from talkgit.git.treeview import CommitTree
from talkgit.llm.types import Message, Reply
from talkgit.skills.render import skills_prompt

EDIT_ATTEMPTS = 3  # model calls per step attempt before the edits are declared stuck
MAX_FILE_BYTES = 60_000  # larger files are listed, not shown
MAX_SHOWN_BYTES = 120_000


class CoderAgent:
    name = "coder"
    needs_model = True

    def run(self, context: StepContext) -> StepOutcome:
        if context.llm is None or context.model is None:
            raise ModelError(
                "the coder needs a model: pass --model or set one in the configuration"
            )
        base = CommitTree(context.repo, context.base)
        tree = Overlay(base)
        messages = [Message("system", _system(context)), Message("user", _request(context, base))]
        replies: list[Reply] = []
        report = ""
        for _ in range(EDIT_ATTEMPTS):
            reply = context.llm.complete(
                agent=self.name, model=context.model, messages=messages, api_base=context.api_base
            )
            replies.append(reply)
            messages.append(Message("assistant", reply.text))
            done, report = _apply(reply.text, tree)
            if done:
                break
            messages.append(Message("user", prompts.CODER_RETRY.format(report=report)))
        changes = tree.changes()
        ok = bool(changes) and not report
        return StepOutcome(
            ok=ok,
            summary=_summary(context, changes, ok),
            changes=changes,
            detail=report,
            replies=tuple(replies),
            transcript=tuple(messages),
        )


def _apply(text: str, tree: Overlay) -> tuple[bool, str]:
    """Apply what ``text`` asks for onto ``tree``; (finished, report for the model if not)."""
    try:
        result = apply_edits(parse_edits(text), tree)
    except EditError as exc:
        return False, f"Your reply could not be used: {exc}"
    tree.record(result.changes)
    if not result.outcomes:
        return False, result.explain()
    return result.all_applied, "" if result.all_applied else result.explain()


def _summary(context: StepContext, changes: tuple[FileChange, ...], ok: bool) -> str:
    if ok:
        return f"edited {', '.join(shown(c.path) for c in changes)}"
    return "edits did not apply" if changes else "no usable edits"


def _system(context: StepContext) -> str:
    rules = context.settings.agent("coder").instructions
    system = prompts.CODER_SYSTEM + (f"\n\nHouse rules:\n{rules}" if rules else "")
    playbooks = skills_prompt(context.skills)
    return system + (f"\n\n{playbooks}" if playbooks else "")


def _request(context: StepContext, base: CommitTree) -> str:
    parts = [f"Task: {context.task}", f"Step {context.step.id}: {context.step.goal}"]
    if context.feedback:
        parts.append(f"Why this attempt: {context.feedback}")
    shown, budget = [], MAX_SHOWN_BYTES
    sizes = base.sizes()
    for path in _files_to_show(context, sizes):
        entry = base.entry(path)
        if entry is None or entry.kind not in (EntryKind.FILE, EntryKind.EXECUTABLE):
            continue
        if len(entry.data) > min(MAX_FILE_BYTES, budget) or b"\0" in entry.data[:8000]:
            continue
        budget -= len(entry.data)
        shown.append(prompts.file_block(path, entry.data.decode("utf-8", "replace")))
    parts.append("Files:\n\n" + ("\n\n".join(shown) or "(none shown)"))
    parts.append("All files in the repository:\n" + prompts.repository_view(sizes))
    return "\n\n".join(parts)


def _files_to_show(context: StepContext, sizes: dict[str, int]) -> list[str]:
    named = [path for path in context.step.files if path in sizes]
    mentioned = [path for path in sizes if path in context.feedback and path not in named]
    return named + mentioned if named or mentioned else sorted(sizes)


class Overlay:
    """A TreeView of the base commit with this step's changes so far laid over it."""

    def __init__(self, base: TreeView) -> None:
        self.base = base
        self._changes: dict[str, FileChange] = {}

    def entry(self, path: str) -> Entry | None:
        change = self._changes.get(path)
        if change is None:
            if self._has_files_under(path):  # a directory an earlier reply made
                return Entry(EntryKind.DIRECTORY)
            return self.base.entry(path)
        if change.data is None:
            return None
        return Entry(EntryKind.EXECUTABLE if change.executable else EntryKind.FILE, change.data)

    def paths(self) -> Iterator[str]:
        """The base's files with this step's changes: created ones added, deleted ones gone."""
        base = list(self.base.paths())
        for path in base:
            change = self._changes.get(path)
            if change is None or change.data is not None:
                yield path
        known = set(base)
        yield from (p for p, c in self._changes.items() if c.data is not None and p not in known)

    def _has_files_under(self, path: str) -> bool:
        inside = f"{path}/"
        return any(p.startswith(inside) and c.data is not None for p, c in self._changes.items())

    def record(self, changes: tuple[FileChange, ...]) -> None:
        self._changes.update((change.path, change) for change in changes)

    def changes(self) -> tuple[FileChange, ...]:
        return tuple(self._changes.values())
