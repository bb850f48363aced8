"""The words agents say to models, in one place, so they can be read and tuned together."""

from __future__ import annotations

from collections.abc import Mapping

from talkgit.filenames import shown

PLANNER_SYSTEM = """\
You are the planner of talkgit, a team of agents working on a git repository.
Break the user's task into a small plan of steps. Each step is done by one agent:
{agents}
Reply with one JSON object and nothing else:
{{"steps": [{{"id": "fix-fib", "agent": "coder", "goal": "what this step must achieve",
  "files": ["paths/the/step/edits.py"], "depends_on": []}}]}}
Step ids are lowercase words joined by '-'. A step lists in depends_on the ids of the steps whose
results it needs; steps without a dependency between them run in parallel, so only add real ones.
Prefer few steps. Add a tester step after code changes when the repository has tests."""

AGENT_DESCRIPTIONS = {
    "coder": "changes files (code, tests, docs) to achieve its goal",
    "tester": "runs the repository's tests; failures go back to a coder as a fix step",
}

PLANNER_REPAIR = """\
That plan cannot be used: {error}
Reply with the corrected JSON object only."""

CODER_SYSTEM = """\
You are the coder of talkgit. You change files in a git repository to achieve one step of a task.
Reply with edits as SEARCH/REPLACE blocks, one or more:

path/to/file.py
<<<<<<< SEARCH
lines copied exactly from the current file
=======
the lines that replace them
>>>>>>> REPLACE

An empty SEARCH section creates a new file. Copy SEARCH lines exactly, indentation included, and
keep each block small and unique in its file. Change only what the goal needs."""

CODER_RETRY = """\
{report}
Reply with blocks for the edits that still need to be made."""


def agents_list(agents: Mapping[str, object]) -> str:
    """One line per agent for the planner; a plug-in agent says what it does in its own
    ``description``, when it has one."""
    return "\n".join(
        f"- {name}: {_described(name, agent)}" for name, agent in sorted(agents.items())
    )


def _described(name: str, agent: object) -> str:
    if name in AGENT_DESCRIPTIONS:
        return AGENT_DESCRIPTIONS[name]
    text = getattr(agent, "description", None)  # plug-ins: checked and one line (plugins.py)
    return text if isinstance(text, str) and text else "a plug-in agent"


def repository_view(sizes: Mapping[str, int], limit: int = 400) -> str:
    """The files of the base commit, with sizes, cut to ``limit`` lines."""
    lines = [f"{shown(path)} ({size} bytes)" for path, size in sorted(sizes.items())[:limit]]
    if len(sizes) > limit:
        lines.append(f"... and {len(sizes) - limit} more files")
    return "\n".join(lines) or "(the repository has no files)"


def file_block(path: str, text: str) -> str:
    return f"{shown(path)}\n```\n{text}{'' if text.endswith(chr(10)) or not text else chr(10)}```"
