"""Datasets: the tutorial's four people, TensorFlow-Playground generators, CSV files, MNIST IDX
and short sentences for recurrent networks.

Every generator is ``(n_samples, noise, seed) -> Dataset`` with two features ``x1, x2`` in about
``[-1, 1]``; the same ``seed`` gives bit-identical data. ``load(name, **kwargs)`` finds one by
name. ``read_csv`` and ``read_idx`` read local files only: nothing is ever downloaded.
"""

from __future__ import annotations

import csv
import gzip
import math
import operator
import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassnet._checks import (
    MAX_EXACT_INTEGER,
    cast_to_float,
    fit_text,
    float_dtype,
    non_negative_float,
    numeric_array,
    one_of,
    positive_int,
)

_TASKS = ("classification", "regression")
_GENERATED_FEATURES = ("x1", "x2")


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Samples and their targets, checked and converted when created.

    ``X`` is float64 ``(n_samples, n_features)``; ``y`` is ``(n_samples,)``, int64 class labels
    ``0, 1, ...`` for classification or float64 values for regression. ``label_names[k]`` names
    class ``k``; ``sample_names[i]`` names row ``i``.
    """

    X: np.ndarray  # (n_samples, n_features), float64
    y: np.ndarray  # (n_samples,), int64 labels or float64 values
    feature_names: tuple[str, ...]  # one per column of X (load_mnist: PixelNames, made on demand)
    target_name: str  # what y measures, e.g. "gender"
    task: str  # "classification" or "regression"
    label_names: tuple[str, ...] | None = None  # classification only: label k is label_names[k]
    sample_names: tuple[str, ...] | None = None  # one per row of X, e.g. the tutorial's names

    def __post_init__(self):
        X = numeric_array(self.X, "X", dtype=np.float64, ndim=2)
        n_samples, n_features = X.shape
        task = one_of(self.task, "task", _TASKS)
        if task == "classification":
            y = numeric_array(self.y, "y", ndim=1)
            # Checked before converting: int64 would wrap 1e20 around to some other label.
            bad = np.flatnonzero((y != np.round(y)) | (y < 0) | (y > MAX_EXACT_INTEGER))
            if bad.size:
                raise ValueError(
                    "y must hold class labels 0, 1, 2, ... for classification, "
                    f"got {y[bad[0]].item()!r} at index {bad[0]}"
                )
            y = y.astype(np.int64)
        else:
            y = numeric_array(self.y, "y", dtype=np.float64, ndim=1)
        if len(y) != n_samples:
            raise ValueError(f"y must have one entry per row of X ({n_samples}), got {len(y)}")
        if not isinstance(self.target_name, str):
            raise TypeError(f"target_name must be a str, got {self.target_name!r}")
        label_names = self.label_names
        if label_names is not None:
            if task == "regression":
                raise ValueError(f"label_names must be None for regression, got {label_names!r}")
            label_names = _names(label_names, "label_names")
            if len(label_names) <= y.max():
                raise ValueError(
                    f"label_names must name every class 0..{y.max()}, "
                    f"got {len(label_names)} names: {label_names!r}"
                )
        sample_names = self.sample_names
        if sample_names is not None:
            sample_names = _names(sample_names, "sample_names", count=n_samples)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(
            self, "feature_names", _names(self.feature_names, "feature_names", count=n_features)
        )
        object.__setattr__(self, "label_names", label_names)
        object.__setattr__(self, "sample_names", sample_names)

    def __repr__(self) -> str:
        n_samples, n_features = self.X.shape
        return (
            f"Dataset(task={self.task!r}, n_samples={n_samples}, n_features={n_features}, "
            f"target_name={self.target_name!r})"
        )


def _names(value, name: str, count: int | None = None) -> tuple[str, ...] | PixelNames:
    """Return ``value`` as a tuple of strings; with ``count``, check that it has that many.

    ``PixelNames`` are kept as they are: they are strings by construction, made when asked for.
    """
    names = value
    if not isinstance(value, PixelNames):
        names = tuple(value) if isinstance(value, (list, tuple)) else None
        if names is None or not all(isinstance(entry, str) for entry in names):
            raise TypeError(f"{name} must be a tuple or list of str, got {value!r}")
    if count is not None and len(names) != count:
        raise ValueError(f"{name} must have {count} entries, got {len(names)}: {names!r}")
    return names


# --- the tutorial's four people (section 4.1) ---------------------------------------------------

# name, weight (lb), height (in), gender: the tutorial's table before any shift.
GENDER_TABLE = (
    ("Alice", 133, 65, "F"),
    ("Bob", 160, 72, "M"),
    ("Charlie", 152, 70, "M"),
    ("Diana", 120, 60, "F"),
)
# The tutorial subtracts these (weight, height) amounts "to make the numbers look nice".
GENDER_SHIFT = (135, 66)
GENDER_LABELS = ("M", "F")  # Male = 0, Female = 1, as the tutorial encodes them


def gender() -> Dataset:
    """The tutorial's four people: predict gender from weight and height.

    The tutorial's table (``GENDER_TABLE``) shifted by ``GENDER_SHIFT``: weight - 135 and
    height - 66, so Alice (133, 65) becomes (-2, -1). Labels: Male = 0, Female = 1.

    Returns a Dataset with X ``(4, 2)`` = [[-2, -1], [25, 6], [17, 4], [-15, -6]] and
    y ``(4,)`` = [1, 0, 0, 1]; ``sample_names`` are Alice, Bob, Charlie and Diana.
    """
    raw = np.array([[weight, height] for _, weight, height, _ in GENDER_TABLE], dtype=np.float64)
    return Dataset(
        X=raw - np.array(GENDER_SHIFT, dtype=np.float64),
        y=np.array([GENDER_LABELS.index(sex) for *_, sex in GENDER_TABLE], dtype=np.int64),
        feature_names=("weight", "height"),
        target_name="gender",
        task="classification",
        label_names=GENDER_LABELS,
        sample_names=tuple(name for name, *_ in GENDER_TABLE),
    )


# --- generators in the style of TensorFlow Playground --------------------------------------------


def _rng(seed) -> np.random.Generator:
    """Return ``np.random.default_rng(seed)``, naming ``seed`` when numpy rejects it."""
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as error:
        raise type(error)(
            f"seed must be None, a non-negative integer or a numpy Generator, got {seed!r}"
        ) from error


def _n_samples(n_samples, n_classes: int) -> int:
    """Check ``n_samples`` is a positive integer large enough to give every class a sample."""
    n_samples = positive_int(n_samples, "n_samples")
    if n_samples < n_classes:
        raise ValueError(
            f"n_samples must be at least {n_classes} so that every class gets a sample, "
            f"got {n_samples}"
        )
    return n_samples


def _even_split(n_samples: int, n_parts: int) -> list[int]:
    """Split ``n_samples`` into ``n_parts`` counts that differ by at most one, larger first."""
    base, extra = divmod(n_samples, n_parts)
    return [base + (part < extra) for part in range(n_parts)]


def _unit_vectors(angle: np.ndarray) -> np.ndarray:
    """Return ``(cos angle, sin angle)`` as rows: ``(n_samples, 2)``."""
    return np.column_stack([np.cos(angle), np.sin(angle)])


def _noisy_shuffled(X: np.ndarray, y: np.ndarray, noise: float, rng) -> Dataset:
    """Add gaussian noise of standard deviation ``noise`` to X, shuffle the rows together."""
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return Dataset(
        X=X[order],
        y=y[order],
        feature_names=_GENERATED_FEATURES,
        target_name="label",
        task="classification",
    )


def xor(n_samples=200, noise=0.05, seed=None) -> Dataset:
    """XOR: label 1 where x1 and x2 have the same sign, 0 where they differ.

    Points are uniform in the four quadrants of [-1, 1]^2, one quarter each, labelled
    ``y = 1 if x1 * x2 > 0 else 0``; then gaussian noise of standard deviation ``noise`` is added
    to X. No straight line separates the classes: a network needs a hidden layer.

    Returns a Dataset with X ``(n_samples, 2)`` and balanced y ``(n_samples,)`` in {0, 1}.
    """
    n_samples = _n_samples(n_samples, 2)
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    # Quadrants I, II, III, IV have labels 1, 0, 1, 0, so an even split over the quadrants is an
    # even split over the labels too.
    signs = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    quadrant = np.repeat(np.arange(4), _even_split(n_samples, 4))
    magnitude = 1.0 - rng.random((n_samples, 2))  # in (0, 1]: never exactly on an axis
    return _noisy_shuffled(
        signs[quadrant] * magnitude, (quadrant % 2 == 0).astype(np.int64), noise, rng
    )


def circles(n_samples=200, noise=0.05, seed=None) -> Dataset:
    """Circles: an inner disc (label 1) inside an outer ring (label 0).

    Points are uniform over the areas ``r <= 0.5`` (label 1) and ``0.7 <= r <= 1`` (label 0);
    then gaussian noise of standard deviation ``noise`` is added to X.

    Returns a Dataset with X ``(n_samples, 2)`` and balanced y ``(n_samples,)`` in {0, 1}.
    """
    n_samples = _n_samples(n_samples, 2)
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    n_outer, n_inner = _even_split(n_samples, 2)
    # sqrt of a uniform square radius spreads the points evenly over the area, not the radius
    radius = np.concatenate(
        [np.sqrt(rng.uniform(0.7**2, 1.0, n_outer)), 0.5 * np.sqrt(rng.random(n_inner))]
    )
    X = radius[:, np.newaxis] * _unit_vectors(rng.uniform(0.0, 2.0 * np.pi, n_samples))
    return _noisy_shuffled(X, np.repeat([0, 1], [n_outer, n_inner]), noise, rng)


def moons(n_samples=200, noise=0.1, seed=None) -> Dataset:
    """Moons: two interleaving half circles.

    Label 0 is the upper half of the unit circle around (-0.5, -0.25); label 1 is the lower half
    of the unit circle around (0.5, 0.25). Angles are uniform; then gaussian noise of standard
    deviation ``noise`` is added to X.

    Returns a Dataset with X ``(n_samples, 2)`` and balanced y ``(n_samples,)`` in {0, 1}.
    """
    n_samples = _n_samples(n_samples, 2)
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    y = np.repeat([0, 1], _even_split(n_samples, 2))
    centre = np.where(y[:, np.newaxis] == 0, [-0.5, -0.25], [0.5, 0.25])
    upper_half = _unit_vectors(rng.uniform(0.0, np.pi, n_samples))
    X = centre + np.where(y[:, np.newaxis] == 0, upper_half, -upper_half)
    return _noisy_shuffled(X, y, noise, rng)


def spirals(n_samples=200, noise=0.03, seed=None) -> Dataset:
    """Spirals: two interleaved spirals, the hardest of the playground sets.

    A point of class ``k`` at radius ``r`` (uniform in (0, 1]) sits at angle
    ``theta = 3.5 pi r + k pi`` (1.75 turns), so spiral 1 is spiral 0 turned by half a turn;
    then gaussian noise of standard deviation ``noise`` is added to X.

    Returns a Dataset with X ``(n_samples, 2)`` and balanced y ``(n_samples,)`` in {0, 1}.
    """
    n_samples = _n_samples(n_samples, 2)
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    y = np.repeat([0, 1], _even_split(n_samples, 2))
    radius = 1.0 - rng.random(n_samples)
    X = radius[:, np.newaxis] * _unit_vectors(3.5 * np.pi * radius + np.pi * y)
    return _noisy_shuffled(X, y, noise, rng)


def blobs(n_samples=200, noise=0.2, seed=None, *, n_classes=3) -> Dataset:
    """Blobs: one gaussian cloud per class around centres spread evenly on the unit circle.

    Class ``k`` is centred at ``(cos 2 pi k / n_classes, sin 2 pi k / n_classes)``; ``noise`` is
    the standard deviation of each cloud (0 puts every point on its centre).

    Returns a Dataset with X ``(n_samples, 2)`` and balanced y ``(n_samples,)`` in
    {0, ..., n_classes - 1}.
    """
    n_classes = positive_int(n_classes, "n_classes")
    if n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    n_samples = _n_samples(n_samples, n_classes)
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    y = np.repeat(np.arange(n_classes), _even_split(n_samples, n_classes))
    centres = _unit_vectors(2.0 * np.pi * np.arange(n_classes) / n_classes)
    return _noisy_shuffled(centres[y], y, noise, rng)


def plane(n_samples=200, noise=0.05, seed=None, *, weights=(0.5, -0.5), bias=0.25) -> Dataset:
    """Plane: regression on a tilted plane, y = a · x + b plus gaussian noise.

    X is uniform in [-1, 1]^2; ``y = weights · x + bias + noise * N(0, 1)``, so a single linear
    neuron can fit it exactly when ``noise`` is 0.

    Returns a Dataset with X ``(n_samples, 2)`` and float y ``(n_samples,)``.
    """
    n_samples = positive_int(n_samples, "n_samples")
    noise = non_negative_float(noise, "noise")
    weights = numeric_array(weights, "weights", dtype=np.float64, ndim=1)
    if weights.shape != (2,):
        raise ValueError(f"weights must hold 2 numbers, one per feature, got {weights.tolist()!r}")
    bias = float(numeric_array(bias, "bias", dtype=np.float64, ndim=0))
    rng = _rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = X @ weights + bias + noise * rng.standard_normal(n_samples)
    return Dataset(X=X, y=y, feature_names=_GENERATED_FEATURES, target_name="y", task="regression")


# multi_gaussian's hills: a 3 x 2 grid of centres whose heights alternate like a checkerboard,
# the layout of TensorFlow Playground's multi-gaussian regression set.
_HILL_CENTRES = (
    (-2 / 3, 5 / 12),
    (0.0, 5 / 12),
    (2 / 3, 5 / 12),
    (-2 / 3, -5 / 12),
    (0.0, -5 / 12),
    (2 / 3, -5 / 12),
)
_HILL_HEIGHTS = (1.0, -1.0, 1.0, -1.0, 1.0, -1.0)
_HILL_WIDTH = 0.2


def multi_gaussian(n_samples=200, noise=0.05, seed=None) -> Dataset:
    """Multi-gaussian: regression on six gaussian hills and valleys in a 3 x 2 grid.

    X is uniform in [-1, 1]^2 and::

        y = sum_k h_k exp(-||x - c_k||^2 / (2 s^2)) + noise * N(0, 1)

    with centres ``c_k`` at x1 in {-2/3, 0, 2/3} and x2 in {5/12, -5/12}, heights ``h_k = +1``
    or ``-1`` alternating like a checkerboard (+1 at the top left) and width ``s = 0.2``, so y
    is about ``h_k`` on a centre and about 0 far from every centre. No single neuron fits it.

    Returns a Dataset with X ``(n_samples, 2)`` and float y ``(n_samples,)``.
    """
    n_samples = positive_int(n_samples, "n_samples")
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    squared_distances = ((X[:, np.newaxis, :] - np.array(_HILL_CENTRES)) ** 2).sum(axis=2)
    hills = np.exp(-squared_distances / (2.0 * _HILL_WIDTH**2)) @ np.array(_HILL_HEIGHTS)
    y = hills + noise * rng.standard_normal(n_samples)
    return Dataset(X=X, y=y, feature_names=_GENERATED_FEATURES, target_name="y", task="regression")


# --- the registry behind load() and `glassnet datasets` ------------------------------------------

GENERATORS = {
    "gender": gender,
    "xor": xor,
    "circles": circles,
    "moons": moons,
    "spirals": spirals,
    "blobs": blobs,
    "plane": plane,
    "multi_gaussian": multi_gaussian,
}


def load(name: str, **kwargs) -> Dataset:
    """Build the dataset called ``name`` (a key of ``GENERATORS``) with ``kwargs``.

    ``load("moons", n_samples=100, seed=0)`` is ``moons(n_samples=100, seed=0)``.
    """
    if not isinstance(name, str) or name not in GENERATORS:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(GENERATORS)}")
    return GENERATORS[name](**kwargs)


def describe() -> list[tuple[str, str]]:
    """List ``(name, one-line description)`` for every dataset in ``GENERATORS``, in order."""
    return [
        (name, function.__doc__.strip().splitlines()[0]) for name, function in GENERATORS.items()
    ]


# --- CSV ----------------------------------------------------------------------------------------

# Cells that mean "no value" (compared lower-case); non-finite numbers such as inf fail on parsing.
_MISSING = frozenset({"na", "n/a", "nan", "null", "none"})


@dataclass(frozen=True, eq=False)
class CsvTable:
    """A CSV file read by ``read_csv``: numeric features and, optionally, a raw target column."""

    features: np.ndarray  # (n_rows, n_features), float64: the feature columns read
    feature_names: tuple[str, ...]  # their header names, in the order of the features
    target: np.ndarray | None  # (n_rows,): float64 if every cell is a number, else str objects
    target_name: str | None  # the target column's name, None without a target
    path: Path  # the file that was read


class TextCellError(ValueError):
    """A feature cell of a CSV file holds text where a number is expected; the message names the
    file, the line and the column."""


def _existing_file(path, what: str) -> Path:
    """Return ``path`` as a Path to an existing regular file, or raise naming it."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {path!r}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} {path} does not exist")
    if not path.is_file():
        raise ValueError(f"{what} {path} is not a regular file")
    return path


