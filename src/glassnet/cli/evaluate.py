"""``glassnet evaluate`` and ``glassnet predict``: a saved model on new rows."""

from __future__ import annotations

import csv
import json
import sys
from contextlib import nullcontext

import click
import numpy as np
from rich.table import Table

from glassnet import io as model_io
from glassnet import metrics, tasks
from glassnet._files import atomic_write
from glassnet.cli.common import (
    CSV_OR_STDIN,
    MODEL,
    Failure,
    OutputFile,
    delimiter_option,
    reports_errors,
    stdout,
    threads_option,
)
from glassnet.cli.data import dataset_options, labels_for_model, model_rows, readable, target_for
from glassnet.plots import label_text
from glassnet.training import evaluate


@click.command("evaluate")
@click.argument("model", type=MODEL)
@click.argument("data", required=False, type=CSV_OR_STDIN)
@dataset_options
@click.option(
    "--target",
    "-t",
    metavar="COLUMN",
    help="The column to compare with (default: the model's target, when it records one).",
)
@delimiter_option
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@threads_option
@reports_errors
def evaluate_command(model, data, dataset, seed, target, delimiter, as_json) -> None:
    """Score MODEL on labelled rows of DATA (a CSV file, - for standard input) or a dataset.

    Accuracy, loss and the confusion matrix for a classifier; MSE, MAE and R² for a regression.
    A model that records its column names takes its inputs from DATA by name, in any order;
    the other columns (an id, a name) are not read. --dataset NAME draws the built-in rows
    from --seed, as 'glassnet train --dataset NAME' does.

    \b
    Examples:
      glassnet evaluate people.safetensors people.csv --json
      glassnet evaluate moons.safetensors --dataset moons --seed 1
    """
    network = model_io.load(model)
    if data is not None:
        target = target_for(network, model, target)
    with readable(data) as source:
        rows = model_rows(network, model, source, dataset, seed, target, delimiter)
    if network.classes is not None:
        result = _classification_scores(network, rows)
    else:
        if rows.target.dtype.kind not in "iuf":
            raise Failure(f"{rows.where}: expected numbers for a regression model, got text")
        predicted = network.predict(rows.X)
        y = rows.target.astype(np.float64).reshape(predicted.shape)
        result = {
            "task": "regression",
            "n_samples": len(rows.X),
            "mse": metrics.mean_squared_error(y, predicted),
            "mae": metrics.mean_absolute_error(y, predicted),
            "r2": metrics.r2_score(y, predicted),
        }
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        _print_scores(result, f"{model} on {data or rows.where} ({len(rows.X)} rows)")


def _classification_scores(network, rows) -> dict:
    y = labels_for_model(network, rows.target, rows.where)
    loss = tasks.scoring_loss(network)
    scores = evaluate(network, rows.X, y, loss=loss, metrics=("accuracy",))
    confusion = metrics.confusion_matrix(y, network.predict(rows.X), network.classes)
    return {
        "task": "classification",
        "n_samples": len(rows.X),
        "accuracy": scores["accuracy"],
        "loss": scores["loss"],
        "loss_name": loss if isinstance(loss, str) else loss.name,
        "classes": network.classes.tolist(),
        "confusion_matrix": confusion.tolist(),
    }


def _print_scores(result: dict, title: str) -> None:
    summary = Table(title=title, title_justify="left")
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    if result["task"] == "regression":
        summary.add_row("mean squared error", f"{result['mse']:.6g}")
        summary.add_row("mean absolute error", f"{result['mae']:.6g}")
        summary.add_row("R²", f"{result['r2']:.4f}")
        stdout.print(summary)
        return
    summary.add_row("accuracy", f"{result['accuracy']:.4f}")
    summary.add_row(f"loss ({result['loss_name']})", f"{result['loss']:.4f}")
    stdout.print(summary)
    matrix = Table(
        title="Confusion matrix (rows: true label, columns: predicted)", title_justify="left"
    )
    matrix.add_column("true \\ predicted")
    labels = result["classes"]
    for label in labels:
        matrix.add_column(label_text(label), justify="right")
    for label, counts in zip(labels, result["confusion_matrix"], strict=True):
        matrix.add_row(label_text(label), *map(str, counts))
    stdout.print(matrix)


@click.command()
@click.argument("model", type=MODEL)
@click.argument("data", required=False, type=CSV_OR_STDIN)
@dataset_options
@click.option(
    "--out", "-o", type=OutputFile(), help="Write the predictions here (default: stdout)."
)
@click.option("--proba", is_flag=True, help="Add one probability column per class.")
@click.option(
    "--target",
    "-t",
    metavar="COLUMN",
    help="A column of DATA to leave out of the inputs (default: the model's target).",
)
@click.option(
    "--id",
    "id_column",
    metavar="COLUMN",
    help="A column of DATA (a name, an id) to copy into the output, before the predictions.",
)
@delimiter_option
@threads_option
@reports_errors
def predict(model, data, dataset, seed, out, proba, target, id_column, delimiter) -> None:
    """Predict one row of output per row of DATA (a CSV file, - for standard input), as CSV.

    A model that records its column names takes its inputs from DATA by name, in any order;
    the other columns (an id, a name, the target) are not read as inputs. An older model takes
    every column but --target (and --id), in the order used for training. A classifier answers
    with the labels it was trained on; --proba adds their probabilities.

    \b
    Examples:
      glassnet predict people.safetensors people.csv --id name --proba
      printf 'weight,height\\n-7,-3\\n' | glassnet predict people.safetensors -
      glassnet predict moons.safetensors --dataset moons --out predictions.csv
    """
    network = model_io.load(model)
    if proba and network.classes is None:
        raise click.UsageError(f"--proba needs a classifier, but {model} is a regression model")
    with readable(data) as source:
        rows = model_rows(network, model, source, dataset, seed, target, delimiter, id_column)
    header, table = _predictions(network, rows.X, proba)
    if rows.ids is not None:
        header = [id_column or "name", *header]
        table = [[name, *row] for name, row in zip(rows.ids, table, strict=True)]
    with atomic_write(out, "w") if out is not None else nullcontext(sys.stdout) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(table)
    if out is not None:
        click.echo(f"Wrote {len(table)} predictions to {out}", err=True)


def _predictions(network, X, proba: bool) -> tuple[list[str], list[list[str]]]:
    """The header and rows of predictions: labels (and their probabilities), or numbers."""
    if network.classes is not None:
        header = ["prediction"]
        rows = [[label_text(label)] for label in network.predict(X).tolist()]
        if proba:
            header += [f"proba_{label_text(label)}" for label in network.classes.tolist()]
            for row, probabilities in zip(rows, network.predict_proba(X).tolist(), strict=True):
                row.extend(f"{p:.6g}" for p in probabilities)
        return header, rows
    output = network.predict(X)
    header = ["prediction"]
    if network.n_out > 1:
        header = [f"prediction_{i + 1}" for i in range(network.n_out)]
    return header, [[f"{value:.7g}" for value in values] for values in output.tolist()]
