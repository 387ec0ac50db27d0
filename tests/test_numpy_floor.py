"""The benchmark's NumPy floor (benchmarks/numpy_floor.py) must do glassnet's work exactly, or
the ratios against it would compare different things: same update, same loss, same labels."""

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

from glassnet import Dense, Network

FLOOR_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "numpy_floor.py"


@pytest.fixture(scope="module")
def NumpyMLP():
    spec = importlib.util.spec_from_file_location("numpy_floor", FLOOR_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.NumpyMLP


@pytest.mark.parametrize("sizes", [(6, 5, 3), (6, 7, 5, 4)])
def test_one_full_batch_step_matches_glassnet(NumpyMLP, sizes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, sizes[0])).astype(np.float32)
    labels = np.arange(40) % sizes[-1]
    floor = NumpyMLP(sizes, seed=1)
    layers = [Dense(n_in, n_out, "relu") for n_in, n_out in itertools.pairwise(sizes[:-1])]
    network = Network([*layers, Dense(sizes[-2], sizes[-1], "softmax")], seed=0)
    for layer, w, b in zip(network.layers, floor.weights, floor.biases, strict=True):
        layer.W, layer.b = w, b

    # With the whole data in one batch the sample order cannot matter: one SGD step each.
    history = network.fit(
        X, labels, loss="cross_entropy", learning_rate=0.1, epochs=1, batch_size=None, metrics=()
    )
    floor_loss = floor.train_epoch(
        X, np.eye(sizes[-1], dtype=np.float32)[labels], len(X), 0.1, np.random.default_rng(0)
    )

    assert floor_loss == pytest.approx(history["loss"][0], rel=1e-5)
    for layer, w, b in zip(network.layers, floor.weights, floor.biases, strict=True):
        np.testing.assert_allclose(w, layer.W, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b, layer.b, rtol=1e-5, atol=1e-6)
    outputs = network.forward(X)
    np.testing.assert_array_equal(floor.predict(X), outputs.argmax(axis=1))
