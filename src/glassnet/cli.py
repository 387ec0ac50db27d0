"""The ``glassnet`` command: train, evaluate, predict, explain, inspect and plot from a shell.

Every command is a thin layer over the library: read the data (``datasets.read_csv``), build a
``Network``, ``fit`` it, write it with ``glassnet.io``, draw it with ``glassnet.plots``. What the
command adds is the choice of sensible defaults from the data and the handling of mistakes:

- a mistake in the command line (an unknown option or option value, an output folder that does
  not exist) prints one line ``glassnet: error: ...`` on stderr and exits with status 2;
- a problem with the data or a model file (missing, empty, a cell that is not a number, a
  corrupted model, training that diverged) prints one such line and exits with status 1;
- Ctrl-C stops cleanly, says what was saved, and exits with status 130.

Files are written atomically (a temporary file renamed into place), so a failed or interrupted
command never leaves a half-written model, plot or predictions file behind.

click and rich are imported here and only here: ``import glassnet`` does not load them.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import os
import sys
from contextlib import nullcontext
from inspect import signature
from pathlib import Path

import click
import numpy as np
from rich.console import Console
from rich.table import Table

import glassnet
from glassnet import activations, datasets, losses, metrics, optimizers, specs
from glassnet import io as model_io
from glassnet._checks import MAX_EXACT_INTEGER
from glassnet._files import atomic_write
from glassnet.callbacks import Callback, EarlyStopping, EpochLogger
from glassnet.demo import PRINT_EVERY
from glassnet.layers import Dense, Dropout
from glassnet.plots import label_text as _text
from glassnet.preprocessing import LabelEncoder, check_labels, one_hot
from glassnet.training import TrainingDiverged, evaluate

#: Exit statuses: a data or model problem, a command-line mistake, Ctrl-C (128 + SIGINT).
EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130

#: A numeric target with at most this many distinct integer values is taken as class labels.
MAX_CLASSES = 20

#: inspect lists at most this many input names (and standardisation rows).
MAX_NAMES_SHOWN = 20

#: Below this many rows, no validation data is held out unless --validation-split asks for it.
MIN_ROWS_FOR_VALIDATION = 20

#: The fraction of rows held out for validation by default.
DEFAULT_VALIDATION_SPLIT = 0.2

_CROSS_ENTROPIES = ("cross_entropy", "binary_cross_entropy")

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
    except click.Abort:
        _exit("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`glassnet predict ... | head`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FAILURE)
    sys.exit(result if isinstance(result, int) else 0)


def _exit(message: str, status: int) -> None:
    print(f"glassnet: {' '.join(message.splitlines())}", file=sys.stderr)
    sys.exit(status)


def _reports_errors(command):
    """Turn the library's errors about data and files into a one-line ``Failure``."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (click.ClickException, BrokenPipeError):
            raise
        except KeyboardInterrupt:
            raise Interrupted("interrupted; nothing was written") from None
        except (ValueError, TrainingDiverged) as error:
            raise Failure(str(error)) from None
        except OSError as error:
            raise Failure(_os_message(error)) from None

    return wrapper


def _os_message(error: OSError) -> str:
    if error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror[0].lower()}{error.strerror[1:]}"
    return str(error)


# -- option types ----------------------------------------------------------------------------------


