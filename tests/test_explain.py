"""Tests for glassnet.explain beyond the tutorial's worked example (tests/test_tutorial.py)."""

import json

import numpy as np
import pytest

from glassnet import Dense, Network


def deep_network():
    layers = [Dense(3, 4, "tanh"), Dense(4, 3, "relu"), Dense(3, 2, "softmax")]
    return Network(layers, dtype="float64", seed=2)


def test_every_backward_step_matches_the_gradients():
    net = deep_network()
    x, y = np.array([0.5, -1.0, 2.0]), 1
    trace = net.explain(x, y, loss="cross_entropy")
    _, grads = net.loss_and_gradients(x[None], [y], loss="cross_entropy")
    steps = {step.symbol: step.value for step in trace.backward}
    for number, layer_grads in enumerate(grads, start=1):
        np.testing.assert_array_equal(steps[f"dL/dW^({number})"], layer_grads["W"])
        np.testing.assert_array_equal(steps[f"dL/db^({number})"], layer_grads["b"])
    # delta^(l) = (W^(l)T delta^(l+1)) * f'(z^(l)) for the relu layer, by hand from the trace.
    relu_z = next(step.value for step in trace.forward if step.symbol == "z^(3)")
    expected = (net.layers[2].W.T @ steps["delta^(4)"]) * (relu_z > 0)
    np.testing.assert_allclose(steps["delta^(3)"], expected, rtol=1e-12)


def test_forward_steps_are_the_layers_values():
    net = deep_network()
    x = np.array([0.1, 0.2, 0.3])
    trace = net.explain(x, 0, loss="cross_entropy")
    assert [step.symbol for step in trace.forward] == [
        "a^(1)",
        "z^(2)",
        "a^(2)",
        "z^(3)",
        "a^(3)",
        "z^(4)",
        "a^(4)",
    ]
    np.testing.assert_allclose(trace.forward[-1].value, net.predict_output(x[None])[0], rtol=1e-12)
    assert trace.loss.value == pytest.approx(-np.log(trace.forward[-1].value[0]))


def test_the_chain_rule_is_spelled_out_only_for_the_tutorials_shape():
    assert deep_network().explain([0, 0, 0], 0, loss="cross_entropy").chain == []
    tutorial = Network([Dense(2, 2), Dense(2, 1)], dtype="float64")
    chain = tutorial.explain([-2, -1], [1]).chain
    assert [rule.name for rule in chain] == ["w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3"]
    for rule in chain:
        assert rule.value == pytest.approx(np.prod([value for _, value in rule.factors]))


def test_the_trace_is_json_and_text():
    trace = deep_network().explain([1, 2, 3], 1, loss="cross_entropy")
    data = json.loads(json.dumps(trace.to_dict()))
    assert data["loss"]["symbol"] == "L"
    assert len(data["backward"]) == len(trace.backward)
    text = str(trace)
    assert text.startswith("Forward\n")
    assert "Backward" in text and "dL/dW^(1)" in text


def test_explain_traces_one_sample():
    with pytest.raises(ValueError, match="explain traces one sample, got 2 rows"):
        deep_network().explain(np.zeros((2, 3)), [0, 1], loss="cross_entropy")
