"""Backprop against central finite differences on random networks, in float64."""

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import glassnet
from glassnet import activations, losses

HIDDEN = [name for name in activations.NAMES if name != "softmax"]


def _targets(loss_name, rng, n_samples, n_out):
    if loss_name == "cross_entropy":
        return rng.integers(0, n_out, n_samples)
    if loss_name == "binary_cross_entropy":
        return rng.uniform(0, 1, (n_samples, n_out))
    return rng.normal(size=(n_samples, n_out))


def _output_activation(loss_name, draw):
    if loss_name == "cross_entropy":
        return draw(st.sampled_from(["softmax", "sigmoid"]))
    if loss_name == "binary_cross_entropy":
        return draw(st.sampled_from(["sigmoid", "softmax"]))
    return draw(st.sampled_from(list(activations.NAMES)))


@st.composite
def problems(draw):
    depth = draw(st.integers(1, 4))
    widths = [draw(st.integers(1, 4)) for _ in range(depth + 1)]
    loss_name = draw(st.sampled_from(list(losses.NAMES)))
    if loss_name == "cross_entropy":
        widths[-1] = max(widths[-1], 2)
    hidden = [draw(st.sampled_from(HIDDEN)) for _ in range(depth - 1)]
    output = _output_activation(loss_name, draw)
    weight_decay = draw(st.sampled_from([0.0, 0.1]))
    seed = draw(st.integers(0, 2**16))
    return widths, [*hidden, output], loss_name, weight_decay, seed


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(problems())
def test_random_networks_match_finite_differences(problem):
    widths, names, loss_name, weight_decay, seed = problem
    rng = np.random.default_rng(seed)
    layers = [
        glassnet.Dense(n_in, n_out, name)
        for n_in, n_out, name in zip(widths[:-1], widths[1:], names, strict=True)
    ]
    network = glassnet.Network(layers, seed=seed, dtype="float64")
    # Biases away from zero keep ReLU kinks away from the finite-difference steps.
    for layer in layers:
        layer.b = rng.uniform(0.1, 0.5, layer.n_out)
    X = rng.normal(size=(5, widths[0]))
    Y = _targets(loss_name, rng, 5, widths[-1])
    # Vanishing gradients (deep, narrow sigmoid stacks) drown in the differences' rounding.
    _, grads = network.loss_and_gradients(X, Y, loss=loss_name, weight_decay=weight_decay)
    assume(min(np.linalg.norm(g["W"]) for g in grads) > 1e-4)
    # A ReLU input within epsilon of its kink makes the finite difference straddle the kink.
    for layer in layers:
        if layer.activation.name in ("relu", "leaky_relu"):
            assume(np.abs(layer.z).min() > 1e-3)
    result = glassnet.gradcheck(network, X, Y, loss=loss_name, weight_decay=weight_decay)
    assert result.max_error < 1e-6, (names, loss_name, result.errors)
    assert len(result.layer_errors()) == len(layers)


class WrongTanh(activations.Tanh):
    def derivative(self, z, a):
        return 1 - a  # should be 1 - a^2


def test_a_wrong_gradient_is_caught():
    rng = np.random.default_rng(0)
    network = glassnet.Network(
        [glassnet.Dense(3, 4, WrongTanh()), glassnet.Dense(4, 2, "identity")], dtype="float64"
    )
    result = glassnet.gradcheck(network, rng.normal(size=(6, 3)), rng.normal(size=(6, 2)))
    assert result.max_error > 1e-2
    assert result.errors[0]["W"] > 1e-2  # the first layer's gradients go through the bug
    assert result.errors[1]["W"] < 1e-6  # the output layer's do not


def test_weight_decay_adds_lambda_w_to_weights_only():
    rng = np.random.default_rng(1)
    network = glassnet.Network(
        [glassnet.Dense(2, 3, "tanh"), glassnet.Dense(3, 1, "identity")], seed=1, dtype="float64"
    )
    X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    plain_loss, plain = network.loss_and_gradients(X, Y, loss="squared_error")
    decayed_loss, decayed = network.loss_and_gradients(X, Y, loss="squared_error", weight_decay=0.3)
    weights = [layer.W for layer in network.layers]
    # J gains λ/2 sum ||W||^2, not divided by the number of samples.
    expected_penalty = 0.15 * sum(np.sum(w**2) for w in weights)
    assert decayed_loss - plain_loss == pytest.approx(expected_penalty, rel=1e-12)
    for layer_plain, layer_decayed, w in zip(plain, decayed, weights, strict=True):
        np.testing.assert_allclose(layer_decayed["W"] - layer_plain["W"], 0.3 * w, atol=1e-15)
        np.testing.assert_array_equal(layer_decayed["b"], layer_plain["b"])


def test_gradients_have_the_parameters_shapes():
    network = glassnet.Network(
        [glassnet.Dense(3, 5, "relu"), glassnet.Dropout(0.2), glassnet.Dense(5, 2, "softmax")],
        seed=0,
    )
    _, grads = network.loss_and_gradients(np.ones((4, 3)), [0, 1, 1, 0], loss="cross_entropy")
    assert grads[1] == {}
    assert grads[0]["W"].shape == (5, 3) and grads[0]["b"].shape == (5,)
    assert grads[2]["W"].shape == (2, 5) and grads[2]["b"].shape == (2,)
    assert all(g.dtype == np.float32 for layer in grads for g in layer.values())


def test_a_float32_network_is_checked_in_float64_and_left_untouched():
    # The README's tour: the tutorial's network in float32, trained on the four people.
    people = glassnet.datasets.gender()
    network = glassnet.Network(
        [glassnet.Dense(2, 2, "sigmoid"), glassnet.Dense(2, 1, "sigmoid")], seed=0
    )
    network.fit(people.X, people.y, loss="mse", learning_rate=0.1, epochs=50, batch_size=1)
    Y = people.y.reshape(-1, 1)
    before = network.get_weights()
    # Fill the float32 network's reused buffers first: the copy must not compute in them.
    network.loss_and_gradients(people.X, Y, loss="squared_error")
    result = glassnet.gradcheck(network, people.X, Y, loss="squared_error")
    assert result.max_error < 1e-8  # about 0.1 with the differences taken in float32
    assert network.dtype == np.float32
    for name, value in network.get_weights().items():
        np.testing.assert_array_equal(value, before[name])


def test_the_float64_copy_keeps_user_defined_activations():
    rng = np.random.default_rng(0)
    network = glassnet.Network(
        [glassnet.Dense(3, 4, WrongTanh()), glassnet.Dense(4, 2, "identity")]
    )
    result = glassnet.gradcheck(network, rng.normal(size=(6, 3)), rng.normal(size=(6, 2)))
    assert result.errors[0]["W"] > 1e-2  # the bug is still there in the copy
    assert result.errors[1]["W"] < 1e-6


def test_layers_copied_from_a_float32_network_compute_in_float64():
    # The float64 copy takes the layers with the buffers they reuse between batches; residuals
    # written into a float32 buffer would round the copy's gradients to float32.
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    layers = [glassnet.Dense(2, 3, "tanh"), glassnet.Dense(3, 1, "identity")]
    glassnet.Network(layers, seed=0).loss_and_gradients(X, Y)
    twin = glassnet.Network([copy.deepcopy(layer) for layer in layers], dtype="float64")
    twin.loss_and_gradients(X, Y)
    assert [layer.delta.dtype for layer in twin.layers] == [np.float64, np.float64]