class OutputFile(click.Path):
    """A file to write: its folder must exist and it must not be a folder."""

    name = "output file"

    def __init__(self):
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value, param, ctx):
        path = Path(super().convert(value, param, ctx))
        folder = path.parent
        if not folder.is_dir():
            self.fail(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
        if path.is_dir():
            self.fail(f"{str(path)!r} is a folder, expected a file name")
        return path


def _hidden_sizes(ctx, param, value: str) -> tuple[int, ...]:
    """Parse ``--hidden 16,16`` into ``(16, 16)``; ``0`` or ``none`` mean no hidden layer."""
    text = value.strip().lower()
    if text in ("", "0", "none"):
        return ()
    return _positive_ints(value, "layer sizes", "16,16")


def _input_shape(ctx, param, value: str | None) -> tuple[int, ...] | None:
    """Parse ``--input-shape 1,28,28`` into ``(1, 28, 28)``."""
    return None if value is None else _positive_ints(value, "sizes", "1,28,28")


def _positive_ints(value: str, what: str, example: str) -> tuple[int, ...]:
    """Comma-separated positive integers, or a ``BadParameter`` naming ``what`` they are."""
    try:
        numbers = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(
            f"expected {what} separated by commas, such as {example}; got {value!r}"
        ) from None
    if any(number < 1 for number in numbers):
        singular = "layer size" if what == "layer sizes" else "size"
        raise click.BadParameter(f"every {singular} must be a positive integer, got {value!r}")
    return numbers


def _column_names(ctx, param, value: str | None) -> tuple[str, ...]:
    """Parse ``--ignore id,name`` into ``("id", "name")``."""
    if value is None:
        return ()
    names = tuple(part.strip() for part in value.split(","))
    if not all(names):
        raise click.BadParameter(
            f"expected column names separated by commas, such as id,name; got {value!r}"
        )
    return names


def _numbers(ctx, param, value: str | None) -> np.ndarray | None:
    """Parse ``--input 1.5,2.0`` into a float array."""
    if value is None:
        return None
    try:
        numbers = np.array([float(part) for part in value.split(",")], dtype=np.float64)
    except ValueError:
        raise click.BadParameter(
            f"expected numbers separated by commas, such as 1.5,2.0; got {value!r}"
        ) from None
    if not np.isfinite(numbers).all():
        raise click.BadParameter(f"expected finite numbers, got {value!r}")
    return numbers


def _use_threads(ctx, param, value: int | None) -> None:
    """Limit the BLAS to ``--threads N`` before the command runs; None leaves it as it is."""
    if value is None:
        return
    try:
        glassnet.set_num_threads(value)
    except RuntimeError as error:
        raise Failure(str(error)) from None


_MODEL = click.Path(dir_okay=False, path_type=Path)
_CSV = click.Path(dir_okay=False, path_type=Path)
_HIDDEN_ACTIVATIONS = [name for name in activations.NAMES if name != "softmax"]
# Applied while the command line is read, so the commands take no threads argument.
_threads_option = click.option(
    "--threads",
    type=click.IntRange(min=1),
    metavar="N",
    expose_value=False,
    callback=_use_threads,
    help="BLAS threads for the matrix products (default: unchanged, e.g. OPENBLAS_NUM_THREADS).",
)


# -- the command group -----------------------------------------------------------------------------


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    invoke_without_command=True,
)
@click.version_option(
    glassnet.__version__, "--version", prog_name="glassnet", message="%(prog)s %(version)s"
)
@click.pass_context
def cli(ctx) -> None:
    """glassnet: train small neural networks and see every number inside them.

    \b
    Examples:
      glassnet demo                      # the beginner tutorial, end to end
      glassnet train people.csv --target gender --out people.safetensors
      glassnet evaluate people.safetensors test.csv --target gender
      glassnet explain people.safetensors --input 133,65
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@cli.command()
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("."),
    help="Folder for the loss-curve PNG (default: the current folder).",
)
@click.option(
    "--print-every",
    type=click.IntRange(min=1),
    default=PRINT_EVERY,
    show_default=True,
    help="Epochs between two training-loss lines (10: every line of the tutorial).",
)
@_reports_errors
def demo(out_dir: Path, print_every: int) -> None:
    """Run the beginner tutorial end to end.

    A neuron, the 2-2-1 network, MSE, backprop by hand for Alice, training on the four people
    (the loss every 100 epochs), then predictions for Emily and Frank. The loss curve, the
    tutorial's figure 8, is drawn as glassnet-demo-loss.png in --out-dir; the last line gives
    its full path.

    \b
    Examples:
      glassnet demo --out-dir pictures
      glassnet demo --print-every 10
    """
    from glassnet import demo as tutorial

    history = tutorial.run(sys.stdout, print_every=print_every)
    sys.stdout.flush()
    _draw_loss_curve(
        history,
        (out_dir / "glassnet-demo-loss.png").resolve(),
        "the loss curve (the tutorial's figure 8)",
        title="The four people: MSE loss per epoch",
    )


@cli.command()
@click.argument("data", required=False, type=_CSV)
@click.option("--target", "-t", metavar="COLUMN", help="The CSV column to predict.")
@click.option(
    "--dataset",
    type=click.Choice(list(datasets.GENERATORS)),
    help="Train on a built-in dataset instead of a CSV file (see 'glassnet datasets').",
)
@click.option(
    "--ignore",
    metavar="COLUMNS",
    callback=_column_names,
    help="The CSV columns to leave out of the inputs, comma-separated, e.g. an id or a name.",
)
@click.option("--out", "-o", required=True, type=OutputFile(), help="The model file to write.")
@click.option(
    "--hidden",
    default="16,16",
    show_default=True,
    callback=_hidden_sizes,
    help="Hidden layer sizes, comma-separated; 0 for none.",
)
@click.option(
    "--layers",
    "layer_spec",
    metavar="SPEC",
    help="Hidden layers as comma-separated items instead of --hidden, e.g. "
    "conv:16:3,maxpool:2,conv:32:3,maxpool:2,dense:128 or lstm:128 (items: conv:FILTERS:KERNEL"
    "[:STRIDE[:PADDING]], maxpool:SIZE, avgpool:SIZE, globalavgpool, dense:UNITS, dropout:RATE, "
    "batchnorm, flatten, rnn:UNITS[:seq], lstm:UNITS[:seq], gru:UNITS[:seq]).",
)
@click.option(
    "--input-shape",
    callback=_input_shape,
    metavar="C,H,W",
    help="Read each row's feature columns as an image of this shape, e.g. 1,28,28 for 784 "
    "pixel columns (channels, height, width), or as a sequence (time, features), e.g. 28,28 "
    "for a digit read row by row; the inputs are then scaled by one mean and standard "
    "deviation over all values.",
)
@click.option(
    "--activation",
    type=click.Choice(_HIDDEN_ACTIVATIONS),
    default="relu",
    show_default=True,
    help="Activation of the hidden layers.",
)
@click.option(
    "--loss",
    type=click.Choice(losses.NAMES),
    help="Default: binary_cross_entropy for 2 classes, cross_entropy for more, mse for numbers.",
)
@click.option("--optimizer", type=click.Choice(optimizers.NAMES), default="adam", show_default=True)
@click.option(
    "--learning-rate",
    type=click.FloatRange(min=0, min_open=True),
    help="Default: the optimizer's own (0.001 for adam).",
)
@click.option("--epochs", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option(
    "--weight-decay",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="The tutorial's L2 term λ: J gains λ/2 Σ||W||².",
)
@click.option(
    "--dropout",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.0,
    show_default=True,
    help="Dropout rate after each hidden layer.",
)
@click.option(
    "--validation-split",
    type=click.FloatRange(0, 1, max_open=True),
    help=f"Fraction of rows held out (default {DEFAULT_VALIDATION_SPLIT} from "
    f"{MIN_ROWS_FOR_VALIDATION} rows on, else 0).",
)
@click.option(
    "--patience",
    type=click.IntRange(min=1),
    help="Stop after this many epochs without improvement, keeping the best weights.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--dtype", type=click.Choice(["float32", "float64"]), default="float32", show_default=True
)
@_threads_option
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@_reports_errors
def train(
    data,
    target,
    dataset,
    ignore,
    out,
    hidden,
    layer_spec,
    input_shape,
    activation,
    loss,
    optimizer,
    learning_rate,
    epochs,
    batch_size,
    weight_decay,
    dropout,
    validation_split,
    patience,
    seed,
    dtype,
    quiet,
):
    """Train a network on DATA.csv or a built-in dataset.

    Text targets, or numbers with at most 20 distinct integer values, make a classifier
    (sigmoid output for 2 classes, softmax for more); other numbers make a regression (identity
    output, mse). Inputs are standardised: each column by its own mean and scale, or images
    (--input-shape) by one mean and scale over all their pixels. The model is written to
    --out, its loss curve beside it as MODEL.loss.png.

    \b
    Examples:
      glassnet train people.csv --target gender --ignore name --out people.safetensors
      glassnet train --dataset moons --hidden 8,8 --epochs 300 --out moons.safetensors
      glassnet train digits.csv --target label --input-shape 1,28,28 \\
          --layers conv:16:3,maxpool:2,conv:32:3,maxpool:2,dense:128 --out digits.safetensors
      glassnet train digits.csv --target label --input-shape 28,28 --layers lstm:128 \\
          --out rows.safetensors
    """
    # 1. the data, and what kind of target it has
    X, raw_target, where, feature_names, target_name = _training_data(
        data, target, dataset, ignore, seed, dtype
    )
    y, classes = _labels_or_values(raw_target, where)

    # 2. the network and its loss
    loss, output_activation, n_out = _output_for(classes, loss, where)
    targets = _training_targets(y, classes, loss)
    spec = _layer_spec(hidden, layer_spec, dropout)
    if input_shape is not None and math.prod(input_shape) != X.shape[1]:
        raise click.BadParameter(
            f"{'x'.join(map(str, input_shape))} = {math.prod(input_shape)} values per image, "
            f"but the data has {X.shape[1]} feature columns",
            param_hint="'--input-shape'",
        )
    try:
        network = glassnet.build(
            spec,
            input_shape=input_shape or X.shape[1],
            n_out=n_out,
            activation=activation,
            output=output_activation,
            seed=seed,
            dtype=dtype,
        )
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--layers'") from None
    # Later commands take the CSV columns by these names, in whatever order a file has them.
    network.feature_names, network.target_name = feature_names, target_name
    if classes is not None and loss not in _CROSS_ENTROPIES:
        network.classes = classes  # fit sets it for cross-entropies; mse trains on indices

    # 3. training and validation rows
    if validation_split is None:
        validation_split = DEFAULT_VALIDATION_SPLIT if len(X) >= MIN_ROWS_FOR_VALIDATION else 0.0
    labels = y if classes is not None else None
    train_rows, val_rows = _split_rows(len(X), labels, validation_split, seed)
    validation = (X[val_rows], targets[val_rows]) if len(val_rows) else None
    callbacks = []
    if patience is not None:
        monitor = "val_loss" if validation is not None else "loss"
        callbacks.append(EarlyStopping(monitor=monitor, patience=patience))
    if not quiet:
        held_out = f", {len(val_rows)} held out for validation" if len(val_rows) else ""
        task = f"tell {len(classes)} classes apart" if classes is not None else "predict numbers"
        stderr.print(
            f"Training a {_architecture(network)} network to {task} ({loss}) on "
            f"{len(train_rows)} rows{held_out}, for up to {epochs} epochs"
        )

    # 4. fit, with progress; Ctrl-C leaves nothing behind
    with _Progress(epochs, quiet) as progress:
        try:
            history = network.fit(
                X[train_rows],
                targets[train_rows],
                loss=loss,
                optimizer=optimizer,
                learning_rate=learning_rate,
                epochs=epochs,
                batch_size=batch_size,
                weight_decay=weight_decay,
                validation_data=validation,
                standardize=True,
                callbacks=[*callbacks, *progress.callbacks],
                seed=seed,
            )
        except KeyboardInterrupt:
            raise Interrupted(
                f"training interrupted after {progress.epochs_done} of {epochs} epochs; "
                "nothing was saved"
            ) from None

    # 5. the final metrics, the model file and its loss curve
    if not quiet:
        rows = {"training": evaluate(network, X[train_rows], targets[train_rows], loss=loss)}
        if validation is not None:
            rows["validation"] = evaluate(network, *validation, loss=loss)
        stopped = ""
        if history.best_epoch is not None:
            stopped = f"; kept the weights of epoch {history.best_epoch}"
        stdout.print(_metrics_table(rows, f"After {history.epochs} epochs{stopped}"))
    try:
        model_io.save(network, out)
    except KeyboardInterrupt:
        raise Interrupted("interrupted while saving; nothing was saved") from None
    if not quiet:
        stdout.print(f"Saved the model to {out} ({network.n_parameters} parameters)")
    try:
        _draw_loss_curve(history, out.with_suffix(".loss.png"), "its loss curve", quiet)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted; the model was saved to {out}, its loss curve was not"
        ) from None


@cli.command("evaluate")
@click.argument("model", type=_MODEL)
@click.argument("data", type=_CSV)
@click.option(
    "--target",
    "-t",
    metavar="COLUMN",
    help="The column to compare with (default: the model's target, when it records one).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@_threads_option
@_reports_errors
def evaluate_command(model, data, target, as_json) -> None:
    """Score MODEL on labelled data.

    Accuracy, loss and the confusion matrix for a classifier; MSE, MAE and R² for a regression.
    A model that records its column names takes its inputs from DATA.csv by name, in any order;
    the other columns (an id, a name) are not read.

    \b
    Example:
      glassnet evaluate people.safetensors test.csv --target gender --json
    """
    network = model_io.load(model)
    target = _target_for(network, model, target)
    X, table = _model_inputs(network, data, target)
    where = f"{data}, column {target!r}"
    if network.classes is not None:
        y = _labels_for_model(network, table.target, where)
        loss = _model_loss(network)
        targets = _training_targets(y, network.classes, loss)
        scores = evaluate(network, X, targets, loss=loss, metrics=("accuracy",))
        predicted = network.predict(X)
        confusion = metrics.confusion_matrix(y, predicted, network.classes)
        labels = network.classes.tolist()
        result = {
            "task": "classification",
            "n_samples": len(X),
            "accuracy": scores["accuracy"],
            "loss": scores["loss"],
            "loss_name": loss,
            "classes": labels,
            "confusion_matrix": confusion.tolist(),
        }
    else:
        if table.target.dtype.kind != "f":
            raise Failure(f"{where}: expected numbers for a regression model, got text")
        predicted = network.predict(X)
        y = table.target.reshape(predicted.shape)
        result = {
            "task": "regression",
            "n_samples": len(X),
            "mse": metrics.mean_squared_error(y, predicted),
            "mae": metrics.mean_absolute_error(y, predicted),
            "r2": metrics.r2_score(y, predicted),
        }
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    summary = Table(title=f"{model} on {data} ({len(X)} rows)", title_justify="left")
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    if result["task"] == "classification":
        summary.add_row("accuracy", f"{result['accuracy']:.4f}")
        summary.add_row(f"loss ({result['loss_name']})", f"{result['loss']:.4f}")
    else:
        summary.add_row("mean squared error", f"{result['mse']:.6g}")
        summary.add_row("mean absolute error", f"{result['mae']:.6g}")
        summary.add_row("R²", f"{result['r2']:.4f}")
    stdout.print(summary)
    if result["task"] == "classification":
        matrix = Table(
            title="Confusion matrix (rows: true label, columns: predicted)", title_justify="left"
        )
        matrix.add_column("true \\ predicted")
        for label in labels:
            matrix.add_column(_text(label), justify="right")
        for label, counts in zip(labels, confusion.tolist(), strict=True):
            matrix.add_row(_text(label), *map(str, counts))
        stdout.print(matrix)


@cli.command()
@click.argument("model", type=_MODEL)
@click.argument("data", type=_CSV)
@click.option(
    "--out", "-o", type=OutputFile(), help="Write the predictions here (default: stdout)."
)
@click.option("--proba", is_flag=True, help="Add one probability column per class.")
@click.option(
    "--target",
    "-t",
    metavar="COLUMN",
    help="A column of DATA.csv to leave out of the inputs (default: the model's target).",
)
@_threads_option
@_reports_errors
def predict(model, data, out, proba, target) -> None:
    """Predict one row of output per row of DATA.csv, as CSV.

    A model that records its column names takes its inputs from DATA.csv by name, in any
    order; the other columns (an id, a name, the target) are not read as inputs. An older model
    takes every column but --target, in the order used for training. A classifier answers with
    the labels it was trained on; --proba adds their probabilities.

    \b
    Example:
      glassnet predict people.safetensors new-people.csv --proba --out predictions.csv
    """
    network = model_io.load(model)
    if proba and network.classes is None:
        raise click.UsageError(f"--proba needs a classifier, but {model} is a regression model")
    X, _ = _model_inputs(network, data, target)
    header = ["prediction"]
    if network.classes is not None:
        rows = [[_text(label)] for label in network.predict(X).tolist()]
        if proba:
            header += [f"proba_{_text(label)}" for label in network.classes.tolist()]
            for row, probabilities in zip(rows, network.predict_proba(X).tolist(), strict=True):
                row.extend(f"{p:.6g}" for p in probabilities)
    else:
        output = network.predict(X)
        if network.n_out > 1:
            header = [f"prediction_{i + 1}" for i in range(network.n_out)]
        rows = [[f"{value:.7g}" for value in values] for values in output.tolist()]
    with atomic_write(out, "w") if out is not None else nullcontext(sys.stdout) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    if out is not None:
        click.echo(f"Wrote {len(rows)} predictions to {out}", err=True)


@cli.command()
@click.argument("model", type=_MODEL)
@click.option(
    "--input",
    "-i",
    "values",
    required=True,
    callback=_numbers,
    metavar="X1,X2,...",
    help="One sample's features, comma-separated, in the model's column order (see inspect).",
)
@click.option(
    "--target",
    "-t",
    metavar="Y",
    help="The true label (classifier) or value (regression); default: the model's prediction.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON.")
@_reports_errors
def explain(model, values, target, as_json) -> None:
    """Trace one sample forward and backward, step by step.

    The forward pass, the loss and backprop's residuals and gradients, in the notation of the
    tutorial's section 7; for a 2-2-1 network, the chain rule for every weight as well.

    \b
    Examples:
      glassnet explain people.safetensors --input 133,65 --target F
      glassnet explain house.safetensors --input 3,120,1995
    """
    network = model_io.load(model)
    if len(values) != network.n_in:
        raise click.BadParameter(
            f"{model} takes {network.n_in} features, got {len(values)}: {values.tolist()}",
            param_hint="'--input'",
        )
    named = ""
    if network.feature_names is not None:
        pairs = zip(network.feature_names, values.tolist(), strict=True)
        named = " (" + ", ".join(f"{name} = {value:.4g}" for name, value in pairs) + ")"
    notes = [
        f"Model {_architecture(network)} from {model}; input x = {_numbers_text(values)}{named}"
    ]
    x = network.scale_inputs(network.check_inputs(values.reshape(1, -1)))
    if network.scaler is not None:
        notes.append(
            "The model standardises its inputs with the training data's mean and scale, so the "
            f"trace starts from a^(1) = (x - mean) / scale = {_numbers_text(x[0])}"
        )
    loss = _model_loss(network)
    if network.classes is not None:
        labels = [_text(label) for label in network.classes.tolist()]
        if target is None:
            label = _text(network.predict(values.reshape(1, -1))[0])
            notes.append(f"No --target given: using the model's prediction {label!r} as the target")
        elif target not in labels:
            raise click.BadParameter(
                f"{target!r} is not a class of {model}; its classes are: {', '.join(labels)}",
                param_hint="'--target'",
            )
        else:
            label = target
        index = labels.index(label)
        y = _training_targets(np.array([index]), np.arange(len(labels)), loss)
        if y.ndim == 2:  # the one-hot row of mse on more than two classes
            y = y[0]
        notes.append(f"Target {label!r} is class index {index} of [{', '.join(labels)}]")
    else:
        if target is None:
            y = network.predict(values.reshape(1, -1))[0]
            notes.append(f"No --target given: using the model's prediction {_numbers_text(y)}")
        else:
            y = _numbers(None, None, target)
            if y is None or len(y) != network.n_out:
                raise click.BadParameter(
                    f"expected {network.n_out} number(s), got {target!r}", param_hint="'--target'"
                )
    notes.append(f"Loss: {loss}")
    trace = network.explain(values, y, loss=loss)  # explain applies the scaler itself
    if as_json:
        click.echo(json.dumps({"notes": notes, **trace.to_dict()}, indent=2))
        return
    for note in notes:
        click.echo(note)
    click.echo()
    click.echo(str(trace))


@cli.command()
@click.argument("model", type=_MODEL)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@_reports_errors
def inspect(model, as_json) -> None:
    """Show what a model file holds.

    Layers and parameter counts, the classes, the input standardisation, and a summary of
    training.

    \b
    Example:
      glassnet inspect people.safetensors
    """
    summary = model_io.inspect(model)
    network = model_io.load(model)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    layers = Table(
        title=f"{model}: network {_architecture(network)}, {summary['dtype']}",
        title_justify="left",
    )
    for column in ("layer", "type", "units", "settings", "parameters"):
        layers.add_column(column, justify="right" if column == "parameters" else "left")
    shape = network.input_shape
    for index, layer in enumerate(network.layers):
        if isinstance(layer, Dense):
            units = f"{layer.n_in} → {layer.n_out}"
        else:
            units = f"{_shape_text(shape)} → {_shape_text(layer.output_shape)}"
        count = layer.n_parameters
        layers.add_row(
            str(index), type(layer).__name__, units, _settings(layer), f"{count:,}" if count else ""
        )
        shape = layer.output_shape
    layers.add_row("", "", "", "total", f"{summary['n_parameters']:,}")
    stdout.print(layers)

    if network.classes is not None:
        classes = ", ".join(_text(label) for label in network.classes.tolist())
        stdout.print(f"Task: classifier, {len(network.classes)} classes: {classes}")
    else:
        stdout.print(f"Task: regression, {network.n_out} output(s)")
    if len(network.input_shape) > 1:
        stdout.print(f"Inputs read as samples of shape {_shape_text(network.input_shape)}")
    if network.feature_names is not None:
        shown = ", ".join(network.feature_names[:MAX_NAMES_SHOWN])
        if network.n_in > MAX_NAMES_SHOWN:
            shown += f", ... ({network.n_in - MAX_NAMES_SHOWN} more)"
        stdout.print(f"Inputs: {network.n_in} columns, by name: {shown}")
    else:
        stdout.print(f"Inputs: {network.n_in} columns, by position (no names stored)")
    if network.target_name is not None:
        stdout.print(f"Target: column {network.target_name!r}")
    scaler = network.scaler
    if scaler is not None and np.all(scaler.mean == scaler.mean[0]) and network.n_in > 1:
        stdout.print(
            f"Preprocessing: inputs standardised by one mean and scale, x' = (x - "
            f"{scaler.mean[0]:.6g}) / {scaler.scale[0]:.6g}"
        )
    elif scaler is not None:
        stdout.print("Preprocessing: inputs standardised, x' = (x - mean) / scale")
        if network.n_in <= MAX_NAMES_SHOWN:
            scaler = Table(show_header=True, box=None, padding=(0, 2))
            scaler.add_column("  feature")
            scaler.add_column("mean", justify="right")
            scaler.add_column("scale", justify="right")
            names = network.feature_names or [
                f"column {index}" for index in range(1, network.n_in + 1)
            ]
            for name, mean, scale in zip(
                names, network.scaler.mean, network.scaler.scale, strict=True
            ):
                scaler.add_row(f"  {name}", f"{mean:.6g}", f"{scale:.6g}")
            stdout.print(scaler)
    else:
        stdout.print("Preprocessing: none")
    history = summary["history"]
    if history is None:
        stdout.print("Training: no history stored")
    else:
        best = f", best epoch {history['best_epoch']}" if history["best_epoch"] is not None else ""
        final = ", ".join(
            f"{key} {value:.4g}"
            for key, value in history["final"].items()
            if not key.startswith(("grad_norm.", "learning_rate"))
        )
        loss = f" with {summary['loss']['name']}" if summary["loss"] else ""
        stdout.print(f"Training: {history['epochs']} epochs{loss}{best}; last epoch: {final}")
    optimizer = summary["optimizer"]
    stored = f"{optimizer['name']} (state stored)" if optimizer else "not stored"
    stdout.print(f"Optimizer: {stored}")
    stdout.print(
        f"File format {summary['format_version']}, written by glassnet "
        f"{summary['glassnet_version']}"
    )


@cli.command()
@click.argument("model", type=_MODEL)
@click.option(
    "--kind",
    "-k",
    type=click.Choice(
        ["loss", "boundary", "network", "gradients", "filters", "activations", "states"]
    ),
    default="loss",
    show_default=True,
    help="loss curve, decision boundary (classifier), network diagram, gradient norms, "
    "first-layer filters or feature maps (of a CNN), hidden states over time (of an RNN).",
)
@click.option(
    "--data", type=_CSV, help="The points of a decision boundary, or the rows for --input."
)
@click.option(
    "--input",
    "row",
    type=click.IntRange(min=1),
    metavar="ROW",
    help="--kind activations or states: draw the feature maps or the hidden states for this "
    "row of --data (1 is the first row after the header).",
)
@click.option(
    "--target", "-t", metavar="COLUMN", help="Their label column (default: the model's target)."
)
@click.option(
    "--features",
    metavar="A,B",
    callback=_column_names,
    help="The two inputs a boundary is drawn over (default: the first two); the model's other "
    "inputs are held at their means over --data.",
)
@click.option(
    "--out", "-o", type=OutputFile(), help="The PNG to write (default: MODEL.<kind>.png)."
)
@_reports_errors
def plot(model, kind, data, target, row, features, out) -> None:
    """Draw a picture of MODEL as a PNG.

    \b
    Examples:
      glassnet plot moons.safetensors --kind network
      glassnet plot moons.safetensors --kind boundary --data moons.csv --target label
      glassnet plot iris.safetensors -k boundary --data iris.csv --features petal_length,sepal_width
      glassnet plot digits.safetensors --kind filters
      glassnet plot digits.safetensors --kind activations --data test.csv --input 7
      glassnet plot rows.safetensors --kind states --data test.csv --input 7
    """
    if kind == "boundary" and data is None:
        raise click.UsageError("--kind boundary needs --data DATA.csv (and --target COLUMN)")
    if features and kind != "boundary":
        raise click.UsageError("--features chooses the inputs of --kind boundary")
    if kind in ("activations", "states") and (data is None or row is None):
        raise click.UsageError(f"--kind {kind} needs --data DATA.csv and --input ROW")
    if row is not None and kind not in ("activations", "states"):
        raise click.UsageError("--input ROW is for --kind activations and --kind states")
    network = model_io.load(model)
    out = out if out is not None else model.with_suffix(f".{kind}.png")
    plots = _plots()
    if kind in ("loss", "gradients"):
        history = network.history
        if history is None:
            raise Failure(f"{model} has no training history to plot")
        draw = plots.loss_curve if kind == "loss" else plots.gradient_norms
        draw(history, out)
    elif kind == "network":
        plots.network_diagram(network, out)
    elif kind == "filters":
        plots.conv_filters(network, out)
    elif kind in ("activations", "states"):
        X, _ = _model_inputs(network, data, target)
        if row > len(X):
            raise click.BadParameter(
                f"{data} has {len(X)} rows, got row {row}", param_hint="'--input'"
            )
        draw = plots.feature_maps if kind == "activations" else plots.hidden_states
        draw(network, X[row - 1], out)
    else:
        if network.classes is None or network.n_in < 2:
            raise Failure(
                f"--kind boundary draws classifiers with 2 or more inputs; {model} is a "
                f"{'classifier' if network.classes is not None else 'regression model'} "
                f"with {network.n_in} input{'s' if network.n_in != 1 else ''}"
            )
        target = _target_for(network, model, target)
        X, table = _model_inputs(network, data, target)
        y = _labels_for_model(network, table.target, f"{data}, column {target!r}")
        plots.decision_boundary(
            network, X, y, out, features=features or None, feature_names=table.feature_names
        )
    click.echo(f"Saved the {kind} plot to {out}")


@cli.command("datasets")
def datasets_command() -> None:
    """List the built-in datasets (for 'glassnet train --dataset NAME').

    \b
    Example:
      glassnet train --dataset moons --out moons.safetensors
    """
    table = Table(title="Built-in datasets", title_justify="left")
    table.add_column("name")
    table.add_column("description")
    for name, description in datasets.describe():
        table.add_row(name, description)
    stdout.print(table)
    stdout.print("Train on one: glassnet train --dataset moons --out moons.safetensors")


# -- helpers ---------------------------------------------------------------------------------------


class _Progress(Callback):
    """Progress while training: a rich bar on a terminal, an epoch line every 10% elsewhere.

    Used as a context manager, so the bar is taken down even when training is interrupted.
    """

    def __init__(self, epochs: int, quiet: bool):
        self.epochs = epochs
        self.epochs_done = 0
        self.callbacks: list[Callback] = [self]
        self.bar = None
        if quiet:
            return
        if stderr.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("epoch {task.completed:>.0f}/{task.total:.0f}"),
                BarColumn(),
                TextColumn("{task.fields[losses]}"),
                TimeRemainingColumn(),
                console=stderr,
                transient=True,
            )
            self.task = self.bar.add_task("training", total=epochs, losses="")
        else:
            self.callbacks.append(EpochLogger(every=max(1, epochs // 10), stream=sys.stderr))

    def __enter__(self):
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc_info):
        if self.bar is not None:
            self.bar.stop()

    def on_epoch_end(self, trainer, epoch, logs):
        self.epochs_done = epoch + 1
        if self.bar is not None:
            text = f"loss {logs['loss']:.4f}"
            if "val_loss" in logs:
                text += f"  val_loss {logs['val_loss']:.4f}"
            self.bar.update(self.task, completed=epoch + 1, losses=text)


def _training_data(
    data, target, dataset, ignore, seed, dtype
) -> tuple[np.ndarray, np.ndarray, str, tuple[str, ...], str]:
    """``(X, raw target, where, feature names, target name)`` from a CSV file, less the
    ``ignore`` columns, or a built-in dataset; ``where`` names the target's source for
    messages. CSV numbers must fit ``dtype``, the network's."""
    if dataset is not None and (data is not None or target is not None):
        raise click.UsageError("give either DATA.csv with --target COLUMN, or --dataset NAME")
    if dataset is None and data is None:
        raise click.UsageError("give DATA.csv with --target COLUMN, or --dataset NAME")
    if dataset is None and target is None:
        raise click.UsageError(f"--target COLUMN is required to train on {data}")
    if dataset is not None and ignore:
        raise click.UsageError("--ignore leaves out columns of DATA.csv; --dataset has none")
    if target in ignore:
        raise click.UsageError(f"--ignore cannot leave out the target column {target!r}")
    if dataset is None:
        columns = _columns_without(data, target, ignore) if ignore else None
        try:
            table = datasets.read_csv(data, target, columns, dtype=dtype)
        except datasets.TextCellError as error:
            raise Failure(f"{error} (leave a column out with --ignore NAME)") from None
        where = f"{data}, column {target!r}"
        return table.features, table.target, where, table.feature_names, target
    generator = datasets.GENERATORS[dataset]
    # The tutorial's four people are fixed; every other dataset is drawn from the seed.
    source = generator(seed=seed) if "seed" in signature(generator).parameters else generator()
    labels = source.y
    if source.label_names is not None:
        labels = np.array(source.label_names)[source.y]  # "F" and "M" rather than 1 and 0
    where = f"dataset {dataset!r}"
    return source.X, labels, where, tuple(source.feature_names), source.target_name


