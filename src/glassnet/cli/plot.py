"""``glassnet plot``: pictures of a model, and the loss curve that ``train`` and ``demo`` draw."""

from __future__ import annotations

from pathlib import Path

import click

from glassnet import io as model_io
from glassnet.cli.common import (
    CSV,
    MODEL,
    Failure,
    OutputFile,
    column_names,
    delimiter_option,
    reports_errors,
)
from glassnet.cli.data import dataset_options, labels_for_model, model_rows, target_for


@click.command()
@click.argument("model", type=MODEL)
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
    "--data", type=CSV, help="The points of a decision boundary, or the rows for --input."
)
@click.option(
    "--input",
    "row",
    type=click.IntRange(min=1),
    metavar="ROW",
    help="--kind activations or states: draw the feature maps or the hidden states for this "
    "row of --data or --dataset (1 is the first row).",
)
@dataset_options
@click.option(
    "--target", "-t", metavar="COLUMN", help="Their label column (default: the model's target)."
)
@click.option(
    "--features",
    metavar="A,B",
    callback=column_names,
    help="The two inputs a boundary is drawn over (default: the first two); the model's other "
    "inputs are held at their means over the points.",
)
@delimiter_option
@click.option(
    "--out", "-o", type=OutputFile(), help="The PNG to write (default: MODEL.<kind>.png)."
)
@reports_errors
def plot(model, kind, data, row, dataset, seed, target, features, delimiter, out) -> None:
    """Draw a picture of MODEL as a PNG.

    \b
    Examples:
      glassnet plot moons.safetensors --kind network
      glassnet plot moons.safetensors --kind boundary --dataset moons
      glassnet plot moons.safetensors --kind boundary --data moons.csv
      glassnet plot moons.safetensors -k boundary --dataset moons --features x2,x1
      glassnet plot spirals.safetensors --kind states --dataset spirals --input 3
    """
    if kind == "boundary" and data is None and dataset is None:
        raise click.UsageError(
            "--kind boundary needs its points: --data DATA.csv (and --target COLUMN) or "
            "--dataset NAME"
        )
    if features and kind != "boundary":
        raise click.UsageError("--features chooses the inputs of --kind boundary")
    if kind in ("activations", "states") and ((data is None and dataset is None) or row is None):
        raise click.UsageError(
            f"--kind {kind} needs its sample: --data DATA.csv or --dataset NAME, and --input ROW"
        )
    if row is not None and kind not in ("activations", "states"):
        raise click.UsageError("--input ROW is for --kind activations and --kind states")
    network = model_io.load(model)
    out = out if out is not None else model.with_suffix(f".{kind}.png")
    plots = require_plots()
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
        rows = model_rows(network, model, data, dataset, seed, target, delimiter)
        if row > len(rows.X):
            raise click.BadParameter(
                f"{rows.where.split(',')[0]} has {len(rows.X)} rows, got row {row}",
                param_hint="'--input'",
            )
        draw = plots.feature_maps if kind == "activations" else plots.hidden_states
        draw(network, rows.X[row - 1], out)
    else:
        if network.classes is None or network.n_in < 2:
            raise Failure(
                f"--kind boundary draws classifiers with 2 or more inputs; {model} is a "
                f"{'classifier' if network.classes is not None else 'regression model'} "
                f"with {network.n_in} input{'s' if network.n_in != 1 else ''}"
            )
        if data is not None:
            target = target_for(network, model, target)
        rows = model_rows(network, model, data, dataset, seed, target, delimiter)
        y = labels_for_model(network, rows.target, rows.where)
        plots.decision_boundary(
            network, rows.X, y, out, features=features or None, feature_names=rows.feature_names
        )
    click.echo(f"Saved the {kind} plot to {out}")


def draw_loss_curve(history, path: Path, what: str, quiet=False, **options) -> None:
    """Draw the loss curve to ``path``, or say why not when matplotlib is missing."""
    try:
        plots = require_plots()
    except Failure as error:
        if not quiet:
            click.echo(f"Did not draw {what}: {error.format_message()}", err=True)
        return
    plots.loss_curve(history, path, **options)
    if not quiet:
        click.echo(f"Saved {what} to {path}")


def require_plots():
    """``glassnet.plots``, after checking that matplotlib can be imported."""
    from glassnet import plots

    try:
        plots.require_matplotlib()
    except ImportError as error:
        raise Failure(str(error)) from None
    return plots