#: The delimiters told apart in a header line, the first preferred on a tie.
DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(line: str) -> str:
    """The delimiter of a CSV header ``line``: whichever of ``DELIMITERS`` occurs most often
    outside double quotes, ``","`` when none does (a file of one column) or on a tie."""
    unquoted = "".join(line.split('"')[::2])
    counts = [unquoted.count(delimiter) for delimiter in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))]


def delimiter_hint(names, delimiter: str | None = None) -> str:
    """A note for messages about missing columns: ``" (the header looks separated by ';')"``
    when the column names hold one of ``DELIMITERS`` other than ``delimiter``, else ``""``."""
    others = [d for d in DELIMITERS if d != delimiter and any(d in name for name in names)]
    return f" (the header looks separated by {others[0]!r})" if others else ""


def _delimiter_of(path: Path, delimiter) -> str:
    """``delimiter`` checked, or when None the one the first non-blank line of ``path`` uses."""
    if delimiter is None:
        # Undecodable bytes are reported by the read that follows, with their offset.
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            return sniff_delimiter(next((line for line in handle if line.strip()), ""))
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValueError(
            "delimiter must be one character other than a quote or a line break, such as ';', "
            f"got {delimiter!r}"
        )
    return delimiter


def _csv_rows(path: Path, delimiter: str):
    """Yield ``(line number, stripped cells)`` for every non-blank row of a UTF-8 CSV file."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            try:
                for cells in reader:
                    if "".join(cells).strip() or len(cells) > 1:
                        yield reader.line_num, [cell.strip() for cell in cells]
            except csv.Error as error:
                raise ValueError(f"{path}, line {reader.line_num}: {error}") from error
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path}: expected UTF-8 text, got byte 0x{error.object[error.start]:02X} "
            f"at offset {error.start}"
        ) from error


def _is_number(cell: str) -> bool:
    """Return whether ``float(cell)`` succeeds."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _cell_number(cell: str, where: str) -> float:
    """Parse a feature cell as a finite float; ``where`` names the file, line and column."""
    try:
        value = float(cell)
    except ValueError:
        raise TextCellError(f"{where}: expected a number, got {cell!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: expected a finite number, got {cell!r}")
    return value


