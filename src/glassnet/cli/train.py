"""``glassnet train``: a network from a CSV file or a built-in dataset, written to a model file.

The command parses and prints; the decisions are the library's: ``glassnet.tasks`` says
whether the target holds classes or numbers, which output layer and loss suit it, and which
rows are held out for validation; ``fit`` trains.
"""

from __future__ import annotations

import sys

import click
import numpy as np
from rich.table import Table

from glassnet import io as model_io
from glassnet import losses, optimizers, tasks
from glassnet._files import check_writable
from glassnet.callbacks import Callback, EarlyStopping, EpochLogger
from glassnet.cli.common import (
    CSV,
    HIDDEN_ACTIVATIONS,
    Failure,
    Interrupted,
    OutputFile,
    architecture,
    column_names,
    delimiter_option,
    hidden_sizes,
    input_shape,
    reports_errors,
    stderr,
    stdout,
    threads_option,
)
from glassnet.cli.data import training_rows
from glassnet.cli.networks import build_network
from glassnet.cli.plot import draw_loss_curve
from glassnet.datasets import GENERATORS
from glassnet.network import Network
from glassnet.plots import label_text
from glassnet.preprocessing import Standardizer
from glassnet.training import evaluate

#: Below this many rows, no validation data is held out unless --validation-split asks for it.
MIN_ROWS_FOR_VALIDATION = 20

#: The fraction of rows held out for validation by default.
DEFAULT_VALIDATION_SPLIT = 0.2

#: Epochs without improvement on the validation rows before training stops, by default: a
#: quarter of the --epochs budget (``epochs // PATIENCE_SHARE``), and at least
#: ``MIN_PATIENCE``. A small table takes only a few updates an epoch, so its validation loss
#: stalls for many epochs on the way down: waiting 10 epochs, iris stopped after 80-199 of 200
#: epochs at 0.933 (3 seeds); waiting 50, it reached 0.978.
MIN_PATIENCE = 10
PATIENCE_SHARE = 4

#: Dropout after each hidden layer by default, when rows are held out to judge the training
#: (a few rows, as the tutorial's four people, train the plain network): a classifier's answers
#: gain from it (the Keras MNIST example's 0.2: on 8,000 digits about a point of accuracy),
#: while a regression's numbers lose precision from the noise, so it gets none.
DEFAULT_DROPOUT = {"classification": 0.2, "regression": 0.0}

#: A classifier on at least this many input columns (and rows held out) drops inputs too, and
#: more of its hidden units: ``WIDE_DROPOUT`` (input rate, hidden rate). Wide inputs such as
#: pixels or word counts say each thing many times over, so hiding a fifth of them teaches the
#: network not to lean on any one (Hinton et al. 2012 used 0.2 and 0.5), while hiding one of a
#: table's few columns would hide information. On 8,000 MNIST digits, `--hidden 256 --epochs
#: 20`, 5 seeds: 95.43% mean with 0 and 0.2, 95.98% with 0.2 and 0.2, 96.1-96.2% with 0.2 and 0.3.
WIDE_INPUTS = 100
WIDE_DROPOUT = (0.2, 0.3)


