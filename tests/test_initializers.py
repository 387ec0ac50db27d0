"""Initialisers: each draws from the distribution its docstring states, from the given rng."""

import numpy as np
import pytest

from glassnet import initializers

SHAPE = (300, 500)  # (n_out, n_in): fan_in 500, fan_out 300


@pytest.mark.parametrize(
    ("name", "expected_std"),
    [
        ("normal", 1.0),
        ("glorot_normal", np.sqrt(2 / 800)),
        ("glorot_uniform", np.sqrt(6 / 800) / np.sqrt(3)),  # U[-r, r] has std r / sqrt(3)
        ("he_normal", np.sqrt(2 / 500)),
        ("he_uniform", np.sqrt(6 / 500) / np.sqrt(3)),
    ],
)
def test_standard_deviation_matches_the_fans(name, expected_std):
    weights = initializers.get(name)(SHAPE, np.random.default_rng(0), np.float64)
    assert weights.shape == SHAPE
    assert weights.mean() == pytest.approx(0, abs=0.02 * expected_std)
    assert weights.std() == pytest.approx(expected_std, rel=0.02)


@pytest.mark.parametrize(
    ("name", "limit"), [("glorot_uniform", np.sqrt(6 / 800)), ("he_uniform", np.sqrt(6 / 500))]
)
def test_uniform_initialisers_stay_within_their_limit(name, limit):
    weights = initializers.get(name)(SHAPE, np.random.default_rng(1), np.float32)
    assert weights.dtype == np.float32
    assert np.abs(weights).max() <= limit
    assert np.abs(weights).max() > 0.99 * limit


def test_same_rng_state_same_weights_and_zeros():
    first = initializers.he_normal((4, 3), np.random.default_rng(5), np.float64)
    second = initializers.he_normal((4, 3), np.random.default_rng(5), np.float64)
    np.testing.assert_array_equal(first, second)
    assert not initializers.zeros((3,), np.random.default_rng(0), np.float32).any()


def test_defaults_per_activation_and_lookup_errors():
    assert initializers.default_for("relu") == "he_normal"
    assert initializers.default_for("leaky_relu") == "he_normal"
    assert initializers.default_for("tanh") == "glorot_uniform"
    assert initializers.default_for("sigmoid") == "glorot_uniform"
    with pytest.raises(ValueError, match="unknown initializer 'kaiming'; choose one of: zeros"):
        initializers.get("kaiming")
    with pytest.raises(TypeError, match="initializer must be a name or a callable, got 3"):
        initializers.get(3)
