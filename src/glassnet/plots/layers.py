"""Pictures of what convolutional and recurrent layers hold: first-layer filters, feature maps
and hidden states.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.plots._figures import _finish, _new_figure, require_matplotlib

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
