"""Network and Dense: conventions, modes of gradient descent, dtypes, seeds, bad input."""

import numpy as np
import pytest

import glassnet
from glassnet import Dense, Network


def test_dense_follows_the_tutorials_convention():
    layer = Dense(3, 2, "identity")
    network = Network([layer], seed=0, dtype="float64")
    assert layer.W.shape == (2, 3) and layer.b.shape == (2,)
    layer.W = [[1, 2, 3], [4, 5, 6]]
    layer.b = [0.5, -0.5]
    # z = W a + b for each sample (row) of the batch
    x = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    np.testing.assert_allclose(network.predict(x), [[1 - 3 + 0.5, 4 - 6 - 0.5], [4.5, 12.5]])


def test_setting_weights_checks_shape_and_keeps_the_array():
    layer = Dense(2, 3)
    Network([layer], dtype="float32")
    before = layer.W
    layer.W = np.ones((3, 2))
    assert layer.W is before and layer.W.dtype == np.float32  # optimizers keep this array
    with pytest.raises(ValueError, match=r"W must have shape \(3, 2\), got \(2, 3\)"):
        layer.W = np.ones((2, 3))
    with pytest.raises(ValueError, match="b must contain only finite values"):
        layer.b = [0, np.nan, 0]


def test_default_initialisers_are_scaled_to_the_layer():
    network = Network([Dense(500, 400, "relu"), Dense(400, 300, "tanh")], seed=0)
    he, glorot = network.layers[0].W, network.layers[1].W
    assert he.std() == pytest.approx(np.sqrt(2 / 500), rel=0.05)
    assert glorot.std() == pytest.approx(np.sqrt(2 / (400 + 300)), rel=0.05)
    assert not network.layers[0].b.any()
    normal = Network([Dense(300, 300, weight_init="normal")], seed=0).layers[0].W
    assert normal.std() == pytest.approx(1.0, rel=0.05)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept_everywhere(dtype):
    network = Network([Dense(4, 8, "relu"), Dense(8, 3, "softmax")], seed=0, dtype=dtype)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    network.fit(X, y, epochs=2, batch_size=8, learning_rate=0.1)
    assert all(p.dtype == dtype for p in network.parameters())
    assert network.predict_proba(X).dtype == dtype


def test_same_seed_same_run_bit_for_bit():
    def run():
        network = Network(
            [Dense(2, 16, "tanh"), glassnet.Dropout(0.3), Dense(16, 2, "softmax")], seed=7
        )
        data = glassnet.datasets.moons(100, seed=1)
        history = network.fit(data.X, data.y, epochs=5, batch_size=10, learning_rate=0.2)
        return network.get_weights(), history["loss"]

    (weights_a, loss_a), (weights_b, loss_b) = run(), run()
    assert loss_a == loss_b
    for name in weights_a:
        np.testing.assert_array_equal(weights_a[name], weights_b[name])


def test_three_modes_of_gradient_descent():
    # Stochastic (one sample per update), mini-batch and full batch: 4, 2 and 1 updates per epoch.
    people = glassnet.datasets.gender()
    counts = {}
    for batch_size in (1, 2, None):
        network = Network([Dense(2, 2), Dense(2, 1)], seed=0, dtype="float64")
        optimizer = glassnet.optimizers.SGD(learning_rate=0.1)
        network.fit(people.X, people.y, optimizer=optimizer, epochs=3, batch_size=batch_size)
        counts[batch_size] = optimizer.iterations
    assert counts == {1: 12, 2: 6, None: 3}


def test_full_batch_step_is_one_gradient_descent_step():
    # W <- W - eta * dJ/dW with the gradient averaged over all samples.
    people = glassnet.datasets.gender()
    network = Network([Dense(2, 3, "tanh"), Dense(3, 1)], seed=3, dtype="float64")
    before = network.get_weights()
    _, grads = network.loss_and_gradients(people.X, people.y, loss="mse", weight_decay=0.01)
    network.fit(
        people.X,
        people.y,
        loss="mse",
        learning_rate=0.5,
        epochs=1,
        batch_size=None,
        weight_decay=0.01,
        shuffle=False,
    )
    after = network.get_weights()
    for index, layer_grads in enumerate(grads):
        for key, grad in layer_grads.items():
            name = f"layers.{index}.{key}"
            np.testing.assert_allclose(after[name], before[name] - 0.5 * grad, rtol=1e-12)


