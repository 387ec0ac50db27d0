"""A classifier's decision boundary over the plane of two of its inputs, with the data."""

from __future__ import annotations

import numpy as np

from glassnet.plots._figures import _finish, _new_figure, label_text, require_matplotlib

#: One colour per class (the first ten).
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

#: A boundary's title names the inputs held at their means when there are at most this many.
MAX_HELD_NAMED = 4


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


def _held_text(names: list[str], values: np.ndarray) -> str:
    """``"held at their means: c = 1.5, d = 2"``, or a count when there are many."""
    if len(names) > MAX_HELD_NAMED:
        return f"the other {len(names)} inputs held at their means"
    held = ", ".join(f"{name} = {value:.3g}" for name, value in zip(names, values, strict=True))
    return f"held at their means: {held}"
