"""The training loop: validation, metrics, early stopping, callbacks, guards, classification."""

import io
import math

import numpy as np
import pytest

import glassnet
from glassnet import Dense, Network, datasets
from glassnet.callbacks import Callback, ProgressBar
from glassnet.training import TrainingDiverged, apply_gradients, evaluate


def classifier(n_in=2, hidden=16, n_classes=2, activation="tanh", seed=0, **kwargs):
    output = Dense(hidden, n_classes, "softmax")
    return Network([Dense(n_in, hidden, activation), output], seed=seed, **kwargs)


def test_history_records_everything_per_epoch():
    data = datasets.moons(200, seed=0)
    network = classifier()
    history = network.fit(
        data.X, data.y, epochs=4, batch_size=20, learning_rate=0.3, validation_split=0.25
    )
    for key in (
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "learning_rate",
        "grad_norm.0",
        "grad_norm.1",
    ):
        assert len(history[key]) == 4, key
    assert history.epochs == 4
    assert set(history.grad_norms()) == {0, 1}
    assert network.history is history
    assert history["learning_rate"] == [0.3] * 4
    with pytest.raises(KeyError, match="no 'r2' in history"):
        history["r2"]


def test_validation_metrics_equal_a_separate_evaluation():
    data = datasets.blobs(300, n_classes=3, seed=1)
    X_val, y_val = data.X[:60], data.y[:60]
    network = classifier(n_classes=3)
    history = network.fit(
        data.X[60:], data.y[60:], epochs=3, learning_rate=0.1, validation_data=(X_val, y_val)
    )
    scores = evaluate(network, X_val, y_val)
    assert history["val_loss"][-1] == pytest.approx(scores["loss"], rel=1e-5)
    assert history["val_accuracy"][-1] == scores["accuracy"]
    predicted = network.predict(X_val)
    assert scores["accuracy"] == pytest.approx(np.mean(predicted == y_val))


def test_regression_metrics():
    data = datasets.plane(200, seed=2)
    network = Network([Dense(2, 8, "tanh"), Dense(8, 1, "identity")], seed=0)
    history = network.fit(data.X, data.y, epochs=30, learning_rate=0.05, batch_size=16)
    assert history["r2"][-1] > 0.9 and history["mae"][-1] < history["mae"][0]
    scores = evaluate(network, data.X, data.y)
    prediction = network.predict(data.X)[:, 0]
    assert scores["r2"] == pytest.approx(glassnet.metrics.r2_score(data.y, prediction), abs=1e-5)
    assert scores["mae"] == pytest.approx(np.mean(np.abs(data.y - prediction)), rel=1e-5)


def test_string_labels_are_encoded_and_returned():
    people = datasets.gender()
    labels = np.array(["F", "M", "M", "F"])
    network = Network([Dense(2, 4, "tanh"), Dense(4, 1, "sigmoid")], seed=0)
    network.fit(
        people.X,
        labels,
        loss="binary_cross_entropy",
        optimizer="adam",
        learning_rate=0.05,
        epochs=200,
        batch_size=4,
        standardize=True,
    )
    assert list(network.classes) == ["F", "M"]
    assert list(network.predict(people.X)) == list(labels)
    proba = network.predict_proba(people.X)
    assert proba.shape == (4, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert list(network.classes[np.argmax(proba, axis=1)]) == list(labels)


def test_label_errors():
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match=r"Y has a single class \('a'\); a classifier needs"):
        classifier().fit(X, ["a"] * 4, loss="cross_entropy")
    with pytest.raises(ValueError, match="Y has 3 classes but the network's output can tell 2"):
        classifier().fit(X, [0, 1, 2, 1], loss="cross_entropy")
    with pytest.raises(ValueError, match="task 'regression' needs numbers, got labels"):
        Network([Dense(2, 1)]).fit(X, ["a", "b", "a", "b"], loss="mse", task="regression")


