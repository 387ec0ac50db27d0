"""Tests for glassnet.plots: each picture has a title, labelled axes and a legend, and saves."""

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from glassnet import Dense, Dropout, EarlyStopping, History, Network, datasets, plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def moons():
    """A small classifier trained on moons with string labels, and its history."""
    data = datasets.load("moons", n_samples=120, noise=0.15, seed=0)
    labels = np.array(["left", "right"])[data.y]
    network = Network(
        [Dense(2, 8, "tanh"), Dropout(0.1), Dense(8, 8, "tanh"), Dense(8, 1, "sigmoid")], seed=0
    )
    history = network.fit(
        data.X,
        labels,
        loss="binary_cross_entropy",
        optimizer="adam",
        learning_rate=0.02,
        epochs=40,
        validation_split=0.25,
        standardize=True,
        seed=0,
        callbacks=[EarlyStopping(patience=10)],
    )
    return network, history, data.X, labels


def legend_texts(figure) -> list[str]:
    legends = [*figure.legends, *(ax.get_legend() for ax in figure.axes)]
    return [text.get_text() for legend in legends if legend is not None for text in legend.texts]


def all_texts(figure) -> list[str]:
    return [text.get_text() for ax in figure.axes for text in ax.texts]


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert 5_000 < len(data) < 400_000


# -- loss_curve ------------------------------------------------------------------------------------


def test_loss_curve_has_both_losses_accuracy_and_the_best_epoch(moons, tmp_path):
    _, history, _, _ = moons
    path = tmp_path / "loss.png"
    figure = plots.loss_curve(history, path)
    loss_axes, accuracy_axes = figure.axes[:2]
    assert loss_axes.get_title() == "Loss during training"
    assert loss_axes.get_xlabel() == "epoch"
    assert loss_axes.get_ylabel().startswith("loss")
    assert accuracy_axes.get_ylabel() == "accuracy"
    texts = legend_texts(figure)
    assert {"training loss", "validation loss", "training accuracy", "validation accuracy"} <= set(
        texts
    )
    assert f"best epoch ({history.best_epoch})" in texts
    assert_png(path)


def test_loss_curve_uses_a_log_scale_only_when_the_loss_spans_decades():
    falling = plots.loss_curve(History({"loss": [10.0, 1.0, 0.1, 0.01]}))
    assert falling.axes[0].get_yscale() == "log"
    assert falling.axes[0].get_ylabel() == "loss (log scale)"
    flat = plots.loss_curve(History({"loss": [0.5, 0.4, 0.3]}))
    assert flat.axes[0].get_yscale() == "linear"
    assert len(flat.axes) == 1  # no accuracy recorded, no accuracy panel


def test_loss_curve_refuses_an_empty_history():
    with pytest.raises(ValueError, match="no 'loss'"):
        plots.loss_curve(History())


# -- decision_boundary -----------------------------------------------------------------------------


def test_decision_boundary_of_a_binary_classifier_names_the_users_labels(moons, tmp_path):
    network, _, X, labels = moons
    path = tmp_path / "boundary.png"
    figure = plots.decision_boundary(network, X, labels, path, feature_names=("width", "height"))
    axes = figure.axes[0]
    assert axes.get_title().startswith("Decision boundary")
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("width", "height")
    texts = legend_texts(figure)
    assert "left (true label)" in texts and "right (true label)" in texts
    assert "decision boundary (P = 0.5)" in texts
    # The grid covers every point with a margin.
    assert axes.get_xlim()[0] < X[:, 0].min() and axes.get_xlim()[1] > X[:, 0].max()
    assert_png(path)


def test_decision_boundary_of_a_three_class_classifier():
    data = datasets.load("blobs", n_samples=90, seed=0)
    network = Network([Dense(2, 3, "softmax")], seed=0)
    network.fit(
        data.X, data.y, loss="cross_entropy", optimizer="adam", learning_rate=0.1, epochs=20
    )
    figure = plots.decision_boundary(network, data.X, data.y)
    assert {"0 (true label)", "1 (true label)", "2 (true label)"} <= set(legend_texts(figure))


