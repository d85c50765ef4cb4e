"""The `grader` command: parses arguments, calls the library, maps errors to exit statuses.

Exit statuses: 0 success; 1 the work ran but something was graded as failing;
2 bad input or environment, with one line on stderr. Nothing else in the package catches
``GraderError``; nothing here computes a grade.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any, NoReturn

import click

from grader import __version__
from grader.cli import checking, classes, importing, inspecting, rubric, tools, worker
from grader.errors import GraderError
from grader.sanitizer import for_terminal

_INTERNAL_ERROR = 3  # a bug in grader itself, not in the input: outside the 0/1/2 contract


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="grader")
def cli() -> None:
    """Grade Docker course exercises by building them on a real Docker Engine."""


# One module per group of commands; each command is registered here, once.
cli.add_command(inspecting.inspect)
cli.add_command(checking.check)
cli.add_command(classes.grade)
cli.add_command(classes.report)
cli.add_command(classes.export_command)
cli.add_command(classes.merge)
cli.add_command(worker.worker)
cli.add_command(rubric.rubric)
cli.add_command(tools.init)
cli.add_command(tools.prefetch)
cli.add_command(tools.clean)
cli.add_command(tools.schema)
cli.add_command(importing.import_command)


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    # SIGTERM unwinds like Ctrl-C, so every `with Engine` block removes what it made.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point: run a command, turn every outcome into an exit status and one line."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        status: Any = cli.main(args=argv, prog_name="grader", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(2)
    except click.UsageError as exc:
        words = list(sys.argv[1:] if argv is None else argv)
        named = f"grader {words[0]}" if words and words[0] in cli.commands else "grader"
        command = exc.ctx.command_path if exc.ctx else named
        click.echo(f"{command}: {exc.format_message()} (see {command} --help)", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"grader: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("grader: interrupted", err=True)
        sys.exit(130)
    except GraderError as exc:
        click.echo(for_terminal(f"grader: {exc}"), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: say so in one line; GRADER_DEBUG=1 shows the traceback
        if os.environ.get("GRADER_DEBUG"):
            raise
        click.echo(
            for_terminal(
                f"grader: internal error: {type(exc).__name__}: {exc} "
                "(a bug in grader; run with GRADER_DEBUG=1 for the traceback)"
            ),
            err=True,
        )
        sys.exit(_INTERNAL_ERROR)
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
