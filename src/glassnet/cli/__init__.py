"""The ``glassnet`` command: train, evaluate, predict, explain, inspect, plot, export and the
playground.

Every command is a thin layer over the library: read the data (``datasets.read_csv``), let
``glassnet.tasks`` decide the task, output layer, loss and split, ``fit``, write the model with
``glassnet.io``, draw it with ``glassnet.plots``. One module per family of commands:

- ``train``: ``glassnet train`` (``networks``: the network it builds from its options);
- ``evaluate``: ``glassnet evaluate`` and ``glassnet predict``;
- ``inspect``: ``glassnet inspect`` and ``glassnet explain``;
- ``plot``, ``export``, ``datasets``, ``demo``, ``playground``: the commands of those names;
- ``data``: where rows come from (a CSV file, standard input, a built-in dataset);
- ``common``: the consoles, one-line errors (see there for the exit statuses) and option types.

Files are written atomically (a temporary file renamed into place), so a failed or interrupted
command never leaves a half-written model, plot or predictions file behind.

click and rich are imported here and only here: ``import glassnet`` does not load them.
"""

from __future__ import annotations

import os
import sys
import traceback

import click

import glassnet
from glassnet.cli.common import (
    DEBUG_VARIABLE,
    EXIT_BUG,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Failure,
    Settings,
)
from glassnet.cli.datasets import datasets_command
from glassnet.cli.demo import demo
from glassnet.cli.evaluate import evaluate_command, predict
from glassnet.cli.export import export
from glassnet.cli.inspect import explain, inspect
from glassnet.cli.playground import playground
from glassnet.cli.plot import plot
from glassnet.cli.train import train

__all__ = ["cli", "main"]


def main(argv=None) -> None:
    """Run the ``glassnet`` command with ``argv`` (default ``sys.argv[1:]``) and exit."""
    try:
        result = cli.main(args=argv, prog_name="glassnet", standalone_mode=False)
    except click.UsageError as error:
        hint = f" (see '{error.ctx.command_path} --help')" if error.ctx is not None else ""
        _exit(f"error: {error.format_message()}{hint}", EXIT_USAGE)
    except Failure as error:
        _exit(error.prefix + error.format_message(), error.exit_code)
    except click.ClickException as error:
        _exit(f"error: {error.format_message()}", error.exit_code)
    except (click.Abort, KeyboardInterrupt):
        _exit("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`glassnet predict ... | head`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FAILURE)
    except Exception as error:
        # Not a mistake in the input: a bug. Say so, rather than pass it off as the user's.
        if Settings.debug:
            traceback.print_exc()
        where = "" if Settings.debug else f"; run with --debug or {DEBUG_VARIABLE}=1 to see where"
        _exit(
            f"error: internal error, a bug in glassnet {glassnet.__version__}: "
            f"{type(error).__name__}: {error}{where}, and please report it",
            EXIT_BUG,
        )
    sys.exit(result if isinstance(result, int) else 0)


def _exit(message: str, status: int) -> None:
    print(f"glassnet: {' '.join(message.splitlines())}", file=sys.stderr)
    sys.exit(status)


def _debug(ctx, param, value: bool) -> None:
    if value:
        Settings.debug = True


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    invoke_without_command=True,
)
@click.version_option(
    glassnet.__version__, "--version", prog_name="glassnet", message="%(prog)s %(version)s"
)
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_debug,
    help=f"Print the traceback of an error (or set {DEBUG_VARIABLE}=1).",
)
@click.pass_context
def cli(ctx) -> None:
    """glassnet: train small neural networks and see every number inside them.

    \b
    Examples:
      glassnet demo                      # the beginner tutorial, end to end
      glassnet datasets --export gender people.csv
      glassnet train people.csv --target gender --ignore name --out people.safetensors
      glassnet evaluate people.safetensors people.csv
      glassnet explain people.safetensors --input -2,-1
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


for _command in (
    demo,
    train,
    evaluate_command,
    predict,
    explain,
    inspect,
    plot,
    export,
    datasets_command,
    playground,
):
    cli.add_command(_command)
