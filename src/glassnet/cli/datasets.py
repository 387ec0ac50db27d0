"""``glassnet datasets``: list the built-in datasets, or write one out as a CSV file."""

from __future__ import annotations

import csv

import click
from rich.table import Table

from glassnet import datasets
from glassnet._files import atomic_write
from glassnet.cli.common import OutputFile, reports_errors, stdout
from glassnet.cli.data import dataset_rows
from glassnet.plots import label_text


@click.command("datasets")
@click.option(
    "--export",
    "name",
    type=click.Choice(list(datasets.GENERATORS)),
    help="Write this dataset to OUT.csv, as 'glassnet train --dataset NAME' trains on it.",
)
@click.argument("out", required=False, type=OutputFile())
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="The seed the rows are drawn from ('glassnet train' draws with 0 too).",
)
@reports_errors
def datasets_command(name, out, seed) -> None:
    """List the built-in datasets, or write one to OUT.csv with --export NAME.

    The exported file has the columns a model trained with --dataset NAME takes, and its
    target column (and the tutorial's names for 'gender'), so every command can read it.

    \b
    Examples:
      glassnet datasets --export gender people.csv
      glassnet datasets --export moons moons.csv
    """
    if name is None:
        if out is not None:
            raise click.UsageError("OUT.csv is written with --export NAME")
        _list()
        return
    if out is None:
        raise click.UsageError(f"--export {name} needs the file to write: OUT.csv")
    rows = dataset_rows(name, seed)
    header = [*rows.feature_names, rows.target_name]
    if rows.ids is not None:
        header.insert(0, "name")
    with atomic_write(out, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for index, (values, label) in enumerate(zip(rows.X.tolist(), rows.target, strict=True)):
            cells = [_number(value) for value in values] + [label_text(label)]
            writer.writerow(cells if rows.ids is None else [rows.ids[index], *cells])
    click.echo(f"Wrote dataset {name!r} ({len(rows.X)} rows) to {out}")


def _list() -> None:
    table = Table(title="Built-in datasets", title_justify="left")
    table.add_column("name")
    table.add_column("description")
    for name, description in datasets.describe():
        table.add_row(name, description)
    stdout.print(table)
    stdout.print("Train on one: glassnet train --dataset moons --out moons.safetensors")
    stdout.print("Write one to a file: glassnet datasets --export moons moons.csv")


def _number(value: float) -> str:
    """``value`` in as few digits as read back exactly: ``-2`` rather than ``-2.0``."""
    return str(int(value)) if value.is_integer() else repr(value)
