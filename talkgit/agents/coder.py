"""The coder: asks for edits, applies them in memory, retries with precise feedback."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from talkgit.agents import prompts
from talkgit.agents.base import Completer, StepContext, StepOutcome
from talkgit.agents.dialogue import Dialogue, PromptBudget, TokenCounter, prompt_budget
from talkgit.agents.excerpt import excerpt, named_words
from talkgit.agents.lookup import Lookup, text_requests
from talkgit.agents.repository import repository_view
from talkgit.edits.apply import apply_edits
from talkgit.edits.model import BlockOutcome, Entry, EntryKind, FileChange, TreeView
from talkgit.edits.parse import parse_edits
from talkgit.errors import EditError, ModelError
from talkgit.filenames import shown
from talkgit.git.treeview import CommitTree
from talkgit.llm.types import Message
from talkgit.skills.render import skills_prompt

EDIT_ATTEMPTS = 3  # answers per step attempt before the edits are declared stuck
MAX_FILE_BYTES = 200_000  # larger files are never shown whole: read in parts on request
MAX_UNNAMED_FILES = 3  # files the task points at, shown whole when the plan named none


class CoderAgent:
    name = "coder"
    needs_model = True

    def run(self, context: StepContext) -> StepOutcome:
        if context.llm is None or context.model is None:
            raise ModelError(
                "the coder needs a model: pass --model or set one in the configuration"
            )
        tree = Overlay(CommitTree(context.repo, context.base))
        dialogue = _dialogue(context, context.llm, context.model, tree)
        report, matches = "", []
        for _ in range(EDIT_ATTEMPTS):
            done, report, outcomes = _apply(dialogue.ask(), tree)
            matches += [o for o in outcomes if o.applied]
            if done:
                break
            dialogue.tell(prompts.CODER_RETRY.format(report=report))
        changes = tree.changes()
        ok = bool(changes) and not report
        return StepOutcome(
            ok=ok,
            summary=_summary(context, changes, ok),
            changes=changes,
            detail=report,
            replies=tuple(dialogue.replies),
            transcript=tuple(dialogue.messages),
            edits=tuple(matches),
        )


def _dialogue(context: StepContext, llm: Completer, model: str, tree: Overlay) -> Dialogue:
    budget = prompt_budget(llm, model, context.settings.prompt(CoderAgent.name))
    counter = TokenCounter(llm, model)
    lookup = Lookup(tree, lambda text: counter.cut(text, budget.per_lookup))
    system = _system(context, budget)
    opening, shown_whole = _request(context, tree, budget, counter, counter.text(system))
    dialogue = Dialogue(
        llm,
        agent=CoderAgent.name,
        model=model,
        api_base=context.api_base,
        budget=budget,
        lookup=lookup,
        messages=[Message("system", system), Message("user", opening)],
        is_answer=_has_edits,
        answer_form="SEARCH/REPLACE blocks",
    )
    dialogue.shown_in_full(shown_whole)
    return dialogue


def _has_edits(text: str) -> bool:
    try:
        return bool(parse_edits(text))
    except EditError:
        return True  # a broken edit is an answer: its error goes back to the model


def _apply(text: str, tree: Overlay) -> tuple[bool, str, tuple[BlockOutcome, ...]]:
    """Apply what ``text`` asks for onto ``tree``: (finished, report for the model if not,
    what became of each block)."""
    try:
        result = apply_edits(parse_edits(text), tree)
    except EditError as exc:
        return False, f"Your reply could not be used: {exc}", ()
    tree.record(result.changes)
    if not result.outcomes:
        return False, _no_edits(text) or result.explain(), ()
    return result.all_applied, "" if result.all_applied else result.explain(), result.outcomes


def _no_edits(text: str) -> str:
    """What to tell a model that answered with lookups when it had to answer with edits."""
    asked = sorted({request.tool for request in text_requests(text)})
    if not asked:
        return ""
    return (
        f"Your reply asks for {', '.join(asked)}, but no lookups are left for this step: "
        "make the change now, as SEARCH/REPLACE blocks (a path line, <<<<<<< SEARCH, the "
        "lines as they are, =======, the new lines, >>>>>>> REPLACE)."
    )


def _summary(context: StepContext, changes: tuple[FileChange, ...], ok: bool) -> str:
    if ok:
        return f"edited {', '.join(shown(c.path) for c in changes)}"
    return "edits did not apply" if changes else "no usable edits"


def _system(context: StepContext, budget: PromptBudget) -> str:
    rules = context.settings.agent("coder").instructions
    system = prompts.CODER_SYSTEM + (f"\n\nHouse rules:\n{rules}" if rules else "")
    system += prompts.lookups_help(budget.lookups, native=budget.native_tools)
    playbooks = skills_prompt(context.skills)
    return system + (f"\n\n{playbooks}" if playbooks else "")


def _request(
    context: StepContext, tree: Overlay, budget: PromptBudget, counter: TokenCounter, used: int
) -> tuple[str, list[str]]:
    """The opening message: the step, the files it needs in full, and the repository map,
    fitted to the opening share of the budget (the map first, files by rank after it)."""
    head = [f"Task: {context.task}", f"Step {context.step.id}: {context.step.goal}"]
    if context.feedback:
        head.append(f"Why this attempt: {context.feedback}")
    room = budget.opening - used - counter.text("\n\n".join(head))
    text = f"{context.task}\n{context.step.goal}\n{context.feedback}"
    focus = _named_files(context, tree)
    view = repository_view(
        context.repo,
        context.base,
        text=text,
        focus=focus,
        tokens=min(budget.map_tokens, room // 2),
        counter=counter,
    )
    room -= counter.text(view.text)
    shown_whole = focus or view.best_pointed_at(MAX_UNNAMED_FILES)
    names = named_words(context.task, context.step.goal, context.feedback)
    files = _file_blocks(tree, shown_whole, room, counter, names)
    parts = [*head, "Files:\n\n" + ("\n\n".join(files.blocks) or "(none shown)")]
    if files.left_out:
        parts.append(
            "Not shown, to fit the prompt (read them with read_file, in parts if need be): "
            + ", ".join(shown(path) for path in files.left_out)
        )
    parts.append(view.text)
    return "\n\n".join(parts), files.whole


def _named_files(context: StepContext, tree: Overlay) -> list[str]:
    """The files the plan named that exist, then those the feedback mentions."""
    paths = set(tree.paths())
    named = [path for path in context.step.files if path in paths]
    mentioned = sorted(p for p in paths if p in context.feedback and p not in named)
    return named + mentioned


@dataclass
class _Files:
    """The files of the opening message: blocks, which were whole, which were left out."""

    blocks: list[str] = field(default_factory=list)
    whole: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


def _file_blocks(
    tree: Overlay, paths: Sequence[str], room: int, counter: TokenCounter, names: frozenset[str]
) -> _Files:
    """``paths`` in order while they fit in ``room`` tokens: whole, or when a file would
    take more than a third of the room, the parts of it that ``names`` name."""
    files = _Files()
    for path in paths:
        entry = tree.entry(path)
        if entry is None or entry.kind not in (EntryKind.FILE, EntryKind.EXECUTABLE):
            continue
        if len(entry.data) > MAX_FILE_BYTES or b"\0" in entry.data[:8000]:
            files.left_out.append(path)
            continue
        text = entry.data.decode("utf-8", "replace")
        block = prompts.file_block(path, text)
        size = counter.text(block)
        whole = size <= room // 3 or (size <= room and len(paths) == 1)
        if not whole:
            block = excerpt(path, text, names) or block
            size = counter.text(block)
        if size > room:
            files.left_out.append(path)
            continue
        room -= size
        files.blocks.append(block)
        if whole:
            files.whole.append(path)
    return files


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