def _columns_without(data, target: str, ignore: tuple[str, ...]) -> list[str]:
    """The feature columns of the CSV file ``data``: every column but the target and ``ignore``,
    in file order; an ignored column the file lacks, or ignoring them all, raises."""
    header = datasets.read_csv_header(data)
    unknown = [name for name in ignore if name not in header]
    if unknown:
        raise Failure(
            f"{data}: no column{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(name) for name in unknown)} to ignore; available columns: "
            f"{', '.join(header)}"
        )
    columns = [name for name in header if name != target and name not in ignore]
    if not columns:
        raise Failure(
            f"{data}: --ignore leaves no feature column; the columns besides the target "
            f"{target!r} are {', '.join(name for name in header if name != target)}"
        )
    return columns


def _labels_or_values(raw, where: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Return ``(y, classes)``: class labels and their sorted distinct values for a
    classification target, or float values and None for a regression target.

    Text is always labels; numbers are labels when they are at most ``MAX_CLASSES`` distinct
    integers (stored as int64, so the model answers ``1`` rather than ``1.0``; whole numbers
    beyond 2**53, which int64 could wrap and float64 does not tell apart, stay floats).
    """
    raw = np.asarray(raw)
    if raw.dtype.kind in "OU":
        y = check_labels(raw, where)
    elif raw.dtype.kind in "iub" or (
        np.all(raw == np.round(raw)) and len(np.unique(raw)) <= MAX_CLASSES
    ):
        y = raw.astype(np.int64) if np.abs(raw).max() <= MAX_EXACT_INTEGER else raw
    else:
        return raw.astype(np.float64), None
    classes = np.unique(y)
    if len(classes) < 2:
        raise Failure(
            f"{where}: the target has a single class ({_text(classes[0])!r}); a classifier "
            "needs at least two"
        )
    return y, classes


def _output_for(classes, loss: str | None, where: str) -> tuple[str, str, int]:
    """``(loss, output activation, output units)`` for the target and the --loss asked for."""
    if classes is None:
        if loss in _CROSS_ENTROPIES:
            raise click.BadParameter(
                f"{loss} needs class labels, but {where} holds numbers with more than "
                f"{MAX_CLASSES} distinct values (a regression target); use mse",
                param_hint="'--loss'",
            )
        return loss or "mse", "identity", 1
    n_classes = len(classes)
    if loss is None:
        loss = "binary_cross_entropy" if n_classes == 2 else "cross_entropy"
    if loss == "binary_cross_entropy" and n_classes != 2:
        raise click.BadParameter(
            f"binary_cross_entropy tells 2 classes apart, but {where} has {n_classes}; "
            "use cross_entropy",
            param_hint="'--loss'",
        )
    if loss == "cross_entropy" or n_classes > 2:
        return loss, "softmax", n_classes
    return loss, "sigmoid", 1


def _training_targets(y: np.ndarray, classes, loss: str) -> np.ndarray:
    """What ``fit`` gets: labels for a cross-entropy (it encodes them), numbers otherwise.

    With mse on class labels, as the tutorial trains its gender classifier, the targets are
    the class index (2 classes, one sigmoid output) or one-hot rows (more, softmax outputs).
    """
    if classes is None or loss in _CROSS_ENTROPIES:
        return y
    indices = LabelEncoder(classes).transform(y)
    return indices.astype(np.float64) if len(classes) == 2 else one_hot(indices, len(classes))


def _layer_spec(hidden: tuple[int, ...], layer_spec: str | None, dropout: float) -> str:
    """The hidden layers as a spec line: ``--layers`` as given, else ``--hidden`` sizes as dense
    items, each followed by a ``--dropout`` item."""
    context = click.get_current_context()
    if layer_spec is None:
        rate = [f"dropout:{dropout!r}"] if dropout else []
        return ",".join(item for size in hidden for item in [f"dense:{size}", *rate])
    for name in ("hidden", "dropout"):
        if context.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT:
            raise click.UsageError(
                f"give --layers or --{name}, not both (a dropout:RATE item goes in --layers)"
            )
    return layer_spec


def _split_rows(n_rows: int, labels, fraction: float, seed: int):
    """Row indices ``(training, validation)``: ``fraction`` of the rows, drawn with ``seed``.

    With ``labels``, each class is split alike and keeps at least one training row, so the
    model learns every class and the validation rows have the same mix as the data.
    """
    rng = np.random.default_rng(seed)
    if labels is None:
        groups = [np.arange(n_rows)]
    else:
        groups = [np.flatnonzero(labels == label) for label in np.unique(labels)]
    held_out = []
    for rows in groups:
        n_held_out = min(round(fraction * len(rows)), len(rows) - 1)
        held_out.append(rng.permutation(rows)[:n_held_out])
    validation = np.sort(np.concatenate(held_out))
    return np.setdiff1d(np.arange(n_rows), validation), validation


def _target_for(network, model, target: str | None) -> str:
    """The label column: ``--target`` when given, else the one the model was trained on."""
    if target is not None:
        return target
    if network.target_name is None:
        raise click.UsageError(
            f"--target COLUMN is required: {model} does not record the column it predicts"
        )
    return network.target_name


def _model_inputs(network, data, target: str | None = None):
    """``(X, table)``: the model's input columns from the CSV file ``data``, and the table read.

    A model that records its ``feature_names`` takes its columns by name, in its own order,
    wherever they are in the file; no other column is parsed except the target: ``target``, or
    else the model's ``target_name`` when the file has that column. A model without names (an
    older file) takes every column but ``target``, by position.

    Returns X ``(n_rows, n_in)`` and the CsvTable.
    """
    header = datasets.read_csv_header(data)
    names = network.feature_names
    if names is None:
        return _inputs_by_position(network, data, header, target)
    available = set(header) - {target}
    missing = [name for name in names if name not in available]
    if missing:
        listed = ", ".join(repr(name) for name in missing)
        hint = f" ({target!r} is the target column)" if target in missing else ""
        raise Failure(
            f"{data}: missing feature column{'s' if len(missing) > 1 else ''} {listed}{hint}; "
            f"the model takes {', '.join(names)}"
        )
    if target is None and network.target_name in header:
        target = network.target_name
    table = datasets.read_csv(data, target, columns=names, dtype=network.dtype)
    return table.features, table


def _inputs_by_position(network, data, header: list[str], target: str | None):
    """``_model_inputs`` for a model without feature names: every column but ``target``."""
    hint = ""
    if target is None and len(header) == network.n_in + 1:
        hint = (
            f" (the model takes {network.n_in} columns, the file has one more: leave the "
            "target column out with --target COLUMN)"
        )
    try:
        table = datasets.read_csv(data, target, dtype=network.dtype)
    except ValueError as error:
        raise Failure(f"{error}{hint}") from None
    n_columns = table.features.shape[1]
    if n_columns != network.n_in:
        raise Failure(
            f"{table.path}: the model takes {network.n_in} feature columns, the file has "
            f"{n_columns} ({', '.join(table.feature_names)})"
        )
    return table.features, table


def _labels_for_model(network, raw, where: str) -> np.ndarray:
    """The target column in the model's labels; a label the model does not know raises."""
    classes = network.classes
    if classes.dtype.kind == "U":
        labels = check_labels([_text(value) for value in np.asarray(raw).tolist()], where)
    else:
        labels = np.asarray(raw)
    known = set(classes.tolist())
    for label in labels.tolist():
        if label not in known:
            raise Failure(
                f"{where}: label {_text(label)!r} is not a class of the model; its classes are: "
                f"{', '.join(_text(c) for c in classes.tolist())}"
            )
    return labels


