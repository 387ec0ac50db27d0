"""The network drawn as units and weights: circles per layer, lines coloured by sign."""

from __future__ import annotations

import numpy as np

from glassnet.plots._figures import _finish, _new_figure, label_text, require_matplotlib

#: Colours for positive and negative weights.
POSITIVE, NEGATIVE = "#1f5fbf", "#d62728"

#: A layer wider than this is drawn as its first and last ``MAX_UNITS // 2`` units.
MAX_UNITS = 10

#: The radius of a diagram's unit circles, in points.
UNIT_RADIUS_POINTS = 11.4

#: Names beside a diagram's units are cut to this many characters.
MAX_NAME_LENGTH = 18


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


def _shown_units(size: int, max_units: int) -> list[int | None]:
    """Unit indices to draw for a layer of ``size`` units; None marks the "… N more" slot."""
    if size <= max_units:
        return list(range(size))
    half = max(1, max_units // 2)
    return [*range(half), None, *range(size - half, size)]
