"""ONNX export against onnxruntime: the same numbers as glassnet, for every layer and head."""

import os
import subprocess
import sys

import numpy as np
import pytest

import glassnet
from glassnet import activations
from glassnet.layers import (
    GRU,
    LSTM,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAvgPool2D,
    Layer,
    MaxPool2D,
    Reshape,
    SimpleRNN,
)

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
glassnet_onnx = pytest.importorskip("glassnet.onnx")

N_FEATURES = 4
DECIMALS = 5  # outputs agree to 5 decimals in float32


def run(path, X):
    """The ONNX model at ``path`` on ``X``, by output name."""
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, {"X": X.astype(np.float32)}), strict=True))


def random_inputs(seed, n_samples=64):
    """Inputs far from standardised, so the graph's scaler has work to do."""
    rng = np.random.default_rng(seed)
    return rng.normal(loc=[3.0, -2.0, 0.0, 10.0], scale=[1.0, 4.0, 0.5, 3.0], size=(n_samples, 4))


def classifier(labels, hidden="tanh", seed=0, **fit_options):
    """A small network trained for a few epochs on ``labels`` (2 classes: one sigmoid unit)."""
    X = random_inputs(seed)
    rng = np.random.default_rng(seed)
    y = np.asarray(labels)[rng.integers(0, len(labels), len(X))]
    binary = len(labels) == 2
    net = glassnet.Network(
        [
            Dense(N_FEATURES, 6, hidden),
            Dropout(0.25),
            Dense(6, 1 if binary else len(labels), "sigmoid" if binary else "softmax"),
        ],
        seed=seed,
    )
    loss = "binary_cross_entropy" if binary else "cross_entropy"
    net.fit(X, y, loss=loss, optimizer="adam", epochs=5, standardize=True, **fit_options)
    return net


@pytest.mark.parametrize("name", activations.NAMES)
def test_every_activation_matches_onnxruntime(tmp_path, name):
    net = glassnet.Network(
        [Dense(N_FEATURES, 7, name), Dropout(0.5), Dense(7, 5, name), Dense(5, 3, name)], seed=1
    )
    path = tmp_path / "model.onnx"
    net.to_onnx(path)
    X = random_inputs(2).astype(np.float32)
    outputs = run(path, X)
    assert list(outputs) == ["output"]
    np.testing.assert_array_almost_equal(outputs["output"], net.predict(X), decimal=DECIMALS)


def test_leaky_relu_keeps_its_slope(tmp_path):
    slope = activations.LeakyReLU(alpha=0.3)
    net = glassnet.Network([Dense(N_FEATURES, 5, slope), Dense(5, 2, "identity")], seed=3)
    net.to_onnx(tmp_path / "model.onnx")
    X = random_inputs(4).astype(np.float32)
    got = run(tmp_path / "model.onnx", X)["output"]
    np.testing.assert_array_almost_equal(got, net.predict(X), decimal=DECIMALS)
    # With the default slope (0.01) the outputs would differ far beyond 5 decimals.
    default = glassnet.Network([Dense(N_FEATURES, 5, "leaky_relu"), Dense(5, 2, "identity")])
    default.set_weights(net.get_weights())
    assert np.abs(default.predict(X) - got).max() > 1e-3


def test_a_standardised_regression_model_matches(tmp_path):
    X = random_inputs(5)
    Y = np.column_stack([X[:, 0] - 0.5 * X[:, 1], np.sin(X[:, 2])])
    net = glassnet.Network([Dense(N_FEATURES, 8, "relu"), Dense(8, 2, "identity")], seed=5)
    net.fit(X, Y, optimizer="adam", epochs=20, standardize=True)
    assert net.scaler is not None
    net.to_onnx(tmp_path / "model.onnx")
    X_test = random_inputs(6)
    got = run(tmp_path / "model.onnx", X_test)["output"]
    np.testing.assert_array_almost_equal(got, net.predict(X_test.astype(np.float32)), DECIMALS)