def test_config_round_trip_and_summary():
    network = Network(
        [Dense(3, 4, "leaky_relu"), glassnet.Dropout(0.1), Dense(4, 2, "softmax")],
        seed=5,
        dtype="float64",
    )
    rebuilt = Network.from_config(network.get_config())
    assert rebuilt.get_config() == network.get_config()
    for name, value in network.get_weights().items():
        np.testing.assert_array_equal(rebuilt.get_weights()[name], value)  # same seed
    assert network.n_parameters == 3 * 4 + 4 + 4 * 2 + 2
    assert "total" in network.summary() and str(network.n_parameters) in network.summary()


def test_set_weights_checks_everything_before_changing_anything():
    network = Network([Dense(2, 2), Dense(2, 1)], seed=0)
    weights = network.get_weights()
    bad = dict(weights, **{"layers.1.W": np.zeros((2, 1))})
    with pytest.raises(ValueError, match=r"layers.1.W must have shape \(1, 2\)"):
        network.set_weights(bad)
    for name, value in network.get_weights().items():
        np.testing.assert_array_equal(value, weights[name])
    with pytest.raises(ValueError, match=r"missing \['layers.0.b'\]"):
        network.set_weights({k: v for k, v in weights.items() if k != "layers.0.b"})


# -- bad input --------------------------------------------------------------------------------


@pytest.fixture
def network():
    return Network([Dense(2, 3), Dense(3, 1)], seed=0)


def test_wrong_number_of_features(network):
    with pytest.raises(
        ValueError,
        match=r"X must have 2 features \(columns\) for this network, "
        r"got shape \(4, 3\)",
    ):
        network.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match="x must have 2 features"):
        network.feedforward([1, 2, 3])


