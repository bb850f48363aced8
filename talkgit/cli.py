"""The command line: the only module that imports click.

Each subcommand parses its options and hands typed values to ``talkgit.commands.<name>``,
imported inside the callback so that ``talkgit --help`` stays fast. ``main`` is the one
error handler: a TalkgitError becomes one line on stderr and its exit code.
"""

from __future__ import annotations

import math
import sys
import traceback
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from talkgit import __version__, exit_codes
from talkgit.errors import TalkgitError, UsageError, is_no_space, no_space

if TYPE_CHECKING:
    from talkgit.commands.run import RunOptions
    from talkgit.gates.render import Format


class Context:
    """What the group's options give every subcommand."""

    def __init__(self, directory: Path, debug: bool) -> None:
        self.directory = directory
        self.debug = debug


pass_context = click.make_pass_decorator(Context)


class ClickTerminal:
    """The terminal an interactive run (`run -i`) asks on: click's prompts and editor
    (``talkgit.engine.interactive.Terminal``)."""

    def say(self, text: str) -> None:
        click.echo(text)

    def warn(self, text: str) -> None:
        click.echo(text, err=True)

    def ask(self, question: str) -> str:
        answer: str = click.prompt(question, type=str)
        return answer

    def choose(self, question: str, letters: str) -> str:
        answer: str = click.prompt(
            question, type=click.Choice(list(letters)), show_choices=False, default=letters[0]
        )
        return answer

    def confirm(self, question: str, *, default: bool) -> bool:
        return click.confirm(question, default=default)

    def edit(self, text: str, *, extension: str) -> str | None:
        return click.edit(text, extension=extension, require_save=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="talkgit")
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="Run as if talkgit was started in this directory.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, directory: Path, debug: bool) -> None:
    """Run teams of LLM agents on a git repository.

    Every agent step is a commit on its own branch; static-analysis gates decide what
    merges; provenance lives in commit trailers and git notes. Your checkout is never
    touched until you say `talkgit finish`.
    """
    ctx.obj = Context(directory, debug)


@cli.command()
@click.argument("revision_range", required=False, default="HEAD")
@click.option("-n", "--max-count", type=click.IntRange(min=1), help="Show at most N commits.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
@pass_context
def log(obj: Context, revision_range: str, max_count: int | None, as_json: bool) -> int:
    """List commits with their talkgit provenance.

    REVISION_RANGE is anything `git log` takes (default HEAD), e.g. `main..talkgit/RUN/integration`.
    Commits without talkgit trailers are shown as human.
    """
    from talkgit.commands import log as command

    return command.log(obj.directory, revision_range, max_count=max_count, as_json=as_json)


@cli.command()
@pass_context
def doctor(obj: Context) -> int:
    """Check git, pygit2, the gate tools and model keys; say what to fix."""
    from talkgit.commands import doctor as command

    return command.doctor(obj.directory)


def _run_options(
    model: str | None,
    parallel: int | None,
    max_steps: int | None,
    budget_usd: float | None,
    timeout: str | None,
    interactive: bool,
    max_tokens: int | None,
) -> RunOptions:
    from talkgit.commands.run import RunOptions

    seconds = None if timeout is None else _positive_duration(timeout)
    budget = None if budget_usd is None else Decimal(str(budget_usd))
    if budget is not None and not budget.is_finite():  # FloatRange lets nan and inf through
        raise UsageError(f"--budget-usd: expected a finite amount like 0.50, got {budget_usd}")
    return RunOptions(model, parallel, max_steps, budget, seconds, interactive, max_tokens)


def _positive_duration(value: str) -> float:
    """A --timeout: a duration that leaves time for something (not 0, nan or inf)."""
    from talkgit.config import parse_duration

    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"--timeout: {exc}") from exc
    if not 0 < seconds < math.inf:
        raise UsageError(
            f"--timeout: expected a duration above zero like 90s or 30m, got {value!r}"
        )
    return seconds


