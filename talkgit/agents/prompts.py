"""The words agents say to models, in one place, so they can be read and tuned together."""

from __future__ import annotations

from collections.abc import Mapping

from talkgit.filenames import shown

PLANNER_SYSTEM = """\
You are the planner of talkgit, a team of agents working on a git repository.
Break the user's task into a small plan of steps. Each step is done by one agent:
{agents}
Reply with one JSON object and nothing else. For example, for the task "let total() take a
start value" in a repository whose map shows shop/cart.py and a tests folder:
{{"steps": [
  {{"id": "total-start", "agent": "coder", "files": ["shop/cart.py"], "depends_on": [],
   "goal": "Give total(items) in shop/cart.py a start=0 parameter and pass it to sum()"}},
  {{"id": "run-tests", "agent": "tester", "files": [], "depends_on": ["total-start"],
   "goal": "Run the tests"}}]}}
Write your own goals and use the real paths of this repository, from its map. Step ids are
lowercase words joined by '-'. A step lists in depends_on the ids of the steps whose results
it needs; steps without a dependency between them run in parallel, so only add real ones.
Prefer few steps. Add a tester step after code changes when the repository has tests."""

# What the planner's example names: a plan that repeats it copied the example.
PLANNER_EXAMPLE_FILES = frozenset({"shop/cart.py"})
PLANNER_EXAMPLE_GOALS = frozenset(
    {"Give total(items) in shop/cart.py a start=0 parameter and pass it to sum()"}
)

AGENT_DESCRIPTIONS = {
    "coder": "changes files (code, tests, docs) to achieve its goal",
    "tester": "runs the repository's tests; failures go back to a coder as a fix step",
}

PLANNER_REPAIR = """\
That plan cannot be used: {error}
Reply with the corrected JSON object only."""

CODER_SYSTEM = """\
You are the coder of talkgit. You change files in a git repository to achieve one step of a task.
Reply with edits as SEARCH/REPLACE blocks, one or more. Each starts with the file's real path, as
the repository map lists it; this one changes a function `total` in a file `shop/cart.py`:

shop/cart.py
<<<<<<< SEARCH
def total(items):
    return sum(items)
=======
def total(items, start=0):
    return sum(items, start)
>>>>>>> REPLACE

An empty SEARCH section creates a new file. Copy SEARCH lines exactly, indentation included, and
keep each block small and unique in its file: never write "..." for lines you leave out. Change
only what the goal needs."""

TEXT_FORM = """\
When you need to see more of the repository than you were shown, reply with lookups only,
one JSON object per line, and nothing else; the answers come back in the next message:
{"tool": "read_file", "path": "src/app.py"}
{"tool": "read_file", "path": "src/app.py", "start_line": 40, "end_line": 90}
{"tool": "search", "text": "def make_response"}
{"tool": "list_files", "directory": "src/"}
You have {left} lookups for this step. Never look up what you were already shown; lookups only
read, and your changes are made in your answer."""

LOOKUPS_NATIVE = """\
To see more of the repository than you were shown, call the tools read_file, search and
list_files; you have {left} lookups for this step. They only read: your changes are made in
your answer."""

CODER_RETRY = """\
{report}
Reply with blocks for the edits that still need to be made."""


def lookups_help(left: int, *, native: bool) -> str:
    """The paragraph that tells a model how to look things up (nothing when it may not)."""
    if left <= 0:
        return ""
    text = LOOKUPS_NATIVE.format(left=left) if native else TEXT_FORM.replace("{left}", str(left))
    return f"\n\n{text}"


def agents_list(agents: Mapping[str, object]) -> str:
    """One line per agent for the planner; a plug-in agent says what it does in its own
    ``description``, when it has one."""
    return "\n".join(
        f"- {name}: {_described(name, agent)}" for name, agent in sorted(agents.items())
    )


def _described(name: str, agent: object) -> str:
    if name in AGENT_DESCRIPTIONS:
        return AGENT_DESCRIPTIONS[name]
    text = getattr(agent, "description", None)  # plug-ins: checked and one line (registry.py)
    return text if isinstance(text, str) and text else "a plug-in agent"


def file_block(path: str, text: str) -> str:
    return f"{shown(path)}\n```\n{text}{'' if text.endswith(chr(10)) or not text else chr(10)}```"