def test_standardisation_travels_with_the_network():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=[100.0, -5.0], scale=[20.0, 0.1], size=(200, 2))
    y = (X[:, 0] - 100 > 200 * (X[:, 1] + 5)).astype(int)
    network = classifier()
    network.fit(X, y, epochs=40, learning_rate=0.3, standardize=True)
    np.testing.assert_allclose(network.scaler.mean, X.mean(axis=0))
    np.testing.assert_allclose(network.scaler.scale, X.std(axis=0))
    assert np.mean(network.predict(X) == y) > 0.95


def test_early_stopping_restores_the_best_weights():
    data = datasets.moons(60, noise=0.3, seed=3)
    network = Network([Dense(2, 64, "relu"), Dense(64, 2, "softmax")], seed=0)
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            snapshots.append(trainer.network.get_weights())

    stopper = glassnet.EarlyStopping(patience=3)
    history = network.fit(
        data.X[:40],
        data.y[:40],
        epochs=500,
        learning_rate=0.5,
        batch_size=4,
        validation_data=(data.X[40:], data.y[40:]),
        callbacks=[Snapshot(), stopper],
    )
    assert history.epochs < 500  # it stopped
    best = int(np.argmin(history["val_loss"]))
    assert history.best_epoch == best
    assert history.epochs == best + 1 + 3  # patience epochs after the best
    for name, value in network.get_weights().items():
        np.testing.assert_array_equal(value, snapshots[best][name])


def test_early_stopping_needs_the_monitored_metric():
    data = datasets.xor(40, seed=0)
    with pytest.raises(
        ValueError, match="EarlyStopping monitors 'val_loss', which is not recorded"
    ):
        classifier().fit(data.X, data.y, epochs=2, callbacks=[glassnet.EarlyStopping()])


def test_callbacks_are_called_in_order():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, trainer):
            calls.append("train_begin")

        def on_epoch_begin(self, trainer, epoch):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_end(self, trainer, batch, loss):
            calls.append(f"batch {batch}")

        def on_epoch_end(self, trainer, epoch, logs):
            calls.append(f"epoch_end {epoch} {sorted(logs)[:2]}")
            trainer.stop_training = epoch == 1

        def on_train_end(self, trainer):
            calls.append("train_end")

    data = datasets.xor(20, seed=0)
    classifier().fit(data.X, data.y, epochs=5, batch_size=10, metrics=(), callbacks=[Recorder()])
    assert calls == [
        "train_begin",
        "epoch_begin 0",
        "batch 0",
        "batch 1",
        "epoch_end 0 ['grad_norm.0', 'grad_norm.1']",
        "epoch_begin 1",
        "batch 0",
        "batch 1",
        "epoch_end 1 ['grad_norm.0', 'grad_norm.1']",
        "train_end",
    ]


def test_divergence_stops_at_once_with_a_hint():
    data = datasets.plane(50, seed=0)
    network = Network([Dense(2, 8, "relu"), Dense(8, 1, "identity")], seed=0)
    with pytest.raises(
        TrainingDiverged,
        match=r"diverged at epoch \d+ .*learning rate 1e\+06 is "
        "probably too high",
    ):
        network.fit(data.X * 100, data.y * 100, learning_rate=1e6, epochs=50)


class Terminal(io.StringIO):
    """A stream that says it is an interactive terminal."""

    def isatty(self):
        return True


def test_progress_is_a_bar_on_a_terminal_and_a_line_every_tenth_of_the_epochs_elsewhere():
    data = datasets.xor(40, seed=0)
    terminal, pipe = Terminal(), io.StringIO()
    classifier().fit(
        data.X, data.y, epochs=20, callbacks=[ProgressBar(terminal), ProgressBar(pipe)]
    )
    drawn = terminal.getvalue()
    assert drawn.startswith("\rEpoch 1/20 [") and drawn.endswith("\n")
    assert "\rEpoch 20/20 [" + "=" * 24 + "] 100% ETA 0:00 loss" in drawn
    lines = pipe.getvalue().splitlines()
    assert "\r" not in pipe.getvalue()
    assert [line.split(" loss ")[0] for line in lines] == [f"Epoch {n}/20" for n in range(2, 21, 2)]
    assert all(line.endswith(" elapsed") for line in lines)