RUN_OPTIONS = (
    click.option(
        "-m",
        "--model",
        help="litellm model for every agent (e.g. openai/gpt-4o-mini), or scripted:FILE offline.",
    ),
    click.option(
        "-p", "--parallel", type=click.IntRange(min=1), help="Steps run at once (default 1)."
    ),
    click.option(
        "--max-steps", type=click.IntRange(min=1), help="Stop after N step attempts (default 20)."
    ),
    click.option(
        "--max-tokens", type=click.IntRange(min=1), help="Stop once model calls used N tokens."
    ),
    click.option(
        "--budget-usd", type=click.FloatRange(min=0), help="Stop once model cost reaches X USD."
    ),
    click.option(
        "--timeout", metavar="DURATION", help="Wall-clock budget: 90s, 30m, 1h (default 30m)."
    ),
    click.option("--json", "as_json", is_flag=True, help="Print the result as JSON; no progress."),
    click.option(
        "-i",
        "--interactive",
        is_flag=True,
        help="Ask after planning and before each merge: approve, edit the plan, skip, retry, quit.",
    ),
)


def run_options(function: Callable[..., int]) -> Callable[..., int]:
    """The options `run` and `resume` share: model, lanes and budgets."""
    for option in reversed(RUN_OPTIONS):
        function = option(function)
    return function


@cli.command()
@click.argument("task")
@run_options
@click.option(
    "--mode",
    type=click.Choice(["auto", "strict", "dry-run"]),
    default="auto",
    show_default=True,
    help="auto: merge when the gates pass; strict: the reviewer council must approve too; "
    "dry-run: plan and show, write nothing.",
)
@click.option("--dry-run", is_flag=True, help="The same as --mode dry-run.")
@click.option("--finish", is_flag=True, help="Auto mode: bring a finished run into your branch.")
@pass_context
def run(
    obj: Context,
    task: str,
    model: str | None,
    parallel: int | None,
    max_steps: int | None,
    max_tokens: int | None,
    budget_usd: float | None,
    timeout: str | None,
    as_json: bool,
    interactive: bool,
    mode: Literal["auto", "strict", "dry-run"],
    dry_run: bool,
    finish: bool,
) -> int:
    """Plan TASK and carry it out with agents, each step a commit on its own branch.

    Steps merge into talkgit/RUN/integration when they are approved; your branch and
    working tree are not touched until `talkgit finish` (or --finish). Ctrl-C stops
    cleanly; `talkgit resume` carries on without paying again for answered model calls.
    """
    from talkgit.commands import run as command

    options = _run_options(model, parallel, max_steps, budget_usd, timeout, interactive, max_tokens)
    chosen = "dry-run" if dry_run else mode
    return command.run(
        obj.directory,
        task,
        options,
        mode=chosen,
        finish=finish,
        as_json=as_json,
        terminal=ClickTerminal(),
    )


@cli.command()
@click.argument("run_id", metavar="[RUN]", required=False)
@run_options
@pass_context
def resume(
    obj: Context,
    run_id: str | None,
    model: str | None,
    parallel: int | None,
    max_steps: int | None,
    max_tokens: int | None,
    budget_usd: float | None,
    timeout: str | None,
    as_json: bool,
    interactive: bool,
) -> int:
    """Carry on a stopped, interrupted or failed run (default: the latest).

    RUN may be any unique prefix of a run id. Budgets given here replace the run's own,
    e.g. `--max-steps 40` lets a run that hit its step budget go on (a stopped run's
    summary names the option and a value). The run keeps the mode it was started in.
    """
    from talkgit.commands import run as command

    options = _run_options(model, parallel, max_steps, budget_usd, timeout, interactive, max_tokens)
    return command.resume(obj.directory, run_id, options, as_json=as_json, terminal=ClickTerminal())


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
@pass_context
def runs(obj: Context, as_json: bool) -> int:
    """List the runs in this repository, newest first."""
    from talkgit.commands import show as command

    return command.runs(obj.directory, as_json=as_json)