def test_dense_on_the_last_axis_of_a_sequence_matches(tmp_path):
    rng = np.random.default_rng(12)
    X, Y = rng.normal(2.0, 3.0, size=(50, 3, 4)), rng.normal(size=(50, 3, 2))
    layers = [Dense(4, 5, "tanh"), Dropout(0.2), Dense(5, 2, "identity")]
    net = glassnet.Network(layers, input_shape=(3, 4), seed=12)
    net.fit(X, Y, optimizer="adam", epochs=3, standardize=True)
    net.to_onnx(tmp_path / "model.onnx")
    X_test = rng.normal(2.0, 3.0, size=(20, 3, 4))
    got = run(tmp_path / "model.onnx", X_test)["output"]
    assert got.shape == (20, 3, 2)
    np.testing.assert_array_almost_equal(got, net.predict(X_test.astype(np.float32)), DECIMALS)


@pytest.mark.parametrize(
    "labels",
    [["no", "yes"], [3, 7], ["cat", "dog", "bird", "fish"], [-1, 0, 5]],
    ids=["binary-strings", "binary-ints", "multiclass-strings", "multiclass-ints"],
)
def test_a_classifier_gives_probabilities_and_the_users_labels(tmp_path, labels):
    net = classifier(labels)
    path = tmp_path / "model.onnx"
    net.to_onnx(path)
    X = random_inputs(7, n_samples=200).astype(np.float32)
    outputs = run(path, X)
    assert list(outputs) == ["probabilities", "label"]
    np.testing.assert_array_almost_equal(
        outputs["probabilities"], net.predict_proba(X), decimal=DECIMALS
    )
    expected = net.predict(X)
    assert outputs["label"].tolist() == expected.tolist()
    assert len(set(expected.tolist())) > 1  # the inputs reach more than one class
    assert type(outputs["label"].tolist()[0]) is type(labels[0])  # str or int, as given


def test_a_float64_network_is_exported_in_float32(tmp_path):
    net = glassnet.Network(
        [Dense(N_FEATURES, 6, "softplus"), Dense(6, 3, "softmax")], seed=8, dtype="float64"
    )
    net.fit(random_inputs(8), ["a", "b", "c"] * 21 + ["a"], epochs=3, standardize=True)
    net.to_onnx(tmp_path / "model.onnx")
    X = random_inputs(9)
    outputs = run(tmp_path / "model.onnx", X)
    assert outputs["probabilities"].dtype == np.float32
    np.testing.assert_array_almost_equal(outputs["probabilities"], net.predict_proba(X), DECIMALS)
    assert outputs["label"].tolist() == net.predict(X).tolist()


@pytest.mark.parametrize("opset", [13, glassnet_onnx.DEFAULT_OPSET])
def test_the_file_passes_the_checker_at_the_opset_asked_for(tmp_path, opset):
    net = classifier(["a", "b", "c"], hidden="relu")
    net.to_onnx(tmp_path / "model.onnx", opset=opset)
    model = onnx.load(tmp_path / "model.onnx")
    onnx.checker.check_model(model, full_check=True)
    assert [entry.version for entry in model.opset_import] == [opset]
    props = {prop.key: prop.value for prop in model.metadata_props}
    assert props["task"] == "classification"
    assert props["classes"] == '["a", "b", "c"]'
    X = random_inputs(10).astype(np.float32)
    assert run(tmp_path / "model.onnx", X)["label"].tolist() == net.predict(X).tolist()


@pytest.mark.parametrize("opset", [12, 10_000, 13.0, "17"])
def test_an_opset_out_of_range_is_refused(tmp_path, opset):
    net = glassnet.Network([Dense(2, 1, "identity")])
    with pytest.raises(ValueError, match=f"opset must be .*got {opset!r}"):
        net.to_onnx(tmp_path / "model.onnx", opset=opset)
    assert list(tmp_path.iterdir()) == []


class Doubler(Layer):
    """A layer the exporter does not know."""

    def forward(self, x, training=False):
        return 2 * x