def test_verbose_fit_prints_epoch_lines_without_a_terminal(capsys):
    data = datasets.xor(40, seed=0)
    classifier().fit(data.X, data.y, epochs=3, verbose=True, validation_split=0.25)
    lines = capsys.readouterr().err.splitlines()  # pytest's stderr is not a terminal
    assert [line.split(" loss ")[0] for line in lines] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all(" val_loss " in line for line in lines)


@pytest.mark.parametrize("stream", [Terminal, io.StringIO], ids=["terminal", "pipe"])
def test_progress_says_when_and_why_training_stopped_early(stream):
    # No epoch can beat the first by a billion: training stops after 1 + patience epochs.
    stopper = glassnet.EarlyStopping(monitor="loss", patience=3, min_delta=1e9)
    progress = ProgressBar(stream())
    data = datasets.xor(40, seed=0)
    history = classifier().fit(data.X, data.y, epochs=50, callbacks=[stopper, progress])
    assert (history.epochs, history.best_epoch) == (4, 0)
    text = progress.stream.getvalue()
    assert text.endswith(
        "Stopped early after 4 of 50 epochs: loss has not improved for 3 epochs; "
        "restored the weights of epoch 0, the best\n"
    )
    if stream is Terminal:  # the bar is completed, not left at 8%
        assert "\rEpoch 4/50 [" + "=" * 24 + "] 100% ETA 0:00 loss" in text
    else:  # the last epoch's line is printed, though 4 is not a multiple of 50 // 10
        assert text.splitlines()[0].startswith("Epoch 4/50 loss ")


def test_early_stopping_without_restoring_says_which_epoch_was_best():
    stopper = glassnet.EarlyStopping(
        monitor="loss", patience=2, min_delta=1e9, restore_best_weights=False
    )
    progress = ProgressBar(io.StringIO())
    data = datasets.xor(40, seed=0)
    classifier().fit(data.X, data.y, epochs=50, callbacks=[stopper, progress])
    assert progress.stream.getvalue().endswith(
        "Stopped early after 3 of 50 epochs: loss has not improved for 2 epochs; "
        "the best was epoch 0\n"
    )


def test_print_every_prints_the_tutorials_lines(capsys):
    people = datasets.gender()
    Network([Dense(2, 2), Dense(2, 1)], seed=0).fit(
        people.X, people.y, epochs=30, batch_size=1, learning_rate=0.1, print_every=10, metrics=()
    )
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" loss")[0] for line in lines] == [
        "Epoch 0",
        "Epoch 10",
        "Epoch 20",
        "Epoch 29",
    ]
    assert all(len(line.split("loss: ")[1]) == 5 for line in lines)  # "0.123"


def test_dropout_is_active_only_in_training():
    layer = glassnet.Dropout(0.5)
    network = Network([Dense(4, 1000, "identity"), layer, Dense(1000, 1, "identity")], seed=0)
    X = np.ones((3, 4), dtype=np.float32)
    np.testing.assert_array_equal(network.predict(X), network.predict(X))
    hidden = network.layers[0].forward(X)
    dropped = layer.forward(hidden, training=True)
    kept = dropped != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(dropped[kept], (hidden * 2)[kept], rtol=1e-6)  # scaled by 1/(1-p)
    grad = np.ones_like(hidden)
    np.testing.assert_array_equal(layer.backward(grad), layer.mask)


