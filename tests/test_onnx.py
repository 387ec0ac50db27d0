"""ONNX export against onnxruntime: the same numbers as glassnet, for every layer and head."""

import os
import subprocess
import sys

import numpy as np
import pytest

import glassnet
from glassnet import activations
from glassnet.layers import Dense, Dropout, Layer

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
    net.classes = np.array(["a", "b"])  # a label per position is not exported
    with pytest.raises(ValueError, match=r"output per sample has shape \(3, 2\)"):
        net.to_onnx(tmp_path / "labels.onnx")


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
    with pytest.raises(ValueError, match=r"layers\[1\] is a Doubler.*exports: Dense, Dropout"):
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
    assert exported.stdout == "Saved the ONNX model (opset 14) to spiral.onnx\n"
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
