"""Where a command's rows come from: a CSV file, standard input, or a built-in dataset.

A model that records its ``feature_names`` takes its columns by name, in its own order,
wherever a file has them; other columns (an id, a name) are never parsed. A model without names
(an older file) takes every column but the target, by position. A built-in dataset is drawn
from ``--seed`` as ``glassnet train --dataset`` draws it, so the same seed gives the same rows.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from dataclasses import dataclass
from inspect import signature
from pathlib import Path

import click
import numpy as np

from glassnet import datasets
from glassnet.cli.common import Failure
from glassnet.plots import label_text
from glassnet.preprocessing import check_labels

#: How messages name standard input.
STDIN = "<stdin>"


@dataclass(frozen=True)
class Rows:
    """Rows for a command: inputs, the raw target column and where it came from."""

    X: np.ndarray  # (n_rows, n_features), float64, in the model's (or the file's) column order
    feature_names: tuple[str, ...]  # one per column of X
    target: np.ndarray | None  # (n_rows,): numbers, or text; None when not read
    target_name: str | None  # the target's column name
    where: str  # the target's source, for messages: "data.csv, column 'y'" or "dataset 'xor'"
    ids: list[str] | None = None  # (n_rows,) cells of the --id column, as written


def dataset_options(command):
    """``--dataset NAME`` and ``--seed N``: rows from a built-in dataset instead of a file."""
    command = click.option(
        "--seed",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help="The seed the --dataset rows are drawn from ('glassnet train' draws with 0 too).",
    )(command)
    return click.option(
        "--dataset",
        type=click.Choice(list(datasets.GENERATORS)),
        help="Use a built-in dataset's rows instead of DATA (see 'glassnet datasets').",
    )(command)


def dataset_rows(name: str, seed: int) -> Rows:
    """The built-in dataset ``name`` drawn from ``seed``; class labels by name when it has
    names ("F" and "M" rather than 1 and 0), sample names (if any) as ids."""
    generator = datasets.GENERATORS[name]
    # The tutorial's four people are fixed; every other dataset is drawn from the seed.
    source = generator(seed=seed) if "seed" in signature(generator).parameters else generator()
    labels = source.y
    if source.label_names is not None:
        labels = np.array(source.label_names)[source.y]
    return Rows(
        X=source.X,
        feature_names=tuple(source.feature_names),
        target=labels,
        target_name=source.target_name,
        where=f"dataset {name!r}",
        ids=list(source.sample_names) if source.sample_names is not None else None,
    )


def training_rows(data, target, dataset, ignore, seed, delimiter, dtype="float64") -> Rows:
    """Rows to train on from the CSV file ``data`` (every column but ``target`` and
    ``ignore``) or the built-in ``dataset``; CSV numbers must fit ``dtype``, the network's."""
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
    if dataset is not None:
        return dataset_rows(dataset, seed)
    columns = _columns_without(data, target, ignore, delimiter) if ignore else None
    try:
        table = datasets.read_csv(data, target, columns, delimiter=delimiter, dtype=dtype)
    except datasets.TextCellError as error:
        raise Failure(f"{error} (leave a column out with --ignore NAME)") from None
    return Rows(
        table.features, table.feature_names, table.target, target, f"{data}, column {target!r}"
    )


def model_rows(network, model, data, dataset, seed, target, delimiter, id_column=None) -> Rows:
    """The rows ``network`` (read from ``model``) takes, from DATA or ``dataset``, with the
    ``target`` column when given, else the model's own target column when the file has it."""
    if (data is None) == (dataset is None):
        raise click.UsageError("give either DATA.csv (or - for standard input) or --dataset NAME")
    if dataset is None:
        return _file_rows(network, data, target, delimiter, id_column)
    if target is not None or id_column is not None:
        raise click.UsageError("--target and --id name columns of DATA.csv; --dataset has its own")
    rows = dataset_rows(dataset, seed)
    names = network.feature_names or rows.feature_names
    if sorted(names) != sorted(rows.feature_names):
        raise Failure(
            f"{model} takes the columns {', '.join(names)}; dataset {dataset!r} has "
            f"{', '.join(rows.feature_names)}"
        )
    order = [rows.feature_names.index(name) for name in names]
    return Rows(rows.X[:, order], tuple(names), rows.target, rows.target_name, rows.where, rows.ids)