def _model_loss(network) -> str:
    """The loss to report for a loaded model: the one it was trained with when its file records
    it, else the one its output layer is made for."""
    if network.loss is not None:
        return network.loss.name
    if network.output_layer.activation.name == "softmax":
        return "cross_entropy"
    if network.classes is not None:
        return "binary_cross_entropy"
    return "mse"


def _metrics_table(rows: dict[str, dict[str, float]], title: str) -> Table:
    names = {"loss": "loss", "accuracy": "accuracy", "mae": "mean absolute error", "r2": "R²"}
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for split in rows:
        table.add_column(split, justify="right")
    for key, name in names.items():
        if key in next(iter(rows.values())):
            table.add_row(name, *(f"{values[key]:.4f}" for values in rows.values()))
    return table


def _draw_loss_curve(history, path: Path, what: str, quiet=False, **options) -> None:
    """Draw the loss curve to ``path``, or say why not when matplotlib is missing."""
    try:
        plots = _plots()
    except Failure as error:
        if not quiet:
            click.echo(f"Did not draw {what}: {error.format_message()}", err=True)
        return
    plots.loss_curve(history, path, **options)
    if not quiet:
        click.echo(f"Saved {what} to {path}")


def _plots():
    """``glassnet.plots``, after checking that matplotlib can be imported."""
    from glassnet import plots

    try:
        plots.require_matplotlib()
    except ImportError as error:
        raise Failure(str(error)) from None
    return plots


