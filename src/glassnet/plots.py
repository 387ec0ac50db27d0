"""Pictures of training and of networks: loss curves, decision boundaries, diagrams, gradients.

Every function draws on a new matplotlib ``Figure`` (no pyplot, so no window and no global
state), returns it, and with ``path`` also writes it as a PNG, atomically: a reader sees the old
file or the whole new one. matplotlib is optional (``pip install "glassnet[plots]"``) and is
imported inside the functions, so ``import glassnet`` never pays for it.

- ``loss_curve``: training and validation loss per epoch (the tutorial's figure 8), and
  accuracy beside it when it was recorded.
- ``decision_boundary``: what a 2-input classifier predicts over the plane, with the data.
- ``network_diagram``: units as circles, weights as lines coloured by sign, width by ``|w|``.
- ``gradient_norms``: each layer's weight-gradient norm per epoch on a log scale, which shows
  the tutorial's "gradient diffusion": layers far from the output may learn much more slowly.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet._files import atomic_write

#: Colours for positive and negative weights, and one per class (the first ten).
POSITIVE, NEGATIVE = "#1f5fbf", "#d62728"
CLASS_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip

#: A layer wider than this is drawn as its first and last ``MAX_UNITS // 2`` units.
MAX_UNITS = 10

_DPI = 100


def loss_curve(history, path=None):
    """Plot the loss per epoch, training and (when recorded) validation; return the Figure.

    The y-axis is logarithmic when the loss spans more than a factor of 10, so the slow tail of
    training stays visible. A second panel shows accuracy when the history has it, and a dotted
    line marks the best epoch when early stopping restored it.

    Args:
        history: a ``History`` (``network.history``, or what ``fit`` returned).
        path: where to write the PNG; None to only return the figure.
    """
    figure_class = _figure_class()
    metrics = _metrics(history)
    if not metrics.get("loss"):
        raise ValueError("history has no 'loss' recorded: train the network first")
    has_accuracy = bool(metrics.get("accuracy"))
    figure = figure_class(figsize=(10 if has_accuracy else 7, 4.5), dpi=_DPI, layout="constrained")
    axes = figure.subplots(1, 2 if has_accuracy else 1, squeeze=False)[0]

    loss_axes = axes[0]
    _plot_series(loss_axes, metrics, "loss", "training loss", "C0")
    _plot_series(loss_axes, metrics, "val_loss", "validation loss", "C1")
    values = [v for key in ("loss", "val_loss") for v in metrics.get(key, []) if math.isfinite(v)]
    if values and min(values) > 0 and max(values) / min(values) > 10:
        loss_axes.set_yscale("log")
        loss_axes.set_ylabel("loss (log scale)")
    else:
        loss_axes.set_ylabel("loss")
    loss_axes.set_title("Loss during training")
    best_epoch = getattr(history, "best_epoch", None)
    for panel in axes:
        panel.set_xlabel("epoch")
        panel.grid(True, alpha=0.3)
        if best_epoch is not None:
            panel.axvline(
                best_epoch, color="0.4", linestyle=":", label=f"best epoch ({best_epoch})"
            )
    if has_accuracy:
        accuracy_axes = axes[1]
        _plot_series(accuracy_axes, metrics, "accuracy", "training accuracy", "C0")
        _plot_series(accuracy_axes, metrics, "val_accuracy", "validation accuracy", "C1")
        accuracy_axes.set_ylim(-0.02, 1.02)
        accuracy_axes.set_ylabel("accuracy")
        accuracy_axes.set_title("Accuracy during training")
        accuracy_axes.legend(loc="lower right")
    loss_axes.legend(loc="upper right")
    return _finish(figure, path)


def decision_boundary(network, X, y, path=None, *, feature_names=("x1", "x2"), resolution=200):
    """Plot what a 2-input classifier predicts over the plane, with the data on top.

    The background is the network's answer on a grid that covers the data with a margin: for
    two classes the probability of the second class (the boundary is where it is 0.5), for more
    the predicted class. ``predict_proba`` applies the network's scaler, so ``X`` is in the
    user's own units. Points are coloured by their true label.

    Args:
        network: a classifier (``network.classes`` set by ``fit``) with 2 inputs.
        X: ``(n_samples, 2)`` inputs; y: ``(n_samples,)`` their labels, in ``network.classes``.
        feature_names: the axis labels.
        resolution: grid points along each axis.
    """
    figure_class = _figure_class()
    if network.classes is None:
        raise ValueError(
            "decision_boundary needs a classifier (trained on class labels); "
            "this network predicts numbers"
        )
    if network.n_in != 2:
        raise ValueError(
            f"decision_boundary draws networks with 2 inputs, this one has {network.n_in}"
        )
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or len(y) != len(X):
        raise ValueError(
            f"X must have shape (n_samples, 2) and y one label per row, got X {X.shape} "
            f"and y {y.shape}"
        )
    classes = network.classes
    index = {label: position for position, label in enumerate(classes.tolist())}
    unknown = [label for label in y.tolist() if label not in index]
    if unknown:
        known = ", ".join(map(str, classes.tolist()))
        raise ValueError(f"unknown label {unknown[0]!r} in y; the network knows: {known}")
    if len(classes) > len(CLASS_COLOURS):
        raise ValueError(
            f"decision_boundary colours up to {len(CLASS_COLOURS)} classes, got {len(classes)}"
        )
    colours = CLASS_COLOURS[: len(classes)]

    low, high = X.min(axis=0), X.max(axis=0)
    margin = np.where(high > low, 0.1 * (high - low), 1.0)
    axis_x1 = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    axis_x2 = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    grid_x1, grid_x2 = np.meshgrid(axis_x1, axis_x2)
    grid = np.column_stack([grid_x1.ravel(), grid_x2.ravel()])
    probabilities = network.predict_proba(grid)

    figure = figure_class(figsize=(7, 5.6), dpi=_DPI, layout="constrained")
    axes = figure.subplots()
    colormap = _colormaps()
    if len(classes) == 2:
        shade = colormap.LinearSegmentedColormap.from_list(
            "two_classes", [colours[0], "#ffffff", colours[1]]
        )
        surface = probabilities[:, 1].reshape(grid_x1.shape)
        filled = axes.contourf(
            grid_x1, grid_x2, surface, levels=np.linspace(0, 1, 11), cmap=shade, alpha=0.6
        )
        colourbar = figure.colorbar(filled, ax=axes)
        colourbar.set_label(f"P({_label_text(classes[1])}) predicted")
        if surface.min() < 0.5 < surface.max():
            axes.contour(grid_x1, grid_x2, surface, levels=[0.5], colors="black", linewidths=1.5)
            axes.plot([], [], color="black", linewidth=1.5, label="decision boundary (P = 0.5)")
    else:
        predicted = np.argmax(probabilities, axis=1).reshape(grid_x1.shape)
        shade = colormap.ListedColormap(colours)
        axes.contourf(
            grid_x1, grid_x2, predicted, levels=np.arange(len(classes) + 1) - 0.5,
            cmap=shade, alpha=0.3,
        )  # fmt: skip
    true_index = np.array([index[label] for label in y.tolist()], dtype=np.intp)
    for position, label in enumerate(classes.tolist()):
        chosen = true_index == position
        axes.scatter(
            X[chosen, 0], X[chosen, 1], s=28, color=colours[position], edgecolors="black",
            linewidths=0.6, label=f"{_label_text(label)} (true label)",
        )  # fmt: skip
    axes.set_xlim(axis_x1[0], axis_x1[-1])
    axes.set_ylim(axis_x2[0], axis_x2[-1])
    axes.set_xlabel(feature_names[0])
    axes.set_ylabel(feature_names[1])
    accuracy = float(np.mean(network.predict(X) == y)) if len(y) else float("nan")
    axes.set_title(f"Decision boundary (accuracy on these points: {accuracy:.1%})")
    axes.legend(loc="upper right", framealpha=0.9)
    return _finish(figure, path)


def network_diagram(network, path=None, *, max_units=MAX_UNITS):
    """Draw the network: a column of circles per layer, a line per weight.

    A line is blue for a positive weight and red for a negative one, and wider the larger
    ``|w|`` is (relative to the largest weight of its layer). A layer with more than
    ``max_units`` units shows its first and last few, with "… N more" between them.

    Args:
        network: any ``Network``; dropout layers are noted on the layer they follow.
        max_units: the widest layer drawn unit by unit.
    """
    figure_class = _figure_class()
    from glassnet.layers import Dense

    dense = [layer for layer in network.layers if isinstance(layer, Dense)]
    sizes = [network.n_in, *(layer.n_out for layer in dense)]
    notes = [""] * len(sizes)
    column = 0
    for layer in network.layers:
        if isinstance(layer, Dense):
            column += 1
        elif hasattr(layer, "rate"):
            notes[column] += f"\ndropout {layer.rate:g}"
    shown = [_shown_units(size, max_units) for size in sizes]
    slots = max(len(units) for units in shown)

    width = max(6.0, 2.2 * len(sizes))
    height = max(3.5, min(8.0, 0.55 * slots + 1.8))
    figure = figure_class(figsize=(width, height), dpi=_DPI, layout="constrained")
    axes = figure.subplots()
    radius = 0.32 if slots <= 4 else 0.24

    def positions(units):
        # Centre each column vertically; a None entry is the "… N more" slot.
        top = (len(units) - 1) / 2
        return [top - row for row in range(len(units))]

    columns = [positions(units) for units in shown]
    for layer_index, layer in enumerate(dense):
        weights = layer.W
        largest = float(np.abs(weights).max()) or 1.0
        for target, y_target in zip(shown[layer_index + 1], columns[layer_index + 1], strict=True):
            if target is None:
                continue
            for source, y_source in zip(shown[layer_index], columns[layer_index], strict=True):
                if source is None:
                    continue
                weight = float(weights[target, source])
                strength = abs(weight) / largest
                axes.plot(
                    [layer_index * 2.0, (layer_index + 1) * 2.0], [y_source, y_target],
                    color=POSITIVE if weight >= 0 else NEGATIVE,
                    linewidth=0.3 + 3.2 * strength, alpha=0.25 + 0.65 * strength,
                    solid_capstyle="round", zorder=1,
                )  # fmt: skip

    circle_class = _circle_class()
    prefixes = ["x", *(["h"] * (len(sizes) - 2)), "o"]
    label_units = slots <= MAX_UNITS
    for column_index, (units, rows) in enumerate(zip(shown, columns, strict=True)):
        x = column_index * 2.0
        hidden_number = column_index if 0 < column_index < len(sizes) - 1 else None
        for unit, y in zip(units, rows, strict=True):
            if unit is None:
                hidden = sizes[column_index] - sum(u is not None for u in units)
                axes.text(
                    x,
                    y,
                    f"… {hidden} more",
                    ha="center",
                    va="center",
                    fontsize=9,
                    bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.6"},
                )
                continue
            axes.add_patch(
                circle_class((x, y), radius, facecolor="#f4f4f4", edgecolor="0.2", zorder=2)
            )
            if label_units:
                name = prefixes[column_index] + str(unit + 1)
                if hidden_number is not None and len(sizes) > 3:
                    name = f"h{hidden_number}.{unit + 1}"
                axes.text(x, y, name, ha="center", va="center", fontsize=8, zorder=3)

    labels = []
    for column_index, size in enumerate(sizes):
        if column_index == 0:
            kind = "input"
        elif column_index == len(sizes) - 1:
            kind = f"output\n{dense[-1].activation.name}"
        else:
            kind = f"hidden {column_index}\n{dense[column_index - 1].activation.name}"
        labels.append(f"{kind}\n{size} unit{'s' if size != 1 else ''}{notes[column_index]}")
    axes.set_xticks([2.0 * i for i in range(len(sizes))], labels)
    axes.tick_params(axis="x", length=0)
    axes.set_yticks([])
    for side in ("top", "right", "left", "bottom"):
        axes.spines[side].set_visible(False)
    axes.set_xlim(-0.8, 2.0 * (len(sizes) - 1) + 0.8)
    half = (slots - 1) / 2 + 0.7
    axes.set_ylim(-half, half)
    axes.set_aspect("equal", adjustable="datalim")
    axes.set_xlabel("layer")
    sizes_text = "-".join(map(str, sizes))
    axes.set_title(f"Network {sizes_text}: {network.n_parameters:,} weights and biases")
    axes.plot([], [], color=POSITIVE, linewidth=2.5, label="positive weight")
    axes.plot([], [], color=NEGATIVE, linewidth=2.5, label="negative weight")
    axes.plot([], [], color="0.5", linewidth=0.6, label="line width ∝ |w|")
    figure.legend(loc="outside lower center", ncol=3, frameon=False)
    return _finish(figure, path)


def gradient_norms(history, path=None):
    """Plot each layer's weight-gradient norm per epoch, on a log scale; return the Figure.

    ``fit`` records ``grad_norm.<layer>``: the root mean square over an epoch's batches of
    ``||dJ/dW||`` for that layer. When the lines of the layers near the input sit far below
    those near the output, those layers learn slowly: the tutorial's "gradient diffusion".
    """
    figure_class = _figure_class()
    norms = history.grad_norms() if hasattr(history, "grad_norms") else None
    if not norms:
        raise ValueError(
            "history has no gradient norms ('grad_norm.<layer>'): train the network with fit"
        )
    figure = figure_class(figsize=(7, 4.5), dpi=_DPI, layout="constrained")
    axes = figure.subplots()
    ordered = sorted(norms)
    for number, layer_index in enumerate(ordered, start=1):
        values = np.asarray(norms[layer_index], dtype=np.float64)
        values = np.where(values > 0, values, np.nan)  # a log axis cannot show 0
        if number == 1:
            where = "nearest the input"
        elif number == len(ordered):
            where = "output"
        else:
            where = "hidden"
        axes.plot(
            np.arange(len(values)), values,
            label=f"layers[{layer_index}] ({where}): ||dJ/dW^({number})||",
            color=f"C{(number - 1) % 10}", linewidth=1.6,
        )  # fmt: skip
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("weight-gradient norm (log scale)")
    axes.set_title("Weight-gradient norm per layer (gradient diffusion)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="best")
    return _finish(figure, path)


# -- helpers ---------------------------------------------------------------------------------------


def _figure_class():
    """matplotlib's ``Figure``, drawn by the Agg canvas; a clear ImportError without it."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            'glassnet plots need matplotlib, which is not installed: pip install "glassnet[plots]"'
        ) from error

    class AggFigure(Figure):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            FigureCanvasAgg(self)

    return AggFigure