def test_l1_adds_sign_of_weights():
    people = datasets.gender()
    network = Network([Dense(2, 3, "tanh"), Dense(3, 1)], seed=0, dtype="float64")
    before = network.get_weights()
    _, grads = network.loss_and_gradients(people.X, people.y)
    network.fit(
        people.X,
        people.y,
        loss="mse",
        learning_rate=0.1,
        epochs=1,
        batch_size=None,
        l1=0.2,
        shuffle=False,
        metrics=(),
    )
    after = network.get_weights()
    expected = before["layers.0.W"] - 0.1 * (grads[0]["W"] + 0.2 * np.sign(before["layers.0.W"]))
    np.testing.assert_allclose(after["layers.0.W"], expected, rtol=1e-12)
    np.testing.assert_allclose(after["layers.0.b"], before["layers.0.b"] - 0.1 * grads[0]["b"])


def test_gradient_diffusion_is_visible_in_the_history():
    # The tutorial's warning: with 8 sigmoid hidden layers the first layer's gradient is
    # orders of magnitude smaller than the last's; ReLU with He initialisation keeps them close.
    data = datasets.spirals(200, seed=0)

    def ratio(activation):
        layers = [Dense(2, 16, activation)] + [Dense(16, 16, activation) for _ in range(7)]
        network = Network([*layers, Dense(16, 2, "softmax")], seed=0)
        history = network.fit(data.X, data.y, epochs=3, batch_size=32, learning_rate=0.05)
        norms = history.grad_norms()
        return norms[8][-1] / norms[0][-1]

    assert ratio("sigmoid") >= 100
    assert ratio("relu") <= 10


@pytest.mark.parametrize(
    ("name", "hidden", "epochs"),
    [("xor", 32, 1000), ("spirals", 32, 1000), ("gender", 4, 300)],
)
def test_small_networks_learn_to_full_training_accuracy(name, hidden, epochs):
    data = datasets.load(name) if name == "gender" else datasets.load(name, n_samples=200, seed=0)
    network = Network(
        [Dense(2, hidden, "tanh"), Dense(hidden, hidden, "tanh"), Dense(hidden, 2, "softmax")],
        seed=0,
    )
    network.fit(
        data.X,
        data.y,
        optimizer="adam",
        learning_rate=0.01,
        epochs=epochs,
        batch_size=32,
        standardize=True,
    )
    assert np.mean(network.predict(data.X) == data.y) == 1.0


def test_digits_reach_97_percent_test_accuracy():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    digits = sklearn_datasets.load_digits()
    X_train, X_test, y_train, y_test = model_selection.train_test_split(
        digits.data, digits.target, test_size=0.2, stratify=digits.target, random_state=0
    )
    network = Network(
        [Dense(64, 128, "relu"), glassnet.Dropout(0.2), Dense(128, 10, "softmax")], seed=0
    )
    network.fit(
        X_train,
        y_train,
        optimizer="adam",
        learning_rate=0.002,
        epochs=40,
        batch_size=32,
        standardize=True,
        weight_decay=1e-4,
    )
    accuracy = np.mean(network.predict(X_test) == y_test)
    assert accuracy >= 0.97, accuracy
    assert math.isclose(evaluate(network, X_test, y_test)["accuracy"], accuracy)


def test_schedule_sets_the_learning_rate_of_each_epoch():
    data = datasets.xor(40, seed=0)
    history = classifier().fit(
        data.X,
        data.y,
        epochs=5,
        learning_rate=0.4,
        schedule=glassnet.schedules.StepDecay(step_size=2, gamma=0.5),
    )
    assert history["learning_rate"] == [0.4, 0.4, 0.2, 0.2, 0.1]


def test_clip_norm_caps_every_update():
    # With plain SGD one step moves the parameters by eta * g, whose global norm clipping caps.
    people = datasets.gender()
    network = Network([Dense(2, 3, "tanh"), Dense(3, 1)], seed=0, dtype="float64")
    before = np.concatenate([p.ravel() for p in network.parameters()])
    network.fit(
        people.X * 10,
        people.y,
        learning_rate=0.1,
        epochs=1,
        batch_size=None,
        clip_norm=0.01,
        metrics=(),
    )
    after = np.concatenate([p.ravel() for p in network.parameters()])
    assert np.linalg.norm(after - before) == pytest.approx(0.1 * 0.01, rel=1e-9)


