"""Tests for glassnet.io: model files round trip bit for bit, resume training exactly, write
atomically, and refuse every broken, foreign or newer file with a ModelFileError that names the
path and the problem."""

from __future__ import annotations

import json
import os
import struct
import time
import tracemalloc

import numpy as np
import pytest
import safetensors.numpy

import glassnet
from glassnet import _files, datasets, io, optimizers
from glassnet import safetensors as st
from glassnet.activations import Activation, Sigmoid
from glassnet.io import FORMAT_VERSION, ModelFileError
from glassnet.layers import Dense, Dropout, Layer
from glassnet.network import Network
from glassnet.preprocessing import Standardizer


def regression_data(n_in=3, n_out=2, n_samples=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_in)) * 10 + 5
    Y = np.tanh(X @ rng.normal(size=(n_in, n_out)) / 10)
    return X, Y


def regressor(dtype="float32", dropout=True):
    """A network with every kind of config: Dropout, a leaky ReLU's alpha, several activations."""
    layers = [Dense(3, 6, {"name": "leaky_relu", "alpha": 0.2})]
    if dropout:
        layers.append(Dropout(0.25))
    layers += [Dense(6, 4, "tanh"), Dense(4, 2, "identity")]
    return Network(layers, seed=7, dtype=dtype)


def classifier(n_out=3, output="softmax"):
    return Network([Dense(2, 8, "tanh"), Dropout(0.1), Dense(8, n_out, output)], seed=3)


def labelled_data(labels, n_samples=30, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 2)) * 3 + 100
    y = np.asarray(labels)[np.arange(n_samples) % len(labels)]
    return X, y


