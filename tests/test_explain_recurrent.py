"""explain for recurrent networks: states step by step, backprop through time step by step."""

import numpy as np
import pytest

import glassnet
from glassnet import GRU, LSTM, Dense, Embedding, Network, SimpleRNN


def _hand_network():
    layer = SimpleRNN(1, 1)
    head = Dense(1, 1, "identity")
    network = Network([layer, head], input_shape=(2, 1), dtype="float64")
    layer.params["Wx"][...] = 0.5
    layer.params["Wh"][...] = -1.0
    layer.params["bx"][...] = layer.params["bh"][...] = 0.0
    head.W, head.b = [[1.0]], [0.0]
    return network


def test_a_hand_worked_rnn_trace():
    # x = (1, 2), Wx = 0.5, Wh = -1, biases 0, then y_pred = h_2, L = (0 - y_pred)^2:
    # h_1 = tanh(0.5 * 1 + -1 * 0) = tanh(0.5) = 0.4621
    # h_2 = tanh(0.5 * 2 + -1 * 0.4621) = tanh(0.5379) = 0.4914
    # L = 0.4914^2 = 0.2415, dL/dy_pred = 2 * 0.4914 = 0.9828 = dL/dh_2
    # delta_2 = dL/dh_2 (1 - h_2^2) = 0.9828 * 0.7585 = 0.7455; its part of dL/dWh: delta_2 h_1
    #         = 0.7455 * 0.4621 = 0.3445
    # dL/dh_1 = Wh delta_2 = -0.7455; delta_1 = -0.7455 * (1 - 0.4621^2) = -0.5863; its part of
    #         dL/dWh: delta_1 h_0 = 0, so dL/dWh = 0.3445
    # dL/dWx = delta_1 x_1 + delta_2 x_2 = -0.5863 + 1.4910 = 0.9047
    trace = _hand_network().explain([[1.0], [2.0]], [0.0])
    lines = {step.symbol: step for step in (*trace.forward, *trace.backward)}
    assert lines["h^(2)_1"].value[0] == pytest.approx(0.4621, abs=5e-5)
    assert lines["h^(2)_2"].value[0] == pytest.approx(0.4914, abs=5e-5)
    assert float(trace.loss.value) == pytest.approx(0.2415, abs=5e-5)
    assert lines["dL/dh^(2)_2"].value[0] == pytest.approx(0.9828, abs=5e-4)
    assert lines["delta^(2)_2"].value[0] == pytest.approx(0.7455, abs=5e-4)
    assert lines["dL/dWh^(1) from step 2"].value[0, 0] == pytest.approx(0.3445, abs=5e-4)
    assert lines["dL/dh^(2)_1"].value[0] == pytest.approx(-0.7455, abs=5e-4)
    assert lines["delta^(2)_1"].value[0] == pytest.approx(-0.5863, abs=5e-4)
    assert lines["dL/dWh^(1) from step 1"].value[0, 0] == 0
    assert lines["dL/dWh^(1)"].value[0, 0] == pytest.approx(0.3445, abs=5e-4)
    assert lines["dL/dWx^(1)"].value[0, 0] == pytest.approx(0.9047, abs=5e-4)
    text = str(trace)
    for expected in (
        "h^(2)_1 = tanh(Wx^(1) x_1 + bx^(1) + Wh^(1) h^(2)_0 + bh^(1)) = [0.4621]",
        "dL/dh^(2)_1 = Wh^(1)T delta^(2)_2 = [-0.7455]",
        "dL/dWh^(1) from step 2 = delta^(2)_2 h^(2)_1T = [[0.3445]]",
        "dL/dWh^(1) = sum_t delta^(2)_t h^(2)_(t-1)T = [[0.3445]]",
    ):
        assert expected in text


@pytest.mark.parametrize("cell", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("sequences", [False, True])
def test_the_steps_contributions_add_up_to_the_gradient(cell, sequences):
    rng = np.random.default_rng(0)
    layer = cell(2, 3, return_sequences=sequences)
    network = Network([layer, Dense(3, 2, "softmax")], input_shape=(4, 2), dtype="float64")
    x = rng.normal(size=(4, 2))
    y = [1, 0, 1, 1] if sequences else 1
    trace = network.explain(x, y, loss="cross_entropy")
    lines = {step.symbol: step.value for step in (*trace.forward, *trace.backward)}
    contributions = [lines[f"dL/dWh^(1) from step {t}"] for t in range(1, 5)]
    np.testing.assert_allclose(sum(contributions), lines["dL/dWh^(1)"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(network.predict_output(x[None])[0], lines["a^(3)"], rtol=1e-12)
    for t in range(5):
        np.testing.assert_array_equal(lines[f"h^(2)_{t}"], layer.hidden_states[0, t])
    for t in range(1, 5):
        assert f"dL/dh^(2)_{t}" in lines and f"delta^(2)_{t}" in lines
    gates = {SimpleRNN: "", LSTM: "ifgoc", GRU: "rzn"}[cell]
    for gate in gates:
        assert all(f"{gate}^(2)_{t}" in lines for t in range(1, 5))
    # the trace's gradient is the network's, which finite differences confirm
    result = glassnet.gradcheck(network, x[None], np.array([y]), loss="cross_entropy")
    assert result.max_error < 1e-6


def test_padded_steps_are_named_and_carry_the_state():
    network = Network(
        [Embedding(5, 2, padding_id=0), GRU(2, 2, mask_value=0.0), Dense(2, 1, "sigmoid")],
        input_shape=(4,),
        dtype="float64",
        seed=0,
    )
    trace = network.explain([3, 1, 0, 0], [1], loss="binary_cross_entropy")
    text = str(trace)
    assert "h^(3)_3 = h^(3)_2  (step 3 is padding)" in text
    assert "dL/dh^(3)_3 = dL/dh^(3)_4  (step 4 is padding: h^(3)_4 = h^(3)_3)" in text
    assert "delta^(3)_3" not in text and "delta^(3)_2" in text
    assert "a^(2) = W^(1)[a^(1)]" in text and "dL/dW^(1) = row k" in text
    lines = {step.symbol: step.value for step in trace.forward}
    np.testing.assert_array_equal(lines["h^(3)_4"], lines["h^(3)_2"])


def test_a_stack_names_each_layers_input():
    network = Network(
        [LSTM(1, 2, return_sequences=True), SimpleRNN(2, 2), Dense(2, 1, "identity")],
        input_shape=(2, 1),
        dtype="float64",
    )
    text = str(network.explain([[0.5], [1.0]], [0.2]))
    assert "h^(3)_1 = tanh(Wx^(2) a^(2)_1 + bx^(2) + Wh^(2) h^(3)_0 + bh^(2))" in text
    assert "dL/dh^(2)_2 = (Wx^(2)T delta^(3))_2" in text
    assert "dL/dh^(3)_2 = W^(3)T delta^(4)" in text
