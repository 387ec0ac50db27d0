"""Pictures of training and of networks: loss curves, decision boundaries, diagrams, gradients.

Every function draws on a new matplotlib ``Figure`` (no pyplot, so no window and no global
state), returns it, and with ``path`` also writes it as a PNG, atomically: a reader sees the old
file or the whole new one. matplotlib is optional (``pip install "glassnet[plots]"``) and is
imported inside the functions, so ``import glassnet`` never pays for it.

- ``loss_curve``: training and validation loss per epoch (the tutorial's figure 8), and
  accuracy (classifiers) or R² (regressions) beside it when it was recorded.
- ``decision_boundary``: what a classifier predicts over the plane of two of its inputs, with
  the data; any other inputs are held at their means.
- ``network_diagram``: units as circles, weights as lines coloured by sign, width by ``|w|``,
  inputs and outputs named as the network knows them.
- ``gradient_norms``: each layer's weight-gradient norm per epoch on a log scale, which shows
  the tutorial's "gradient diffusion": layers far from the output may learn much more slowly.
- ``conv_filters``: the kernels of a CNN's first convolution, as small images.
- ``feature_maps``: what each convolution of a CNN sees in one sample, map by map.
- ``hidden_states``: the states ``h_t`` of each recurrent layer over the steps of one sequence.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet._files import atomic_write

#: Colours for positive and negative weights, and one per class (the first ten).
POSITIVE, NEGATIVE = "#1f5fbf", "#d62728"
CLASS_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

#: A layer wider than this is drawn as its first and last ``MAX_UNITS // 2`` units.
MAX_UNITS = 10

#: The R² panel shows values down to this: a model worse than predicting the mean by more than
#: its variance is off the chart (early epochs often are).
R2_FLOOR = -1.0

#: The radius of a diagram's unit circles, in points.
UNIT_RADIUS_POINTS = 11.4

#: Names beside a diagram's units are cut to this many characters.
MAX_NAME_LENGTH = 18

#: A boundary's title names the inputs held at their means when there are at most this many.
MAX_HELD_NAMED = 4

#: Series of at most this many epochs get a marker per epoch (one epoch is otherwise invisible).
MARKED_EPOCHS = 25

_DPI = 100


def loss_curve(history, path=None, *, title="Loss during training"):
    """Plot the loss per epoch, training and (when recorded) validation; return the Figure.

    The y-axis is logarithmic when the loss spans more than a factor of 10, so the slow tail of
    training stays visible. A second panel shows accuracy (classifiers) or R² (regressions) when
    the history has it, and a dotted line marks the best epoch when early stopping restored it.
    Short runs are drawn with a marker per epoch, so that even a single epoch shows.

    Args:
        history: a ``History`` (``network.history``, or what ``fit`` returned).
        path: where to write the PNG; None to only return the figure.
        title: the title of the loss panel.
    """
    require_matplotlib()
    metrics = _metrics(history)
    if not metrics.get("loss"):
        raise ValueError("history has no 'loss' recorded: train the network first")
    score = next((key for key in ("accuracy", "r2") if metrics.get(key)), None)
    figure = _new_figure(10 if score else 7, 4.5)
    axes = figure.subplots(1, 2 if score else 1, squeeze=False)[0]

    loss_axes = axes[0]
    _plot_series(loss_axes, metrics, "loss", "training loss", "C0")
    _plot_series(loss_axes, metrics, "val_loss", "validation loss", "C1")
    values = [v for key in ("loss", "val_loss") for v in metrics.get(key, []) if math.isfinite(v)]
    if values and min(values) > 0 and max(values) / min(values) > 10:
        loss_axes.set_yscale("log")
        loss_axes.set_ylabel("loss (log scale)")
    else:
        loss_axes.set_ylabel("loss")
    loss_axes.set_title(title)
    best_epoch = getattr(history, "best_epoch", None)
    for panel in axes:
        _epoch_axis(panel, len(metrics["loss"]))
        panel.grid(True, alpha=0.3)
        if best_epoch is not None:
            panel.axvline(
                best_epoch, color="0.4", linestyle=":", label=f"best epoch ({best_epoch})"
            )
    if score == "accuracy":
        _score_panel(axes[1], metrics, "accuracy", "accuracy", lowest=0.0)
    elif score == "r2":
        _score_panel(axes[1], metrics, "r2", "R²", lowest=R2_FLOOR)
    loss_axes.legend(loc="upper right")
    return _finish(figure, path)


def _score_panel(axes, metrics, key, name, lowest) -> None:
    """A panel of a score that is at most 1 (accuracy, R²), training and validation, from 0 up
    to 1, or from below 0 down to ``lowest``; the axis label says when values are off the chart.
    """
    _plot_series(axes, metrics, key, f"training {name}", "C0")
    _plot_series(axes, metrics, f"val_{key}", f"validation {name}", "C1")
    series = [[v for v in metrics.get(k, []) if math.isfinite(v)] for k in (key, f"val_{key}")]
    values = [v for values in series for v in values]
    # The view goes below ``lowest`` only to show where training ended.
    lowest = min([lowest, *(values[-1] for values in series if values)])
    bottom = min(0.0, max(min(values, default=0.0), lowest))
    margin = 0.02 * (1 - bottom)
    axes.set_ylim(bottom - margin, 1 + margin)
    clipped = any(v < lowest for v in values)
    axes.set_ylabel(f"{name} (values below {lowest:g} not shown)" if clipped else name)
    axes.set_title(f"{name[0].upper()}{name[1:]} during training")
    axes.legend(loc="best")


def decision_boundary(
    network, X, y, path=None, *, features=None, feature_names=None, resolution=200
):
    """Plot what a classifier predicts over a plane of two inputs, with the data on top.

    The background is the network's answer on a grid that covers the data with a margin: for
    two classes the probability of the second class (the boundary is where it is 0.5), for more
    the predicted class. ``predict_proba`` applies the network's scaler, so ``X`` is in the
    user's own units. Points are coloured by their true label.

    A network with more than two inputs is drawn on the plane of the two ``features``, with
    every other input held at its mean over ``X`` (in the user's units, before the network's
    scaler): a slice through the input space, which the title states. The points are the data
    seen from above that plane, so a point may sit on the far side of the boundary of the slice
    and still be predicted right; the accuracy in the title is that of the full inputs.

    Args:
        network: a classifier (``network.classes`` set by ``fit``) with 2 or more inputs.
        X: ``(n_samples, n_in)`` inputs; y: ``(n_samples,)`` their labels, in ``network.classes``.
        features: the two inputs to draw, by name (in ``feature_names``) or column index;
            default the first two.
        feature_names: the names of X's columns; default ``network.feature_names``, else
            ``x1, x2, ...``.
        resolution: grid points along each axis.
    """
    require_matplotlib()
    if network.classes is None:
        raise ValueError(
            "decision_boundary needs a classifier (trained on class labels); "
            "this network predicts numbers"
        )
    if network.n_in < 2:
        raise ValueError(
            f"decision_boundary draws a plane of two inputs; this network has {network.n_in}"
        )
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != network.n_in or len(y) != len(X):
        raise ValueError(
            f"X must have shape (n_samples, {network.n_in}) and y one label per row, got X "
            f"{X.shape} and y {y.shape}"
        )
    names = _input_names(network, feature_names)
    first, second = _two_features(features, names)
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

    shown = X[:, [first, second]]
    low, high = shown.min(axis=0), shown.max(axis=0)
    margin = np.where(high > low, 0.1 * (high - low), 1.0)
    axis_x1 = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    axis_x2 = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    grid_x1, grid_x2 = np.meshgrid(axis_x1, axis_x2)
    means = X.mean(axis=0)
    grid = np.tile(means, (grid_x1.size, 1))
    grid[:, first], grid[:, second] = grid_x1.ravel(), grid_x2.ravel()
    probabilities = network.predict_proba(grid)

    from matplotlib import colors as colormap

    figure = _new_figure(7.5, 6)
    axes = figure.subplots()
    if len(classes) == 2:
        shade = colormap.LinearSegmentedColormap.from_list(
            "two_classes", [colours[0], "#ffffff", colours[1]]
        )
        surface = probabilities[:, 1].reshape(grid_x1.shape)
        filled = axes.contourf(
            grid_x1, grid_x2, surface, levels=np.linspace(0, 1, 11), cmap=shade, alpha=0.6
        )
        colourbar = figure.colorbar(filled, ax=axes)
        colourbar.set_label(f"P({label_text(classes[1])}) predicted")
        if surface.min() < 0.5 < surface.max():
            axes.contour(grid_x1, grid_x2, surface, levels=[0.5], colors="black", linewidths=1.5)
            axes.plot([], [], color="black", linewidth=1.5, label="decision boundary (P = 0.5)")
    else:
        # Each pixel takes its predicted class's colour, fainter where the network is unsure.
        predicted = np.argmax(probabilities, axis=1)
        confidence = (probabilities.max(axis=1) - 1 / len(classes)) / (1 - 1 / len(classes))
        image = colormap.to_rgba_array(colours)[predicted]
        image[:, 3] = 0.15 + 0.4 * confidence
        axes.imshow(
            image.reshape(*grid_x1.shape, 4),
            origin="lower",
            aspect="auto",
            extent=(axis_x1[0], axis_x1[-1], axis_x2[0], axis_x2[-1]),
            interpolation="bilinear",
        )
        axes.scatter(
            [],
            [],
            marker="s",
            s=60,
            color="0.75",
            label="shade: predicted class (paler: less sure)",
        )
    true_index = np.array([index[label] for label in y.tolist()], dtype=np.intp)
    for position, label in enumerate(classes.tolist()):
        chosen = true_index == position
        axes.scatter(
            shown[chosen, 0],
            shown[chosen, 1],
            s=28,
            color=colours[position],
            edgecolors="black",
            linewidths=0.6,
            label=f"{label_text(label)} (true label)",
        )
    axes.set_xlim(axis_x1[0], axis_x1[-1])
    axes.set_ylim(axis_x2[0], axis_x2[-1])
    axes.set_xlabel(names[first])
    axes.set_ylabel(names[second])
    accuracy = float(np.mean(network.predict(X) == y))
    title = f"Decision boundary (accuracy on these points: {accuracy:.1%})"
    held = [column for column in range(network.n_in) if column not in (first, second)]
    if held:
        title += "\n" + _held_text([names[column] for column in held], means[held])
    axes.set_title(title)
    # Below the plot, so that it never hides the data.
    n_entries = len(axes.get_legend_handles_labels()[1])
    figure.legend(
        loc="outside lower center", ncol=min(n_entries, 3), frameon=False, fontsize="small"
    )
    return _finish(figure, path)


def network_diagram(network, path=None, *, max_units=MAX_UNITS):
    """Draw the network: a column of circles per layer, a line per weight.

    A line is blue for a positive weight and red for a negative one, and wider and darker the
    larger ``|w|`` is (relative to the largest weight of its layer). A layer with more than
    ``max_units`` units shows its first and last ``max_units // 2`` units, with "… N more"
    between them. Units are named as in the tutorial when there is one hidden layer (``x1``,
    ``h1``, ``o1``), else numbered within their layer; beside them stand the names the network
    knows: its ``feature_names`` left of the inputs, and right of the outputs its ``classes``
    (``P(label)`` for a single sigmoid unit) or its ``target_name``. Small networks show each
    weight's value on its line, the labels of lines into different units spread along them.

    Args:
        network: any ``Network``; dropout layers are noted under the layer they follow.
        max_units: the widest layer drawn unit by unit.
    """
    require_matplotlib()
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
    # Rows from the top, each column centred: row r of a column with n slots sits at (n-1)/2 - r.
    heights = [[(len(units) - 1) / 2 - row for row in range(len(units))] for units in shown]

    figure = _new_figure(max(6.0, 2.4 * len(sizes)), min(9.0, 0.5 * slots + 2.4))
    axes = figure.subplots()
    n_lines = sum(len(shown[i]) * len(shown[i + 1]) for i in range(len(dense)))
    label_weights = n_lines <= 16
    for column, layer in enumerate(dense):
        largest = float(np.abs(layer.W).max()) or 1.0
        n_targets = len(shown[column + 1])
        for slot, (target, y_target) in enumerate(
            zip(shown[column + 1], heights[column + 1], strict=True)
        ):
            # Labels of the lines into one unit sit at one point along them, a different point
            # for each unit, so that the labels of lines leaving one unit do not pile up.
            along = 0.2 + 0.6 * (slot + 0.5) / n_targets
            for source, y_source in zip(shown[column], heights[column], strict=True):
                if target is None or source is None:
                    continue
                weight = float(layer.W[target, source])
                strength = abs(weight) / largest
                axes.plot(
                    [column, column + 1],
                    [y_source, y_target],
                    color=POSITIVE if weight >= 0 else NEGATIVE,
                    linewidth=0.3 + 3.2 * strength,
                    alpha=0.2 + 0.7 * strength,
                    solid_capstyle="round",
                    zorder=1,
                )
                if label_weights:
                    axes.text(
                        column + along,
                        (1 - along) * y_source + along * y_target,
                        f"{weight:.2g}",
                        ha="center",
                        va="center",
                        fontsize=7.5,
                        zorder=3,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "linewidth": 0},
                    )

    known_names = [None] * len(sizes)
    known_names[0], known_names[-1] = _known_input_names(network), _known_output_names(network)
    prefixes = ["x", *([""] * (len(sizes) - 2)), "o"]
    if len(sizes) == 3:
        prefixes[1] = "h"
    for column, (units, rows) in enumerate(zip(shown, heights, strict=True)):
        drawn = [(unit, y) for unit, y in zip(units, rows, strict=True) if unit is not None]
        axes.scatter(
            [column] * len(drawn),
            [y for _, y in drawn],
            s=(2 * UNIT_RADIUS_POINTS) ** 2,
            color="#f4f4f4",
            edgecolors="0.2",
            linewidths=1.0,
            zorder=2,
        )
        for unit, y in drawn:
            name = f"{prefixes[column]}{unit + 1}"
            axes.text(column, y, name, ha="center", va="center", fontsize=7.5, zorder=3)
            outside = known_names[column]
            if outside is not None:
                side = -1 if column == 0 else 1  # inputs' names on the left, outputs' right
                axes.annotate(
                    _shortened(outside[unit]),
                    (column, y),
                    xytext=(side * UNIT_RADIUS_POINTS * 1.4, 0),
                    textcoords="offset points",
                    ha="right" if side < 0 else "left",
                    va="center",
                    fontsize=8.5,
                    color="0.15",
                    zorder=3,
                )
        if None in units:
            more = sizes[column] - len(drawn)
            axes.text(
                column,
                rows[units.index(None)],
                f"… {more} more",
                ha="center",
                va="center",
                fontsize=9,
                zorder=3,
                bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.6"},
            )

    labels = []
    for column, size in enumerate(sizes):
        if column == 0:
            kind = "input"
        elif column == len(sizes) - 1:
            kind = f"output\n{dense[-1].activation.name}"
        else:
            kind = f"hidden {column}\n{dense[column - 1].activation.name}"
        labels.append(f"{kind}\n{size} unit{'s' if size != 1 else ''}{notes[column]}")
    axes.set_xticks(range(len(sizes)), labels)
    axes.tick_params(axis="x", length=0)
    axes.set_yticks([])
    for side in ("top", "right", "left", "bottom"):
        axes.spines[side].set_visible(False)
    axes.set_xlim(-0.35, len(sizes) - 0.65)
    half = (slots - 1) / 2 + 0.6
    axes.set_ylim(-half, half)
    axes.set_xlabel("layer")
    architecture = "-".join(map(str, sizes))
    axes.set_title(f"Network {architecture}: {network.n_parameters:,} weights and biases")
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
    Over many epochs each line is a running geometric mean, with the raw values faint behind.
    """
    require_matplotlib()
    norms = history.grad_norms() if hasattr(history, "grad_norms") else None
    if not norms:
        raise ValueError(
            "history has no gradient norms ('grad_norm.<layer>'): train the network with fit"
        )
    figure = _new_figure(7.5, 4.5)
    axes = figure.subplots()
    ordered = sorted(norms)
    for number, layer_index in enumerate(ordered, start=1):
        values = np.asarray(norms[layer_index], dtype=np.float64)
        values = np.where(values > 0, values, np.nan)  # a log axis cannot show 0
        epochs = np.arange(len(values))
        if number == 1:
            where = "nearest the input"
        elif number == len(ordered):
            where = "output"
        else:
            where = "hidden"
        label = f"W^({number}), layers[{layer_index}] ({where})"
        colour = f"C{(number - 1) % 10}"
        window = len(values) // 40
        if window >= 2:
            axes.plot(epochs, values, color=colour, linewidth=0.8, alpha=0.25)
            smooth = np.exp(np.convolve(np.log(values), np.ones(window) / window, mode="valid"))
            epochs, values = epochs[window // 2 : window // 2 + len(smooth)], smooth
        axes.plot(
            epochs, values, label=label, color=colour, linewidth=1.8, **_epoch_markers(len(values))
        )
    axes.set_yscale("log")
    _epoch_axis(axes, max(len(values) for values in norms.values()))
    axes.set_ylabel("||dJ/dW|| (log scale)")
    axes.set_title("Weight-gradient norm per layer (gradient diffusion)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="best", title="weights of")
    return _finish(figure, path)


# -- convolutional networks ----------------------------------------------------------------------

#: Feature maps per row of ``feature_maps``.
MAPS_PER_ROW = 16


def conv_filters(network, path=None):
    """Draw the kernels of the network's first ``Conv2D`` as images; return the Figure.

    One row per filter (output channel), one column per input channel; each square is a
    ``kh x kw`` kernel, blue for positive weights and red for negative ones, on one colour
    scale for all, so the strongest weights stand out. With a single input channel (grey
    images) the filters are laid out in a grid instead.
    """
    require_matplotlib()
    conv = _first_conv(network)
    kernels = conv.params["W"]  # (F, C, kh, kw)
    n_filters, n_channels = kernels.shape[:2]
    if n_channels == 1:
        n_columns = min(n_filters, 8)
        grid = (math.ceil(n_filters / n_columns), n_columns)
        cells = [(index, 0) for index in range(n_filters)]
    else:
        grid = (n_filters, n_channels)
        cells = [(f, c) for f in range(n_filters) for c in range(n_channels)]
    figure = _new_figure(1.1 * grid[1] + 1.2, 1.1 * grid[0] + 0.8)
    axes = figure.subplots(*grid, squeeze=False)
    limit = float(np.abs(kernels).max()) or 1.0
    for position, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if position >= len(cells):
            ax.set_axis_off()
            continue
        f, c = cells[position]
        image = ax.imshow(kernels[f, c], cmap="RdBu", vmin=-limit, vmax=limit)
        label = f"filter {f}" if n_channels == 1 else f"{f}, channel {c}"
        ax.set_title(label, fontsize=7)
    figure.colorbar(image, ax=axes, shrink=0.8, label="weight")
    kh, kw = conv.kernel_size
    figure.suptitle(
        f"First convolution: {n_filters} filters of {kh}x{kw} over {n_channels} channel(s)"
    )
    return _finish(figure, path)


def feature_maps(network, x, path=None, *, max_maps: int = 32):
    """Draw one sample and each ``Conv2D``'s feature maps for it; return the Figure.

    ``x`` is one raw sample (``network.input_shape``, or its values in a row); it is scaled as
    the network scales its inputs. The first row shows the sample's channels, then each
    convolution's output channels (after its activation), up to ``max_maps`` per layer, each
    on its own grey scale (bright: strong response).
    """
    require_matplotlib()
    from glassnet.layers import Conv2D

    _first_conv(network)
    sample = np.asarray(x, dtype=np.float64).reshape(1, -1)
    activation = network.prepare_inputs(sample, "x")
    rows = [("the input, scaled", activation[0])]
    for index, layer in enumerate(network.layers):
        activation = layer.forward(activation)
        if isinstance(layer, Conv2D):
            rows.append((f"layers[{index}] Conv2D, {layer.activation.name}", activation[0]))
    blocks = [min(len(maps), max_maps) for _, maps in rows]
    n_columns = min(MAPS_PER_ROW, max(blocks))
    heights = [math.ceil(count / n_columns) for count in blocks]
    figure = _new_figure(0.9 * n_columns + 0.6, 0.95 * sum(heights) + 0.45 * len(rows) + 0.6)
    panels = figure.subfigures(len(rows), 1, height_ratios=[h + 0.5 for h in heights])
    for panel, (title, maps), count, height in zip(
        np.atleast_1d(panels), rows, blocks, heights, strict=True
    ):
        axes = panel.subplots(height, n_columns, squeeze=False)
        for position, ax in enumerate(axes.flat):
            ax.set_axis_off()
            if position < count:
                ax.imshow(maps[position], cmap="gray")
                ax.set_title(str(position), fontsize=6)
        shown = "" if count == len(maps) else f", first {count} of {len(maps)}"
        size = f"{maps.shape[1]}x{maps.shape[2]}"
        panel.suptitle(f"{title}: {len(maps)} channel(s) of {size}{shown}")
    return _finish(figure, path)


def hidden_states(network, x, path=None, *, max_units: int = 64):
    """Draw one sequence and the states ``h_t`` of each recurrent layer over its steps; return
    the Figure.

    ``x`` is one raw sample (``network.input_shape`` ``(T, n_in)``, or its values in a row);
    it is scaled as the network scales its inputs. The top panel shows the input, one column
    per step (a digit read row by row shows as the digit turned on its side); below it each
    recurrent layer's states, one row per unit (up to ``max_units``) and one column per step
    ``t = 1..T``, red above zero and blue below, on the range ``[-1, 1]`` of tanh.
    """
    require_matplotlib()
    from matplotlib.ticker import MaxNLocator

    from glassnet.layers import Recurrent

    if not any(isinstance(layer, Recurrent) for layer in network.layers):
        raise ValueError("hidden_states draws recurrent networks; this one has no recurrent layer")
    sample = np.asarray(x, dtype=np.float64).reshape(1, -1)
    activation = network.prepare_inputs(sample, "x")
    steps = activation[0].reshape(activation.shape[1], -1).T  # (features, T)
    panels = [("the input, scaled (one column per step)", steps)]
    for index, layer in enumerate(network.layers):
        activation = layer.forward(activation)
        if isinstance(layer, Recurrent):
            states = layer.hidden_states[0, 1:].T  # (units, T)
            shown = "" if len(states) <= max_units else f", first {max_units}"
            title = (
                f"layers[{index}] {type(layer).__name__}: h_t of its {len(states)} units{shown} "
                f"over {states.shape[1]} steps"
            )
            panels.append((title, states[:max_units]))
    heights = [max(1.2, min(4.0, 0.06 * len(values))) for _, values in panels]
    figure = _new_figure(8.0, sum(heights) + 0.8 * len(panels))
    axes = figure.subplots(len(panels), 1, squeeze=False, height_ratios=heights)[:, 0]
    for position, (ax, (title, values)) in enumerate(zip(axes, panels, strict=True)):
        if position == 0:
            image = ax.imshow(values, aspect="auto", cmap="gray", interpolation="nearest")
            ax.set_ylabel("feature")
        else:
            image = ax.imshow(
                values, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest"
            )
            ax.set_ylabel("unit")
        figure.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("step t")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        n_steps = values.shape[1]
        ticks = range(0, n_steps, max(1, n_steps // 10))
        ax.set_xticks(list(ticks), [str(t + 1) for t in ticks])
    return _finish(figure, path)


def _first_conv(network):
    """The network's first ``Conv2D``, or a ``ValueError`` saying it has none."""
    from glassnet.layers import Conv2D

    for layer in network.layers:
        if isinstance(layer, Conv2D):
            return layer
    raise ValueError(
        f"the network has no Conv2D layer to draw; its layers are "
        f"{', '.join(type(layer).__name__ for layer in network.layers)}"
    )


def require_matplotlib() -> None:
    """Raise an ImportError that says how to install matplotlib when it is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError(
            'glassnet plots need matplotlib, which is not installed: pip install "glassnet[plots]"'
        ) from error


def label_text(label) -> str:
    """A class label as the user wrote it, for legends and tables: ``1`` rather than ``1.0``."""
    if isinstance(label, (float, np.floating)) and float(label).is_integer():
        return str(int(label))
    return str(label.item() if isinstance(label, np.generic) else label)


# -- helpers ---------------------------------------------------------------------------------------


def _input_names(network, feature_names) -> list[str]:
    """One name per input: ``feature_names``, else the network's, else ``x1, x2, ...``."""
    if feature_names is None:
        feature_names = network.feature_names
    if feature_names is None:
        return [f"x{number}" for number in range(1, network.n_in + 1)]
    names = [str(name) for name in feature_names]
    if len(names) != network.n_in:
        raise ValueError(
            f"feature_names must name the network's {network.n_in} inputs, got {len(names)}: "
            f"{', '.join(names)}"
        )
    return names


def _two_features(features, names: list[str]) -> tuple[int, int]:
    """The column indices of the two ``features`` (names or indices) to draw; default 0, 1."""
    if features is None:
        return 0, 1
    listed = ", ".join(names)
    if isinstance(features, str) or len(features) != 2:
        raise ValueError(f"features must be two of the inputs ({listed}), got {features!r}")
    columns = []
    for feature in features:
        if isinstance(feature, (int, np.integer)) and not isinstance(feature, bool):
            if not 0 <= feature < len(names):
                raise ValueError(
                    f"feature index {feature} is out of range: the network has {len(names)} "
                    "inputs, numbered from 0"
                )
            columns.append(int(feature))
        elif feature in names:
            columns.append(names.index(feature))
        else:
            raise ValueError(f"unknown feature {feature!r}; the inputs are: {listed}")
    if columns[0] == columns[1]:
        raise ValueError(f"features must be two different inputs, got {features!r}")
    return columns[0], columns[1]


def _known_input_names(network) -> list[str] | None:
    """The network's feature names, one per input, or None when it has none."""
    names = network.feature_names
    if names is None or len(names) != network.n_in:
        return None
    return [str(name) for name in names]


def _known_output_names(network) -> list[str] | None:
    """What each output unit stands for, or None when the network does not say: a classifier's
    labels (``P(label)`` of the second for a single sigmoid unit), a regression's target."""
    classes = network.classes
    if classes is not None:
        labels = [label_text(label) for label in classes.tolist()]
        if len(labels) == network.n_out:
            return labels
        if network.n_out == 1 and len(labels) == 2:
            return [f"P({labels[1]})"]
        return None
    if network.target_name is not None and network.n_out == 1:
        return [str(network.target_name)]
    return None


def _shortened(name: str) -> str:
    """``name``, cut to ``MAX_NAME_LENGTH`` characters with an ellipsis when longer."""
    return name if len(name) <= MAX_NAME_LENGTH else name[: MAX_NAME_LENGTH - 1] + "…"


def _held_text(names: list[str], values: np.ndarray) -> str:
    """``"held at their means: c = 1.5, d = 2"``, or a count when there are many."""
    if len(names) > MAX_HELD_NAMED:
        return f"the other {len(names)} inputs held at their means"
    held = ", ".join(f"{name} = {value:.3g}" for name, value in zip(names, values, strict=True))
    return f"held at their means: {held}"


def _new_figure(width: float, height: float):
    """A matplotlib ``Figure`` of ``width`` x ``height`` inches, drawn by the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _metrics(history) -> dict[str, list[float]]:
    metrics = getattr(history, "metrics", None)
    if not isinstance(metrics, dict):
        raise TypeError(f"history must be a glassnet History, got {type(history).__name__}")
    return metrics


def _plot_series(axes, metrics, key, label, colour) -> None:
    values = metrics.get(key)
    if values:
        axes.plot(
            np.arange(len(values)),
            values,
            label=label,
            color=colour,
            linewidth=1.6,
            **_epoch_markers(len(values)),
        )


def _epoch_axis(axes, n_epochs: int) -> None:
    """Label the x-axis "epoch", with whole-number ticks; a short run is framed half an epoch
    either side, so that a single epoch is a dot in the middle rather than at an edge."""
    from matplotlib.ticker import MaxNLocator

    axes.set_xlabel("epoch")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10], min_n_ticks=1))
    if n_epochs <= MARKED_EPOCHS:
        axes.set_xlim(-0.5, n_epochs - 0.5)


def _epoch_markers(n_epochs: int) -> dict:
    """Line options that mark every epoch of a short run, so that one epoch is a visible dot."""
    return {"marker": "o", "markersize": 4} if n_epochs <= MARKED_EPOCHS else {}


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