def test_wrong_targets(network):
    with pytest.raises(ValueError, match=r"Y must have shape \(n_samples, 1\)"):
        network.loss_and_gradients(np.ones((4, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="Y must have 4 rows, one per sample of X, got 3"):
        network.fit(np.ones((4, 2)), np.ones(3))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values(network, bad):
    X = np.ones((3, 2))
    X[1, 0] = bad
    with pytest.raises(
        ValueError, match=r"X must contain only finite values, got .* at index \(1, 0\)"
    ):
        network.predict(X)
    with pytest.raises(ValueError, match="Y must contain only finite values"):
        network.fit(np.ones((3, 2)), [0.0, bad, 1.0])


def test_large_finite_values_are_accepted_and_an_inf_among_them_is_found():
    # The values sum past float32's largest number (about 3.4e38) though each is finite: the
    # quick check must fall back to looking value by value, and accept them without a warning.
    network = Network([Dense(2, 1, "identity")], seed=0)
    X = np.full((3, 2), 3e38, dtype=np.float32)
    assert network.predict(X).shape == (3, 1)
    X[2, 1] = -np.inf
    with pytest.raises(ValueError, match=r"finite values, got -inf at index \(2, 1\)"):
        network.predict(X)


def test_values_beyond_float32_are_refused_not_turned_into_infinities():
    # 1e39 is a finite float64 but no float32: predicting from it used to return inf.
    network = Network([Dense(2, 1, "identity")], seed=0)
    with pytest.raises(ValueError, match=r"X must hold values that fit float32 .* got 1e\+39 at "):
        network.predict(np.array([[0.0, 0.0], [1e39, 0.0]]))
    with pytest.raises(ValueError, match=r"x must hold values that fit float32"):
        network.feedforward([0.0, -1e300])
    with pytest.raises(ValueError, match=r"Y must hold values that fit float32 .* index \(1\)"):
        network.fit(np.ones((3, 2)), [0.0, 5e38, 1.0], epochs=1)
    with pytest.raises(ValueError, match=r"W must hold values that fit float32"):
        network.layers[0].W = [[1e39, 0.0]]
    with pytest.raises(ValueError, match=r"layers.0.b must hold values that fit float32"):
        network.set_weights({"layers.0.W": np.ones((1, 2)), "layers.0.b": np.array([-1e39])})
    wide = Network([Dense(2, 1, "identity")], seed=0, dtype="float64")
    assert np.isfinite(wide.predict(np.array([[1e39, 0.0]]))).all()


def test_complex_inputs_and_targets_are_refused(network):
    # Their imaginary part used to be dropped: predict([[1+5j, 2j]]) equalled predict([[1, 0]]).
    with pytest.raises(TypeError, match=r"X must hold real numbers, got complex values"):
        network.predict([[1 + 5j, 2j]])
    with pytest.raises(TypeError, match=r"Y must hold real numbers or labels, got complex values"):
        network.fit(np.ones((2, 2)), [1 + 1j, 0], epochs=1)


def test_empty_and_non_numeric_data(network):
    with pytest.raises(ValueError, match=r"X must not be empty, got an array of shape \(0, 2\)"):
        network.predict(np.ones((0, 2)))
    with pytest.raises(TypeError, match="X must be numeric"):
        network.predict([["a", "b"]])
    with pytest.raises(ValueError, match="X must be 2-D, got an array of shape"):
        network.predict(np.ones(2))


def test_bad_construction_arguments():
    with pytest.raises(ValueError, match="n_in must be a positive integer, got 0"):
        Dense(0, 3)
    with pytest.raises(ValueError, match="n_out must be a positive integer, got -2"):
        Dense(3, -2)
    with pytest.raises(ValueError, match="unknown activation 'sigmoidd'"):
        Dense(2, 2, "sigmoidd")
    with pytest.raises(ValueError, match="unknown initializer 'xavier'"):
        Dense(2, 2, weight_init="xavier")
    with pytest.raises(
        ValueError,
        match=r"layers\[1\] \(Dense\): Dense expects n_in=4 inputs on the last axis, but "
        r"receives samples of shape \(3,\)",
    ):
        Network([Dense(2, 3), Dense(4, 1)])
    with pytest.raises(ValueError, match="layers must hold at least one layer"):
        Network([])
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got 'int8'"):
        Network([Dense(2, 1)], dtype="int8")
    with pytest.raises(TypeError, match=r"layers\[0\] must be a Layer"):
        Network(["dense"])


def test_bad_training_arguments(network):
    X, y = np.ones((4, 2)), np.ones(4)
    for options, message in [
        ({"learning_rate": 0}, "learning_rate must be a positive number, got 0"),
        ({"learning_rate": -0.1}, "learning_rate must be a positive number, got -0.1"),
        ({"epochs": 0}, "epochs must be a positive integer, got 0"),
        ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
        ({"weight_decay": -1}, "weight_decay must be a non-negative number, got -1"),
        ({"loss": "hinge"}, "unknown loss 'hinge'"),
        ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'"),
        ({"validation_split": 1.5}, r"validation_split must be a number in \[0, 1\), got 1.5"),
    ]:
        with pytest.raises(ValueError, match=message):
            network.fit(X, y, **options)


def test_a_pickled_or_copied_network_trains_with_weight_decay():
    import copy
    import pickle

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 20)), rng.integers(0, 2, 50)
    network = Network([Dense(20, 32, "relu"), Dense(32, 1, "sigmoid")], seed=0)
    network.fit(X, y, weight_decay=0.1, epochs=1)
    # Each copy has new arrays (whose ids may be those of arrays freed before it); the
    # penalty's scratch must follow the copy's own weights, generation after generation.
    for round_trip in range(20):
        copied = pickle.loads(pickle.dumps(network)) if round_trip % 2 else copy.deepcopy(network)
        before = copied.get_weights()
        copied.fit(X, y, weight_decay=0.1, epochs=1)
        assert not np.array_equal(copied.get_weights()["layers.0.W"], before["layers.0.W"])
        network = copied
