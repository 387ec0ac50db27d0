"""Tests of the playground: its session on glassnet objects, the exported script, the Starlette
app over HTTP and WebSocket (with Starlette's test client), and ``glassnet playground``."""

import base64
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

import glassnet
from glassnet import Network, optimizers
from glassnet.playground import data, features
from glassnet.playground.session import Session
from glassnet.playground.setup import Limits, Setup
from glassnet.preprocessing import Standardizer

ENV = {**os.environ, "PYTHONWARNINGS": "error"}


def decode(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8)


def trained(session: Session, epochs: int) -> Session:
    for _ in range(epochs):
        session.train_epoch()
    return session


def csv_text(rows, header=("x", "y", "label")) -> str:
    lines = [",".join(header)] + [",".join(str(cell) for cell in row) for row in rows]
    return "\n".join(lines) + "\n"


def two_clouds(n_rows: int, seed: int = 0) -> list:
    """Rows (x, y, label) of two separable clouds, labels as text."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_rows):
        label = "red" if i % 2 else "green"
        centre = 3.0 if label == "red" else -3.0
        x, y = rng.normal(centre, 1.0, 2)
        rows.append((round(x, 4), round(y, 4), label))
    return rows


# --- defaults and data: TensorFlow Playground's --------------------------------------------------


def test_the_default_setup_is_tensorflow_playgrounds():
    setup = Setup()
    assert (setup.learning_rate, setup.batch_size, setup.train_percent) == (0.03, 10, 50.0)
    assert (setup.hidden, setup.activations) == ((4, 2), ("tanh", "tanh"))
    assert (setup.dataset, setup.noise, setup.features) == ("circle", 0.0, ("x1", "x2"))
    assert (setup.optimizer, setup.regularization, setup.regularization_rate) == ("sgd", "none", 0)
    session = Session()
    assert repr(session.network) == "Network(2-4-2-1, dtype=float32)"
    assert [layer.activation.name for layer in session.network.layers] == [
        "tanh",
        "tanh",
        "sigmoid",
    ]
    assert (len(session.train_rows), len(session.test_rows)) == (250, 250)
    assert session.loss == "binary_cross_entropy"


@pytest.mark.parametrize(
    ("name", "n_points", "problem"),
    [
        ("circle", 500, "classification"),
        ("xor", 500, "classification"),
        ("gaussian", 500, "classification"),
        ("spiral", 500, "classification"),
        ("blobs", 500, "classification"),
        ("plane", 1200, "regression"),
        ("multi-gaussian", 1200, "regression"),
    ],
)
def test_builtin_sets_are_glassnet_generators_in_the_playground_view(name, n_points, problem):
    builtin = data.BUILTINS[name]
    points = builtin.draw(0.0, seed=3)
    assert points.xy.shape == (n_points, 2)
    assert points.problem == problem
    # The playground's points are the generator's own, scaled into its view of about [-6, 6].
    source = glassnet.datasets.GENERATORS[builtin.generator](
        n_points, noise=builtin.noise[0], seed=3, **builtin.options
    )
    np.testing.assert_array_equal(points.xy, source.X * builtin.scale)
    np.testing.assert_array_equal(points.targets, source.y)
    assert np.abs(points.xy).max() <= data.VIEW_HALF_WIDTH
    assert points.domain() == [[-6.0, 6.0], [-6.0, 6.0]]


def test_the_noise_slider_spans_the_generators_noise_from_0_to_50_percent():
    builtin = data.BUILTINS["plane"]
    clean = builtin.draw(0.0, seed=1).targets
    noisy = builtin.draw(50.0, seed=1).targets
    exact = glassnet.datasets.plane(1200, noise=builtin.noise[1], seed=1).y
    np.testing.assert_array_equal(noisy, exact)
    assert not np.array_equal(clean, noisy)


def test_the_split_takes_the_percentage_of_every_class_and_changes_with_the_seed():
    points = data.BUILTINS["blobs"].draw(0.0, seed=0)
    train, test = data.split(points, 30, seed=5)
    assert len(np.intersect1d(train, test)) == 0
    assert len(train) + len(test) == 500
    for label in range(3):
        in_class = np.count_nonzero(points.targets == label)
        assert np.count_nonzero(points.targets[train] == label) == round(0.3 * in_class)
    again, _ = data.split(points, 30, seed=5)
    other, _ = data.split(points, 30, seed=6)
    np.testing.assert_array_equal(train, again)
    assert not np.array_equal(train, other)


def test_features_compute_the_expressions_they_show():
    xy = np.array([[1.0, 2.0], [-0.5, 3.0]])
    keys = [feature.key for feature in features.FEATURES]
    table = features.compute(keys, xy)
    x1, x2 = xy[:, 0], xy[:, 1]
    expected = [x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2), np.cos(x1), np.cos(x2)]
    np.testing.assert_array_equal(table, np.column_stack(expected))
    assert features.names(["x1sq", "x1x2", "sinx2"], ("a", "b")) == ("a²", "a·b", "sin(b)")


# --- training, measuring, drawing ----------------------------------------------------------------


def test_an_epoch_is_network_fit_with_the_same_optimizer_and_the_test_loss_falls():
    session = Session()
    first = session.snapshot()
    assert first["epoch"] == 0
    optimizer = session.optimizer
    trained(session, 40)
    last = session.snapshot()
    assert session.optimizer is optimizer
    assert last["epoch"] == 40
    assert last["test_loss"] < 0.6 * first["test_loss"]
    # The losses shown are glassnet.evaluate's on the session's own points.
    expected = glassnet.evaluate(
        session.network, session.inputs["test"], session.targets["test"], loss=session.loss
    )
    assert last["test_loss"] == pytest.approx(expected["loss"])
    assert last["metrics"]["val_accuracy"] == pytest.approx(expected["accuracy"])


def test_gradient_norms_come_from_fit_one_per_dense_layer():
    session = trained(
        Session(setup=Setup(hidden=(8, 8, 8), activations=("sigmoid",) * 3, dropout=(0.0,) * 3)), 3
    )
    norms = session.snapshot()["grad_norms"]
    assert len(norms) == 4
    assert all(norm > 0 for norm in norms)
    history = session.network.history.last()
    assert norms == [pytest.approx(history[f"grad_norm.{i}"]) for i in range(4)]


def test_the_output_map_is_predict_output_over_the_view_from_the_top_left():
    session = trained(Session(), 5)
    message = session.snapshot()
    size = session.limits.map_size
    codes = decode(message["output_map"]).reshape(size, size)
    half_cell = 6.0 / size
    corners = np.array([[-6 + half_cell, 6 - half_cell], [6 - half_cell, -6 + half_cell]])
    probabilities = session.network.predict_output(features.compute(("x1", "x2"), corners))[:, 0]
    np.testing.assert_array_equal(
        [codes[0, 0], codes[-1, -1]], np.rint(probabilities * 255).astype(np.uint8)
    )


def test_neuron_maps_are_every_units_activation_over_the_small_grid():
    session = Session()
    message = session.snapshot()
    size = session.limits.neuron_map_size
    codes = decode(message["neuron_maps"])
    assert len(codes) == (4 + 2 + 1) * size * size
    # The first hidden unit at the grid's first point: tanh(W x' + b) with x' standardised.
    network = session.network
    point = np.array([[-6 + 6.0 / size, 6 - 6.0 / size]])
    scaled = network.scaler.transform(point)
    hidden = network.layers[0]
    value = np.tanh(scaled @ hidden.params["W"][0].astype(np.float64) + hidden.params["b"][0])
    assert codes[0] == np.rint((value[0] + 1) * 127.5)


def test_three_classes_get_softmax_cross_entropy_a_class_map_and_a_confusion_matrix():
    session = trained(Session(setup=Setup(dataset="blobs")), 5)
    assert session.loss == "cross_entropy"
    assert session.network.layers[-1].activation.name == "softmax"
    assert session.network.n_out == 3
    message = session.snapshot()
    winners = decode(message["class_map"])
    assert set(np.unique(winners)) <= {0, 1, 2}
    confusion = np.array(message["confusion"])
    assert confusion.shape == (3, 3)
    assert confusion.sum() == len(session.test_rows)
    assert np.trace(confusion) / confusion.sum() == pytest.approx(
        message["metrics"]["val_accuracy"]
    )


def test_regression_gets_a_linear_output_mse_and_error_metrics():
    session = trained(Session(setup=Setup(problem="regression", dataset="plane")), 5)
    assert (session.loss, session.network.output_layer.activation.name) == ("mse", "identity")
    message = session.snapshot()
    assert {"mae", "r2", "val_mae", "val_r2"} <= set(message["metrics"])
    assert message["confusion"] is None
    assert session.description()["value_range"] == pytest.approx(
        np.abs(session.points.targets).max()
    )


def test_dropout_and_an_activation_per_layer_build_those_layers():
    setup = Setup(hidden=(5, 3), activations=("relu", "sigmoid"), dropout=(0.2, 0.0))
    network = Session(setup=setup).network
    kinds = [type(layer).__name__ for layer in network.layers]
    assert kinds == ["Dense", "Dropout", "Dense", "Dense"]
    assert network.layers[1].rate == 0.2
    assert [network.layers[i].activation.name for i in (0, 2)] == ["relu", "sigmoid"]


@pytest.mark.parametrize(
    ("name", "kind", "momentum"),
    [
        ("sgd", optimizers.SGD, 0.0),
        ("momentum", optimizers.SGD, 0.9),
        ("adam", optimizers.Adam, None),
    ],
)
def test_optimizers_are_glassnets(name, kind, momentum):
    session = Session(setup=Setup(optimizer=name, learning_rate=0.1))
    assert type(session.optimizer) is kind
    assert session.optimizer.learning_rate == 0.1
    if momentum is not None:
        assert session.optimizer.momentum == momentum


def test_l1_and_l2_reach_fit_as_its_penalties():
    l2 = Session(setup=Setup(regularization="l2", regularization_rate=0.01)).fit_options()
    l1 = Session(setup=Setup(regularization="l1", regularization_rate=0.3)).fit_options()
    assert (l2["weight_decay"], l2["l1"]) == (0.01, 0.0)
    assert (l1["weight_decay"], l1["l1"]) == (0.0, 0.3)


# --- set-up changes and their checks -------------------------------------------------------------


def test_a_learning_rate_changes_the_running_optimizer_and_anything_else_rebuilds():
    session = trained(Session(), 3)
    optimizer = session.optimizer
    assert session.configure({"learning_rate": 0.3}) is False
    assert session.optimizer is optimizer and optimizer.learning_rate == 0.3
    assert session.epoch == 3
    points = session.points
    assert session.configure({"hidden": [3], "activations": ["relu"], "dropout": [0]}) is True
    assert session.epoch == 0 and session.points is points
    assert repr(session.network) == "Network(2-3-1, dtype=float32)"
    assert session.configure({"noise": 20}) is True
    assert session.points is not points


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"noise": 60}, "noise must be a number in [0, 50], got 60"),
        ({"noise": float("nan")}, "noise must be a number in [0, 50], got nan"),
        ({"noise": "5"}, "noise must be a number in [0, 50], got '5'"),
        ({"batch_size": True}, "batch_size must be an integer in [1, 30], got True"),
        ({"batch_size": 31}, "batch_size must be an integer in [1, 30], got 31"),
        ({"train_percent": 95}, "train_percent must be a number in [10, 90], got 95"),
        ({"learning_rate": 0}, "learning_rate must be a number in (0, 10], got 0"),
        ({"seed": -1}, "seed must be an integer in [0, 2147483647], got -1"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of sgd, momentum, adam; got 'lbfgs'"),
        ({"features": []}, "features must be a list of 1 to 9 entries, got []"),
        ({"features": ["x1", "x3"]}, "features entries must be one of x1, x2,"),
        ({"features": ["x1", "x1"]}, "features must name each feature once"),
        (
            {"hidden": [4] * 9, "activations": ["tanh"] * 9, "dropout": [0] * 9},
            "hidden must be a list of 0 to 8",
        ),
        (
            {"hidden": [17], "activations": ["tanh"], "dropout": [0]},
            "hidden layer sizes must be an integer in [1, 16], got 17",
        ),
        ({"hidden": [4]}, "activations must hold one entry per hidden layer (1), got 2"),
        ({"activations": ["tanh", "softmax"]}, "activations entries must be one of tanh, relu"),
        ({"dropout": [0.95, 0]}, "dropout rates must be a number in [0, 0.9], got 0.95"),
        (
            {"dataset": "plane"},
            "dataset 'plane' is not a classification set; choose one of: circle",
        ),
        ({"dataset": "upload"}, "dataset 'upload' needs an uploaded CSV file first"),
        ({"colour": "red"}, "unknown setup field 'colour'; the fields are: activations"),
        ([1, 2], "setup must be an object of fields, got [1, 2]"),
    ],
)
def test_bad_setup_fields_are_named_and_change_nothing(changes, message):
    session = Session()
    before = session.setup
    with pytest.raises(ValueError) as raised:
        session.configure(changes)
    assert message in str(raised.value)
    assert session.setup == before


def test_limits_are_settings():
    wide = Setup(hidden=(40,), activations=("tanh",), dropout=(0.0,))
    with pytest.raises(ValueError, match=r"\[1, 16\], got 40"):
        Session().configure({"hidden": [40], "activations": ["tanh"], "dropout": [0]})
    session = Session(limits=Limits(max_neurons=40))
    session.configure({"hidden": [40], "activations": ["tanh"], "dropout": [0]})
    assert session.setup == wide
    with pytest.raises(ValueError, match="max_neurons must be a positive number, got 0"):
        Limits(max_neurons=0)


# --- editing weights, explaining a neuron --------------------------------------------------------


def test_a_weight_or_bias_set_by_hand_is_in_the_network():
    session = Session()
    session.set_parameter(0, "W", [2, 1], 0.75)
    session.set_parameter(2, "b", [0], -1.5)
    assert session.network.layers[0].params["W"][2, 1] == 0.75
    assert session.network.layers[2].params["b"][0] == -1.5
    assert session.snapshot()["weights"][0][2][1] == 0.75


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((3, "W", [0, 0], 1.0), "layer must be in [0, 2], got 3"),
        ((True, "W", [0, 0], 1.0), "layer must be an integer, got True"),
        ((0, "V", [0, 0], 1.0), "name must be 'W' or 'b', got 'V'"),
        ((0, "W", [4, 0], 1.0), "index must be 2 integers within the shape [4, 2] of W"),
        ((0, "b", [0, 0], 1.0), "index must be 1 integers within the shape [4] of b"),
        ((0, "W", [0, 0], float("inf")), "value must be a finite number within ±1e6"),
        ((0, "W", [0, 0], "1"), "value must be a number, got '1'"),
    ],
)
def test_bad_parameter_edits_are_refused(args, message):
    session = Session()
    before = session.network.get_weights()
    with pytest.raises(ValueError) as raised:
        session.set_parameter(*args)
    assert message in str(raised.value)
    after = session.network.get_weights()
    assert all(np.array_equal(before[name], after[name]) for name in before)


def test_explain_is_network_explain_with_the_neurons_numbers_picked_out():
    session = trained(Session(), 2)
    answer = session.explain(layer=0, unit=3, point=7)
    network = session.network
    features_7 = session.inputs["train"][7]
    label = session.targets["train"][7]
    expected = network.explain(features_7, float(label), loss="binary_cross_entropy")
    assert answer["text"] == str(expected)
    # The first layer sees the point's features standardised.
    x = network.scaler.transform(features_7[np.newaxis]).astype(np.float32)
    hidden = network.layers[0]
    z = float(x[0] @ hidden.params["W"][3] + hidden.params["b"][3])
    assert answer["unit_values"]["z"] == pytest.approx(z, rel=1e-5)
    assert answer["unit_values"]["a"] == pytest.approx(np.tanh(z), rel=1e-5)
    assert answer["symbols"] == {
        "z": "z^(2)",
        "a": "a^(2)",
        "delta": "delta^(2)",
        "dW": "dL/dW^(1)",
        "db": "dL/db^(1)",
    }
    np.testing.assert_allclose(answer["xy"], session.points.xy[session.train_rows[7]])
    with pytest.raises(
        ValueError, match=r"point must be the index of a training point, in \[0, 249\]"
    ):
        session.explain(0, 0, 250)
    with pytest.raises(ValueError, match=r"unit must be an integer in \[0, 1\], got 2"):
        session.explain(1, 2, 0)


# --- uploads -------------------------------------------------------------------------------------


def test_an_uploaded_csv_of_10_000_rows_trains_with_its_own_names_and_labels():
    session = Session()
    session.upload("clouds.csv", csv_text(two_clouds(10_000)).encode())
    assert session.setup.dataset == "upload"
    assert session.points.problem == "classification"
    assert len(session.points.targets) == 10_000
    assert list(session.classes) == ["green", "red"]
    assert session.network.feature_names == ("x", "y")
    described = session.description()
    assert described["upload"] == {"name": "clouds.csv", "rows": 10_000}
    assert described["column_names"] == ["x", "y"]
    # An upload's view is its points' range and 5% more on each side.
    low, high = session.points.xy.min(axis=0), session.points.xy.max(axis=0)
    margin = 0.05 * (high - low)
    np.testing.assert_allclose(described["domain"], np.column_stack([low - margin, high + margin]))
    trained(session, 2)
    assert session.snapshot()["metrics"]["val_accuracy"] > 0.95


def test_a_numeric_target_with_many_values_is_a_regression():
    rng = np.random.default_rng(0)
    rows = [(round(a, 3), round(b, 3), round(a - b, 3)) for a, b in rng.uniform(-1, 1, (50, 2))]
    session = Session()
    session.upload("values.csv", csv_text(rows, ("a", "b", "difference")).encode())
    assert session.setup.problem == "regression"
    assert session.loss == "mse"
    assert session.network.target_name == "difference"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"x,y\n1,2\n",
            "bad.csv: expected 3 columns (two numeric features, then the label or target), "
            "got 2: x, y",
        ),
        (
            b"x,y,label\n1,oops,a\n2,3,b\n",
            "bad.csv, line 2, column 'y': expected a number, got 'oops'",
        ),
        (b"x,y,label\n1,2\n", "bad.csv, line 2: expected 3 cells, one per column, got 2"),
        (b"", "bad.csv: the file is empty"),
        (b"x,y,label\n", "bad.csv: expected data rows after the header"),
        (b"x,y,label\n\xff,1,a\n", "bad.csv: expected UTF-8 text, got byte 0xFF"),
        (
            csv_text([(i, i, "a") for i in range(10)]).encode(),
            "bad.csv: the label column has a single class ('a')",
        ),
        (
            csv_text([(i, i, f"c{i}") for i in range(12)]).encode(),
            "bad.csv: the label column has 12 classes; the playground tells at most 10 apart",
        ),
        (b"x,y,label\n1,2,a\n3,4,b\n", "bad.csv: expected at least 4 rows of data, got 2"),
    ],
)
def test_a_bad_upload_is_refused_with_a_message_naming_the_file(content, message):
    session = Session()
    before = session.setup
    with pytest.raises(ValueError) as raised:
        session.upload("bad.csv", content)
    assert message in str(raised.value)
    assert "/tmp" not in str(raised.value)
    assert session.setup == before and session.uploaded is None


def test_uploads_are_limited_in_bytes_and_rows_before_they_are_read():
    session = Session(limits=Limits(max_upload_bytes=2_000, max_upload_rows=100))
    with pytest.raises(ValueError, match=r"big.csv: the file has 2,001 bytes; .* at most 2,000"):
        session.upload("big.csv", b"x" * 2_001)
    with pytest.raises(ValueError, match=r"long.csv: the file has about 150 rows; .* at most 100"):
        session.upload("long.csv", csv_text([(1, 2, i % 2) for i in range(150)]).encode())


# --- export: the model file and a script that trains the same network ----------------------------


def run_script(folder, session: Session) -> Network:
    path = folder / "train_playground.py"
    path.write_text(session.script())
    result = subprocess.run(
        [sys.executable, str(path)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr
    assert "saved playground-model.safetensors" in result.stdout
    return glassnet.load(folder / "playground-model.safetensors")


def assert_same_weights(network: Network, session: Session) -> None:
    expected = session.network.get_weights()
    actual = network.get_weights()
    assert expected.keys() == actual.keys()
    for name in expected:
        np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)


def test_the_exported_script_trains_the_same_weights_bit_for_bit(tmp_path):
    setup = Setup(
        dataset="spiral",
        noise=10,
        features=("x1", "x2", "sinx1", "x1x2"),
        hidden=(6, 3),
        activations=("relu", "tanh"),
        dropout=(0.1, 0.0),
        optimizer="adam",
        regularization="l2",
        regularization_rate=0.001,
        seed=42,
    )
    session = trained(Session(setup=setup), 4)
    session.configure({"learning_rate": 0.1})  # replayed at the epoch it happened
    trained(session, 2)
    session.set_parameter(1, "W", [0, 2], 0.5)  # and so is a weight set by hand
    trained(session, 1)
    assert_same_weights(run_script(tmp_path, session), session)
    script = session.script()
    assert "datasets.spirals(500, noise=0.012, seed=SEED)" in script
    assert "np.column_stack([x1, x2, np.sin(x1), x1 * x2])" in script
    # The script is as tidy as the project's own code.
    ruff = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--isolated",
            "--line-length",
            "100",
            "-",
        ],
        input=script,
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout


def test_the_exported_script_reads_an_uploaded_file_from_beside_it(tmp_path):
    content = csv_text(two_clouds(200, seed=3), ("width", "height", "kind"))
    (tmp_path / "shapes.csv").write_text(content)
    session = Session()
    session.upload("shapes.csv", content.encode())
    trained(session, 3)
    network = run_script(tmp_path, session)
    assert_same_weights(network, session)
    assert list(network.classes) == ["green", "red"]
    assert network.feature_names == ("width", "height")


def test_the_model_file_loads_and_predicts_as_the_session(tmp_path):
    session = trained(Session(setup=Setup(dataset="xor", features=("x1", "x2", "x1x2"))), 5)
    path = tmp_path / "model.safetensors"
    path.write_bytes(session.model_file())
    network = glassnet.load(path)
    assert network.feature_names == ("x1", "x2", "x1·x2")
    assert network.target_name == "label"
    assert list(network.classes) == [0, 1]
    np.testing.assert_array_equal(
        network.predict(session.inputs["test"]), session.network.predict(session.inputs["test"])
    )
    assert network.history.epochs == 6  # epoch 0 and five epochs of training
    assert isinstance(network.scaler, Standardizer)


def test_a_diverging_network_stops_with_a_message_and_stays_drawable():
    session = Session(
        setup=Setup(
            problem="regression", dataset="plane", learning_rate=10, activations=("relu",) * 2
        )
    )
    with pytest.raises(glassnet.TrainingDiverged, match=r"training diverged in epoch 1 \(batch"):
        trained(session, 5)
    assert session.diverged
    json.dumps(session.snapshot(), allow_nan=False)
    session.reset()
    assert not session.diverged and session.epoch == 0


# --- the app: HTTP and WebSocket -----------------------------------------------------------------

starlette = pytest.importorskip(
    "starlette", reason="the playground app needs Starlette: pip install 'glassnet[playground]'"
)
from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from glassnet.playground.app import STATIC, WINDOW, create_app  # noqa: E402

BASE = "http://127.0.0.1"
SOCKET = "ws://127.0.0.1/ws"


@pytest.fixture
def client():
    return TestClient(create_app(), base_url=BASE)


@pytest.fixture
def connect(client):
    """Open sockets past their greeting, each ``(socket, hello, network, update)``; all are
    closed when the test ends."""
    with contextlib.ExitStack() as stack:

        def open_socket(on=client):
            ws = stack.enter_context(on.websocket_connect(SOCKET))
            hello, network, update = ws.receive_json(), ws.receive_json(), ws.receive_json()
            assert (hello["type"], network["type"], update["type"]) == (
                "hello",
                "network",
                "update",
            )
            return ws, hello, network, update

        yield open_socket


def receive_until(ws, kind: str) -> dict:
    while True:
        message = ws.receive_json()
        if message["type"] == kind:
            return message


def test_the_page_and_its_files_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for test_id in (
        "play",
        "step",
        "reset",
        "epoch",
        "train-loss",
        "test-loss",
        "add-layer",
        "remove-layer",
        "upload",
        "export-model",
        "export-python",
        "boundary",
        "error",
    ):
        assert f'data-testid="{test_id}"' in page.text, test_id
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "dataset-${name}" in script.text  # the dataset buttons, one per built-in set
    assert client.get("/static/app.css").status_code == 200
    # No CDN and no build step: the page loads only its own two files.
    assert re.findall(r'(?:src|href)="(/[^"]*)"', page.text) == [
        "/static/app.css",
        "/static/app.js",
    ]
    assert sorted(p.name for p in STATIC.iterdir()) == ["app.css", "app.js", "index.html"]


def test_hello_names_the_limits_the_choices_and_the_datasets(connect):
    _, hello, network, update = connect()
    assert hello["limits"]["max_neurons"] == 16
    assert set(hello["datasets"]) >= {"circle", "xor", "gaussian", "spiral", "plane"}
    assert hello["defaults"] == Setup().to_dict()
    assert len(hello["thumbnails"]["spiral"]) == 200
    assert network["sizes"] == [2, 4, 2, 1]
    assert update["epoch"] == 0


def test_step_and_play_train_and_updates_wait_for_the_page(connect):
    ws, *_ = connect()
    ws.send_json({"type": "step"})
    assert ws.receive_json() == {"type": "playing", "playing": False}
    assert ws.receive_json()["epoch"] == 1
    ws.send_json({"type": "play"})
    assert ws.receive_json() == {"type": "playing", "playing": True}
    epochs = []
    for _ in range(6):
        update = ws.receive_json()
        epochs.append(update["epoch"])
        ws.send_json({"type": "ack"})
    assert epochs == list(range(2, 8))
    # Without acknowledgements the server sends at most WINDOW more updates, then waits: half a
    # second (30 updates at full speed) later, the pause finds no queue of frames before it.
    time.sleep(0.5)
    ws.send_json({"type": "pause"})
    unacknowledged = []
    while (message := ws.receive_json())["type"] == "update":
        unacknowledged.append(message["epoch"])
    assert message == {"type": "playing", "playing": False}
    assert unacknowledged == list(range(8, 8 + WINDOW))


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (b"\x00\x01", "messages must be JSON text, got a binary message"),
        ("{not json", "the message is not valid JSON"),
        ('{"type": "setup", "setup": {"noise": Infinity}}', "numbers must be finite, got Infinity"),
        ('{"type": "dance"}', "a message must be an object whose type is one of setup, play"),
        ("[1, 2]", "a message must be an object whose type is one of"),
        ('{"type": "play", "extra": 1}', "a 'play' message takes the fields type; unknown extra"),
        (
            '{"type": "explain", "layer": 0}',
            "takes the fields layer, point, type, unit; missing unit",
        ),
        ('{"type": "setup", "setup": {"hidden": [1e9]}}', "hidden layer sizes must be an integer"),
        (
            '{"type": "set_param", "layer": 0, "name": "W", "index": [0, 0], "value": 1e300}',
            "within ±1e6",
        ),
        (
            '{"type": "upload", "name": "a.csv", "text": 5}',
            "an upload's name and text must be strings",
        ),
        ('{"type": "reset", "x": "' + "a" * 70_000 + '"}', "at most 65,536 are taken"),
    ],
)
def test_a_bad_message_gets_an_error_and_the_session_goes_on(connect, frame, message):
    ws, *_ = connect()
    if isinstance(frame, bytes):
        ws.send_bytes(frame)
    else:
        ws.send_text(frame)
    error = ws.receive_json()
    assert error["type"] == "error"
    assert message in error["message"]
    ws.send_json({"type": "step"})
    assert receive_until(ws, "update")["epoch"] == 1


def test_a_deeply_nested_upload_is_an_error_not_a_crash(connect):
    ws, *_ = connect()
    ws.send_text(
        '{"type": "upload", "name": "a.csv", "text": ' + "[" * 200_000 + "]" * 200_000 + "}"
    )
    assert ws.receive_json()["type"] == "error"
    ws.send_json({"type": "step"})
    assert receive_until(ws, "update")["epoch"] == 1


def test_setup_messages_rebuild_or_change_the_learning_rate(connect):
    ws, *_ = connect()
    ws.send_json({"type": "setup", "setup": {"learning_rate": 0.1}})
    assert ws.receive_json() == {
        "type": "setup",
        "setup": {**Setup().to_dict(), "learning_rate": 0.1},
    }
    ws.send_json(
        {
            "type": "setup",
            "setup": {"hidden": [4, 2, 2], "activations": ["tanh"] * 3, "dropout": [0, 0, 0]},
        }
    )
    network = ws.receive_json()
    assert network["type"] == "network" and network["sizes"] == [2, 4, 2, 2, 1]
    assert ws.receive_json()["epoch"] == 0


def test_weights_explanations_and_uploads_over_the_socket(connect):
    ws, *_ = connect()
    ws.send_json({"type": "set_param", "layer": 1, "name": "W", "index": [1, 3], "value": -2.5})
    assert ws.receive_json()["weights"][1][1][3] == -2.5
    ws.send_json({"type": "explain", "layer": 2, "unit": 0, "point": 4})
    answer = ws.receive_json()
    assert answer["type"] == "explain"
    assert answer["text"].startswith("Forward\n  x = the sample as given = [")
    ws.send_json(
        {"type": "upload", "name": "../../etc/clouds.csv", "text": csv_text(two_clouds(40))}
    )
    assert ws.receive_json() == {"type": "playing", "playing": False}
    network = ws.receive_json()
    assert network["upload"] == {"name": "clouds.csv", "rows": 40}
    assert network["classes"] == ["green", "red"]
    assert network["setup"]["dataset"] == "upload"
    ws.receive_json()
    ws.send_json({"type": "upload", "name": "broken.csv", "text": "a,b,c\n1,x,2\n"})
    error = ws.receive_json()
    assert error == {
        "type": "error",
        "message": "broken.csv, line 2, column 'b': expected a number, got 'x'",
    }


def test_uploads_over_the_limit_are_refused(connect):
    limits = Limits(max_upload_bytes=1_000)
    ws, *_ = connect(on=TestClient(create_app(limits), base_url=BASE))
    ws.send_json({"type": "upload", "name": "big.csv", "text": "x,y,label\n" + "1,2,3\n" * 200})
    assert ws.receive_json()["message"].startswith("big.csv: the file has 1,210 bytes")
    # A message longer than any upload allowed is refused before it is parsed.
    ws.send_json({"type": "upload", "name": "huge.csv", "text": "x" * 70_000})
    assert ws.receive_json()["message"].startswith("the message has 70,0")
    assert limits.max_socket_bytes() == 2_000 + 65_536


def test_exports_give_a_loadable_model_and_a_script(client, connect, tmp_path):
    ws, hello, *_ = connect()
    ws.send_json({"type": "step"})
    receive_until(ws, "update")
    model = client.get(f"/export/{hello['token']}/model")
    assert model.status_code == 200
    assert 'filename="playground-model.safetensors"' in model.headers["content-disposition"]
    (tmp_path / "m.safetensors").write_bytes(model.content)
    assert repr(glassnet.load(tmp_path / "m.safetensors")) == "Network(2-4-2-1, dtype=float32)"
    script = client.get(f"/export/{hello['token']}/script")
    assert script.status_code == 200 and "train_epochs(1)" in script.text
    assert client.get(f"/export/{hello['token']}/weights").status_code == 404
    ws.close()
    assert client.get(f"/export/{hello['token']}/model").status_code == 404  # the tab is gone


def test_tabs_train_independently(connect):
    first, hello_1, *_ = connect()
    second, hello_2, *_ = connect()
    assert hello_1["token"] != hello_2["token"]
    second.send_json({"type": "setup", "setup": {"dataset": "xor", "seed": 9}})
    receive_until(second, "update")
    for _ in range(3):
        first.send_json({"type": "step"})
        second.send_json({"type": "step"})
    last_1 = [receive_until(first, "update") for _ in range(3)][-1]
    last_2 = [receive_until(second, "update") for _ in range(3)][-1]
    # Each equals a session trained alone.
    alone_1 = trained(Session(setup=Setup(seed=0)), 3).snapshot()
    alone_2 = trained(Session(setup=Setup(dataset="xor", seed=9)), 3).snapshot()
    assert last_1["weights"] == alone_1["weights"]
    assert last_2["weights"] == alone_2["weights"]
    assert last_1["weights"] != last_2["weights"]


def test_the_server_caps_its_sessions(connect):
    client = TestClient(create_app(Limits(max_sessions=1)), base_url=BASE)
    connect(on=client)
    with client.websocket_connect(SOCKET) as second:
        error = second.receive_json()
        assert error["type"] == "error" and "already serves 1 pages" in error["message"]
        with pytest.raises(WebSocketDisconnect):
            second.receive_json()


def test_other_hosts_and_origins_are_refused(client):
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(SOCKET, headers={"origin": "http://evil.example"}),
    ):
        pass
    assert refused.value.code == 1008
    with client.websocket_connect(SOCKET, headers={"origin": "http://127.0.0.1"}) as ws:
        assert ws.receive_json()["type"] == "hello"


# --- the command ---------------------------------------------------------------------------------


def test_without_the_extra_the_playground_says_how_to_install_it(monkeypatch):
    from glassnet.playground import serve

    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[playground\]"'):
        serve(port=0, open_browser=False)


def test_importing_glassnet_or_the_playground_loads_no_web_server():
    code = (
        "import sys, glassnet, glassnet.playground, glassnet.playground.session\n"
        "named = {'starlette', 'uvicorn', 'websockets', 'playwright'}\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & named)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def test_glassnet_playground_serves_the_page_until_stopped():
    command = [sys.executable, "-m", "glassnet", "playground", "--port", "0", "--no-browser"]
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV
    ) as process:
        try:
            line = process.stderr.readline()
            match = re.search(r"glassnet playground on (http://127\.0\.0\.1:\d+/)", line)
            assert match, line
            with urllib.request.urlopen(match.group(1), timeout=10) as response:
                assert b'data-testid="boundary"' in response.read()
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_glassnet_playground_on_a_busy_port_says_so_in_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "glassnet", "playground", "--port", str(port), "--no-browser"],
            capture_output=True,
            text=True,
            timeout=60,
            env=ENV,
        )
    assert result.returncode == 1
    assert result.stderr.startswith(f"glassnet: error: cannot serve on 127.0.0.1:{port}: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