def _check_fit(values: np.ndarray, dtype: np.dtype, where) -> None:
    """Raise naming the cell when a value of ``values`` (float64, finite) does not fit ``dtype``;
    ``where(index)`` names the cell of an index of ``values``."""
    _, bad = cast_to_float(values, dtype)
    if bad is not None:
        raise ValueError(f"{where(bad)}: {values[bad].item()!r} does not {fit_text(dtype)}")


def read_csv_header(path, delimiter: str | None = None) -> list[str]:
    """The column names of the CSV file at ``path``, read as ``read_csv`` reads them, without
    reading the rows below the header."""
    path = _existing_file(path, "CSV file")
    for _, names in _csv_rows(path, _delimiter_of(path, delimiter)):
        return names
    raise ValueError(f"{path}: the file is empty; expected a header row of column names")


def read_csv_column(path, name: str, delimiter: str | None = None) -> list[str]:
    """The cells of column ``name`` of the CSV file at ``path`` as text, stripped, one per data
    row, in file order: an id or a name carried beside what a model computes from the row."""
    path = _existing_file(path, "CSV file")
    delimiter = _delimiter_of(path, delimiter)
    rows = _csv_rows(path, delimiter)
    _, names = next(rows, (0, []))
    if name not in names:
        raise ValueError(
            f"{path}: no column {name!r}; available columns: {', '.join(names)}"
            f"{delimiter_hint(names, delimiter)}"
        )
    column = names.index(name)
    cells = []
    for line, row in rows:
        if len(row) != len(names):
            raise ValueError(
                f"{path}, line {line}: expected {len(names)} cells, one per column, got {len(row)}"
            )
        cells.append(row[column])
    return cells


