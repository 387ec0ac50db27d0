"""Losses: hand-worked values, gradients against finite differences, fused residuals."""

import warnings

import numpy as np
import pytest

from glassnet import activations, losses


def test_values_worked_by_hand():
    # MSE: ((1-0.5)^2 + (0-0.5)^2) / 2 = 0.25
    assert losses.mse([1, 0], [0.5, 0.5]) == pytest.approx(0.25)
    # Squared error: 1/n sum 1/2 ||h - y||^2 = (1/2 (1 + 4) + 1/2 (0)) / 2 = 1.25
    assert losses.squared_error([[1, 2], [0, 0]], [[0, 0], [0, 0]]) == pytest.approx(1.25)
    # BCE: -(log 0.8 + log(1 - 0.4)) / 2
    expected = -(np.log(0.8) + np.log(0.6)) / 2
    assert losses.binary_cross_entropy([1, 0], [0.8, 0.4]) == pytest.approx(expected)
    # CE: -(log 0.7 + log 0.5) / 2, integer and one-hot targets agree
    p = [[0.7, 0.2, 0.1], [0.25, 0.5, 0.25]]
    expected = -(np.log(0.7) + np.log(0.5)) / 2
    assert losses.cross_entropy([0, 1], p) == pytest.approx(expected)
    assert losses.cross_entropy([[1, 0, 0], [0, 1, 0]], p) == pytest.approx(expected)


@pytest.mark.parametrize("name", losses.NAMES)
def test_gradient_matches_central_differences(name):
    rng = np.random.default_rng(0)
    y_pred = rng.uniform(0.1, 0.9, (4, 3))
    if name == "cross_entropy":
        y_pred /= y_pred.sum(axis=1, keepdims=True)
        y_true = np.eye(3)[[0, 2, 1, 1]]
    else:
        y_true = rng.uniform(0, 1, (4, 3))
    loss = losses.get(name)
    numeric = np.zeros_like(y_pred)
    h = 1e-6
    for index in np.ndindex(y_pred.shape):
        up, down = y_pred.copy(), y_pred.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (loss(y_true, up) - loss(y_true, down)) / (2 * h)
    np.testing.assert_allclose(loss.gradient(y_true, y_pred), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "activation"),
    [("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")],
)
def test_fused_residual_equals_the_chain_rule(name, activation):
    rng = np.random.default_rng(2)
    loss, activation = losses.get(name), activations.get(activation)
    z = rng.normal(size=(5, 3))
    a = activation(z)
    y = loss.prepare_targets(
        rng.integers(0, 3, 5) if name == "cross_entropy" else rng.uniform(0, 1, (5, 3)),
        3,
        np.float64,
    )
    fused_value, fused_delta = loss.residual(y, z, a, activation)
    plain_value, plain_delta = losses.Loss.residual(loss, y, z, a, activation)
    assert fused_value == pytest.approx(plain_value, rel=1e-10)
    np.testing.assert_allclose(fused_delta, plain_delta, rtol=1e-8, atol=1e-12)


def test_cross_entropy_from_logits_never_takes_log_zero():
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], dtype=np.float32)
    a = activations.softmax(z)
    y = losses.cross_entropy.prepare_targets(np.array([1, 1]), 2, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, delta = losses.cross_entropy.residual(y, z, a, activations.softmax)
        bce_value, _ = losses.binary_cross_entropy.residual(
            np.array([[0.0], [1.0]]),
            np.array([[1000.0], [1000.0]]),
            np.array([[1.0], [1.0]]),
            activations.sigmoid,
        )
    assert value == pytest.approx(1000.0)  # -log p = 2000 for the first sample, 0 for the second
    assert np.isfinite(delta).all()
    assert bce_value == pytest.approx(500.0)


def test_target_checks_name_the_problem():
    with pytest.raises(ValueError, match=r"class indices must be integers in \[0, 2\]"):
        losses.cross_entropy([0, 3], [[0.2, 0.3, 0.5]] * 2)
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        losses.binary_cross_entropy([2.0], [0.5])
    with pytest.raises(ValueError, match=r"Y must have shape \(n_samples, 2\)"):
        losses.mse([[1, 2, 3]], [[0.5, 0.5]])
    with pytest.raises(ValueError, match="y_pred must contain only finite values"):
        losses.mse([1.0], [np.nan])
    with pytest.raises(ValueError, match="unknown loss 'mae'; choose one of: mse"):
        losses.get("mae")