def _colormaps():
    import matplotlib.colors

    return matplotlib.colors


def _circle_class():
    from matplotlib.patches import Circle

    return Circle


def _metrics(history) -> dict[str, list[float]]:
    metrics = getattr(history, "metrics", None)
    if not isinstance(metrics, dict):
        raise TypeError(f"history must be a glassnet History, got {type(history).__name__}")
    return metrics


def _plot_series(axes, metrics, key, label, colour) -> None:
    values = metrics.get(key)
    if values:
        axes.plot(np.arange(len(values)), values, label=label, color=colour, linewidth=1.6)


def _shown_units(size: int, max_units: int) -> list[int | None]:
    """Unit indices to draw for a layer of ``size`` units; None marks the "… N more" slot."""
    if size <= max_units:
        return list(range(size))
    half = max(1, max_units // 2)
    return [*range(half), None, *range(size - half, size)]


def _finish(figure, path):
    """Write ``figure`` to ``path`` as a PNG, atomically, when a path is given; return it."""
    if path is not None:
        with atomic_write(path) as handle:
            figure.savefig(handle, format="png", dpi=_DPI)
    return figure


def _label_text(label) -> str:
    """A class label as text for legends: numbers without a trailing ``.0``."""
    if isinstance(label, (float, np.floating)) and float(label).is_integer():
        return str(int(label))
    return str(label.item() if isinstance(label, np.generic) else label)