def read_csv(
    path,
    target: str | None = None,
    columns: list[str] | tuple[str, ...] | None = None,
    delimiter: str | None = None,
    *,
    dtype="float64",
) -> CsvTable:
    """Read a CSV file with a header row into numeric features and an optional target column.

    ``columns``, when given, names the feature columns to read, in the order the features take
    them; every other column except ``target`` is skipped without its cells being parsed, so it
    may hold text such as names or ids. Without ``columns`` every column except ``target`` is a
    feature, in file order. Feature cells must hold finite numbers; a cell with text raises
    ``TextCellError`` (a ``ValueError``). The target is kept raw: float64 when every cell parses
    as a number, else an array of str. ``dtype`` (float32 or float64) is the number type the
    values will be used in, a model's: a number beyond its range (``1e39`` for float32) raises,
    rather than becoming an infinity later, for the features and a numeric target alike. Cells
    are stripped of whitespace; a UTF-8 byte-order mark is accepted; blank lines are skipped;
    every row has one cell per header column. Errors name the file and the 1-based line (the
    header is line 1) and column. Cells are separated by ``delimiter``, by default the one the
    header line uses (``sniff_delimiter``: a comma, semicolon, tab or bar); a missing column's
    message says when the header looks separated by another.

    Returns a CsvTable with features ``(n_rows, n_features)``, ``n_features = len(columns)`` or
    the number of columns besides the target, and target ``(n_rows,)`` or None.
    """
    path = _existing_file(path, "CSV file")
    dtype = float_dtype(dtype)
    if target is not None and not isinstance(target, str):
        raise TypeError(f"target must be a column name (str) or None, got {target!r}")
    if columns is not None:
        columns = _feature_columns(columns, target)
    delimiter = _delimiter_of(path, delimiter)
    rows = list(_csv_rows(path, delimiter))
    if not rows:
        raise ValueError(f"{path}: the file is empty; expected a header row of column names")
    header_line, names = rows[0]
    first_seen: dict[str, int] = {}
    for column, name in enumerate(names, start=1):
        if not name:
            raise ValueError(f"{path}, line {header_line}: column {column} has an empty name")
        if name in first_seen:
            raise ValueError(
                f"{path}, line {header_line}: duplicate column name {name!r} "
                f"(columns {first_seen[name]} and {column})"
            )
        first_seen[name] = column
    if target is not None and target not in first_seen:
        raise ValueError(
            f"{path}: no target column {target!r}; available columns: {', '.join(names)}"
            f"{delimiter_hint(names, delimiter)}"
        )
    if target is not None and len(names) == 1:
        raise ValueError(
            f"{path}: expected feature columns besides the target {target!r}, got none"
        )
    if columns is None:
        columns = tuple(name for name in names if name != target)
    missing = [name for name in columns if name not in first_seen]
    if missing:
        raise ValueError(
            f"{path}: no column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(name) for name in missing)}; available columns: {', '.join(names)}"
            f"{delimiter_hint(names, delimiter)}"
        )
    if len(rows) == 1:
        raise ValueError(
            f"{path}: expected data rows after the header (line {header_line}), got none"
        )

    wanted = set(columns)
    # Cells are read in file order; ``order`` then puts the features in the order of columns.
    position = {name: i for i, name in enumerate(name for name in names if name in wanted)}
    order = [position[name] for name in columns]
    features, target_cells = [], []
    for line, cells in rows[1:]:
        if len(cells) != len(names):
            raise ValueError(
                f"{path}, line {line}: expected {len(names)} cells, one per column, "
                f"got {len(cells)}"
            )
        row = []
        for name, cell in zip(names, cells, strict=True):
            if name != target and name not in wanted:
                continue
            where = f"{path}, line {line}, column {name!r}"
            if not cell or cell.lower() in _MISSING:
                raise ValueError(f"{where}: expected a value, got the missing value {cell!r}")
            if name == target:
                target_cells.append((where, cell))
            else:
                row.append(_cell_number(cell, where))
        features.append(row)

    features = np.array(features, dtype=np.float64)[:, order]
    _check_fit(
        features,
        dtype,
        lambda cell: f"{path}, line {rows[1 + cell[0]][0]}, column {columns[cell[1]]!r}",
    )
    target_values = None
    if target is not None and all(_is_number(cell) for _, cell in target_cells):
        target_values = np.array(
            [_cell_number(cell, where) for where, cell in target_cells], dtype=np.float64
        )
        _check_fit(target_values, dtype, lambda cell: target_cells[cell[0]][0])
    elif target is not None:
        target_values = np.array([cell for _, cell in target_cells], dtype=object)
    return CsvTable(
        features=features,
        feature_names=columns,
        target=target_values,
        target_name=target,
        path=path,
    )