def _architecture(network) -> str:
    """Layer sizes, the tutorial's way, ``2-2-1``, for a network of Dense (and Dropout)
    layers; else its input shape and layer spec, ``1x28x28 conv:16:3,maxpool:2,...``."""
    if all(isinstance(layer, (Dense, Dropout)) for layer in network.layers):
        dense = [layer for layer in network.layers if isinstance(layer, Dense)]
        return "-".join(map(str, [network.n_in, *(layer.n_out for layer in dense)]))
    shape = "x".join(map(str, network.input_shape))
    return f"{shape} {specs.spec_of(network)}"


#: Config entries that the inspect table shows elsewhere (units) or leaves out (initialisers).
_NOT_SETTINGS = ("type", "n_in", "n_out", "in_channels", "out_channels", "activation")


def _settings(layer) -> str:
    """A layer's configuration in a few words: ``relu``, ``rate 0.5``, ``kernel_size 3, stride 1,
    padding 0, relu``."""
    config = layer.get_config()
    words = [
        f"{key} {'x'.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in config.items()
        if key not in _NOT_SETTINGS and not key.endswith("_init")
    ]
    activation = getattr(layer, "activation", None)
    if activation is not None:
        words.append(activation.name)
    return ", ".join(words)


def _shape_text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def _numbers_text(values) -> str:
    return "[" + ", ".join(f"{float(v):.4g}" for v in np.ravel(values)) + "]"