def refused(path, *fragments, read=io.load):
    """Assert ``read(path)`` (``io.load``) raises ModelFileError starting with the path, naming
    each fragment; return the message."""
    with pytest.raises(ModelFileError) as caught:
        read(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    for fragment in fragments:
        assert fragment in message, message
    return message


def assert_same_network(original: Network, loaded: Network) -> None:
    assert loaded.get_config() == original.get_config()
    assert loaded.dtype == original.dtype
    original_weights, loaded_weights = original.get_weights(), loaded.get_weights()
    assert list(loaded_weights) == list(original_weights)
    for name, array in original_weights.items():
        assert loaded_weights[name].dtype == array.dtype, name
        np.testing.assert_array_equal(loaded_weights[name], array, strict=True)


# -- round trips -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_predicts_bit_for_bit(tmp_path, dtype):
    network = regressor(dtype)
    X, Y = regression_data()
    network.fit(X, Y, epochs=3, batch_size=8, optimizer="adam", standardize=True)
    path = tmp_path / "model.safetensors"

    io.save(network, path)
    loaded = io.load(path)

    assert_same_network(network, loaded)
    np.testing.assert_array_equal(loaded.predict(X), network.predict(X), strict=True)
    assert loaded.predict(X).dtype == np.dtype(dtype)
    np.testing.assert_array_equal(loaded.scaler.mean, network.scaler.mean, strict=True)
    np.testing.assert_array_equal(loaded.scaler.scale, network.scaler.scale, strict=True)
    assert loaded.layers[0].activation.alpha == 0.2
    assert loaded.layers[1].rate == 0.25
    assert loaded.classes is None


def test_untrained_network_round_trips_without_extras(tmp_path):
    network = regressor("float64", dropout=False)
    path = tmp_path / "model.safetensors"
    io.save(network, path, include_optimizer=True)  # nothing to include: not an error

    loaded = io.load(path)

    assert_same_network(network, loaded)
    assert loaded.scaler is None and loaded.classes is None
    assert getattr(loaded, "optimizer", None) is None
    assert getattr(loaded, "history", None) is None
    arrays, metadata = st.load(path)
    assert sorted(arrays) == sorted(network.get_weights())
    assert {"classes", "classes_dtype", "scaler", "loss", "optimizer", "history"}.isdisjoint(
        metadata
    )
    assert loaded.loss is None and io.inspect(path)["loss"] is None


@pytest.mark.parametrize(
    ("labels", "n_out", "output", "loss"),
    [
        (["cat", "dog", "émeu"], 3, "softmax", None),
        (["no", "yes"], 1, "sigmoid", "binary_cross_entropy"),
        ([-1, 7], 1, "sigmoid", "binary_cross_entropy"),
        (np.array([3, 5, 9], dtype=np.int8), 3, "softmax", None),
        (np.array([2, 4], dtype=np.uint16), 2, "softmax", None),
        ([0.5, 1.25, 1e-300], 3, "softmax", None),
        (np.array([0.1, 0.7], dtype=np.float32), 2, "softmax", None),
        ([False, True], 1, "sigmoid", "binary_cross_entropy"),
    ],
    ids=["str", "str-binary", "int-binary", "int8", "uint16", "float", "float32", "bool"],
)
def test_classifier_round_trip_keeps_labels_exactly(tmp_path, labels, n_out, output, loss):
    network = classifier(n_out, output)
    X, y = labelled_data(labels)
    network.fit(X, y, loss=loss, epochs=4, batch_size=8, standardize=True)
    path = tmp_path / "classifier.safetensors"

    io.save(network, path)
    loaded = io.load(path)

    assert loaded.classes.dtype == network.classes.dtype
    np.testing.assert_array_equal(loaded.classes, network.classes, strict=True)
    assert [type(label) for label in loaded.classes.tolist()] == [
        type(label) for label in network.classes.tolist()
    ]
    np.testing.assert_array_equal(loaded.predict(X), network.predict(X), strict=True)
    np.testing.assert_array_equal(loaded.predict_proba(X), network.predict_proba(X), strict=True)
    assert_same_network(network, loaded)


def test_classes_and_scaler_set_by_hand_round_trip(tmp_path):
    network = Network([Dense(2, 3, "relu"), Dense(3, 1, "sigmoid")], seed=5, dtype="float64")
    network.classes = np.array(["left", "right"], dtype="<U10")
    network.scaler = Standardizer(mean=[180.0, 66.5], scale=[0.1, 1e-3])
    X = np.array([[180.05, 66.501], [179.9, 66.4995], [181.0, 66.5]])
    path = tmp_path / "model.safetensors"

    io.save(network, path)
    loaded = io.load(path)

    assert loaded.classes.dtype == np.dtype("<U10")
    np.testing.assert_array_equal(loaded.scaler.scale, [0.1, 1e-3], strict=True)
    np.testing.assert_array_equal(loaded.predict(X), network.predict(X), strict=True)
    np.testing.assert_array_equal(loaded.predict_proba(X), network.predict_proba(X), strict=True)


def test_feature_and_target_names_round_trip(tmp_path):
    network = regressor()
    path = tmp_path / "model.safetensors"
    io.save(network, path)
    assert (io.load(path).feature_names, io.load(path).target_name) == (None, None)

    network.feature_names = ("height (cm)", "weight", "âge")
    network.target_name = "price"
    io.save(network, path)
    loaded = io.load(path)

    assert loaded.feature_names == ("height (cm)", "weight", "âge")
    assert loaded.target_name == "price"
    summary = io.inspect(path)
    assert summary["feature_names"] == ["height (cm)", "weight", "âge"]
    assert summary["target_name"] == "price"


@pytest.mark.parametrize("loss", ["mse", "binary_cross_entropy"])
def test_the_training_loss_round_trips_and_evaluate_uses_it(tmp_path, loss):
    # The tutorial trains its sigmoid classifier with mse: a loaded model must report mse, not
    # the cross-entropy its output layer would suggest.
    network = classifier(1, "sigmoid")
    X, y = labelled_data([0.0, 1.0])
    network.fit(X, y, loss=loss, epochs=3, batch_size=8, standardize=True)
    path = tmp_path / "model.safetensors"

    io.save(network, path)
    loaded = io.load(path)

    assert type(loaded.loss) is type(glassnet.losses.get(loss))
    assert io.inspect(path)["loss"] == {"name": loss}
    assert glassnet.evaluate(loaded, X, y) == glassnet.evaluate(network, X, y, loss=loss)


def test_pixel_names_of_mnist_are_saved_as_a_list_of_names(tmp_path):
    network = Network([Dense(6, 2, "softmax")], seed=0)
    network.feature_names = datasets.PixelNames(2, 3)
    path = tmp_path / "digits.safetensors"
    io.save(network, path)
    names = ("pixel_0_0", "pixel_0_1", "pixel_0_2", "pixel_1_0", "pixel_1_1", "pixel_1_2")
    assert io.load(path).feature_names == names


def test_a_custom_loss_is_not_stored(tmp_path):
    class Halved(glassnet.losses.MeanSquaredError):
        def _value(self, y_true, y_pred):
            return super()._value(y_true, y_pred) / 2

    network = regressor()
    network.fit(*regression_data(), loss=Halved(), epochs=2)
    path = tmp_path / "model.safetensors"
    io.save(network, path)
    assert "loss" not in st.read_metadata(path)
    assert io.load(path).loss is None


@pytest.mark.parametrize(
    ("names", "fragment"),
    [
        (("a", "b"), "must hold 3 names, one per input, got 2"),
        (("a", "b", 3), "must be a list of strings"),
        (("a", "b", "a"), "must be distinct"),
        ("abc", "must be a list of strings"),
    ],
)
def test_bad_feature_names_are_not_saved(tmp_path, names, fragment):
    network = regressor()
    network.feature_names = names
    path = tmp_path / "model.safetensors"
    with pytest.raises(ValueError, match=f"cannot save: network.feature_names {fragment}"):
        io.save(network, path)
    assert not path.exists()


def test_history_round_trips(tmp_path):
    network = regressor()
    X, Y = regression_data()
    history = network.fit(X, Y, epochs=5, validation_split=0.25)
    history.best_epoch = 3
    path = tmp_path / "model.safetensors"
    io.save(network, path)

    loaded = io.load(path)

    assert loaded.history.metrics == history.metrics
    assert loaded.history.best_epoch == 3


def test_file_is_plain_safetensors_the_reference_reads(tmp_path):
    network = classifier()
    X, y = labelled_data(["a", "b", "c"])
    network.fit(X, y, epochs=2, optimizer="adam")
    path = tmp_path / "model.safetensors"
    io.save(network, path, include_optimizer=True)

    reference = safetensors.numpy.load_file(str(path))
    ours, metadata = st.load(path)
    assert sorted(reference) == sorted(ours)
    for name, array in ours.items():
        np.testing.assert_array_equal(reference[name], array, strict=True)
    assert metadata["format"] == "glassnet"
    assert metadata["format_version"] == str(FORMAT_VERSION)
    assert metadata["glassnet_version"] == glassnet.__version__
    assert json.loads(metadata["config"]) == network.get_config()
    assert json.loads(metadata["classes"]) == ["a", "b", "c"]
    assert json.loads(metadata["optimizer"]) == network.optimizer.get_config()

    # A file the reference writes from the same content loads just the same.
    copy = tmp_path / "copy.safetensors"
    safetensors.numpy.save_file(ours, str(copy), metadata=metadata)
    np.testing.assert_array_equal(io.load(copy).predict(X), network.predict(X), strict=True)


def test_package_and_method_shortcuts(tmp_path):
    network = regressor()
    X, _ = regression_data()
    glassnet.save(network, tmp_path / "a.safetensors")
    network.save(tmp_path / "b.safetensors")
    for name in ("a.safetensors", "b.safetensors"):
        loaded = glassnet.load(str(tmp_path / name))
        np.testing.assert_array_equal(loaded.predict(X), network.predict(X), strict=True)


# -- the optimizer ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "optimizer",
    [
        {"name": "adam", "learning_rate": 0.01},
        {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
        {"name": "rmsprop", "learning_rate": 0.01},
    ],
    ids=lambda config: config["name"],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_resumed_training_matches_an_uninterrupted_run(tmp_path, optimizer, dtype):
    # 6 epochs in one go against 3 epochs, save, load, and fit(epochs=6, initial_epoch=3): the
    # same weights, optimizer state and History to the last bit, with a step schedule that
    # decays at epoch 4, a validation split, shuffling and dropout all in play.
    X, Y = regression_data()
    options = dict(
        batch_size=8, validation_split=0.25, schedule={"name": "step_decay", "step_size": 4}
    )
    uninterrupted = regressor(dtype)  # with dropout: its generator's state is in the file too
    uninterrupted.fit(X, Y, optimizer=optimizer, epochs=6, **options)

    network = regressor(dtype)
    network.fit(X, Y, optimizer=optimizer, epochs=3, **options)
    path = tmp_path / "checkpoint.safetensors"
    io.save(network, path, include_optimizer=True)
    resumed = io.load(path)
    assert type(resumed.optimizer) is type(network.optimizer)
    assert resumed.optimizer.get_config() == network.optimizer.get_config()
    assert resumed.optimizer.iterations == network.optimizer.iterations == 12
    assert all(a is b for a, b in zip(resumed.optimizer.params, resumed.parameters(), strict=True))
    assert resumed.training_state == network.training_state
    resumed.fit(X, Y, epochs=6, initial_epoch=3, **options)

    assert_same_network(uninterrupted, resumed)
    assert resumed.optimizer.iterations == uninterrupted.optimizer.iterations == 24
    state, resumed_state = uninterrupted.optimizer.state_dict(), resumed.optimizer.state_dict()
    assert list(resumed_state) == list(state)
    for name, array in state.items():
        np.testing.assert_array_equal(resumed_state[name], array, strict=True)
    assert resumed.history.metrics == uninterrupted.history.metrics
    assert (
        resumed.history["learning_rate"][3:]
        == [optimizer["learning_rate"]] + [optimizer["learning_rate"] * 0.1] * 2
    )


def test_resuming_without_the_training_state_differs(tmp_path):
    # The counterpart: without the saved shuffle generator and schedule, a resumed run would
    # shuffle from the seed again and restart the schedule; the file must carry both.
    X, Y = regression_data()
    options = dict(batch_size=8, schedule={"name": "step_decay", "step_size": 4})
    uninterrupted = regressor(dropout=False)
    uninterrupted.fit(X, Y, optimizer="adam", epochs=6, **options)
    network = regressor(dropout=False)
    network.fit(X, Y, optimizer="adam", epochs=3, **options)
    network.training_state = None
    network.fit(X, Y, epochs=6, initial_epoch=3, **options)
    assert not np.array_equal(network.layers[0].W, uninterrupted.layers[0].W)


def test_initial_epoch_must_be_before_the_last_epoch():
    X, Y = regression_data()
    with pytest.raises(ValueError, match=r"initial_epoch \(3\) must be less than epochs \(3\)"):
        regressor().fit(X, Y, epochs=3, initial_epoch=3)


def test_without_optimizer_state_training_does_not_resume_exactly(tmp_path):
    # The counterpart of the test above: Adam's moments matter, so they must be in the file.
    X, Y = regression_data()
    network = regressor(dropout=False)
    network.fit(X, Y, optimizer="adam", epochs=3, batch_size=8)
    path = tmp_path / "weights-only.safetensors"
    io.save(network, path)

    arrays, metadata = st.load(path)
    assert "optimizer" not in metadata
    assert not [name for name in arrays if name.startswith("optimizer.")]
    restarted = io.load(path)
    assert getattr(restarted, "optimizer", None) is None

    network.fit(X, Y, optimizer=network.optimizer, epochs=1, batch_size=8)
    restarted.fit(X, Y, optimizer="adam", epochs=1, batch_size=8)
    assert not np.array_equal(restarted.layers[0].W, network.layers[0].W)


def test_include_optimizer_stores_config_and_every_state_array(tmp_path):
    X, Y = regression_data()
    network = regressor(dropout=False)
    network.fit(X, Y, optimizer="adam", epochs=1)
    path = tmp_path / "model.safetensors"
    io.save(network, path, include_optimizer=True)

    arrays, metadata = st.load(path)
    stored = {name[len("optimizer.") :] for name in arrays if name.startswith("optimizer.")}
    assert stored == set(network.optimizer.state_dict())
    assert arrays["optimizer.iterations"].dtype == np.int64
    assert json.loads(metadata["optimizer"])["name"] == "adam"


# -- inspect ---------------------------------------------------------------------------------------


def test_inspect_summarises_what_load_reads(tmp_path):
    network = classifier()
    X, y = labelled_data(["a", "b", "c"])
    network.fit(X, y, epochs=4, optimizer="adam", standardize=True)
    path = tmp_path / "model.safetensors"
    io.save(network, path, include_optimizer=True)

    summary = io.inspect(path)

    assert summary["path"] == str(path)
    assert summary["format_version"] == FORMAT_VERSION
    assert summary["glassnet_version"] == glassnet.__version__
    assert summary["config"] == network.get_config()
    assert summary["dtype"] == "float32"
    assert (summary["n_in"], summary["n_out"]) == (2, 3)
    assert summary["n_parameters"] == network.n_parameters == 2 * 8 + 8 + 8 * 3 + 3
    assert summary["classes"] == ["a", "b", "c"]
    assert summary["scaler"] is True
    assert summary["optimizer"] == network.optimizer.get_config()
    assert summary["history"] == {
        "epochs": 4,
        "best_epoch": None,
        "final": {key: values[-1] for key, values in network.history.metrics.items()},
    }
    json.dumps(summary)  # plain data, ready for the command line's --json


def test_inspect_of_a_bare_network(tmp_path):
    path = tmp_path / "model.safetensors"
    io.save(regressor("float64"), path)
    summary = io.inspect(path)
    assert summary["classes"] is None
    assert summary["scaler"] is False
    assert summary["optimizer"] is None
    assert summary["history"] is None
    assert summary["n_parameters"] == regressor().n_parameters


def test_inspect_refuses_what_load_refuses_in_the_header(tmp_path):
    path = tmp_path / "foreign.safetensors"
    st.save(path, {"weight": np.zeros(3)})
    with pytest.raises(ModelFileError, match="not a glassnet model file"):
        io.inspect(path)
    with pytest.raises(FileNotFoundError, match=r"missing\.safetensors"):
        io.inspect(tmp_path / "missing.safetensors")


# -- saving: atomic, checked before writing --------------------------------------------------------


def test_failed_save_leaves_the_old_file_loadable(tmp_path, monkeypatch):
    X, Y = regression_data()
    old = regressor(dropout=False)
    path = tmp_path / "model.safetensors"
    io.save(old, path)
    new = regressor(dropout=False)
    new.fit(X, Y, epochs=2)

    def disk_full(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_files.os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        io.save(new, path)
    monkeypatch.undo()

    assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]  # no temporary file left
    np.testing.assert_array_equal(io.load(path).predict(X), old.predict(X), strict=True)


def test_save_into_a_missing_folder_writes_nothing(tmp_path):
    folder = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError, match=str(folder)):
        io.save(regressor(), folder / "model.safetensors")
    assert not (tmp_path / "no").exists()
    assert os.listdir(tmp_path) == []


class Swish(Activation):
    name = "swish"

    def forward(self, z, out=None):
        return np.multiply(z, 1 / (1 + np.exp(-z)), out=out)


class SharpSigmoid(Sigmoid):
    """A subclass that keeps the built-in name: it would silently load as a plain sigmoid."""

    def forward(self, z, out=None):
        return super().forward(2 * z, out=out)


class Halve(Layer):
    def forward(self, x, training=False):
        return x / 2

    def get_config(self):
        return {"type": "Halve"}


class Dropout2(Dropout):
    pass


@pytest.mark.parametrize(
    ("layers", "fragment"),
    [
        ([Dense(2, 3, Swish()), Dense(3, 1)], "unknown activation 'swish'"),
        ([Dense(2, 3), Dense(3, 1, SharpSigmoid())], "SharpSigmoid would load as Sigmoid"),
        ([Dense(2, 3), Halve(), Dense(3, 1)], "unknown layer type 'Halve'"),
        ([Dense(2, 3), Dropout2(0.5), Dense(3, 1)], "Dropout2 would load as Dropout"),
    ],
    ids=["activation", "activation-subclass", "layer", "layer-subclass"],
)
def test_custom_parts_are_refused_before_writing(tmp_path, layers, fragment):
    path = tmp_path / "model.safetensors"
    previous = regressor()
    io.save(previous, path)
    before = path.read_bytes()

    with pytest.raises(ValueError, match="cannot save layers") as caught:
        io.save(Network(layers, seed=0), path)

    assert fragment in str(caught.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_custom_optimizer_is_refused_only_when_included(tmp_path):
    class Plain(optimizers.SGD):
        pass

    X, Y = regression_data()
    network = regressor(dropout=False)
    network.fit(X, Y, optimizer=Plain(), epochs=1)
    path = tmp_path / "model.safetensors"
    with pytest.raises(ValueError, match="would load as SGD"):
        io.save(network, path, include_optimizer=True)
    assert not path.exists()
    io.save(network, path)
    assert getattr(io.load(path), "optimizer", None) is None


def test_network_that_load_would_refuse_is_not_saved(tmp_path):
    path = tmp_path / "model.safetensors"
    network = classifier()
    network.layers[0].W[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"layers\.0\.W holds non-finite values"):
        io.save(network, path)

    network = classifier()
    network.classes = np.array(["a", "b", "c", "d"])
    with pytest.raises(ValueError, match=r"has 4 label\(s\)"):
        io.save(network, path)
    network.classes = np.array(["a", "a", "b"])
    with pytest.raises(ValueError, match="must be distinct"):
        io.save(network, path)
    network.classes = np.array([1 + 2j, 3j, 4])
    with pytest.raises(ValueError, match="complex128"):
        io.save(network, path)

    network = classifier()
    network.scaler = Standardizer().fit(np.ones((4, 5)))
    with pytest.raises(ValueError, match="scaler has 5 features, the network takes 2"):
        io.save(network, path)
    network.scaler = Standardizer()
    with pytest.raises(ValueError, match="not fitted"):
        io.save(network, path)
    assert not path.exists()

    with pytest.raises(TypeError, match="network must be a glassnet Network"):
        io.save("model", path)
    with pytest.raises(TypeError, match="include_optimizer must be True or False"):
        io.save(classifier(), path, include_optimizer="yes")


# -- refusals: damaged, foreign and inconsistent files ---------------------------------------------


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A complete model file: weights, classes, scaler, Adam's state and a history."""
    network = classifier()
    X, y = labelled_data(["ant", "bee", "cow"])
    schedule = {"name": "reduce_on_plateau", "monitor": "loss"}
    network.fit(X, y, epochs=3, optimizer="adam", standardize=True, schedule=schedule)
    path = tmp_path_factory.mktemp("model") / "model.safetensors"
    io.save(network, path, include_optimizer=True)
    return path


def tampered(tmp_path, model_file, change):
    """Write a copy of ``model_file`` with ``change(arrays, metadata)`` applied."""
    arrays, metadata = st.load(model_file)
    change(arrays, metadata)
    path = tmp_path / "tampered.safetensors"
    st.save(path, arrays, metadata)
    return path


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere.safetensors"
    with pytest.raises(FileNotFoundError, match=r"nowhere\.safetensors"):
        io.load(path)


def test_complete_fixture_loads(model_file):
    loaded = io.load(model_file)
    assert loaded.classes.tolist() == ["ant", "bee", "cow"]
    assert loaded.scaler is not None and loaded.optimizer.name == "adam"
    assert loaded.history.epochs == 3


def test_truncated_file(tmp_path, model_file):
    data = model_file.read_bytes()
    for cut in (1, 100, len(data) - 12):
        path = tmp_path / f"cut{cut}.safetensors"
        path.write_bytes(data[:-cut])
        refused(path, "truncated")
    path = tmp_path / "stub.safetensors"
    path.write_bytes(data[:5])
    refused(path, "too short")


def test_flipped_bytes_in_the_header(tmp_path, model_file):
    data = bytearray(model_file.read_bytes())
    (header_size,) = struct.unpack("<Q", data[:8])
    header = bytes(data[8 : 8 + header_size])
    # The opening brace of the JSON, a byte in the middle, a quote: each breaks the header.
    for position in (0, header_size // 2, header.index(b'"format"')):
        broken = data.copy()
        broken[8 + position] ^= 0x80
        path = tmp_path / f"flip{position}.safetensors"
        path.write_bytes(bytes(broken))
        refused(path, "corrupted header")
    # One bit of the size field: the header no longer ends where the JSON does.
    broken = data.copy()
    broken[0] ^= 0x01
    path = tmp_path / "size.safetensors"
    path.write_bytes(bytes(broken))
    refused(path)


def test_foreign_safetensors_files(tmp_path):
    path = tmp_path / "plain.safetensors"
    st.save(path, {"weight": np.ones((2, 2), dtype=np.float32), "bias": np.zeros(2)})
    refused(path, "not a glassnet model file (no 'format' in its metadata)")
    st.save(path, {"weight": np.ones(2)}, {"format": "pt"})
    refused(path, "not a glassnet model file (its format is 'pt')")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty file"),
        (b"hello", "too short"),
        (b"This is a text file, not a model.\n" * 3, "not a safetensors file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "not a safetensors file"),
        # A zip (PyTorch's .pt) reads as a plausible header size that runs past the end.
        (b"PK\x03\x04" + bytes(60), "header size is 67324752 bytes"),
    ],
    ids=["empty", "short", "text", "png", "zip"],
)
def test_files_that_are_not_safetensors(tmp_path, content, fragment):
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    refused(path, fragment)


def _set(key, value):
    def change(arrays, metadata):
        metadata[key] = value

    return change


def _drop(key):
    def change(arrays, metadata):
        arrays.pop(key, None)
        metadata.pop(key, None)

    return change


def _edit_json(key, edit):
    """A change that decodes the JSON metadata ``key``, edits it in place and stores it back."""

    def change(arrays, metadata):
        value = json.loads(metadata[key])
        edit(value)
        metadata[key] = json.dumps(value)

    return change


def _edit_config(edit):
    return _edit_json("config", edit)


def _edit_arrays(edit):
    def change(arrays, metadata):
        edit(arrays)

    return change


def _put(mapping, key, value):
    mapping[key] = value


def _widen(config, size):
    """The first Dense layer ``size`` wide: parameters the file does not hold."""
    config["layers"][0]["n_out"] = config["layers"][2]["n_in"] = size


CASES = {
    # format and version
    "newer-version": (
        _set("format_version", "2"),
        ["written by a newer glassnet (format 2); this version reads format 1"],
    ),
    "version-not-integer": (
        _set("format_version", "1.0"),
        ["format_version must be a positive integer, got '1.0'"],
    ),
    "version-zero": (_set("format_version", "0"), ["format_version must be a positive integer"]),
    "no-version": (_drop("format_version"), ["metadata has no 'format_version'"]),
    "other-format": (_set("format", "keras"), ["not a glassnet model file", "'keras'"]),
    # weights
    "missing-weight": (_drop("layers.2.b"), ["missing array 'layers.2.b'", "(3,)"]),
    "extra-weight": (
        _edit_arrays(lambda a: _put(a, "layers.5.W", np.zeros((2, 2), np.float32))),
        ["unexpected array 'layers.5.W'"],
    ),
    "wrong-shape": (
        _edit_arrays(lambda a: _put(a, "layers.0.W", np.ascontiguousarray(a["layers.0.W"].T))),
        ["shape mismatch", "'layers.0.W'", "(2, 8)", "(8, 2)"],
    ),
    "wrong-dtype": (
        _edit_arrays(lambda a: _put(a, "layers.2.W", a["layers.2.W"].astype(np.float64))),
        ["dtype mismatch", "'layers.2.W'", "float64", "float32"],
    ),
    "int-weights": (
        _edit_arrays(lambda a: _put(a, "layers.0.b", np.zeros(8, np.int32))),
        ["dtype mismatch", "'layers.0.b'", "int32"],
    ),
    "nan-weight": (
        _edit_arrays(lambda a: _put(a, "layers.0.b", np.full(8, np.nan, np.float32))),
        ["invalid weights: layers.0.b must contain only finite values"],
    ),
    # config
    "bad-config-json": (_set("config", '{"layers": [}'), ["bad JSON in metadata 'config'"]),
    "no-config": (_drop("config"), ["metadata has no 'config'"]),
    "config-not-object": (_set("config", "[1, 2]"), ["'config' must be a JSON object"]),
    "config-no-layers": (_set("config", '{"layers": []}'), ["'config' has no layers"]),
    "unknown-layer": (
        _edit_config(lambda c: c["layers"][1].update(type="Conv3D")),
        ["config layers[1]", "unknown layer type 'Conv3D'"],
    ),
    "unknown-activation": (
        _edit_config(lambda c: c["layers"][0].update(activation={"name": "swish"})),
        ["config layers[0]", "unknown activation 'swish'"],
    ),
    "bad-layer-argument": (
        _edit_config(lambda c: c["layers"][2].update(n_out=0)),
        ["config layers[2]", "n_out must be a positive integer, got 0"],
    ),
    "unknown-layer-argument": (
        _edit_config(lambda c: c["layers"][1].update(keep=0.5)),
        ["config layers[1]"],
    ),
    "layers-do-not-connect": (
        _edit_config(lambda c: c["layers"][2].update(n_in=5)),
        ["config layers[2]", "Dense expects n_in=5"],
    ),
    "config-too-big": (
        # Six million parameters the file does not hold: refused before any memory is allocated.
        _edit_config(lambda c: _widen(c, 10**6)),
        ["metadata 'config' describes 6000003 parameters", "holds only"],
    ),
    "input-shape-disagrees": (
        _edit_config(lambda c: c.update(input_shape=[7])),
        ["config layers[0]", "Dense expects n_in=2", "samples of shape (7,)"],
    ),
    "input-shape-not-a-shape": (
        _edit_config(lambda c: c.update(input_shape=[3, -1])),
        ["config 'input_shape' must be a list of 1 to 8 positive integers", "[3, -1]"],
    ),
    "bad-dtype": (
        _edit_config(lambda c: c.update(dtype="float16")),
        ["config cannot be built", "dtype must be float32 or float64"],
    ),
    "config-dtype-disagrees": (
        _edit_config(lambda c: c.update(dtype="float64")),
        ["dtype mismatch", "float32", "float64"],
    ),
    # classes
    "too-many-classes": (
        _set("classes", '["a", "b", "c", "d"]'),
        ["metadata 'classes' has 4 label(s)", "3 output(s)"],
    ),
    "one-class": (_set("classes", '["a"]'), ["metadata 'classes' has 1 label(s)"]),
    "duplicate-classes": (_set("classes", '["a", "b", "a"]'), ["must be distinct"]),
    "classes-too-long": (_set("classes", '["ant", "bee", "cows"]'), ["does not fit"]),
    "classes-wrong-type": (_set("classes", "[1, 2, 3]"), ["JSON list of strings"]),
    "classes-bad-json": (_set("classes", "['ant']"), ["bad JSON in metadata 'classes'"]),
    "classes-bad-dtype": (_set("classes_dtype", "object"), ["'classes_dtype' is 'object'"]),
    "classes-unparsable-dtype": (_set("classes_dtype", "<Q9"), ["'classes_dtype' is '<Q9'"]),
    "classes-huge-dtype": (_set("classes_dtype", "<U1000000000"), ["'<U1000000000'"]),
    "classes-no-dtype": (_drop("classes_dtype"), ["'classes' but no 'classes_dtype'"]),
    "int-class-overflow": (
        lambda a, m: m.update(classes="[1, 2, 300]", classes_dtype="|i1"),
        ["does not fit"],
    ),
    # scaler
    "scaler-wrong-length": (
        _edit_arrays(lambda a: _put(a, "scaler.mean", np.zeros(5))),
        ["shape mismatch", "'scaler.mean'", "(5,)", "(2,)"],
    ),
    "scaler-float32": (
        _edit_arrays(lambda a: _put(a, "scaler.scale", a["scaler.scale"].astype(np.float32))),
        ["dtype mismatch", "'scaler.scale'"],
    ),
    "scaler-zero-scale": (
        _edit_arrays(lambda a: _put(a, "scaler.scale", np.zeros(2))),
        ["invalid scaler", "scale must be positive"],
    ),
    "scaler-missing-array": (_drop("scaler.scale"), ["missing array 'scaler.scale'"]),
    "scaler-arrays-only": (_drop("scaler"), ["unexpected array 'scaler."]),
    "scaler-unknown-kind": (_set("scaler", "MinMax"), ["metadata 'scaler' is 'MinMax'"]),
    # optimizer
    "optimizer-unknown": (
        _set("optimizer", '{"name": "adamax"}'),
        ["metadata 'optimizer' cannot be built", "unknown optimizer 'adamax'"],
    ),
    "optimizer-bad-argument": (
        _set("optimizer", '{"name": "adam", "learning_rate": -1}'),
        ["metadata 'optimizer' cannot be built", "learning_rate"],
    ),
    "optimizer-not-object": (_set("optimizer", '"adam"'), ["'optimizer' must be a JSON object"]),
    "optimizer-state-missing": (
        _drop("optimizer.second_moment.1"),
        ["missing array 'optimizer.second_moment.1'"],
    ),
    "optimizer-state-only": (_drop("optimizer"), ["unexpected array 'optimizer."]),
    "optimizer-other-kind": (
        _set("optimizer", '{"name": "sgd"}'),
        ["unexpected array 'optimizer.first_moment.0'"],
    ),
    "optimizer-state-shape": (
        _edit_arrays(lambda a: _put(a, "optimizer.first_moment.0", np.zeros((8, 3), np.float32))),
        ["shape mismatch", "'optimizer.first_moment.0'"],
    ),
    "optimizer-nan-state": (
        _edit_arrays(lambda a: _put(a, "optimizer.first_moment.1", np.full(8, np.nan, "f4"))),
        ["'optimizer.first_moment.1' holds non-finite values"],
    ),
    "optimizer-negative-iterations": (
        _edit_arrays(lambda a: _put(a, "optimizer.iterations", np.array(-1, np.int64))),
        ["'optimizer.iterations' must be >= 0"],
    ),
    # history
    "history-bad-json": (_set("history", "{"), ["bad JSON in metadata 'history'"]),
    "history-wrong-shape": (
        _set("history", '{"metrics": {"loss": "low"}}'),
        ["metadata 'history' must be a JSON object"],
    ),
    "feature-names-too-few": (
        _set("feature_names", '["x"]'),
        ["metadata 'feature_names' must hold 2 names, one per input, got 1"],
    ),
    "feature-names-not-strings": (
        _set("feature_names", '["x", 2]'),
        ["metadata 'feature_names' must be a list of strings, got [\"x\", 2]"],
    ),
    "feature-names-not-a-list": (
        _set("feature_names", '"x,y"'),
        ["metadata 'feature_names' must be a list of strings"],
    ),
    "feature-names-repeated": (
        _set("feature_names", '["x", "x"]'),
        ["metadata 'feature_names' must be distinct"],
    ),
    "feature-names-bad-json": (
        _set("feature_names", "[x, y]"),
        ["bad JSON in metadata 'feature_names'"],
    ),
    "loss-unknown": (_set("loss", '{"name": "hinge"}'), ["metadata 'loss' cannot be built"]),
    "loss-bad-json": (_set("loss", "mse"), ["bad JSON in metadata 'loss'"]),
    "random-state-bad-json": (_set("random_state", "{"), ["bad JSON in metadata 'random_state'"]),
    "random-state-wrong-layer": (
        _set("random_state", '{"layers.0": {}}'),
        ["metadata 'random_state' must map ['layers.1'] to generator states"],
    ),
    "random-state-other-generator": (
        _set("random_state", '{"layers.1": {"bit_generator": "MT19937", "state": {}}}'),
        ["metadata 'random_state' of layers.1: invalid random generator state"],
    ),
    "random-state-not-a-state": (
        _set("random_state", '{"layers.1": 5}'),
        ["metadata 'random_state' of layers.1: invalid random generator state"],
    ),
    "history-bad-best-epoch": (
        _set("history", '{"metrics": {}, "best_epoch": -2}'),
        ["'best_epoch' (an integer or null)"],
    ),
}


def _random_state(state):
    return _set("random_state", json.dumps({"layers.1": state}))


def _many_layers(config):
    config["layers"][1:2] = [{"type": "Dropout", "rate": 0.1}] * (io.MAX_LAYERS + 1)


HOSTILE = {
    # values a crafted file holds to crash or stall the reader; each must be a ModelFileError
    "random-state-out-of-range": (
        _random_state(
            {
                "bit_generator": "PCG64",
                "state": {"state": 2**200, "inc": 1},
                "has_uint32": 0,
                "uinteger": 0,
            }
        ),
        ["metadata 'random_state' of layers.1: invalid random generator state"],
    ),
    "random-state-negative": (
        _random_state(
            {"bit_generator": "PCG64", "state": {"state": -1, "inc": 1}, "has_uint32": 0},
        ),
        ["metadata 'random_state' of layers.1: invalid random generator state"],
    ),
    "schedule-best-too-big-for-a-float": (
        _edit_json("schedule", lambda d: d["state"].update(best=10**400)),
        ["metadata 'schedule' cannot be built", "best must be a number, got 1000000000"],
    ),
    "training-state-shuffle-out-of-range": (
        _edit_json("training_state", lambda d: d["shuffle"]["state"].update(state=2**200)),
        ["metadata 'training_state': invalid shuffle generator state"],
    ),
    "structured-dtype": (
        _edit_config(lambda c: c.update(dtype=[["a", "<f4", [10**20]]])),
        ["config cannot be built: dtype must be float32 or float64, got [['a', '<f4'"],
    ),
    "dtype-dict": (
        _edit_config(lambda c: c.update(dtype={"names": ["a"], "formats": ["<f4"]})),
        ["dtype must be float32 or float64"],
    ),
    "dtype-string-structure": (
        _edit_config(lambda c: c.update(dtype="f4," * 1000)),
        ["dtype must be float32 or float64"],
    ),
    "seed-negative": (
        _edit_config(lambda c: c.update(seed=-1)),
        ["metadata 'config' seed must be null or an integer >= 0, got -1"],
    ),
    "seed-a-list": (
        _edit_config(lambda c: c.update(seed=list(range(10_000)))),
        ["metadata 'config' seed must be null or an integer >= 0, got [0, 1, 2"],
    ),
    "too-many-layers": (
        _edit_config(_many_layers),
        [f"metadata 'config' has {io.MAX_LAYERS + 3} layers, more than the 10000"],
    ),
    "huge-layer-size": (
        _edit_config(lambda c: _widen(c, 10**4000)),
        ["metadata 'config' describes", "parameters, but the file holds only"],
    ),
    "dropout-rate-too-big-for-a-float": (
        _edit_config(lambda c: c["layers"][1].update(rate=10**400)),
        ["config layers[1]", "rate must be a number in [0, 1)"],
    ),
    "learning-rate-too-big-for-a-float": (
        _set("optimizer", json.dumps({"name": "adam", "learning_rate": 10**400})),
        ["metadata 'optimizer' cannot be built", "learning_rate"],
    ),
    "history-integer-too-big-for-a-float": (
        _set("history", json.dumps({"metrics": {"loss": [1.0, 10**400]}, "best_epoch": None})),
        ["metadata 'history' metric \"loss\" must be a list of numbers a float holds"],
    ),
    "history-best-epoch-too-big-for-a-float": (
        _set("history", json.dumps({"metrics": {"loss": [1.0]}, "best_epoch": 10**400})),
        ["'best_epoch' (an integer or null) must be one of the 1 recorded epochs"],
    ),
    "history-gradient-of-no-layer": (
        _set("history", '{"metrics": {"grad_norm.x": [1.0]}, "best_epoch": null}'),
        ['metric "grad_norm.x" names no layer (the network has 3)'],
    ),
    "feature-name-lone-surrogate": (
        _set("feature_names", '["x", "\\udc80"]'),
        ["bad JSON in metadata 'feature_names': string '\\udc80' holds a lone surrogate"],
    ),
    "class-lone-surrogate": (
        _set("classes", '["ant", "bee", "\\ud800ow"]'),
        ["bad JSON in metadata 'classes'", "lone surrogate (\\ud800)"],
    ),
    "class-with-nul": (
        _set("classes", '["ant", "b\\u0000e", "cow"]'),
        ["metadata 'classes' must be class labels", "NUL character"],
    ),
    "classes-far-wider-than-their-labels": (
        _set("classes_dtype", "<U65536"),
        ["metadata 'classes' holds 3 labels of 9 characters in all", "65536 characters wide"],
    ),
    "classes-dtype-numpy-cannot-parse": (
        _set("classes_dtype", "<,3"),  # NumPy's dtype parser raised SyntaxError
        ["metadata 'classes_dtype' is '<,3', expected the dtype of strings"],
    ),
    "config-dtype-numpy-cannot-parse": (
        _edit_config(lambda c: c.update(dtype="f4,(2")),
        ["config cannot be built: dtype must be float32 or float64, got 'f4,(2'"],
    ),
    "classes-dtype-long-text": (
        _set("classes_dtype", "(2,)<U9" * 1000),
        ["metadata 'classes_dtype' is '(2,)<U9(2,)<U9"],
    ),
    "config-nesting-bomb": (
        _set("config", "[" * 100_000 + "]" * 100_000),
        ["bad JSON in metadata 'config': JSON nested too deeply"],
    ),
    "config-nested-below-the-recursion-limit": (
        _set("config", '{"layers": ' + "[" * 900 + "]" * 900 + "}"),
        ["bad JSON in metadata 'config': JSON nested too deeply (more than 32 levels)"],
    ),
    "config-duplicate-key": (
        _set("config", '{"layers": [], "layers": [{"type": "Dense"}]}'),
        ["bad JSON in metadata 'config': key 'layers' appears twice"],
    ),
    "config-integer-of-many-digits": (
        _set("config", '{"layers": [], "seed": ' + "7" * 5000 + "}"),
        ["bad JSON in metadata 'config': Exceeds the limit"],
    ),
}


@pytest.mark.parametrize("case", [*CASES, *HOSTILE])
def test_inconsistent_and_hostile_files_are_refused_by_load_and_inspect(tmp_path, model_file, case):
    # inspect reads a file as load does: it used to accept files that load refuses
    change, fragments = {**CASES, **HOSTILE}[case]
    path = tampered(tmp_path, model_file, change)
    for read in (io.load, io.inspect):
        refused(path, *fragments, read=read)


def escaped(tmp_path, model_file, key, placeholder, escape):
    """A copy of ``model_file`` whose metadata ``key`` holds ``escape``, a JSON escape written
    into the header itself (a lone surrogate, which no UTF-8 writer can encode)."""
    assert len(placeholder) == len(escape)
    path = tampered(tmp_path, model_file, _set(key, placeholder))
    data = path.read_bytes()
    assert data.count(placeholder.encode()) == 1
    path.write_bytes(data.replace(placeholder.encode(), escape.encode()))
    return path


def test_a_lone_surrogate_in_the_header_itself_is_refused(tmp_path, model_file):
    # inspect used to print half a table, then fail with UnicodeEncodeError on the target name
    path = escaped(tmp_path, model_file, "target_name", "XXXXXX", "\\ud800")
    for read in (io.load, io.inspect):
        refused(path, "corrupted header: string '\\ud800' holds a lone surrogate", read=read)


def traced(function, *args):
    """``(outcome, peak bytes, seconds)`` of ``function(*args)``; the outcome is its result or
    the ModelFileError it raised (any other exception propagates)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        try:
            outcome = function(*args)
        except ModelFileError as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1], time.perf_counter() - start
    finally:
        tracemalloc.stop()


def test_a_70_kb_file_of_wide_labels_allocates_little(tmp_path):
    # 3,500 one-character labels declared as "<U65536": a gigabyte as a fixed-width array.
    network = Network([Dense(2, 3500, "softmax")], seed=0)
    network.classes = np.array([chr(0x4E00 + i) for i in range(3500)])
    path = tmp_path / "wide.safetensors"
    io.save(network, path)
    arrays, metadata = st.load(path)
    metadata["classes_dtype"] = "<U65536"
    st.save(path, arrays, metadata)
    size = path.stat().st_size
    assert 60_000 < size < 75_000
    for function in (io.load, io.inspect):
        error, peak, seconds = traced(function, path)
        assert isinstance(error, ModelFileError) and "65536 characters wide" in str(error)
        assert peak < 50 * size + (1 << 20), peak
        assert seconds < 1, seconds


def test_a_config_of_many_layers_is_refused_before_any_is_built(tmp_path, model_file):
    # 100,000 Dropout layers took six seconds to build before anything else was checked.
    def many(config):
        config["layers"][1:2] = [{"type": "Dropout", "rate": 0.1}] * 100_000

    path = tampered(tmp_path, model_file, _edit_config(many))
    start = time.perf_counter()
    refused(path, "has 100002 layers, more than the 10000 a model file may hold")
    assert time.perf_counter() - start < 1.5


# -- fuzzing: mutations of a valid file ------------------------------------------------------------

# Values a mutation puts in place of part of a JSON field.
# Values a mutation puts in place of part of a JSON field: odd numbers in place of a number, odd
# text in place of text, anything in place of anything else.
ODD_NUMBERS = [10**400, -(10**30), 2**64, -1, 0, 1e308, float("nan"), float("inf"), True, None]
ODD_TEXT = ["", "\ud800", "a\x00", "x" * 5000, "<U65536", "grad_norm.9", "NaN", 7]
ODD_VALUES = [
    *ODD_NUMBERS,
    *ODD_TEXT,
    [],
    {},
    json.loads("[" * 40 + "]" * 40),  # deeper than any field of ours
    list(range(2000)),
    {"type": "Dropout", "rate": 0.5},
    {"bit_generator": "PCG64", "state": {"state": 2**130, "inc": 3}, "has_uint32": 0},
]
JSON_FIELDS = [
    "config",
    "classes",
    "history",
    "random_state",
    "optimizer",
    "feature_names",
    "loss",
    "schedule",
    "training_state",
]


def _nodes(value, path=()):
    """Every ``(path, node)`` of a decoded JSON value, the value itself first."""
    yield path, value
    if isinstance(value, (dict, list)):
        children = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in list(children):
            yield from _nodes(child, (*path, key))


def _replaced(value, path, new):
    if not path:
        return new
    value[path[0]] = _replaced(value[path[0]], path[1:], new)
    return value


def _is_json(text) -> bool:
    try:
        json.loads(text)
    except (TypeError, ValueError):
        return False
    return True


def mutate(rng, arrays, metadata) -> None:
    """Change ``arrays`` and ``metadata`` of a model file in one random, hostile way."""
    kind = rng.integers(4)
    if kind <= 1:  # a node of a JSON field becomes an odd value, or is repeated
        fields = [key for key in JSON_FIELDS if _is_json(metadata.get(key))]
        if not fields:
            return
        key = fields[rng.integers(len(fields))]
        value = json.loads(metadata[key])
        nodes = list(_nodes(value))
        path, node = nodes[rng.integers(len(nodes))]
        if kind == 0 or not isinstance(node, list) or not node:
            odd = ODD_VALUES
            if rng.random() < 0.7 and isinstance(node, (int, float, str)):
                odd = ODD_TEXT if isinstance(node, str) else ODD_NUMBERS
            new = odd[rng.integers(len(odd))]
        else:
            new = node * int(rng.integers(2, 200))
        metadata[key] = json.dumps(_replaced(value, path, new))
    elif kind == 2:  # a plain metadata entry becomes an odd string, or goes
        key = sorted(metadata)[rng.integers(len(metadata))]
        strings = ["", "1", "99", "<U65536", "|V8", "object", "\x00", "Standardizer", "[1, 2]"]
        if rng.random() < 0.2:
            del metadata[key]
        else:
            metadata[key] = strings[rng.integers(len(strings))]
    else:  # an array changes its values, shape or dtype, or goes
        name = sorted(arrays)[rng.integers(len(arrays))]
        array = arrays[name]
        change = rng.integers(4)
        if change == 0:
            values = [np.nan, 1e38, -1, 0] if array.dtype.kind == "f" else [-1, 0, 2**31 - 1]
            arrays[name] = np.full_like(array, values[rng.integers(len(values))])
        elif change == 1:
            arrays[name] = np.zeros((*array.shape, 2), dtype=array.dtype)
        elif change == 2:
            arrays[name] = array.astype(np.float64 if array.dtype != np.float64 else np.int32)
        else:
            del arrays[name]


def test_mutated_model_files_load_or_raise_model_file_error_cheaply(tmp_path, model_file):
    rng = np.random.default_rng(2024)
    original = st.load(model_file)
    original[1].update(feature_names='["weight", "height"]', target_name="animal")
    path = tmp_path / "mutant.safetensors"
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(120):
        arrays, metadata = {k: v.copy() for k, v in original[0].items()}, dict(original[1])
        for _ in range(1 if rng.random() < 0.7 else 2):
            mutate(rng, arrays, metadata)
        st.save(path, arrays, metadata)
        if rng.random() < 0.2:  # and sometimes a bit of the header flipped as well
            data = bytearray(path.read_bytes())
            data[8 + rng.integers(min(len(data) - 8, 2000))] ^= 1 << rng.integers(8)
            path.write_bytes(bytes(data))
        size = path.stat().st_size
        refusals = []
        for function in (io.load, io.inspect):
            outcome, peak, seconds = traced(function, path)
            refusals.append(isinstance(outcome, ModelFileError))
            assert peak < 50 * size + (2 << 20), (function.__name__, metadata, peak)
            assert seconds < 2, (function.__name__, metadata, seconds)
        assert refusals[0] == refusals[1], metadata  # inspect accepts what load accepts
        outcomes["refused" if refusals[0] else "loaded"] += 1
    assert outcomes["refused"] > 50 and outcomes["loaded"] > 5, outcomes
