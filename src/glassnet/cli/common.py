"""What every command shares: the consoles, one-line errors, and the option types.

Errors reach the user as one line on stderr, ``glassnet: error: ...``:

- a mistake in the command line (an unknown option or value, an output folder that does not
  exist or cannot be written) exits with status 2;
- a problem with the data or a model file (missing, empty, a cell that is not a number, a
  corrupted model, training that diverged, not enough memory) exits with status 1;
- an unexpected exception is a bug in glassnet: it says so and exits with status 70; its
  traceback is printed with ``glassnet --debug`` or ``GLASSNET_DEBUG=1``;
- Ctrl-C stops cleanly, says what was saved, and exits with status 130.
"""

from __future__ import annotations

import functools
import os
import traceback
from pathlib import Path

import click
import numpy as np
from rich.console import Console

import glassnet
from glassnet import activations, specs
from glassnet._files import check_writable
from glassnet.layers import Dense, Dropout
from glassnet.threads import MAX_THREADS
from glassnet.training import TrainingDiverged

#: Exit statuses: a data or model problem, a command-line mistake, a bug (sysexits'
#: EX_SOFTWARE), Ctrl-C (128 + SIGINT).
EXIT_FAILURE, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 1, 2, 70, 130

#: Set to a non-empty value other than 0 to see the traceback of every error.
DEBUG_VARIABLE = "GLASSNET_DEBUG"

# No markup or emoji codes: a file named "data[1].csv" or a label ":)" prints as it is.
stdout = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


class Failure(click.ClickException):
    """A problem with the data or a model file: one line on stderr, exit status 1."""

    exit_code = EXIT_FAILURE
    prefix = "error: "


class Interrupted(Failure):
    """Ctrl-C: one line saying what was (not) saved, exit status 130."""

    exit_code = EXIT_INTERRUPTED
    prefix = ""


class Settings:
    """Whether tracebacks are shown: ``--debug`` or the ``GLASSNET_DEBUG`` variable."""

    debug = os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")


def reports_errors(command):
    """Turn the library's errors about data and files into a one-line ``Failure``."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (click.ClickException, BrokenPipeError):
            raise
        except KeyboardInterrupt:
            raise Interrupted("interrupted; nothing was written") from None
        except (ValueError, TrainingDiverged, OSError, MemoryError) as error:
            if Settings.debug:
                traceback.print_exc()
            raise Failure(error_message(error)) from None

    return wrapper


def error_message(error: BaseException) -> str:
    """One line for an error of the data, a file or the machine."""
    if isinstance(error, MemoryError):
        return f"out of memory{f': {error}' if str(error) else ''}"
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror[0].lower()}{error.strerror[1:]}"
    return str(error)


# -- option types ----------------------------------------------------------------------------------


class OutputFile(click.Path):
    """A file to write: its folder must exist and be writable, and it must not be a folder."""

    name = "output file"

    def __init__(self):
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value, param, ctx):
        path = Path(super().convert(value, param, ctx))
        folder = path.parent
        if not folder.is_dir():
            self.fail(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
        try:
            check_writable(path)
        except IsADirectoryError:
            self.fail(f"{str(path)!r} is a folder, expected a file name")
        except OSError as error:
            self.fail(f"cannot write {error_message(error)}")
        return path


def hidden_sizes(ctx, param, value: str) -> tuple[int, ...]:
    """Parse ``--hidden 16,16`` into ``(16, 16)``; ``0`` or ``none`` mean no hidden layer."""
    text = value.strip().lower()
    if text in ("", "0", "none"):
        return ()
    return _positive_ints(value, "layer sizes", "16,16")


def input_shape(ctx, param, value: str | None) -> tuple[int, ...] | None:
    """Parse ``--input-shape 1,28,28`` into ``(1, 28, 28)``."""
    return None if value is None else _positive_ints(value, "sizes", "1,28,28")


def _positive_ints(value: str, what: str, example: str) -> tuple[int, ...]:
    """Comma-separated positive integers, or a ``BadParameter`` naming ``what`` they are."""
    try:
        parsed = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(
            f"expected {what} separated by commas, such as {example}; got {value!r}"
        ) from None
    if any(number < 1 for number in parsed):
        singular = "layer size" if what == "layer sizes" else "size"
        raise click.BadParameter(f"every {singular} must be a positive integer, got {value!r}")
    return parsed


def column_names(ctx, param, value: str | None) -> tuple[str, ...]:
    """Parse ``--ignore id,name`` into ``("id", "name")``."""
    if value is None:
        return ()
    names = tuple(part.strip() for part in value.split(","))
    if not all(names):
        raise click.BadParameter(
            f"expected column names separated by commas, such as id,name; got {value!r}"
        )
    return names


def numbers(ctx, param, value: str | None) -> np.ndarray | None:
    """Parse ``--input 1.5,2.0`` into a float array."""
    if value is None:
        return None
    try:
        parsed = np.array([float(part) for part in value.split(",")], dtype=np.float64)
    except ValueError:
        raise click.BadParameter(
            f"expected numbers separated by commas, such as 1.5,2.0; got {value!r}"
        ) from None
    if not np.isfinite(parsed).all():
        raise click.BadParameter(f"expected finite numbers, got {value!r}")
    return parsed


def _use_threads(ctx, param, value: int | None) -> None:
    """Limit the BLAS to ``--threads N`` before the command runs; None leaves it as it is."""
    if value is None:
        return
    try:
        glassnet.set_num_threads(value)
    except RuntimeError as error:
        raise Failure(str(error)) from None


def _delimiter(ctx, param, value: str | None) -> str | None:
    """``--delimiter ';'``; ``tab`` or ``\\t`` name the tab."""
    if value is None:
        return None
    value = "\t" if value.lower() in ("tab", "\\t") else value
    if len(value) != 1 or value in '"\r\n':
        raise click.BadParameter(
            f"expected one character other than a quote, such as ';' or tab; got {value!r}"
        )
    return value


MODEL = click.Path(dir_okay=False, path_type=Path)
CSV = click.Path(dir_okay=False, path_type=Path)
CSV_OR_STDIN = click.Path(dir_okay=False, path_type=Path, allow_dash=True)
HIDDEN_ACTIVATIONS = [name for name in activations.NAMES if name != "softmax"]
# Applied while the command line is read, so the commands take no threads argument.
threads_option = click.option(
    "--threads",
    type=click.IntRange(min=1, max=MAX_THREADS),
    metavar="N",
    expose_value=False,
    callback=_use_threads,
    help="BLAS threads for the matrix products (default: unchanged, e.g. OPENBLAS_NUM_THREADS).",
)
delimiter_option = click.option(
    "--delimiter",
    metavar="CHAR",
    callback=_delimiter,
    help="The CSV cell separator, e.g. ';' or tab (default: the one the header line uses).",
)


def architecture(network) -> str:
    """Layer sizes, the tutorial's way, ``2-2-1``, for a network of Dense (and Dropout)
    layers; else its input shape and layer spec, ``1x28x28 conv:16:3,maxpool:2,...``."""
    if all(isinstance(layer, (Dense, Dropout)) for layer in network.layers):
        dense = [layer for layer in network.layers if isinstance(layer, Dense)]
        return "-".join(map(str, [network.n_in, *(layer.n_out for layer in dense)]))
    shape = "x".join(map(str, network.input_shape))
    return f"{shape} {specs.spec_of(network)}"


def shape_text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def numbers_text(values) -> str:
    return "[" + ", ".join(f"{float(v):.4g}" for v in np.ravel(values)) + "]"
