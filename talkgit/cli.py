"""The command line: the only module that imports click.

Each subcommand parses its options and hands typed values to ``talkgit.commands.<name>``,
imported inside the callback so that ``talkgit --help`` stays fast. ``main`` is the one
error handler: a TalkgitError becomes one line on stderr and its exit code.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import click

from talkgit import __version__, exit_codes
from talkgit.errors import TalkgitError


class Context:
    """What the group's options give every subcommand."""

    def __init__(self, directory: Path, debug: bool) -> None:
        self.directory = directory
        self.debug = debug


pass_context = click.make_pass_decorator(Context)


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and turn every expected failure into one line and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="talkgit", standalone_mode=False)
    except TalkgitError as exc:
        return _report(exc, exc.exit_code, debug)
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


def _report(exc: BaseException, code: int, debug: bool) -> int:
    if debug:
        traceback.print_exception(exc)
    click.echo(f"talkgit: error: {exc}", err=True)
    return code


def _interrupted() -> int:
    click.echo("talkgit: interrupted", err=True)
    return exit_codes.INTERRUPTED