def test_an_unknown_layer_or_activation_is_refused_and_the_old_file_kept(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the previous export")
    unknown_layer = glassnet.Network([Dense(2, 3), Doubler(), Dense(3, 1)])
    with pytest.raises(
        ValueError, match=r"layers\[1\] is a Doubler.*exports: Dense, Dropout, .*GRU"
    ):
        unknown_layer.to_onnx(path)

    class Cube(activations.Activation):
        name = "cube"

        def forward(self, z, out=None):
            return np.power(z, 3, out=out)

    unknown_activation = glassnet.Network([Dense(2, 3, Cube()), Dense(3, 1)])
    with pytest.raises(ValueError, match=r"layers\[0\] has the activation Cube\(\).*sigmoid"):
        unknown_activation.to_onnx(path)
    assert path.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_the_file_is_replaced_whole(tmp_path, monkeypatch):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the previous export")
    net = classifier(["a", "b"])

    class Interrupted:
        def SerializeToString(self):
            raise KeyboardInterrupt

    monkeypatch.setattr(glassnet_onnx, "to_model", lambda network, opset: Interrupted())
    with pytest.raises(KeyboardInterrupt):
        net.to_onnx(path)
    assert path.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        glassnet_onnx.save(net, tmp_path / "missing" / "model.onnx")


def test_without_onnx_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[onnx\]"'):
        glassnet.Network([Dense(2, 1)]).to_onnx(tmp_path / "model.onnx")


def test_the_exporter_and_the_command_line_load_onnx_only_to_export():
    code = "import sys, glassnet.cli, glassnet.onnx; print(' '.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)  # fmt: skip
    loaded = {name.split(".")[0] for name in result.stdout.split()}
    assert not loaded & {"onnx", "onnxruntime"}


# -- every layer type --------------------------------------------------------------------------


def exported_outputs(net, X, opset=glassnet_onnx.DEFAULT_OPSET):
    """``net`` exported (and checked) at ``opset``, run by onnxruntime on ``X``: the outputs by
    name. ``X`` keeps its dtype (float32, or int64 token ids)."""
    model = glassnet_onnx.to_model(net, opset=opset)
    onnx.checker.check_model(model, full_check=True)
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, {"X": X}), strict=True))


def assert_exports_exactly(net, X, opset=glassnet_onnx.DEFAULT_OPSET):
    """onnxruntime gives glassnet's raw outputs, or its probabilities and labels, to 5
    decimals; returns the largest difference."""
    outputs = exported_outputs(net, X, opset)
    if net.classes is None:
        expected = net.predict_output(X)
        assert outputs["output"].shape == expected.shape
        np.testing.assert_array_almost_equal(outputs["output"], expected, decimal=DECIMALS)
        return np.abs(outputs["output"] - expected).max()
    expected = net.predict_proba(X)
    assert outputs["probabilities"].shape == expected.shape
    np.testing.assert_array_almost_equal(outputs["probabilities"], expected, decimal=DECIMALS)
    assert outputs["label"].tolist() == net.predict(X).tolist()
    return np.abs(outputs["probabilities"] - expected).max()


def images(seed, shape, n_samples=6):
    return np.random.default_rng(seed).normal(0.5, 2.0, size=(n_samples, *shape)).astype(np.float32)


def train_running_statistics(net, X, n_batches=3):
    """A few training forward passes: BatchNorm's running statistics leave their defaults."""
    for _ in range(n_batches):
        net.forward(X * 1.5 + 0.7, training=True)
    for layer in net.layers:
        if isinstance(layer, BatchNorm):
            assert not np.allclose(layer.state["running_mean"], 0)
            assert not np.allclose(layer.state["running_var"], 1)


@pytest.mark.parametrize(
    ("kernel", "stride", "padding"),
    [
        (3, 1, "same"),
        (3, 2, "same"),  # odd total padding: the extra row and column at the bottom and right
        ((2, 3), (2, 1), "same"),
        (4, 3, "same"),
        (3, 1, "valid"),
        ((3, 2), 2, "valid"),
        (3, 1, 1),
        (3, (1, 2), (2, 0)),
    ],
)
@pytest.mark.parametrize("activation", ["relu", "tanh", "identity"])
def test_conv2d_matches_for_every_padding_and_stride(kernel, stride, padding, activation):
    layers = [Conv2D(2, 3, kernel, stride=stride, padding=padding, activation=activation)]
    net = glassnet.Network([*layers, Flatten()], input_shape=(2, 7, 8), seed=1)
    for layer in net.layers[:1]:  # a bias that matters
        layer.params["b"][...] = np.random.default_rng(2).normal(size=3)
    assert_exports_exactly(net, images(3, (2, 7, 8)))


