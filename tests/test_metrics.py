"""Tests for glassnet.metrics against scikit-learn's implementations and hand-worked values."""

import numpy as np
import pytest
from sklearn import metrics as sk

from glassnet import metrics


def test_accuracy_counts_equal_labels():
    # 3 of 4 labels equal: 0.75, by hand.
    assert metrics.accuracy(["a", "b", "a", "c"], ["a", "b", "c", "c"]) == 0.75


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regression_metrics_equal_scikit_learn(n_outputs):
    rng = np.random.default_rng(n_outputs)
    y_true, y_pred = rng.normal(size=(20, n_outputs)), rng.normal(size=(20, n_outputs))
    assert metrics.mean_squared_error(y_true, y_pred) == pytest.approx(
        sk.mean_squared_error(y_true, y_pred)
    )
    assert metrics.mean_absolute_error(y_true, y_pred) == pytest.approx(
        sk.mean_absolute_error(y_true, y_pred)
    )
    assert metrics.r2_score(y_true, y_pred) == pytest.approx(sk.r2_score(y_true, y_pred))


def test_r2_of_a_constant_target():
    # SS_tot = 0: an exact prediction scores 1, anything else 0 (not a division by zero).
    assert metrics.r2_score([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]) == 1.0
    assert metrics.r2_score([2.0, 2.0, 2.0], [2.0, 2.5, 2.0]) == 0.0


def test_r2_from_running_sums_equals_the_whole_formula():
    # Training accumulates SS_res batch by batch; the result must equal r2_score on the whole.
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    residual = sum(
        np.sum((y_true[i : i + 7] - y_pred[i : i + 7]) ** 2, axis=0) for i in range(0, 30, 7)
    )
    total = metrics.total_sum_of_squares(y_true)
    assert metrics.r2_from_sums(residual, total) == pytest.approx(metrics.r2_score(y_true, y_pred))


def test_confusion_matrix_equals_scikit_learn():
    rng = np.random.default_rng(1)
    labels = np.array(["cat", "dog", "emu"])
    y_true, y_pred = rng.choice(labels, 50), rng.choice(labels, 50)
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y_true, y_pred, labels),
        sk.confusion_matrix(y_true, y_pred, labels=labels),
    )


def test_lengths_must_agree():
    with pytest.raises(ValueError, match="same number of samples, got 3 and 2"):
        metrics.accuracy([1, 2, 3], [1, 2])
