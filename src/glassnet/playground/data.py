"""The playground's data: built-in sets drawn by ``glassnet.datasets``, uploaded CSV files, and
the split into training and test points.

A built-in set is a ``glassnet.datasets`` generator drawn as TensorFlow Playground draws its own:
500 points to classify, 1,200 to regress, in a view of about [-6, 6]² (the generator's unit
square times ``scale``), with the noise slider's 0-50% mapped onto the generator's ``noise``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glassnet import datasets, tasks

PROBLEMS = ("classification", "regression")

#: Half the width of the view of the built-in sets, as in TensorFlow Playground.
VIEW_HALF_WIDTH = 6.0


@dataclass(frozen=True)
class Builtin:
    """A built-in data set: a ``glassnet.datasets`` generator and how the playground draws it."""

    generator: str  # its name in glassnet.datasets.GENERATORS
    problem: str  # "classification" or "regression"
    n_samples: int  # 500 to classify, 1,200 to regress, as in TensorFlow Playground
    scale: float  # view units per generator unit
    noise: tuple[float, float]  # the generator's noise at the slider's 0% and at its 50%
    options: dict = field(default_factory=dict)  # more arguments, e.g. n_classes

    def draw(self, noise_percent: float, seed: int, n_samples: int | None = None) -> Points:
        """Draw the set: ``n_samples`` (default its own count) points with ``noise_percent``."""
        low, high = self.noise
        generator = datasets.GENERATORS[self.generator]
        data = generator(
            n_samples or self.n_samples,
            noise=low + (high - low) * noise_percent / 50.0,
            seed=seed,
            **self.options,
        )
        return Points(
            data.X * self.scale, data.y, ("x1", "x2"), data.target_name, self.problem, True
        )


BUILTINS = {
    "circle": Builtin("circles", "classification", 500, 5.0, (0.0, 0.25)),
    "xor": Builtin("xor", "classification", 500, 5.0, (0.0, 0.3)),
    "gaussian": Builtin("blobs", "classification", 500, 2.8, (0.25, 0.7), {"n_classes": 2}),
    "spiral": Builtin("spirals", "classification", 500, 5.0, (0.0, 0.06)),
    "blobs": Builtin("blobs", "classification", 500, 3.5, (0.15, 0.5), {"n_classes": 3}),
    "plane": Builtin("plane", "regression", 1200, 6.0, (0.0, 0.3)),
    "multi-gaussian": Builtin("multi_gaussian", "regression", 1200, 6.0, (0.0, 0.3)),
}
UPLOAD = "upload"  # the dataset name of the last uploaded file


@dataclass(frozen=True, eq=False)
class Points:
    """Points in the plane with a label or a target value each."""

    xy: np.ndarray  # (n_points, 2) float64: the two feature columns
    targets: np.ndarray  # (n_points,): class labels (ints or str) or float64 values
    column_names: tuple[str, str]  # what x1 and x2 are called
    target_name: str
    problem: str  # "classification" or "regression"
    builtin: bool = False  # drawn by a built-in set, in the fixed view

    def domain(self) -> list[list[float]]:
        """The view ``[[x1_low, x1_high], [x2_low, x2_high]]``: [-6, 6]² for a built-in set, as
        in TensorFlow Playground (noisy points may fall outside), else the points' range with a
        margin of 5% on each side."""
        if self.builtin:
            return [[-VIEW_HALF_WIDTH, VIEW_HALF_WIDTH]] * 2
        low, high = self.xy.min(axis=0), self.xy.max(axis=0)
        margin = np.maximum(0.05 * (high - low), 1e-6 * np.maximum(1.0, np.abs(high)))
        return [[float(lo), float(hi)] for lo, hi in zip(low - margin, high + margin, strict=True)]


def split(points: Points, train_percent: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, test)``: ``train_percent`` % of the rows for training, drawn with
    ``seed``; for classification each class is split alike and keeps a training row, so the
    network learns every class and both parts have the data's mix of classes."""
    rng = np.random.default_rng(seed)
    n_points = len(points.targets)
    if points.problem == "classification":
        groups = [np.flatnonzero(points.targets == label) for label in np.unique(points.targets)]
    else:
        groups = [np.arange(n_points)]
    train = []
    for rows in groups:
        n_train = min(max(1, round(train_percent / 100 * len(rows))), len(rows))
        train.append(rng.permutation(rows)[:n_train])
    train = np.sort(np.concatenate(train))
    return train, np.setdiff1d(np.arange(n_points), train)


class UploadError(ValueError):
    """An uploaded file that the playground cannot use; the message says why."""


def read_upload(name: str, content: bytes, max_bytes: int, max_rows: int, max_classes: int):
    """Read an uploaded CSV file: a header, then rows of two numeric feature columns and a label
    or target column, last. Returns ``Points`` whose ``problem`` is inferred from the last
    column: text, or at most ``max_classes`` distinct integers, are class labels; other
    numbers are regression targets.

    ``content`` is checked against ``max_bytes`` and its line count against ``max_rows`` before
    anything is parsed; then ``glassnet.datasets.read_csv`` reads it. Raises ``UploadError``
    naming the file, the line and the column of a bad cell.
    """
    if len(content) > max_bytes:
        raise UploadError(
            f"{name}: the file has {len(content):,} bytes; the playground takes at most "
            f"{max_bytes:,}"
        )
    n_lines = content.count(b"\n") + (not content.endswith(b"\n"))
    if n_lines - 1 > max_rows:
        raise UploadError(
            f"{name}: the file has about {n_lines - 1:,} rows; the playground takes at most "
            f"{max_rows:,}"
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(content)
        try:
            header = datasets.read_csv_header(path)
            if len(header) != 3:
                raise UploadError(
                    f"{name}: expected 3 columns (two numeric features, then the label or "
                    f"target), got {len(header)}: {', '.join(header)}"
                )
            table = datasets.read_csv(path, target=header[2])
        except ValueError as error:
            raise UploadError(str(error).replace(str(path), name)) from None
    if len(table.features) < 4:
        raise UploadError(f"{name}: expected at least 4 rows of data, got {len(table.features)}")
    problem, targets = _task_of(table.target, name, max_classes)
    return Points(table.features, targets, tuple(table.feature_names), table.target_name, problem)


def _task_of(raw: np.ndarray, name: str, max_classes: int) -> tuple[str, np.ndarray]:
    """``(problem, targets)`` for a raw target column, by the library's rule
    (``glassnet.tasks``): labels for a classification, float values for a regression."""
    try:
        problem = tasks.infer_task(raw)
        if problem == "regression":
            return problem, raw.astype(np.float64)
        labels = tasks.as_class_labels(raw, f"{name}: the label column")
    except (TypeError, ValueError) as error:
        raise UploadError(str(error)) from None
    n_classes = len(np.unique(labels))
    if n_classes < 2:
        raise UploadError(
            f"{name}: the label column has a single class ({labels[0].item()!r}); need two or more"
        )
    if n_classes > max_classes:
        raise UploadError(
            f"{name}: the label column has {n_classes} classes; the playground tells at most "
            f"{max_classes} apart"
        )
    return problem, labels