@pytest.mark.parametrize("pool", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize(
    ("size", "stride"), [(2, None), (3, None), (3, 2), ((2, 3), (1, 2)), (2, 1), (1, 1)]
)
def test_pooling_matches_with_floor_rounding(pool, size, stride):
    # 7x9 images: the last rows and columns no window reaches are left out
    net = glassnet.Network([pool(size, stride)], input_shape=(3, 7, 9))
    assert_exports_exactly(net, images(4, (3, 7, 9)))


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "sigmoid"])
def test_a_convolution_pooled_as_one_stage_matches(activation):
    # Network runs Conv2D + MaxPool2D as one stage (pool, then f) for these activations
    net = glassnet.Network(
        [Conv2D(1, 4, 3, padding="same", activation=activation), MaxPool2D(3, 2), Flatten()],
        input_shape=(1, 9, 9),
        seed=5,
    )
    assert_exports_exactly(net, images(5, (1, 9, 9)))


def test_global_average_pooling_and_reshape_match():
    net = glassnet.Network(
        [
            Reshape((2, 5, 6)),
            Conv2D(2, 4, 3, activation="softplus"),
            GlobalAvgPool2D(),
            Dense(4, 6, "tanh"),
            Reshape((3, -1)),
            Dense(2, 2, "identity"),  # on the last axis of (3, 2)
        ],
        input_shape=(60,),
        seed=6,
    )
    X = images(6, (60,))
    assert_exports_exactly(net, X)
    assert net.output_shape == (3, 2)


@pytest.mark.parametrize(
    ("layers", "input_shape"),
    [
        ([Dense(5, 4, "relu"), BatchNorm(), Dense(4, 2, "identity")], (5,)),
        ([Conv2D(2, 3, 3, padding="same"), BatchNorm(epsilon=1e-3), Flatten()], (2, 5, 4)),
        ([BatchNorm(momentum=0.5)], (3, 6)),  # channels of (C, L)
    ],
    ids=["rows", "images", "channels-of-sequences"],
)
def test_batchnorm_predicts_with_its_running_statistics(layers, input_shape):
    net = glassnet.Network(layers, input_shape=input_shape, seed=7)
    X = images(7, input_shape, n_samples=16)
    train_running_statistics(net, X)
    norm = next(layer for layer in net.layers if isinstance(layer, BatchNorm))
    norm.params["gamma"][...] = np.random.default_rng(8).uniform(
        0.5, 2.0, norm.params["gamma"].shape
    )
    norm.params["beta"][...] = np.random.default_rng(9).normal(size=norm.params["beta"].shape)
    assert_exports_exactly(net, X)


def sequences(seed, n_steps, n_features, n_samples=7, mask_value=None):
    """Random sequences; with ``mask_value``, padding at the end, at the start, in the middle
    and a sequence of nothing but padding."""
    X = np.random.default_rng(seed).normal(0.0, 1.5, size=(n_samples, n_steps, n_features))
    if mask_value is not None:
        X[0, n_steps - 2 :] = mask_value
        X[1, :2] = mask_value
        X[2, 1] = mask_value
        X[3] = mask_value
        X[4, 2, 0] = mask_value  # one feature only: not padding
    return X.astype(np.float32)


@pytest.mark.parametrize("cell", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("mask_value", [None, 0.0, -1.5])
def test_each_recurrent_cell_matches(cell, return_sequences, mask_value):
    layer = cell(3, 5, return_sequences=return_sequences, mask_value=mask_value,
                 bias_init="normal")  # fmt: skip
    net = glassnet.Network([layer], input_shape=(6, 3), seed=10)
    assert_exports_exactly(net, sequences(11, 6, 3, mask_value=mask_value))


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "sigmoid", "softplus", "identity"])
def test_a_simple_rnn_keeps_its_activation(activation):
    net = glassnet.Network(
        [SimpleRNN(2, 4, activation=activation, bias_init="normal", return_sequences=True)],
        input_shape=(5, 2),
        seed=12,
    )
    assert_exports_exactly(net, sequences(12, 5, 2))


def test_stacked_recurrent_layers_match():
    net = glassnet.Network(
        [
            LSTM(3, 6, return_sequences=True, bias_init="normal"),
            GRU(6, 5, return_sequences=True, bias_init="normal"),
            Dropout(0.3),
            SimpleRNN(5, 4, bias_init="normal"),
            Dense(4, 2, "identity"),
        ],
        input_shape=(7, 3),
        seed=13,
    )
    assert_exports_exactly(net, sequences(13, 7, 3))