def _feature_columns(columns, target: str | None) -> tuple[str, ...]:
    """Check ``read_csv``'s ``columns``: at least one name, none twice, not the target."""
    columns = _names(columns, "columns")
    if not columns:
        raise ValueError(f"columns must name at least one feature column, got {columns!r}")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise ValueError(
            f"columns must name each column once, got {', '.join(map(repr, repeated))} "
            f"more than once: {columns!r}"
        )
    if target in columns:
        raise ValueError(f"columns must not include the target column {target!r}: {columns!r}")
    return columns


# --- sentences -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Texts:
    """Short texts and their class labels: ``texts[i]`` has label ``y[i]`` (int64, ``0, 1,
    ...``), named ``label_names[y[i]]``. Turn them into token ids for an ``Embedding`` with
    ``glassnet.preprocessing.Vocabulary``."""

    texts: tuple[str, ...]
    y: np.ndarray
    label_names: tuple[str, ...]
    target_name: str


def sentiment(split: str = "train") -> Texts:
    """Short film reviews, ``"negative"`` (0) or ``"positive"`` (1), written for glassnet.

    ``split="train"`` gives 124 sentences, ``"test"`` 58 held-out ones that pair the training
    sentences' words in new ways: ``"the story was not dull"`` is positive, ``"the ending was
    not charming"`` negative. Every adjective is seen in training, plain and after "not", so a
    recurrent network that reads the word order can get all of them right::

        train = datasets.sentiment()
        vocabulary = Vocabulary().fit(train.texts)
        X = vocabulary.encode(train.texts, length=8)   # token ids, 0 pads
    """
    from glassnet import _sentiment_data

    one_of(split, "split", ("train", "test"))
    pairs = _sentiment_data.TRAIN if split == "train" else _sentiment_data.TEST
    return Texts(
        texts=tuple(text for text, _ in pairs),
        y=np.array([label for _, label in pairs], dtype=np.int64),
        label_names=("negative", "positive"),
        target_name="sentiment",
    )


