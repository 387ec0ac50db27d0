"""Pictures of training: the loss curve (with accuracy or R² beside it) and the weight-gradient
norms per layer.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.plots._figures import _finish, _new_figure, require_matplotlib

#: The R² panel shows values down to this: a model worse than predicting the mean by more than
#: its variance is off the chart (early epochs often are).
R2_FLOOR = -1.0

#: Series of at most this many epochs get a marker per epoch (one epoch is otherwise invisible).
MARKED_EPOCHS = 25


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