@pytest.mark.parametrize(
    ("cell", "wrong_order"), [(LSTM, (0, 1, 2, 3)), (LSTM, (0, 3, 2, 1)), (GRU, (0, 1, 2))]
)
def test_the_gate_order_matters(monkeypatch, cell, wrong_order):
    """The comparison sees a wrong gate order: the check above can fail."""
    net = glassnet.Network([cell(3, 4, bias_init="normal")], input_shape=(5, 3), seed=14)
    X = sequences(14, 5, 3)
    recurrent = sys.modules["glassnet.onnx.recurrent"]
    op_type, _ = recurrent.CELLS[cell]
    monkeypatch.setitem(recurrent.CELLS, cell, (op_type, wrong_order))
    got = exported_outputs(net, X)["output"]
    assert np.abs(got - net.predict_output(X)).max() > 1e-3


def test_embedding_lstm_and_a_dense_head_classify_token_ids_in_int64():
    rng = np.random.default_rng(15)
    X = rng.integers(1, 12, size=(80, 6))
    X[:20, 4:] = 0  # padded sentences
    y = np.where(X[:, 0] > 6, "long", "short")
    net = glassnet.Network(
        [
            Embedding(12, 4, padding_id=0),
            LSTM(4, 5, mask_value=0.0),
            Dense(5, 3, "relu"),
            Dense(3, 1, "sigmoid"),
        ],
        input_shape=(6,),
        seed=15,
    )
    net.fit(X, y, loss="binary_cross_entropy", optimizer="adam", epochs=3)
    model = glassnet_onnx.to_model(net)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64
    assert_exports_exactly(net, X)
    net.scaler = glassnet.preprocessing.Standardizer().fit(X.astype(float))
    with pytest.raises(ValueError, match="first layer is an Embedding, which reads token ids"):
        glassnet_onnx.to_model(net)


@pytest.mark.parametrize("labels", [["circle", "cross", "dot"], ["no", "yes"]])
def test_a_cnn_classifier_gives_its_string_labels(labels):
    rng = np.random.default_rng(16)
    X = rng.normal(100.0, 30.0, size=(40, 1, 8, 8))  # far from standardised, like pixels
    y = np.asarray(labels)[rng.integers(0, len(labels), len(X))]
    binary = len(labels) == 2
    net = glassnet.Network(
        [
            Conv2D(1, 4, 3, padding="same"),
            MaxPool2D(2),
            BatchNorm(),
            Conv2D(4, 3, 3, stride=2, padding="same", activation="tanh"),
            AvgPool2D(2),
            Flatten(),
            Dropout(0.2),
            Dense(3, 1 if binary else len(labels), "sigmoid" if binary else "softmax"),
        ],
        input_shape=(1, 8, 8),
        seed=16,
    )
    loss = "binary_cross_entropy" if binary else "cross_entropy"
    net.fit(X, y, loss=loss, optimizer="adam", epochs=3, batch_size=8, standardize=True)
    X_test = rng.normal(100.0, 30.0, size=(30, 1, 8, 8)).astype(np.float32)
    assert_exports_exactly(net, X_test)
    assert len(set(net.predict(X_test).tolist())) > 1


def test_a_regression_cnn_matches():
    rng = np.random.default_rng(17)
    X = rng.normal(size=(32, 2, 6, 6))
    Y = np.column_stack([X[:, 0].mean(axis=(1, 2)), X[:, 1].max(axis=(1, 2))])
    net = glassnet.Network(
        [
            Conv2D(2, 4, 3, padding=1, activation="leaky_relu"),
            BatchNorm(),
            GlobalAvgPool2D(),
            Dense(4, 2, "identity"),
        ],
        input_shape=(2, 6, 6),
        seed=17,
    )
    net.fit(X, Y, optimizer="adam", epochs=3, batch_size=8, standardize=True)
    assert_exports_exactly(net, images(18, (2, 6, 6), n_samples=20))