# -- apply_gradients: the seam of data-parallel training ---------------------------------------


def two_layer_regressor(seed=0):
    layers = [Dense(3, 5, "tanh"), glassnet.Dropout(0.0), Dense(5, 2, "identity")]
    return Network(layers, seed=seed, dtype="float64")


def test_apply_gradients_takes_the_steps_that_full_batch_fit_takes():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    trained, stepped = two_layer_regressor(), two_layer_regressor()
    options = {"batch_size": None, "epochs": 3, "shuffle": False, "metrics": ()}
    trained.fit(
        X, Y, loss="mse", optimizer=glassnet.optimizers.Adam(0.05), weight_decay=0.1, **options
    )
    optimizer = glassnet.optimizers.Adam(0.05)
    for _ in range(3):
        _, grads = stepped.loss_and_gradients(X, Y, loss="mse", weight_decay=0.1)
        assert apply_gradients(stepped, grads, optimizer) is optimizer
    assert optimizer.iterations == 3  # the state carried over from step to step
    for name, weight in trained.get_weights().items():
        np.testing.assert_allclose(stepped.get_weights()[name], weight, rtol=0, atol=1e-12)


def test_apply_gradients_leaves_the_callers_gradients_alone():
    network = two_layer_regressor()
    _, grads = network.loss_and_gradients(np.ones((4, 3)), np.zeros((4, 2)))
    kept = [{key: grad.copy() for key, grad in layer.items()} for layer in grads]
    before = network.get_weights()
    apply_gradients(network, grads, "sgd")
    for layer, layer_kept in zip(grads, kept, strict=True):
        for key in layer:
            np.testing.assert_array_equal(layer[key], layer_kept[key])
    expected = before["layers.0.W"] - 0.01 * grads[0]["W"]  # the tutorial's w - eta dJ/dw
    np.testing.assert_allclose(network.layers[0].W, expected, rtol=0, atol=1e-15)


def valid_gradients():
    return [
        {"W": np.ones((5, 3)), "b": np.ones(5)},
        {},
        {"W": np.ones((2, 5)), "b": np.ones(2)},
    ]


def replace_last(grads, **arrays):
    return [*grads[:2], {**grads[2], **arrays}]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda grads: "not a list", r"grads must be a list of 3 dicts, one per layer, got 'not a"),
        (lambda grads: grads[:2], r"grads must be a list of 3 dicts"),
        (
            lambda grads: [*grads[:2], {"W": grads[2]["W"]}],
            r"grads\[2\] must be a dict with the keys \['W', 'b'\]",
        ),
        (
            lambda grads: replace_last(grads, W=np.ones((5, 2))),
            r"grads\[2\]\['W'\] must have shape \(2, 5\), got \(5, 2\)",
        ),
        (
            lambda grads: replace_last(grads, b=np.array([1.0, np.nan])),
            r"grads\[2\]\['b'\] must contain only finite values",
        ),
    ],
)
def test_apply_gradients_checks_every_gradient_before_stepping(change, message):
    network = two_layer_regressor()
    apply_gradients(network, valid_gradients(), "sgd")
    before = network.get_weights()
    assert not np.array_equal(before["layers.2.b"], two_layer_regressor().layers[2].b)
    with pytest.raises(ValueError, match=message):
        apply_gradients(network, change(valid_gradients()), "sgd")
    for name, weight in network.get_weights().items():
        np.testing.assert_array_equal(weight, before[name])


def test_fit_takes_a_target_for_every_position_of_a_sequence():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 4, 3)), rng.normal(size=(30, 4, 2))
    network = Network([Dense(3, 2, "identity")], input_shape=(4, 3), seed=0)
    history = network.fit(X, Y, epochs=20, learning_rate=0.1, batch_size=None)
    assert network.classes is None
    assert history["loss"][-1] < history["loss"][0]
    with pytest.raises(ValueError, match="takes one label per sample"):
        network.fit(X, Y, task="classification")