@contextlib.contextmanager
def readable(data):
    """``data`` as a file to read: ``-`` (standard input) is copied to a temporary file, since
    a file is read twice (header, then rows), and messages name it ``<stdin>``."""
    if data is None or str(data) != "-":
        yield data
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stdin.csv"
        with open(path, "wb") as copy:
            shutil.copyfileobj(sys.stdin.buffer, copy)
        try:
            yield path
        except click.ClickException as error:
            error.message = error.message.replace(str(path), STDIN)
            raise
        except ValueError as error:
            raise Failure(str(error).replace(str(path), STDIN)) from None


def target_for(network, model, target: str | None) -> str:
    """The label column: ``--target`` when given, else the one the model was trained on."""
    if target is not None:
        return target
    if network.target_name is None:
        raise click.UsageError(
            f"--target COLUMN is required: {model} does not record the column it predicts"
        )
    return network.target_name


def labels_for_model(network, raw, where: str) -> np.ndarray:
    """The target column in the model's labels; a label the model does not know raises."""
    classes = network.classes
    if classes.dtype.kind == "U":
        labels = check_labels([label_text(value) for value in np.asarray(raw).tolist()], where)
    else:
        labels = np.asarray(raw)
    known = set(classes.tolist())
    for label in labels.tolist():
        if label not in known:
            raise Failure(
                f"{where}: label {label_text(label)!r} is not a class of the model; its classes "
                f"are: {', '.join(label_text(c) for c in classes.tolist())}"
            )
    return labels


def _file_rows(network, data, target, delimiter, id_column) -> Rows:
    """``model_rows`` from a CSV file."""
    header = datasets.read_csv_header(data, delimiter)
    if id_column is not None and id_column not in header:
        raise Failure(
            f"{data}: no id column {id_column!r}; available columns: {', '.join(header)}"
            f"{datasets.delimiter_hint(header, delimiter)}"
        )
    ids = datasets.read_csv_column(data, id_column, delimiter) if id_column else None
    names = network.feature_names
    if names is None:
        return _rows_by_position(network, data, header, target, delimiter, id_column, ids)
    available = set(header) - {target}
    missing = [name for name in names if name not in available]
    if missing:
        listed = ", ".join(repr(name) for name in missing)
        hint = f" ({target!r} is the target column)" if target in missing else ""
        raise Failure(
            f"{data}: missing feature column{'s' if len(missing) > 1 else ''} {listed}{hint}; "
            f"the model takes {', '.join(names)}{datasets.delimiter_hint(header, delimiter)}"
        )
    if target is None and network.target_name in header:
        target = network.target_name
    table = datasets.read_csv(data, target, columns=names, delimiter=delimiter, dtype=network.dtype)
    where = f"{data}, column {target!r}"
    return Rows(table.features, table.feature_names, table.target, target, where, ids)


def _rows_by_position(network, data, header, target, delimiter, id_column, ids) -> Rows:
    """``model_rows`` for a model without feature names: every column but ``target`` (and the
    id column)."""
    hint = ""
    if target is None and len(header) == network.n_in + 1 + (id_column is not None):
        hint = (
            f" (the model takes {network.n_in} columns, the file has one more: leave the "
            "target column out with --target COLUMN)"
        )
    columns = None
    if id_column is not None:
        columns = [name for name in header if name not in (target, id_column)]
    try:
        table = datasets.read_csv(data, target, columns, delimiter=delimiter, dtype=network.dtype)
    except ValueError as error:
        raise Failure(f"{error}{hint}") from None
    n_columns = table.features.shape[1]
    if n_columns != network.n_in:
        raise Failure(
            f"{table.path}: the model takes {network.n_in} feature columns, the file has "
            f"{n_columns} ({', '.join(table.feature_names)})"
        )
    where = f"{data}, column {target!r}"
    return Rows(table.features, table.feature_names, table.target, target, where, ids)


def _columns_without(data, target: str, ignore: tuple[str, ...], delimiter) -> list[str]:
    """The feature columns of the CSV file ``data``: every column but the target and ``ignore``,
    in file order; an ignored column the file lacks, or ignoring them all, raises."""
    header = datasets.read_csv_header(data, delimiter)
    unknown = [name for name in ignore if name not in header]
    if unknown:
        raise Failure(
            f"{data}: no column{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(name) for name in unknown)} to ignore; available columns: "
            f"{', '.join(header)}{datasets.delimiter_hint(header, delimiter)}"
        )
    columns = [name for name in header if name != target and name not in ignore]
    if not columns:
        raise Failure(
            f"{data}: --ignore leaves no feature column; the columns besides the target "
            f"{target!r} are {', '.join(name for name in header if name != target)}"
        )
    return columns
