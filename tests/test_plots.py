"""Tests for glassnet.plots: each picture has a title, labelled axes and a legend, and saves."""

import itertools
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


def test_a_single_epoch_is_a_visible_dot_in_the_middle_of_the_plot():
    figure = plots.loss_curve(History({"loss": [0.9], "val_loss": [0.8], "accuracy": [0.5]}))
    for axes in figure.axes:
        for line in axes.get_lines()[:2]:
            assert line.get_marker() == "o" and len(line.get_xdata()) == 1
        assert axes.get_xlim() == (-0.5, 0.5)
        assert [tick for tick in axes.get_xticks() if -0.5 <= tick <= 0.5] == [0]
    long_run = plots.loss_curve(History({"loss": list(np.linspace(1, 0.5, 200))}))
    assert long_run.axes[0].get_lines()[0].get_marker() == "None"  # a plain line when long


def test_a_regression_gets_an_r2_panel_that_cuts_early_epochs_off_at_minus_one():
    r2 = [-30.0, -3.0, 0.2, 0.5, 0.6]
    history = History(
        {"loss": [9.0, 5.0, 2.0, 1.0, 0.9], "r2": r2, "val_r2": [-25, -2, 0, 0.4, 0.5]}
    )
    figure = plots.loss_curve(history)
    r2_axes = figure.axes[1]
    assert r2_axes.get_title() == "R² during training"
    assert r2_axes.get_ylabel() == "R² (values below -1 not shown)"
    assert {"training R²", "validation R²"} <= set(legend_texts(figure))
    bottom, top = r2_axes.get_ylim()
    assert -1.1 < bottom < -1 and 1 < top < 1.1
    # Where training ended is always in view, even below -1.
    one_epoch = plots.loss_curve(History({"loss": [9.0], "r2": [-4.0]}))
    assert one_epoch.axes[1].get_ylim()[0] < -4 and one_epoch.axes[1].get_ylabel() == "R²"


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


class Recording:
    """A classifier's ``predict_proba`` that keeps the inputs it was asked about."""

    def __init__(self, network):
        self.network, self.grids = network, []
        self.predict_proba_of = network.predict_proba

    def __call__(self, X):
        self.grids.append(np.array(X))
        return self.predict_proba_of(X)


def four_input_classifier():
    """A classifier of moons whose inputs are the two moon coordinates between two others."""
    data = datasets.load("moons", n_samples=120, noise=0.15, seed=0)
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(5, 1, 120), data.X[:, 0], rng.normal(-3, 2, 120), data.X[:, 1]])
    network = Network([Dense(4, 8, "tanh"), Dense(8, 1, "sigmoid")], seed=0)
    network.fit(
        X, data.y, loss="binary_cross_entropy", optimizer="adam", epochs=30, standardize=True
    )
    network.feature_names = ("noise", "across", "other noise", "up")
    return network, X, data.y