def test_decision_boundary_refuses_what_it_cannot_draw(moons):
    network, _, X, labels = moons
    regression = Network([Dense(2, 1, "identity")], seed=0)
    with pytest.raises(ValueError, match="needs a classifier"):
        plots.decision_boundary(regression, X, labels)
    with pytest.raises(ValueError, match="unknown label 'up'"):
        plots.decision_boundary(network, X[:2], np.array(["left", "up"]))


# -- network_diagram -------------------------------------------------------------------------------


def test_network_diagram_of_the_tutorial_network_labels_units_and_weights(tmp_path):
    network = Network([Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")], seed=0)
    path = tmp_path / "network.png"
    figure = plots.network_diagram(network, path)
    axes = figure.axes[0]
    assert axes.get_title() == "Network 2-2-1: 9 weights and biases"
    assert axes.get_xlabel() == "layer"
    assert {"x1", "x2", "h1", "h2", "o1"} <= set(all_texts(figure))
    assert f"{network.layers[0].W[0, 0]:.2g}" in all_texts(figure)  # small nets show weights
    assert {"positive weight", "negative weight"} <= set(legend_texts(figure))
    assert_png(path)


def test_network_diagram_summarises_wide_layers():
    network = Network([Dense(784, 128, "relu"), Dense(128, 10, "softmax")], seed=0)
    figure = plots.network_diagram(network)
    texts = all_texts(figure)
    assert "… 774 more" in texts
    assert "… 118 more" in texts
    assert "x784" in texts and "o10" in texts  # the last units are drawn after the ellipsis
    assert figure.axes[0].get_title() == "Network 784-128-10: 101,770 weights and biases"


# -- gradient_norms --------------------------------------------------------------------------------


def test_gradient_norms_has_one_line_per_weight_layer_on_a_log_scale(moons, tmp_path):
    _, history, _, _ = moons
    path = tmp_path / "gradients.png"
    figure = plots.gradient_norms(history, path)
    axes = figure.axes[0]
    assert axes.get_yscale() == "log"
    assert axes.get_title() == "Weight-gradient norm per layer (gradient diffusion)"
    assert axes.get_xlabel() == "epoch"
    assert axes.get_ylabel() == "||dJ/dW|| (log scale)"
    texts = legend_texts(figure)
    # Three Dense layers; the dropout layer, layers[1], has no weights.
    assert texts == [
        "W^(1), layers[0] (nearest the input)",
        "W^(2), layers[2] (hidden)",
        "W^(3), layers[3] (output)",
    ]
    assert_png(path)


def test_gradient_norms_smooths_long_runs_and_keeps_raw_values_faint():
    rng = np.random.default_rng(0)
    noisy = {f"grad_norm.{i}": list(10.0**-i * rng.uniform(0.5, 2, 400)) for i in (0, 1)}
    figure = plots.gradient_norms(History({"loss": [1.0] * 400, **noisy}))
    lines = figure.axes[0].get_lines()
    assert len(lines) == 4  # raw and smoothed, per layer
    raw, smooth = lines[0], lines[1]
    assert raw.get_alpha() < 0.5
    assert np.std(np.log(smooth.get_ydata())) < np.std(np.log(raw.get_ydata()))
    assert len(legend_texts(figure)) == 2


def test_gradient_norms_needs_recorded_norms():
    with pytest.raises(ValueError, match="no gradient norms"):
        plots.gradient_norms(History({"loss": [1.0]}))


# -- files and imports -----------------------------------------------------------------------------


def test_a_save_into_a_missing_folder_raises_and_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plots.loss_curve(History({"loss": [1.0, 0.5]}), tmp_path / "missing" / "loss.png")
    assert list(tmp_path.iterdir()) == []


def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[plots\]"'):
        plots.loss_curve(History({"loss": [1.0]}))


def test_import_glassnet_loads_neither_plotting_nor_command_line_nor_thread_modules():
    code = (
        "import sys, glassnet, glassnet.plots\n"
        "glassnet.set_num_threads, glassnet.get_num_threads\n"
        "named = {'matplotlib', 'click', 'rich', 'threadpoolctl'}\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & named)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
