"""`talkgit check`: the gates on a change — staged, a commit range, the working tree, or paths.

Exit 0 when nothing blocks, 1 when a new finding blocks, 8 when a tool failed (its
findings cannot be trusted, so that is never a pass).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from talkgit import exit_codes
from talkgit.checking import NOTHING_TO_CHECK, judge_change, working_tree_rules
from talkgit.errors import UsageError
from talkgit.gates.base import Change
from talkgit.git.repo import GitRepo
from talkgit.git.snapshot import changed_paths, index_tree, snapshot_commit, worktree_tree

if TYPE_CHECKING:
    from talkgit.gates.render import Format

# The gates whose tools start before the configuration says which gates run: those of the
# default check_gates that run a tool. A wrong guess costs a killed process, never a result.
LIKELY_GATES = ("ruff", "mypy", "bandit")


def check(
    directory: Path,
    *,
    staged: bool = False,
    base: str | None = None,
    head: str | None = None,
    paths: Sequence[str] = (),
    gates: Sequence[str] = (),
    output_format: Format = "text",
    output: Path | None = None,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """The gates on a change; ``gates`` picks some (default: ``check_gates``)."""
    repo = GitRepo.discover(directory)
    absolute = [str((directory / path).resolve()) for path in paths]  # paths are as given with -C
    change = what_to_check(
        repo, staged=staged, base=base, head=head, paths=absolute, environ=environ
    )
    if not change.files and output_format == "text":
        # The hooks' common case: say so at once, before loading configuration and gates.
        return _emit(NOTHING_TO_CHECK, output, out, exit_codes.OK)
    text, code = gate_report(repo, change, gates, environ, output_format)
    return _emit(text, output, out, code)


def gate_report(
    repo: GitRepo,
    change: Change,
    gates: Sequence[str],
    environ: Mapping[str, str] | None,
    output_format: Format = "text",
) -> tuple[str, int]:
    """``judge_change`` with the configuration read while the likely tools already run.

    Reading the configuration costs about as much as a tool's start-up, so the tools of
    ``gates`` (default: the tool gates ``check_gates`` lists unless configured otherwise)
    start first; those the configuration does not want are killed unused.
    """
    from talkgit.gates.change import start_head

    if not change.files:
        return judge_change(repo, change, working_tree_rules(repo, gates, environ), output_format)
    head_start = start_head(repo, change, gates or LIKELY_GATES)
    try:
        rules = working_tree_rules(repo, gates, environ)
        return judge_change(repo, change, rules, output_format, head_start)
    finally:
        head_start.close()


def _emit(text: str, output: Path | None, out: TextIO | None, code: int) -> int:
    if output is not None:
        try:
            output.write_text(text)
        except OSError as exc:  # a missing directory, no permission: the -o value is wrong
            raise UsageError(f"cannot write {output}: {exc.strerror}") from exc
    else:
        (out or sys.stdout).write(text)
    return code


def what_to_check(
    repo: GitRepo,
    *,
    staged: bool,
    base: str | None,
    head: str | None,
    paths: Sequence[str],
    environ: Mapping[str, str] | None = None,
) -> Change:
    """The change the options describe; they are exclusive, and --head needs --base."""
    if sum([staged, base is not None, bool(paths)]) > 1:
        raise UsageError("give only one of --staged, --base, or paths")
    if head is not None and base is None:
        raise UsageError("--head needs --base")
    current = repo.head()
    if base is not None:
        base_sha, head_sha = repo.resolve(base), repo.resolve(head or "HEAD")
        return Change(head_sha, base_sha, changed_paths(repo, base_sha, head_sha))
    tree = index_tree(repo, environ) if staged else worktree_tree(repo)
    snapshot = snapshot_commit(repo, tree, current)
    if paths:
        return Change(snapshot, None, _files_under(repo, snapshot, paths))
    return Change(snapshot, current, changed_paths(repo, current, snapshot))


def _files_under(repo: GitRepo, commit: str, paths: Sequence[str]) -> tuple[str, ...]:
    """The files of ``commit`` at or below ``paths`` (absolute, inside the working tree)."""
    from talkgit.git.treeview import CommitTree

    root = repo.workdir.resolve()
    wanted = []
    for path in paths:
        absolute = Path(path).resolve()
        if not absolute.is_relative_to(root):
            raise UsageError(f"{path} is outside the repository")
        relative = absolute.relative_to(root).as_posix()
        wanted.append("" if relative == "." else relative)
    files = CommitTree(repo, commit).sizes()
    chosen = sorted(
        f for f in files if any(not w or f == w or f.startswith(f"{w}/") for w in wanted)
    )
    if not chosen:
        raise UsageError(f"no committed or working-tree file under {', '.join(paths)}")
    return tuple(chosen)
