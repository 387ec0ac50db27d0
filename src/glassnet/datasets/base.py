"""The ``Dataset`` container and what the generators and readers share: names checked as tuples
of strings (or ``PixelNames``, made on demand) and paths checked to be existing files.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassnet._checks import MAX_EXACT_INTEGER, numeric_array, one_of

_TASKS = ("classification", "regression")


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