# --- MNIST IDX ----------------------------------------------------------------------------------

_GZIP_MAGIC = b"\x1f\x8b"
# IDX type code -> the big-endian dtype of the stored values.
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


# Deflate, gzip's compression, expands data at most 1032-fold: a gzip file's header that declares
# more values than that is not telling the truth, and is refused before anything is decompressed.
_MAX_DEFLATE_RATIO = 1032
# Decompressed data is read in pieces of this size, so memory follows what the file really holds.
_CHUNK_BYTES = 1 << 18


def read_idx(path) -> np.ndarray:
    """Read one IDX file (the MNIST format), plain or gzip-compressed.

    The layout is: magic bytes ``00 00 <type code> <n_dims>``, then ``n_dims`` big-endian uint32
    sizes, then the values in C order, big-endian. Gzip is detected by its magic bytes ``1f 8b``,
    whatever the file's suffix.

    The header is checked before the data are read: a plain file must hold exactly the bytes
    its sizes declare, a gzip file at most 1032 times its own size (deflate's limit). Gzip data
    are decompressed piece by piece and never past the declared size (plus one byte, to find
    trailing data), so memory follows what the file holds, not what its header claims.

    Returns an array of the stored shape, e.g. ``(n_images, 28, 28)`` uint8, in native byte order.
    """
    path = _existing_file(path, "IDX file")
    file_size = path.stat().st_size
    with path.open("rb") as handle:
        compressed = handle.read(2) == _GZIP_MAGIC
        handle.seek(0)
        if not compressed:
            return _read_idx_stream(handle, path, file_size, compressed=False)
        try:
            with gzip.GzipFile(fileobj=handle, mode="rb") as stream:
                return _read_idx_stream(stream, path, _MAX_DEFLATE_RATIO * file_size, True)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{path}: corrupt gzip data ({error})") from error