@click.command()
@click.argument("data", required=False, type=CSV)
@click.option("--target", "-t", metavar="COLUMN", help="The CSV column to predict.")
@click.option(
    "--dataset",
    type=click.Choice(list(GENERATORS)),
    help="Train on a built-in dataset instead of a CSV file (see 'glassnet datasets').",
)
@click.option(
    "--ignore",
    metavar="COLUMNS",
    callback=column_names,
    help="The CSV columns to leave out of the inputs, comma-separated, e.g. an id or a name.",
)
@delimiter_option
@click.option("--out", "-o", required=True, type=OutputFile(), help="The model file to write.")
@click.option(
    "--task",
    type=click.Choice(tasks.TASKS),
    help=f"What the target holds (default: classes for text and for up to {tasks.MAX_CLASSES} "
    "distinct whole numbers, else numbers).",
)
@click.option(
    "--hidden",
    default="16,16",
    show_default=True,
    callback=hidden_sizes,
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
    callback=input_shape,
    metavar="C,H,W",
    help="Read each row's feature columns as an image of this shape, e.g. 1,28,28 for 784 "
    "pixel columns (channels, height, width), or as a sequence (time, features), e.g. 28,28 "
    "for a digit read row by row; the inputs are then scaled by one mean and standard "
    "deviation over all values.",
)
@click.option(
    "--activation",
    type=click.Choice(HIDDEN_ACTIVATIONS),
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
    help="The tutorial's L2 term λ: J gains the penalty λ/2 Σ||W||², reported apart.",
)
@click.option(
    "--dropout",
    type=click.FloatRange(0, 1, max_open=True),
    help=f"Dropout rate after each hidden layer (default {DEFAULT_DROPOUT['classification']} for "
    f"a classifier with validation rows, {WIDE_DROPOUT[1]} with {WIDE_INPUTS} columns or more, "
    "else 0).",
)
@click.option(
    "--input-dropout",
    type=click.FloatRange(0, 1, max_open=True),
    help=f"Dropout rate on the input columns (default {WIDE_DROPOUT[0]} for a classifier with "
    f"validation rows and {WIDE_INPUTS} columns or more, else 0).",
)
@click.option(
    "--validation-split",
    type=click.FloatRange(0, 1, max_open=True),
    help=f"Fraction of rows held out (default {DEFAULT_VALIDATION_SPLIT} from "
    f"{MIN_ROWS_FOR_VALIDATION} rows on, else 0); each class alike.",
)
@click.option(
    "--patience",
    type=click.IntRange(min=0),
    help=f"Stop after this many epochs without improvement on the validation rows, keeping the "
    f"best (default with validation rows: a quarter of --epochs, at least {MIN_PATIENCE}; 0: "
    "never stop early).",
)
@click.option(
    "--refit/--no-refit",
    default=True,
    show_default=True,
    help="After early stopping chose the epochs on the validation rows, train again on every "
    "row for that many.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--dtype", type=click.Choice(["float32", "float64"]), default="float32", show_default=True
)
@threads_option
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@reports_errors
def train(data, target, dataset, ignore, delimiter, out, task, hidden, activation, loss, **options):
    """Train a network on DATA.csv or a built-in dataset.

    Text targets, or whole numbers with at most 20 distinct values, make a classifier
    (sigmoid output for 2 classes, softmax for more); other numbers make a regression (identity
    output, mse); --task says which instead. Inputs are standardised: each column by its own
    mean and scale, except columns that lie in [0, 1] already (pixels, proportions), or images
    and sequences (--input-shape) by one mean and scale over all their values. From 20 rows
    on, a fifth is held out: a classifier gets dropout 0.2 after each hidden layer (0.3, and 0.2
    on the inputs, from 100 feature columns on), training stops when the held-out rows have not
    improved for --patience epochs and keeps the best epoch, then trains again on
    every row for that many epochs (--no-refit keeps the first model). The model is written to
    --out, its loss curve beside it as MODEL.loss.png.

    \b
    Examples:
      glassnet train people.csv --target gender --ignore name --out people.safetensors
      glassnet train --dataset moons --hidden 8,8 --epochs 300 --out moons.safetensors
      glassnet train --dataset spirals --input-shape 2,1 --layers gru:16 --out spirals.safetensors
    """
    quiet, seed = options["quiet"], options["seed"]
    check_writable(out.with_suffix(".loss.png"))
    # 1. the data, and what its target holds
    rows = training_rows(data, target, dataset, ignore, seed, delimiter, options["dtype"])
    task, y, note = _task_and_targets(rows, task, loss)
    n_classes = len(np.unique(y)) if task == "classification" else None

    # 2. the output layer and loss for the task
    try:
        spec = tasks.output_spec(task, n_classes or 1, loss)
    except ValueError as error:
        raise click.BadParameter(f"{rows.where}: {error}", param_hint="'--loss'") from None

    # 3. training and validation rows, each class alike, and the defaults they allow
    X = rows.X
    split = options["validation_split"]
    if split is None:
        split = DEFAULT_VALIDATION_SPLIT if len(X) >= MIN_ROWS_FOR_VALIDATION else 0.0
    labels = y if task == "classification" else None
    train_rows, val_rows = tasks.stratified_split(
        len(X), split, np.random.default_rng(seed), labels
    )
    validation = (X[val_rows], y[val_rows]) if len(val_rows) else None
    epochs, patience = options["epochs"], options["patience"]
    if patience is None:
        patience = default_patience(epochs, validation is not None)
    options["input_dropout"], dropout = _dropout_rates(
        task, validation is not None, X.shape[1], options
    )
    refit = options["refit"] and validation is not None and patience > 0

    def new_network() -> Network:
        network = build_network(rows.X.shape[1], hidden, activation, dropout, spec, options)
        # Later commands take the CSV columns by these names, in any order a file has them.
        network.feature_names, network.target_name = rows.feature_names, rows.target_name
        return network

    network = new_network()
    if not quiet:
        held_out = f", {len(val_rows)} held out for validation" if len(val_rows) else ""
        what = f"tell {n_classes} classes apart" if n_classes else "predict numbers"
        stderr.print(
            f"Training a {architecture(network)} network to {what} ({spec.loss}) on "
            f"{len(train_rows)} rows{held_out}, for up to {epochs} epochs{note}"
        )

    # 4. fit, stopping early when the validation rows stop improving (keeping the best epoch)
    X_train, y_train = X[train_rows], y[train_rows]
    history = _fit(
        network, X_train, y_train, validation, spec.loss, task, options, epochs, patience
    )
    scores = {"training": evaluate(network, X_train, y_train, loss=spec.loss)}
    if validation is not None:
        scores["validation"] = evaluate(network, *validation, loss=spec.loss)
    title = f"After {history.epochs} epochs"
    if history.best_epoch is not None:
        title += f"; kept the weights of epoch {history.best_epoch}"

    # 5. train again on every row, for as many epochs as the validation rows chose
    if refit:
        chosen = history.best_epoch + 1 if history.best_epoch is not None else history.epochs
        network = new_network()
        if not quiet:
            stderr.print(f"Training again on all {len(X)} rows for the {chosen} epochs chosen")
        history = _fit(network, X, y, None, spec.loss, task, options, chosen, patience=0)
        scores = {
            "all rows": evaluate(network, X, y, loss=spec.loss),
            "validation": scores["validation"],
        }
        title = (
            f"{title}; then {chosen} epochs on all {len(X)} rows (the validation column scores "
            "the first run, before those rows were trained on)"
        )

    # 6. the final metrics, the model file and its loss curve
    if not quiet:
        stdout.print(_metrics_table(scores, title))
        if options["weight_decay"]:
            penalty = network.penalty(options["weight_decay"])
            stdout.print(
                f"Weight-decay penalty λ/2 Σ||W||² = {penalty:.4g} (in the training objective, "
                "not in the losses above)"
            )
    try:
        model_io.save(network, out)
    except KeyboardInterrupt:
        raise Interrupted("interrupted while saving; nothing was saved") from None
    if not quiet:
        stdout.print(f"Saved the model to {out} ({network.n_parameters} parameters)")
    try:
        draw_loss_curve(history, out.with_suffix(".loss.png"), "its loss curve", quiet)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted; the model was saved to {out}, its loss curve was not"
        ) from None


