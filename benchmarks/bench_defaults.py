"""How good ``glassnet train`` is at its defaults, against scikit-learn's MLP on the same rows.

For scikit-learn's bundled iris, wine and breast-cancer data (classifiers) and diabetes (a
regression): one split, 80% to train and 20% held out (stratified for classes, seed 0), written
as CSV files. ``glassnet train`` runs at its defaults on the 80% and ``glassnet evaluate`` scores
the 20%; ``MLPClassifier`` / ``MLPRegressor`` (its defaults, ``max_iter=2000`` so that it
converges, inputs standardised as its user guide asks) learns and scores the same rows. Each is
run with seeds 0 to ``--seeds`` - 1; the table shows the mean and the spread (min to max).

``--mnist TRAIN.csv TEST.csv`` adds a row for MNIST digits (784 pixel columns in [0, 1] and a
``label`` column): ``glassnet train --hidden 256 --epochs 20`` against
``MLPClassifier(hidden_layer_sizes=(256,))`` on raw pixels. No data is downloaded.

Usage::

    python benchmarks/bench_defaults.py                     # about a minute per seed
    python benchmarks/bench_defaults.py --seeds 3 --mnist train.csv test.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="runs per dataset (seeds 0..N-1)")
    parser.add_argument("--mnist", nargs=2, metavar=("TRAIN.csv", "TEST.csv"))
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, task in (
            ("iris", "classification"),
            ("wine", "classification"),
            ("breast_cancer", "classification"),
            ("diabetes", "regression"),
        ):
            train, test = write_split(name, task, Path(folder))
            rows.append(compare(name, task, train, test, [], 100, options.seeds))
        if options.mnist:
            train, test = map(Path, options.mnist)
            extra = ["--hidden", "256", "--epochs", "20"]
            rows.append(compare("mnist", "classification", train, test, extra, 256, options.seeds))
    print(f"{'dataset':<14}{'metric':<10}{'glassnet train':>24}{'scikit-learn MLP':>24}")
    for name, metric, ours, theirs in rows:
        print(f"{name:<14}{metric:<10}{summary(ours):>24}{summary(theirs):>24}")


def write_split(name: str, task: str, folder: Path) -> tuple[Path, Path]:
    """``name``'s rows as ``NAME-train.csv`` and ``NAME-test.csv``, 80/20, target ``target``."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    data = getattr(datasets, f"load_{name}")()
    stratify = data.target if task == "classification" else None
    parts = train_test_split(
        data.data, data.target, test_size=0.2, random_state=0, stratify=stratify
    )
    paths = []
    for part, (X, y) in zip(("train", "test"), (parts[0::2], parts[1::2]), strict=True):
        path = folder / f"{name}-{part}.csv"
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([f"x{i}" for i in range(X.shape[1])] + ["target"])
            for row, value in zip(X.tolist(), y.tolist(), strict=True):
                writer.writerow([*map(repr, row), repr(value)])
        paths.append(path)
    return paths[0], paths[1]


def compare(name, task, train: Path, test: Path, extra, hidden: int, n_seeds: int):
    """``(name, metric, glassnet scores, scikit-learn scores)`` over the seeds."""
    target = "label" if name == "mnist" else "target"
    metric = "accuracy" if task == "classification" else "r2"
    ours, theirs = [], []
    for seed in range(n_seeds):
        with tempfile.TemporaryDirectory() as folder:
            model = Path(folder) / "model.safetensors"
            glassnet("train", train, "-t", target, "-o", model, "--seed", seed, "--quiet", *extra)
            scores = json.loads(glassnet("evaluate", model, test, "-t", target, "--json"))
        ours.append(scores[metric])
        theirs.append(scikit_learn(task, train, test, target, hidden, seed, name != "mnist"))
    return name, "R²" if metric == "r2" else metric, ours, theirs


def glassnet(*args) -> str:
    command = [sys.executable, "-m", "glassnet", *map(str, args)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def scikit_learn(task, train, test, target, hidden, seed, standardise) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = read(train, target)
    X_test, y_test = read(test, target)
    kind = MLPClassifier if task == "classification" else MLPRegressor
    # Enough iterations to converge on the small sets; its default 200 on MNIST.
    max_iter = 2000 if standardise else 200
    model = kind(hidden_layer_sizes=(hidden,), random_state=seed, max_iter=max_iter)
    if standardise:
        model = make_pipeline(StandardScaler(), model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return float(model.score(X_test, y_test))


def read(path: Path, target: str) -> tuple[np.ndarray, np.ndarray]:
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        values = np.array([[float(cell) for cell in row] for row in reader])
    column = header.index(target)
    return np.delete(values, column, axis=1), values[:, column]


def summary(scores) -> str:
    return f"{np.mean(scores):.4f} ({min(scores):.4f}-{max(scores):.4f})"


if __name__ == "__main__":
    main()
