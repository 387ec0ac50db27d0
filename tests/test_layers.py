"""Tests for the layer contract: shapes, the head protocol, the loss step, parameter names,
declared weight decay, sample weights, configs that keep initialisers, and the import floors."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet
from glassnet import Dense, Dropout, Network, losses
from glassnet.gradcheck import numerical_gradient
from glassnet.layers import Layer
from glassnet.layers.base import IdentityHead

SOURCE = Path(glassnet.__file__).parent


def central_difference(f, array, epsilon=1e-6):
    """``df/darray`` by central differences, entry by entry."""
    return numerical_gradient(f, array, epsilon)


# -- shapes ----------------------------------------------------------------------------------------


def test_network_infers_every_shape_from_the_first_layer():
    net = Network([Dense(3, 5, "relu"), Dropout(0.5), Dense(5, 2, "identity")])
    assert net.input_shape == (3,)
    assert [layer.output_shape for layer in net.layers] == [(5,), (5,), (2,)]
    assert net.output_shape == (2,)
    assert (net.n_in, net.n_out) == (3, 2)


def test_dense_on_the_last_axis_maps_every_position_with_the_same_weights():
    net = Network([Dense(4, 3, "tanh")], input_shape=(5, 4), dtype="float64", seed=1)
    assert net.output_shape == (5, 3)
    X = np.random.default_rng(0).normal(size=(2, 5, 4))
    per_position = Network([Dense(4, 3, "tanh")], dtype="float64")
    per_position.set_weights(net.get_weights())
    expected = per_position.predict_output(X.reshape(10, 4)).reshape(2, 5, 3)
    np.testing.assert_allclose(net.predict_output(X), expected, rtol=1e-12)


@pytest.mark.parametrize("loss", ["mse", "squared_error", "cross_entropy", "binary_cross_entropy"])
def test_sequence_outputs_have_exact_gradients(loss):
    # A many-to-many output (n, time, k): the loss scores every position as one row.
    rng = np.random.default_rng(2)
    output = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(loss, "tanh")
    net = Network(
        [Dense(3, 4, "tanh"), Dense(4, 3, output)], input_shape=(5, 3), dtype="float64", seed=0
    )
    X = rng.normal(size=(2, 5, 3))
    Y = rng.integers(0, 3, size=(2, 5)) if loss == "cross_entropy" else rng.uniform(size=(2, 5, 3))
    result = glassnet.gradcheck(net, X, Y, loss=loss, weight_decay=0.01)
    assert result.max_error < 1e-7, result.errors


def test_flat_rows_are_reshaped_to_the_input_shape():
    net = Network([Dense(2, 1, "identity")], input_shape=(3, 2), dtype="float64")
    X = np.arange(12.0).reshape(2, 3, 2)
    np.testing.assert_array_equal(net.predict_output(X.reshape(2, 6)), net.predict_output(X))
    with pytest.raises(
        ValueError, match=r"X must have shape \(n_samples, 3, 2\) or \(n_samples, 6\)"
    ):
        net.predict_output(np.zeros((2, 5)))


@pytest.mark.parametrize("bad", [0, (3, 0), (2.5,), "3", (), True])
def test_bad_input_shapes_are_refused(bad):
    with pytest.raises(ValueError, match="input_shape must be a positive integer or a tuple"):
        Network([Dense(3, 1)], input_shape=bad)


def test_a_first_layer_without_a_shape_needs_input_shape():
    with pytest.raises(ValueError, match="give input_shape: a Dropout first layer"):
        Network([Dropout(0.1), Dense(3, 1)])
    net = Network([Dropout(0.1), Dense(3, 1)], input_shape=3)
    assert net.input_shape == (3,)


def test_shape_mismatch_names_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"layers\[0\] \(Dense\): .*samples of shape \(4,\)"):
        Network([Dense(3, 1)], input_shape=4)


# -- the head protocol and the loss step -----------------------------------------------------------


def test_a_last_layer_without_activation_is_read_as_an_identity_output():
    # Dropout is the identity in inference, so the loss and gradients equal those of the same
    # network without it, whose identity Dense output is the head.
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    with_dropout = Network([Dense(3, 2, "identity"), Dropout(0.3)], dtype="float64", seed=4)
    plain = Network([Dense(3, 2, "identity")], dtype="float64", seed=4)
    assert isinstance(with_dropout.head, IdentityHead)
    assert plain.head is plain.layers[-1]
    value, grads = with_dropout.loss_and_gradients(X, Y, loss="mse")
    expected_value, expected_grads = plain.loss_and_gradients(X, Y, loss="mse")
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(grads[0]["W"], expected_grads[0]["W"], rtol=1e-12)


def test_the_loss_step_reports_data_loss_and_penalty_apart():
    rng = np.random.default_rng(1)
    net = Network([Dense(3, 4, "tanh"), Dense(4, 1, "identity")], dtype="float64", seed=0)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    result = net.loss_step(X, Y, losses.mse, weight_decay=0.1, backward=False)
    data_loss = float(np.mean((net.predict_output(X) - Y) ** 2))
    penalty = 0.05 * sum(float(np.sum(layer.W**2)) for layer in net.layers)
    assert result.data_loss == pytest.approx(data_loss, rel=1e-12)
    assert result.penalty == pytest.approx(penalty, rel=1e-12)
    assert result.objective == pytest.approx(data_loss + penalty, rel=1e-12)


def test_validation_and_training_report_the_data_loss_and_the_penalty():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))
    net = Network([Dense(3, 4, "tanh"), Dense(4, 1, "identity")], seed=0)
    history = net.fit(
        X, Y, loss="mse", epochs=2, batch_size=None, weight_decay=0.5, validation_data=(X, Y)
    )
    # The validation pass scores the same data with the weights after the epoch's one step;
    # it is the plain data loss, with the penalty reported apart.
    assert history["val_loss"][-1] == pytest.approx(glassnet.evaluate(net, X, Y)["loss"], rel=1e-5)
    assert history["penalty"][-1] == pytest.approx(net.penalty(0.5), rel=1e-5)


# -- sample weights --------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["mse", "squared_error", "cross_entropy", "binary_cross_entropy"])
def test_integer_sample_weights_equal_repeated_samples(loss):
    rng = np.random.default_rng(3)
    output = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(loss, "tanh")
    net = Network([Dense(3, 4, "tanh"), Dense(4, 2, output)], dtype="float64", seed=2)
    X = rng.normal(size=(5, 3))
    Y = rng.integers(0, 2, size=5) if loss == "cross_entropy" else rng.uniform(size=(5, 2))
    weights = np.array([0, 1, 2, 3, 1])
    value, grads = net.loss_and_gradients(X, Y, loss=loss, sample_weight=weights)
    repeated = np.repeat(np.arange(5), weights)
    expected_value, expected_grads = net.loss_and_gradients(X[repeated], Y[repeated], loss=loss)
    assert value == pytest.approx(expected_value, rel=1e-12)
    for layer, expected in zip(grads, expected_grads, strict=True):
        for key in expected:
            np.testing.assert_allclose(layer[key], expected[key], rtol=1e-10, atol=1e-15)


def test_fit_with_sample_weights_follows_the_weighted_loss():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    weights = np.array([2, 1, 1, 3, 1, 2])
    weighted = Network([Dense(2, 1, "identity")], dtype="float64", seed=0)
    weighted.fit(X, Y, loss="mse", epochs=3, batch_size=None, sample_weight=weights)
    repeated = np.repeat(np.arange(6), weights)
    plain = Network([Dense(2, 1, "identity")], dtype="float64", seed=0)
    plain.fit(X[repeated], Y[repeated], loss="mse", epochs=3, batch_size=None)
    np.testing.assert_allclose(weighted.layers[0].W, plain.layers[0].W, rtol=1e-12)
    assert weighted.history["loss"] == pytest.approx(plain.history["loss"], rel=1e-12)


def test_a_batch_whose_weights_are_all_zero_changes_nothing():
    # Padding-only batches happen with sequences; they add nothing to the loss or the weights.
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    weights = np.array([1.0, 2.0, 0.0, 0.0])
    net = Network([Dense(2, 1, "identity")], dtype="float64", seed=0)
    net.fit(X, Y, loss="mse", epochs=2, batch_size=2, shuffle=False, sample_weight=weights)
    first_half = Network([Dense(2, 1, "identity")], dtype="float64", seed=0)
    first_half.fit(X[:2], Y[:2], loss="mse", epochs=2, batch_size=2, sample_weight=weights[:2])
    np.testing.assert_allclose(net.layers[0].W, first_half.layers[0].W, rtol=1e-12)
    assert net.history["loss"] == pytest.approx(first_half.history["loss"], rel=1e-12)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1, 1], "sample_weight must have 3 entries"),
        ([1, -1, 1], "non-negative"),
        ([0, 0, 0], "must not be all zero"),
        ([1, np.nan, 1], "finite"),
    ],
)
def test_bad_sample_weights_are_refused(weights, message):
    net = Network([Dense(2, 1, "identity")])
    with pytest.raises(ValueError, match=message):
        net.loss_and_gradients(np.zeros((3, 2)), np.zeros(3), sample_weight=weights)


# -- parameters: names, children, declared decay ---------------------------------------------------


class Scaled(Layer):
    """A layer made of parts: ``y = s * inner(x)`` with a Dense child and its own scale ``s``."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.children = {"inner": Dense(n_in, n_out, "tanh")}

    def describe(self, input_shape):
        inner_shape, _ = self.children["inner"].describe(input_shape)
        return inner_shape, {"s": (1,)}

    def _init_params(self, param_shapes, rng):
        self.children["inner"].build(self.input_shape, rng, self.dtype)
        self._add_param("s", np.full(param_shapes["s"], 2.0))

    def forward(self, x, training=False):
        self.inner_out = self.children["inner"].forward(x, training)
        return self.params["s"] * self.inner_out

    def backward(self, grad_output, need_input_grad=True):
        self.grads["s"][0] = np.sum(grad_output * self.inner_out)
        return self.children["inner"].backward(grad_output * self.params["s"], need_input_grad)