@pytest.mark.parametrize("head", ["softmax", "sigmoid", "identity"])
def test_a_many_to_many_sequence_output_matches(head):
    rng = np.random.default_rng(19)
    X = rng.normal(size=(40, 5, 2))
    net = glassnet.Network(
        [GRU(2, 6, return_sequences=True), Dense(6, 3 if head == "softmax" else 1, head)],
        input_shape=(5, 2),
        seed=19,
    )
    if head == "identity":
        net.fit(X, X[:, :, :1].cumsum(axis=1), optimizer="adam", epochs=3)
    else:
        labels = np.array(["a", "b", "c"] if head == "softmax" else ["off", "on"])
        y = labels[rng.integers(0, len(labels), size=(40, 5))]
        loss = "cross_entropy" if head == "softmax" else "binary_cross_entropy"
        net.fit(X, y, loss=loss, optimizer="adam", epochs=3)
        assert net.predict(X).shape == (40, 5)
    assert_exports_exactly(net, sequences(20, 5, 2))


@pytest.mark.parametrize(
    "opset", [13, 18, glassnet_onnx.DEFAULT_OPSET, onnx.defs.onnx_opset_version()]
)
def test_every_layer_exports_at_every_opset(opset):
    net = glassnet.Network(
        [
            Conv2D(2, 3, 3, padding="same"),
            MaxPool2D(2),
            BatchNorm(),
            AvgPool2D(2, 1),
            GlobalAvgPool2D(),
            Reshape((3, 1)),
            LSTM(1, 4, mask_value=0.0, return_sequences=True),
            GRU(4, 3, return_sequences=True),
            SimpleRNN(3, 3),
            Dense(3, 2, "identity"),
        ],
        input_shape=(2, 9, 9),
        seed=21,
    )
    X = images(21, (2, 9, 9))
    train_running_statistics(net, X)
    assert_exports_exactly(net, X, opset=opset)


def test_a_recurrent_layer_started_from_a_given_state_is_refused():
    net = glassnet.Network([LSTM(2, 3)], input_shape=(4, 2))
    net.layers[0].initial_state = (np.ones((5, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"layers\[0\] \(LSTM\) has an initial_state"):
        glassnet_onnx.to_model(net)
    net.layers[0].initial_state = None
    assert_exports_exactly(net, sequences(22, 4, 2))


def test_a_simple_rnn_with_an_activation_onnx_cannot_run_is_refused():
    class Cube(activations.Activation):
        name = "cube"

        def forward(self, z, out=None):
            return np.power(z, 3, out=out)

    net = glassnet.Network([SimpleRNN(2, 3, activation=Cube())], input_shape=(4, 2))
    with pytest.raises(ValueError, match=r"layers\[0\] has the activation Cube\(\).*relu"):
        glassnet_onnx.to_model(net)


# -- the command line ------------------------------------------------------------------------------


def glassnet_command(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "glassnet", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )


def test_glassnet_export_writes_a_model_that_predicts_as_the_model_file(tmp_path):
    trained = glassnet_command(
        "train", "--dataset", "spirals", "--out", "spiral.safetensors", "--epochs", "5", "-q",
        cwd=tmp_path,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    exported = glassnet_command(
        "export", "spiral.safetensors", "--onnx", "spiral.onnx", "--opset", "14", cwd=tmp_path
    )
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == (
        "Saved the ONNX model (opset 14) to spiral.onnx\nIts input X: float32 (n_samples, 2)\n"
    )
    net = glassnet.load(tmp_path / "spiral.safetensors")
    X = np.random.default_rng(11).normal(size=(50, net.n_in)).astype(np.float32)
    outputs = run(tmp_path / "spiral.onnx", X)
    np.testing.assert_array_almost_equal(outputs["probabilities"], net.predict_proba(X), DECIMALS)
    assert outputs["label"].tolist() == net.predict(X).tolist()


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["missing.safetensors", "--onnx", "out.onnx"], 1, "missing.safetensors: no such file"),
        (["model.safetensors", "--onnx", "out.onnx", "--opset", "12"], 2, "12 is not in the range"),
        (["model.safetensors", "--onnx", "nowhere/out.onnx"], 2, "folder 'nowhere' does not"),
        (["model.safetensors"], 2, "Missing option '--onnx'"),
    ],
)
def test_glassnet_export_mistakes_give_one_line_and_no_file(tmp_path, args, status, message):
    glassnet.Network([Dense(2, 1, "identity")]).save(tmp_path / "model.safetensors")
    result = glassnet_command("export", *args, cwd=tmp_path)
    assert result.returncode == status
    assert result.stderr.startswith("glassnet: error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]