def _read_idx_stream(stream, path: Path, most_bytes: int, compressed: bool) -> np.ndarray:
    """``read_idx`` on an open (maybe decompressing) ``stream`` that holds ``most_bytes`` at
    most, exactly that many when not ``compressed``."""
    head = _read_bytes(stream, 4)
    if len(head) < 4 or head[:2] != b"\x00\x00":
        raise ValueError(
            f"{path}: not an IDX file; expected magic bytes 00 00 <type> <dims>, "
            f"got {head.hex(' ') or 'an empty file'}"
        )
    code, n_dims = head[2], head[3]
    if code not in _IDX_TYPES:
        known = ", ".join(f"0x{known:02X}" for known in _IDX_TYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X}; expected one of {known}")
    header_size = 4 + 4 * n_dims
    sizes = _read_bytes(stream, 4 * n_dims)
    if len(sizes) < 4 * n_dims:
        raise ValueError(
            f"{path}: truncated IDX header; expected {header_size} bytes for {n_dims} sizes, "
            f"got {4 + len(sizes)}"
        )
    shape = struct.unpack(f">{n_dims}I", sizes)
    dtype = _IDX_TYPES[code]
    count = math.prod(shape)  # at most 255 factors below 2**32: cheap
    expected, available = count * dtype.itemsize, most_bytes - header_size

    def size_error(problem: str, received) -> ValueError:
        return ValueError(
            f"{path}: {problem}; expected {expected} bytes of {dtype.name} for shape {shape}, "
            f"got {received}"
        )

    if not compressed and expected != available:
        problem = "truncated IDX data" if available < expected else "trailing bytes after IDX data"
        raise size_error(problem, available)
    if expected > available:
        raise size_error(
            "the header declares more data than the file can hold (gzip expands at most "
            f"{_MAX_DEFLATE_RATIO}-fold)",
            f"a file of {most_bytes // _MAX_DEFLATE_RATIO} bytes",
        )
    data = _read_bytes(stream, expected)
    if len(data) < expected:
        raise size_error("truncated IDX data", len(data))
    if _read_bytes(stream, 1):
        raise size_error("trailing bytes after IDX data", "more")
    values = np.frombuffer(data, dtype=dtype, count=count)
    return values.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _read_bytes(stream, size: int) -> bytearray:
    """Up to ``size`` bytes of ``stream``, fewer only where it ends, read in pieces: a size
    that the data do not back allocates nothing."""
    data = bytearray()
    while len(data) < size:
        piece = stream.read(min(_CHUNK_BYTES, size - len(data)))
        if not piece:
            break
        data += piece
    return data