@cli.command()
@click.argument("run_id", metavar="[RUN]", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
@pass_context
def show(obj: Context, run_id: str | None, as_json: bool) -> int:
    """Show a run: its plan, and every attempt with branch, status, tokens, cost and time.

    RUN may be any unique prefix of a run id (default: the latest run).
    """
    from talkgit.commands import show as command

    return command.show(obj.directory, run_id, as_json=as_json)


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> int:
    """Run the whole pipeline offline on a sample repository with a bug.

    Makes a repository with a buggy Fibonacci and a failing test in DIRECTORY (new or
    empty; default: a temporary directory), runs planner, coder and tester with a bundled
    scripted model, leaves the repository there and prints git commands to inspect it.
    """
    from talkgit.commands import demo as command

    return command.demo(directory)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--staged", is_flag=True, help="Check what is staged, against HEAD.")
@click.option("--base", metavar="REF", help="Check the change from REF to --head.")
@click.option("--head", metavar="REF", help="The end of the change (default HEAD).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown", "sarif"]),
    default="text",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--gates", metavar="NAMES", help="Only these gates, comma-separated.")
@pass_context
def check(
    obj: Context,
    paths: tuple[Path, ...],
    staged: bool,
    base: str | None,
    head: str | None,
    output_format: Format,
    output: Path | None,
    gates: str | None,
) -> int:
    """Run the gates (ruff, mypy, bandit, placeholders) on a change; only new findings count.

    With no option: your uncommitted changes against HEAD. --staged: what is staged.
    --base REF [--head REF]: a range of commits. PATHS: every finding in those files.
    Exit 0 when nothing blocks, 1 when a new finding blocks, 8 when a tool failed.
    """
    from talkgit.commands import check as command

    return command.check(
        obj.directory,
        staged=staged,
        base=base,
        head=head,
        paths=[str(p) for p in paths],
        gates=_gate_names(gates),
        output_format=output_format,
        output=output,
    )


@cli.command()
@click.option("--base", metavar="REF", help="The change's base (local mode).")
@click.option("--head", metavar="REF", default="HEAD", show_default=True, help="Its head.")
@click.option("--github", is_flag=True, help="Review the pull request of this GitHub workflow.")
@click.option("--gates", metavar="LIST", help="Comma-separated gates (default: run_gates).")
@click.option(
    "--fail-on",
    type=click.Choice(["info", "low", "medium", "high"]),
    help="The lowest severity of a new finding that fails (default: each gate's policy).",
)
@click.option("--review-model", metavar="MODEL", help="An LLM that also reviews the diff.")
@click.option("--sarif", type=click.Path(dir_okay=False, path_type=Path), help="Write SARIF.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown", "sarif"]),
    default="text",
    show_default=True,
)
@click.option(
    "--save-results",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --github: save the results for a later workflow to post; post nothing.",
)
@click.option(
    "--post-results",
    type=click.Path(file_okay=False, path_type=Path),
    help="Post results saved by --save-results (the fork-safe pattern's second half).",
)
@click.option(
    "--allow-pull-request-target",
    is_flag=True,
    help="With --github: accept a pull_request_target event (writable token, secrets).",
)
@pass_context
def review(
    obj: Context,
    base: str | None,
    head: str,
    github: bool,
    gates: str | None,
    fail_on: str | None,
    review_model: str | None,
    sarif: Path | None,
    output_format: Format,
    save_results: Path | None,
    post_results: Path | None,
    allow_pull_request_target: bool,
) -> int:
    """The gates and the provenance of a change: locally, or posted on a pull request.

    Locally: --base REF [--head REF]. In GitHub Actions: --github (see
    docs/github-action.md). Configuration comes from the base commit, never the change.
    """
    from talkgit.commands import review as command
    from talkgit.gates.base import Severity

    options = command.ReviewOptions(
        gates=[g.strip() for g in gates.split(",") if g.strip()] if gates else (),
        fail_on=Severity(fail_on) if fail_on else None,
        review_model=review_model,
        sarif=sarif,
    )
    if post_results is not None:
        return command.post_saved(obj.directory, post_results)
    if github:
        return command.review_github(
            obj.directory,
            options,
            save_results=save_results,
            allow_pull_request_target=allow_pull_request_target,
        )
    if base is None:
        raise click.UsageError("give --base REF (or --github in a workflow)")
    return command.review(obj.directory, base, head, options, output_format=output_format)