def test_a_layer_made_of_parts_names_its_arrays_by_path():
    net = Network([Dense(3, 4, "tanh"), Scaled(4, 2)], dtype="float64", seed=0)
    names = [name for name, _, _ in net.named_parameters()]
    assert names == [
        "layers.0.W",
        "layers.0.b",
        "layers.1.s",
        "layers.1.inner.W",
        "layers.1.inner.b",
    ]
    assert net.n_parameters == 3 * 4 + 4 + 1 + 4 * 2 + 2
    weights = net.get_weights()
    other = Network([Dense(3, 4, "tanh"), Scaled(4, 2)], dtype="float64", seed=9)
    other.set_weights(weights)
    X = np.random.default_rng(0).normal(size=(3, 3))
    np.testing.assert_array_equal(other.predict_output(X), net.predict_output(X))


def test_a_layer_made_of_parts_has_exact_gradients_and_decays_its_childrens_weights():
    net = Network([Scaled(3, 2)], input_shape=3, dtype="float64", seed=0)
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    # Decay reaches the child's W (declared by Dense) and not the parent's scale s (undeclared).
    assert net.penalty(1.0) == pytest.approx(0.5 * np.sum(net.layers[0].children["inner"].W ** 2))
    _, grads = net.loss_and_gradients(X, Y, loss="mse", weight_decay=0.1)
    for name, param, _ in net.named_parameters():
        key = name.removeprefix("layers.0.")

        def objective():
            return net.loss_and_gradients(X, Y, loss="mse", weight_decay=0.1)[0]

        np.testing.assert_allclose(
            grads[0][key], central_difference(objective, param), rtol=1e-6, atol=1e-9
        )