class PixelNames(Sequence):
    """The names ``pixel_<row>_<col>`` of an ``n_rows x n_columns`` image's pixels, in the order
    of the flattened image (row by row), each made when asked for: an image of a million pixels
    holds no million strings."""

    def __init__(self, n_rows: int, n_columns: int):
        self.n_rows, self.n_columns = n_rows, n_columns

    def __len__(self) -> int:
        return self.n_rows * self.n_columns

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[position] for position in range(*index.indices(len(self))))
        position = operator.index(index)
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(f"pixel index {index} out of range for {len(self)} pixels")
        row, column = divmod(position, self.n_columns)
        return f"pixel_{row}_{column}"

    def __eq__(self, other) -> bool:
        if isinstance(other, PixelNames):
            return (self.n_rows, self.n_columns) == (other.n_rows, other.n_columns)
        return isinstance(other, (tuple, list)) and tuple(self) == tuple(other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"PixelNames(n_rows={self.n_rows}, n_columns={self.n_columns})"


def _find_idx(folder: Path, stem: str) -> Path:
    """Return ``folder/stem`` or ``folder/stem.gz``, whichever exists, or raise naming both."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"MNIST folder {folder} has no {stem} or {stem}.gz; nothing is downloaded, "
        "so put the file there first"
    )


def load_mnist(folder, kind: str = "train") -> Dataset:
    """Load MNIST from IDX files already in ``folder``; nothing is downloaded.

    ``kind="train"`` reads ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte``;
    ``kind="test"`` reads the ``t10k-`` pair. Either may be gzip-compressed with a ``.gz`` suffix.
    Pixels are scaled from 0..255 to [0, 1].

    Returns a Dataset with X ``(n_images, 784)`` float64 and y ``(n_images,)`` digits 0..9.
    """
    one_of(kind, "kind", ("train", "test"))
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be a str or os.PathLike, got {folder!r}")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"MNIST folder {folder} does not exist or is not a folder")
    prefix = "train" if kind == "train" else "t10k"
    images_path = _find_idx(folder, f"{prefix}-images-idx3-ubyte")
    labels_path = _find_idx(folder, f"{prefix}-labels-idx1-ubyte")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(
            f"{images_path}: expected uint8 images of shape (n_images, rows, columns), "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{labels_path}: expected uint8 labels of shape (n_images,), "
            f"got {labels.dtype} of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; expected the same count"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: expected digit labels 0..9, got {labels.max()}")
    n_images, n_rows, n_columns = images.shape
    X = images.reshape(n_images, n_rows * n_columns).astype(np.float64)
    X /= 255.0
    return Dataset(
        X=X,
        y=labels.astype(np.int64),
        feature_names=PixelNames(n_rows, n_columns),
        target_name="digit",
        task="classification",
        label_names=tuple(str(digit) for digit in range(10)),
    )