def default_patience(epochs: int, held_out: bool) -> int:
    """Early stopping's patience when the user gives none: a quarter of the ``epochs`` budget
    and at least ``MIN_PATIENCE`` when rows are held out to watch, else 0 (no early stopping)."""
    return max(MIN_PATIENCE, epochs // PATIENCE_SHARE) if held_out else 0


def _dropout_rates(task: str, held_out: bool, n_columns: int, options) -> tuple[float, float]:
    """``(input rate, hidden rate)``: what the user gave, else ``DEFAULT_DROPOUT`` after the
    hidden layers when rows are held out (``WIDE_DROPOUT`` for a classifier on ``WIDE_INPUTS``
    feature columns or more), else none."""
    wide = task == "classification" and held_out and n_columns >= WIDE_INPUTS
    wide = wide and options["layer_spec"] is None and options["input_shape"] is None
    input_rate, hidden_rate = WIDE_DROPOUT if wide else (0.0, DEFAULT_DROPOUT[task])
    if not held_out:
        hidden_rate = 0.0
    given_input, given_hidden = options["input_dropout"], options["dropout"]
    return (
        input_rate if given_input is None else given_input,
        hidden_rate if given_hidden is None else given_hidden,
    )


def _task_and_targets(rows, task, loss) -> tuple[str, np.ndarray, str]:
    """``(task, targets, note)``: the task (``tasks.infer_task``), the target column as class
    labels or float numbers, and a note for the user when the task was read from numbers."""
    try:
        task_asked = task
        task = tasks.infer_task(rows.target, task, loss)
    except ValueError as error:
        raise click.BadParameter(f"{rows.where}: {error}", param_hint="'--task'") from None
    raw = rows.target
    if task == "regression":
        return task, raw.astype(np.float64), ""
    y = tasks.as_class_labels(raw, rows.where)
    classes = np.unique(y)
    if len(classes) < 2:
        raise Failure(
            f"{rows.where}: the target has a single class ({label_text(classes[0])!r}); a "
            "classifier needs at least two"
        )
    note = ""
    if task_asked is None and loss is None and raw.dtype.kind in "iuf":
        note = f" (its {len(classes)} whole-number values as classes: --task regression if not)"
    return task, y, note


def _fit(network, X, y, validation, loss: str, task: str, options, epochs: int, patience: int):
    """``network.fit`` for ``epochs`` with the command's options, inputs scaled
    (``Standardizer``: columns in [0, 1] kept, images and sequences pooled), progress on
    stderr, and early stopping after ``patience`` epochs without improvement (0: none); Ctrl-C
    says how far it got."""
    callbacks = []
    if patience:
        monitor = "loss" if validation is None else "val_loss"
        callbacks.append(EarlyStopping(monitor=monitor, patience=patience))
    # Images and sequences share one mean and scale over all their values.
    pooled = len(network.input_shape) > 1
    network.scaler = Standardizer().fit(X, keep_unit_interval=True, pooled=pooled)
    with _Progress(epochs, options["quiet"]) as progress:
        try:
            return network.fit(
                X,
                y,
                loss=loss,
                task=task,
                optimizer=options["optimizer"],
                learning_rate=options["learning_rate"],
                epochs=epochs,
                batch_size=options["batch_size"],
                weight_decay=options["weight_decay"],
                validation_data=validation,
                callbacks=[*callbacks, *progress.callbacks],
                seed=options["seed"],
            )
        except KeyboardInterrupt:
            raise Interrupted(
                f"training interrupted after {progress.epochs_done} of {epochs} epochs; "
                "nothing was saved"
            ) from None


class _Progress(Callback):
    """Progress while training: a rich bar on a terminal, an epoch line every 10% elsewhere.
    The data loss and the weight-decay penalty are shown apart when training records both.

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
            text = "  ".join(
                f"{key} {logs[key]:.4f}" for key in ("loss", "penalty", "val_loss") if key in logs
            )
            self.bar.update(self.task, completed=epoch + 1, losses=text)


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
