"""Every worked number of the tutorial, reproduced; the arithmetic is written out beside it."""

import math

import numpy as np
import pytest

import glassnet
from glassnet import activations, datasets
from glassnet.demo import EMILY, FRANK, tutorial_network


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_neuron_example():
    # w . x + b = 0*2 + 1*3 + 4 = 7;  sigmoid(7) = 1 / (1 + e^-7) = 0.9990889...
    neuron = glassnet.Neuron(weights=[0, 1], bias=4)
    assert neuron.total([2, 3]) == 7
    assert neuron.feedforward([2, 3]) == pytest.approx(0.9990889, abs=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_feedforward_example(dtype):
    # h1 = h2 = f(0*2 + 1*3 + 0) = f(3) = 0.9526
    # o1 = f(0*h1 + 1*h2 + 0) = f(0.9526) = 0.7216
    network = tutorial_network([[0, 1], [0, 1]], [[0, 1]], dtype=dtype)
    output = network.feedforward([2, 3])
    assert output.shape == (1,)
    assert network.layers[0].a[0] == pytest.approx([0.9526, 0.9526], abs=5e-5)
    assert output[0] == pytest.approx(0.7216, abs=5e-5)
    assert output[0] == pytest.approx(sigmoid(sigmoid(3)), abs=1e-6)


def test_mse_example():
    # (1-0)^2 + (0-0)^2 + (0-0)^2 + (1-0)^2 = 2;  2 / 4 = 0.5
    assert glassnet.losses.mse([1, 0, 0, 1], [0, 0, 0, 0]) == 0.5


def test_shifted_people_table():
    people = datasets.gender()
    np.testing.assert_array_equal(people.X, [[-2, -1], [25, 6], [17, 4], [-15, -6]])
    np.testing.assert_array_equal(people.y, [1, 0, 0, 1])


@pytest.fixture
def alice_network():
    # All weights 1, all biases 0.
    return tutorial_network(np.ones((2, 2)), np.ones((1, 2)))


def test_alice_forward_and_loss(alice_network):
    # h1 = f(w1 x1 + w2 x2 + b1) = f(-2 + -1 + 0) = f(-3) = 0.0474 = h2
    # o1 = f(w5 h1 + w6 h2 + b3) = f(0.0474 + 0.0474) = f(0.0948) = 0.524
    output = alice_network.feedforward([-2, -1])
    assert alice_network.layers[0].a[0] == pytest.approx([0.0474, 0.0474], abs=5e-5)
    assert output[0] == pytest.approx(0.524, abs=5e-4)
    # L = (1 - y_pred)^2 = (1 - 0.5237)^2 = 0.2269
    loss, _ = alice_network.loss_and_gradients([[-2, -1]], [1], loss="mse")
    assert loss == pytest.approx((1 - output[0]) ** 2)


def test_alice_partial_derivative(alice_network):
    # dL/dy_pred = -2 (1 - y_pred) = -2 (1 - 0.524) = -0.952
    # dy_pred/dh1 = w5 f'(w5 h1 + w6 h2 + b3) = f(0.0948)(1 - f(0.0948)) = 0.249
    # dh1/dw1 = x1 f'(w1 x1 + w2 x2 + b1) = -2 f(-3)(1 - f(-3)) = -0.0904
    # dL/dw1 = -0.952 * 0.249 * -0.0904 = 0.0214 (0.02147 unrounded)
    trace = alice_network.explain([-2, -1], [1], loss="mse")
    rule = {r.name: r for r in trace.chain}["w1"]
    factors = dict(rule.factors)
    # (the tutorial rounds y_pred to 0.524 first; unrounded it is -2 (1 - 0.5237) = -0.9526)
    assert factors["dL/dy_pred"] == pytest.approx(-0.952, abs=1e-3)
    assert factors["dy_pred/dh1"] == pytest.approx(0.249, abs=5e-4)
    assert factors["dh1/dw1"] == pytest.approx(-0.0904, abs=5e-5)
    assert round(-0.952 * 0.249 * -0.0904, 4) == 0.0214
    assert rule.value == pytest.approx(0.02147, abs=5e-6)
    # The same number comes out of the vectorised backward pass: W^(1) row 1, column 1.
    _, grads = alice_network.loss_and_gradients([[-2, -1]], [1], loss="mse")
    assert grads[0]["W"][0, 0] == pytest.approx(rule.value, rel=1e-12)


def test_alice_trace_text_uses_the_tutorials_notation(alice_network):
    text = str(alice_network.explain([-2, -1], [1], loss="mse"))
    for expected in (
        "a^(2) = sigmoid(z^(2)) = [0.04743, 0.04743]",
        "a^(3) = sigmoid(z^(3)) = [0.5237]",
        "delta^(2) = (W^(2)T delta^(3)) * f'(z^(2))",
        "dL/dw1 = dL/dy_pred * dy_pred/dh1 * dh1/dw1",
        "= -0.9526 * 0.2494 * -0.09035 = 0.02147",
    ):
        assert expected in text


def test_alice_trace_shows_itself_in_a_repl(alice_network):
    # A REPL echoes repr(): it must be the printed trace, not the dataclass's fields.
    trace = alice_network.explain([-2, -1], [1], loss="mse")
    assert repr(trace) == str(trace)
    assert repr(trace).startswith("Forward\n")
    assert "Step(" not in repr(trace)


def _train_people(seed, dtype="float64"):
    # The tutorial's training: weights and biases drawn from the standard normal, per-sample
    # SGD with learning rate 0.1 for 1000 epochs, MSE loss.
    people = datasets.gender()
    network = glassnet.Network(
        [
            glassnet.Dense(2, 2, "sigmoid", weight_init="normal", bias_init="normal"),
            glassnet.Dense(2, 1, "sigmoid", weight_init="normal", bias_init="normal"),
        ],
        seed=seed,
        dtype=dtype,
    )
    history = network.fit(
        people.X,
        people.y,
        loss="mse",
        learning_rate=0.1,
        epochs=1000,
        batch_size=1,
        metrics=(),
    )
    return network, history


def test_training_on_the_four_people_holds_for_19_of_20_seeds():
    successes = 0
    for seed in range(20):
        network, history = _train_people(seed)
        losses_seen = history["loss"]
        emily, frank = network.predict([EMILY, FRANK])[:, 0]
        falls = losses_seen[-1] < 0.1 * losses_seen[0] and losses_seen[-1] < losses_seen[10]
        successes += bool(falls and emily > 0.9 and frank < 0.1)
    assert successes >= 19


def test_training_in_float32_also_learns():
    network, history = _train_people(seed=0, dtype="float32")
    assert network.predict(np.array([EMILY])).dtype == np.float32
    assert history["loss"][-1] < 0.01


def test_tanh_is_a_scaled_sigmoid():
    # tanh(x) = 2 sigmoid(2x) - 1
    x = np.linspace(-20, 20, 401)
    np.testing.assert_allclose(activations.tanh(x), 2 * activations.sigmoid(2 * x) - 1, atol=1e-12)


def test_sigmoid_derivative_is_f_times_one_minus_f():
    # f'(x) = e^-x / (1 + e^-x)^2 = f(x) (1 - f(x)), checked against central differences.
    x = np.linspace(-8, 8, 161)
    f = activations.sigmoid(x)
    h = 1e-6
    numeric = (activations.sigmoid(x + h) - activations.sigmoid(x - h)) / (2 * h)
    np.testing.assert_allclose(activations.sigmoid.derivative(x, f), numeric, atol=1e-9)
    np.testing.assert_allclose(f * (1 - f), np.exp(-x) / (1 + np.exp(-x)) ** 2, atol=1e-15)


def test_demo_prints_the_tutorial(capsys):
    from glassnet import demo

    history = demo.run()
    out = capsys.readouterr().out
    for expected in (
        "0.99909",
        "0.7216",
        "MSE = 0.5",
        "0.02147",
        "Epoch 0 loss:",
        "Emily",
        "Frank",
    ):
        assert expected in out
    assert out.count("Epoch ") == 11  # every 100 epochs from 0 to 900, and the last one
    assert "Epoch 900 loss:" in out and "Epoch 999 loss:" in out
    assert history["loss"][-1] < history["loss"][0]
    assert "Emily [-7, -3]: 0.9" in out and " - F" in out and " - M" in out


def test_the_demo_prints_the_tutorials_every_ten_epochs_on_request(capsys):
    from glassnet import demo

    demo.run(print_every=10)
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 101  # every 10 epochs from 0 to 990, and the last one
    assert "Epoch 990 loss:" in out