@cli.command()
@click.argument("run_id", metavar="RUN")
@click.option("--squash", "mode", flag_value="squash", default=True, help="One commit (default).")
@click.option("--merge", "mode", flag_value="merge", help="A merge commit keeping every step.")
@click.option("--into", metavar="BRANCH", help="Bring it into BRANCH (default: the current one).")
@pass_context
def finish(obj: Context, run_id: str, mode: Literal["squash", "merge"], into: str | None) -> int:
    """Bring a done run's integration branch into your branch.

    A squash commit ends with the run's trailers (one Assisted-by per agent and model,
    Talkgit-Run, totals) and carries a run note. Refused, with nothing changed, when your
    uncommitted changes touch the same paths.
    """
    from talkgit.commands import finish as command

    return command.finish(obj.directory, run_id, mode=mode, into=into)


@cli.command()
@click.argument("run_id", metavar="RUN")
@click.option("--purge", is_flag=True, help="Delete the run's ledger too (its provenance).")
@pass_context
def discard(obj: Context, run_id: str, purge: bool) -> int:
    """Delete a run's branches; its ledger stays unless --purge."""
    from talkgit.commands import discard as command

    return command.discard(obj.directory, run_id, purge=purge)


@cli.command()
@click.option("--older-than", metavar="DURATION", required=True, help="e.g. 720h, 90m.")
@click.option("--dry-run", is_flag=True, help="List what would go; remove nothing.")
@pass_context
def gc(obj: Context, older_than: str, dry_run: bool) -> int:
    """Purge runs last updated longer ago than DURATION (never a running one)."""
    from talkgit.commands import discard as command
    from talkgit.config import parse_duration

    try:
        seconds = parse_duration(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from exc
    return command.gc(obj.directory, older_than=seconds, dry_run=dry_run)


@cli.command()
@click.argument("path")
@click.option("--rev", default="HEAD", show_default=True, help="Blame the file at this revision.")
@click.option("--json", "as_json", is_flag=True, help="One JSON record per line.")
@pass_context
def blame(obj: Context, path: str, rev: str, as_json: bool) -> int:
    """For each line of PATH: the step, agent and model that wrote it, or the human."""
    from talkgit.commands import blame as command

    return command.blame(obj.directory, path, revision=rev, as_json=as_json)


@cli.command()
@click.argument("remote", default="origin")
@pass_context
def sync(obj: Context, remote: str) -> int:
    """Share talkgit's notes and run ledgers with REMOTE, never forcing anyone's refs.

    Fetches into remote-tracking refs, merges notes, pushes without force (retrying when
    someone pushed meanwhile), and sets notes.rewriteRef so amend and rebase keep notes.
    """
    from talkgit.commands import sync as command

    return command.sync(obj.directory, remote)


@cli.group()
def skills() -> None:
    """Show the team's skills (.talkgit/skills/*.md) and how a step would match them.

    A step's agent gets the skills that match its goal and files best, within the
    `skill_tokens` budget; its step note names them.
    """


@skills.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
@pass_context
def skills_list(obj: Context, as_json: bool) -> int:
    """List the skills: name, size in tokens, keywords, file globs, description."""
    from talkgit.commands import skills as command

    return command.list_skills(obj.directory, as_json=as_json, out=sys.stdout)


@skills.command("match")
@click.argument("text")
@click.option("--file", "files", multiple=True, metavar="PATH", help="A file the step touches.")
@click.option("--budget", type=click.IntRange(min=0), help="Tokens (default: skill_tokens).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
@pass_context
def skills_match(
    obj: Context, text: str, files: tuple[str, ...], budget: int | None, as_json: bool
) -> int:
    """Score every skill against TEXT (a step's goal) and show which would be chosen."""
    from talkgit.commands import skills as command

    return command.match_skills(
        obj.directory, text, files, budget=budget, as_json=as_json, out=sys.stdout
    )


def _gate_names(value: str | None) -> tuple[str, ...]:
    return tuple(name.strip() for name in (value or "").split(",") if name.strip())


GATES_OPTION = click.option(
    "--gates",
    metavar="NAMES",
    help="Only these gates, comma-separated, e.g. placeholder (default: check_gates).",
)


@cli.group()
def hooks() -> None:
    """Install or remove talkgit's plain git hooks: pre-commit, commit-msg, pre-push.

    For repositories without the pre-commit framework (with it, use talkgit's
    .pre-commit-hooks.yaml). The hooks go where git runs hooks from, core.hooksPath included.
    """


@hooks.command("install")
@click.option("--force", is_flag=True, help="Replace hooks that are not talkgit's; keep backups.")
@pass_context
def hooks_install(obj: Context, force: bool) -> int:
    """Install the hooks; a hook that is not talkgit's is refused without --force."""
    from talkgit.commands import hooks as command

    return command.install(obj.directory, force=force)


@hooks.command("uninstall")
@pass_context
def hooks_uninstall(obj: Context) -> int:
    """Remove talkgit's hooks, putting back the ones `install --force` replaced."""
    from talkgit.commands import hooks as command

    return command.uninstall(obj.directory)


@cli.command("check-staged")
@GATES_OPTION
@pass_context
def check_staged(obj: Context, gates: str | None) -> int:
    """The pre-commit hook: the gates on what is staged, against HEAD.

    Like `talkgit check --staged`, but reads the index git is committing (`git commit -a`
    too) and lets --gates pick the gates. Exit 0 when nothing blocks, 1 when a new finding
    blocks, 8 when a tool failed.
    """
    from talkgit.commands import hook_gates as command

    return command.check_staged(obj.directory, gates=_gate_names(gates))


@cli.command("check-message")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def check_message(obj: Context, file: Path) -> int:
    """The commit-msg hook: refuse malformed Talkgit-* trailers in the message in FILE.

    Prints each fault as FILE:LINE: reason and exits 1; a message that claims no talkgit
    provenance passes.
    """
    from talkgit.commands import check_message as command

    return command.check_message(obj.directory / file, shown=str(file))


@cli.command("check-push")
@click.argument("remote", required=False)
@click.argument("url", required=False)
@GATES_OPTION
@pass_context
def check_push(obj: Context, remote: str | None, url: str | None, gates: str | None) -> int:
    """The pre-push hook: the gates on each range being pushed to REMOTE.

    Reads the refs from stdin as git gives them to a pre-push hook, or pre-commit's
    PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF. A branch new to the remote is judged from
    where it leaves the remote's default branch; deletions are skipped.
    """
    from talkgit.commands import hook_gates as command

    del url  # git passes it; the remote's name is what finds its refs
    return command.check_push(obj.directory, remote, stdin=sys.stdin, gates=_gate_names(gates))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and turn every expected failure into one line and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="talkgit", standalone_mode=False)
    except TalkgitError as exc:
        return _report(exc, exc.exit_code, debug)
    except OSError as exc:
        if not is_no_space(exc):
            raise
        # A write the owning module did not translate (a cache, a tool's output file).
        full = no_space(f"running `talkgit {_command_name(args)}`")
        full.__cause__ = exc  # --debug shows where
        return _report(full, full.exit_code, debug)
    except click.exceptions.Abort:
        return _interrupted()
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return _interrupted()
    return result if isinstance(result, int) else exit_codes.OK


def _command_name(args: Sequence[str]) -> str:
    """The subcommand's name: the first word that is neither an option nor ``-C``'s value."""
    words = iter(args)
    for word in words:
        if word == "-C":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return ""


def _report(exc: BaseException, code: int, debug: bool) -> int:
    if debug:
        traceback.print_exception(exc)
    click.echo(f"talkgit: error: {exc}", err=True)
    return code


def _interrupted() -> int:
    click.echo("talkgit: interrupted", err=True)
    return exit_codes.INTERRUPTED
