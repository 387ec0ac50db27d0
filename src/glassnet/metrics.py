"""Metrics for reports: accuracy and a confusion matrix for classes, MSE, MAE and R² for values.

All take ``y_true`` and ``y_pred`` with one row per sample.
"""

from __future__ import annotations

import numpy as np


def accuracy(y_true, y_pred) -> float:
    """Fraction of samples whose predicted label equals the true one."""
    y_true, y_pred = _same_length(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def mean_squared_error(y_true, y_pred) -> float:
    """``1/(n k) sum (y_true - y_pred)^2``."""
    y_true, y_pred = _same_length(y_true, y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def mean_absolute_error(y_true, y_pred) -> float:
    """``1/(n k) sum |y_true - y_pred|``."""
    y_true, y_pred = _same_length(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def r2_score(y_true, y_pred) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot``, averaged over outputs.

    1 is a perfect fit, 0 is no better than predicting the mean; a constant target whose
    prediction is exact scores 1, and otherwise 0.
    """
    y_true, y_pred = _same_length(y_true, y_pred)
    y_true = y_true.reshape(len(y_true), -1).astype(np.float64)
    y_pred = y_pred.reshape(len(y_pred), -1).astype(np.float64)
    ss_res = np.sum((y_true - y_pred) ** 2, axis=0)
    return r2_from_sums(ss_res, total_sum_of_squares(y_true))


def total_sum_of_squares(y) -> np.ndarray:
    """``SS_tot = sum_i (y_i - mean(y))^2`` of each column of ``y (n_samples, n_outputs)``."""
    return np.sum((y - y.mean(axis=0)) ** 2, axis=0, dtype=np.float64)


def r2_from_sums(ss_residual, ss_total) -> float:
    """R² from the per-output sums ``SS_res`` and ``SS_tot``, averaged over outputs."""
    ss_residual = np.broadcast_to(np.asarray(ss_residual, dtype=np.float64), ss_total.shape)
    safe_total = np.where(ss_total > 0, ss_total, 1.0)
    scores = np.where(
        ss_total > 0, 1 - ss_residual / safe_total, np.where(ss_residual == 0, 1.0, 0.0)
    )
    return float(np.mean(scores))


def confusion_matrix(y_true, y_pred, labels) -> np.ndarray:
    """``counts[i, j]`` = samples of true class ``labels[i]`` predicted as ``labels[j]``."""
    y_true, y_pred = _same_length(y_true, y_pred)
    labels = np.asarray(labels)
    index = {label: position for position, label in enumerate(labels.tolist())}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for true, predicted in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        counts[index[true], index[predicted]] += 1
    return counts


def _same_length(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true and y_pred must have the same number of samples, "
            f"got {len(y_true)} and {len(y_pred)}"
        )
    if y_true.shape != y_pred.shape and y_true.size == y_pred.size:
        y_pred = y_pred.reshape(y_true.shape)
    return y_true, y_pred