# -- configs ---------------------------------------------------------------------------------------


def test_the_same_config_and_seed_draw_the_same_weights():
    # The tutorial's network draws every weight and bias from the standard normal; its config
    # keeps those initialisers by name, so rebuilding it repeats the draw.
    net = Network(
        [
            Dense(2, 2, weight_init="normal", bias_init="normal"),
            Dense(2, 1, weight_init="normal", bias_init="normal"),
        ],
        seed=0,
    )
    rebuilt = Network.from_config(net.get_config())
    assert rebuilt.get_config() == net.get_config()
    for name, value in net.get_weights().items():
        np.testing.assert_array_equal(rebuilt.get_weights()[name], value)


def test_a_users_own_initialiser_is_left_out_of_the_config():
    def halves(shape, rng, dtype):
        return np.full(shape, 0.5, dtype=dtype)

    config = Dense(2, 3, weight_init=halves).get_config()
    assert "weight_init" not in config
    assert config["bias_init"] == "zeros"


# -- one input path --------------------------------------------------------------------------------


def test_every_entry_applies_the_input_scaler():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(60, 2)) * [50.0, 0.1] + [1000.0, -3.0]
    y = (X[:, 0] - 1000 > 0).astype(int)
    net = Network([Dense(2, 4, "tanh"), Dense(4, 1, "sigmoid")], seed=0)
    net.fit(X, y, loss="binary_cross_entropy", epochs=30, standardize=True)
    row = X[3]
    output = net.predict_output(row[None])[0]
    np.testing.assert_array_equal(net.feedforward(row), output)
    trace = net.explain(row, [y[3]], loss="binary_cross_entropy")
    first_layer_input = trace.forward[1].value
    np.testing.assert_allclose(first_layer_input, net.scaler.transform(row[None])[0], rtol=1e-5)
    np.testing.assert_allclose(trace.forward[-1].value, output, rtol=1e-5)


# -- import floors ---------------------------------------------------------------------------------


CORE = ["_checks", "ops", "activations", "losses", "initializers", "optimizers", "network"]
ABOVE_THE_CORE = {
    "training",
    "callbacks",
    "io",
    "safetensors",
    "cli",
    "plots",
    "explain",
    "datasets",
}


def module_level_imports(path) -> set[str]:
    """The glassnet modules a file imports at module level (not inside functions)."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("glassnet"):
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name.split(".")[1] for name in names if name.startswith("glassnet.")}


@pytest.mark.parametrize(
    "path",
    [SOURCE / f"{name}.py" for name in CORE] + sorted((SOURCE / "layers").glob("*.py")),
    ids=lambda path: path.stem,
)
def test_the_network_core_imports_nothing_above_it(path):
    assert not module_level_imports(path) & ABOVE_THE_CORE


def loaded_modules(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_import_glassnet_loads_no_optional_dependency():
    modules = {name.split(".")[0] for name in loaded_modules("import glassnet")}
    optional = {
        "click",
        "rich",
        "matplotlib",
        "threadpoolctl",
        "torch",
        "sklearn",
        "onnx",
        "onnxruntime",
        "dask",
        "distributed",
        "starlette",
    }
    assert not modules & optional, modules & optional