def test_a_boundary_of_many_inputs_holds_the_others_at_their_means(monkeypatch, tmp_path):
    network, X, y = four_input_classifier()
    recording = Recording(network)
    monkeypatch.setattr(network, "predict_proba", recording)
    path = tmp_path / "boundary.png"
    figure = plots.decision_boundary(network, X, y, path, features=("up", "across"))
    axes = figure.axes[0]
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("up", "across")
    grid = recording.grids[0]
    assert grid.shape == (200 * 200, 4)
    np.testing.assert_allclose(grid[:, 0], X[:, 0].mean(), rtol=1e-12)  # in the user's units
    np.testing.assert_allclose(grid[:, 2], X[:, 2].mean(), rtol=1e-12)
    assert grid[:, 3].min() < X[:, 3].min() and grid[:, 3].max() > X[:, 3].max()
    title = axes.get_title()
    assert f"noise = {X[:, 0].mean():.3g}, other noise = {X[:, 2].mean():.3g}" in title
    # The points are the data on the chosen plane.
    points = next(c for c in axes.collections if c.get_label() == "1 (true label)")
    np.testing.assert_array_equal(points.get_offsets(), X[y == 1][:, [3, 1]])
    assert_png(path)
    by_index = plots.decision_boundary(network, X, y, features=(3, 1))
    assert by_index.axes[0].get_title() == title
    first_two = plots.decision_boundary(network, X, y)  # by default the first two inputs
    assert (first_two.axes[0].get_xlabel(), first_two.axes[0].get_ylabel()) == ("noise", "across")


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (("up", "down"), "unknown feature 'down'; the inputs are: noise, across, other noise, up"),
        (("up", "up"), "features must be two different inputs"),
        (("up",), "features must be two of the inputs"),
        ("up", "features must be two of the inputs"),
        ((0, 4), "feature index 4 is out of range: the network has 4 inputs"),
    ],
)
def test_a_boundary_names_the_features_it_cannot_draw(features, message):
    network, X, y = four_input_classifier()
    with pytest.raises(ValueError, match=message):
        plots.decision_boundary(network, X, y, features=features)


def test_decision_boundary_refuses_what_it_cannot_draw(moons):
    network, _, X, labels = moons
    regression = Network([Dense(2, 1, "identity")], seed=0)
    with pytest.raises(ValueError, match="needs a classifier"):
        plots.decision_boundary(regression, X, labels)
    with pytest.raises(ValueError, match="unknown label 'up'"):
        plots.decision_boundary(network, X[:2], np.array(["left", "up"]))
    one_input = Network([Dense(1, 1, "sigmoid")], seed=0)
    one_input.classes = np.array(["no", "yes"])
    with pytest.raises(ValueError, match="a plane of two inputs; this network has 1"):
        plots.decision_boundary(one_input, X[:, :1], labels)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\)"):
        plots.decision_boundary(network, X[:, :1], labels)


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


def texts_named(figure, names) -> list:
    return [text for ax in figure.axes for text in ax.texts if text.get_text() in names]


def test_network_diagram_names_inputs_and_outputs_as_the_network_knows_them():
    network = Network([Dense(3, 4, "relu"), Dense(4, 3, "softmax")], seed=0)
    network.feature_names = ("sepal length", "petal length", "a name much longer than fits")
    network.classes = np.array(["setosa", "versicolor", "virginica"])
    texts = all_texts(plots.network_diagram(network))
    assert {"x1", "h1", "o1"} <= set(texts)  # the tutorial's names stay in the circles
    assert {"sepal length", "petal length", "a name much longe…"} <= set(texts)
    assert {"setosa", "versicolor", "virginica"} <= set(texts)
    binary = Network([Dense(2, 1, "sigmoid")], seed=0)
    binary.classes = np.array([0, 1])
    assert "P(1)" in all_texts(plots.network_diagram(binary))
    regression = Network([Dense(2, 1, "identity")], seed=0)
    regression.target_name = "price"
    assert "price" in all_texts(plots.network_diagram(regression))


@pytest.mark.parametrize("sizes", [(3, 5), (2, 4), (4, 3), (2, 3, 2)])
def test_weight_labels_do_not_overlap(sizes):
    # Without a hidden layer every line leaves from few inputs: their labels must spread out.
    layers = [Dense(n_in, n_out) for n_in, n_out in itertools.pairwise(sizes)]
    figure = plots.network_diagram(Network(layers, seed=0))
    renderer = figure.canvas.get_renderer()
    values = {f"{layer.W[i, j]:.2g}" for layer in layers for i, j in np.ndindex(layer.W.shape)}
    boxes = [text.get_window_extent(renderer) for text in texts_named(figure, values)]
    assert len(boxes) == sum(layer.W.size for layer in layers)
    for number, box in enumerate(boxes):
        for other in boxes[number + 1 :]:
            assert not box.overlaps(other), (box, other)


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
