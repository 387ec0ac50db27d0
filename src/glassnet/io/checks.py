"""The rules a model file's classes, feature names and history follow, shared by ``save`` and
``load``: each ``_..._problem`` returns why a value breaks its rule, or None.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glassnet.io.text import _brief, _jsonable, _reason
from glassnet.preprocessing import check_labels
from glassnet.tasks import classes_for_outputs

# A "<U1000000000" in a damaged file would allocate gigabytes per label; no label is this long.
_MAX_LABEL_CHARS = 65_536
# A fixed-width array of labels takes (number of labels) x (width) characters: a model file may
# ask for at most this many times the characters its labels really have, plus _MAX_LABEL_CHARS,
# so that thousands of one-letter labels cannot ask for 65,536 characters each.
_LABEL_WIDTH_FACTOR = 8


def _too_wide(dtype: np.dtype) -> bool:
    return dtype.kind == "U" and dtype.itemsize > 4 * _MAX_LABEL_CHARS


def _classes_problem(classes: np.ndarray, n_out: int) -> str | None:
    """Why ``classes`` cannot label a network with ``n_out`` outputs, or None if it can.

    One sigmoid output tells exactly two classes apart, ``n_out`` outputs exactly ``n_out``
    (``tasks.classes_for_outputs``): an output without a class would make ``predict`` fail.
    """
    if classes.ndim != 1:
        return f"must be 1-D, got shape {classes.shape}"
    try:
        check_labels(classes, "labels")
    except (TypeError, ValueError) as error:
        return f"must be class labels: {_reason(error)}"
    if len(np.unique(classes)) != len(classes):
        return f"must be distinct, got {_brief(classes.tolist())}"
    problem = _count_problem(len(classes), n_out)
    if problem is None and classes.dtype.kind == "U":
        problem = _width_problem(len(classes), classes.dtype, sum(map(len, classes.tolist())))
    return problem


def _count_problem(n_classes: int, n_out: int) -> str | None:
    """Why ``n_classes`` labels cannot name the outputs of a network with ``n_out`` outputs:
    one sigmoid output tells exactly two classes apart, ``n_out`` outputs exactly ``n_out``
    (``tasks.classes_for_outputs``)."""
    wanted = classes_for_outputs(n_out)
    if n_classes != wanted:
        return (
            f"has {n_classes} label(s), but a network with {n_out} output(s) tells "
            f"exactly {wanted} classes apart"
        )
    return None


def _width_problem(n_labels: int, dtype: np.dtype, n_chars: int) -> str | None:
    """Why ``n_labels`` strings of ``n_chars`` characters in all are too few for an array of
    the fixed-width string ``dtype`` (``_LABEL_WIDTH_FACTOR``), or None."""
    width = dtype.itemsize // 4
    if n_labels * width > _LABEL_WIDTH_FACTOR * n_chars + _MAX_LABEL_CHARS:
        return (
            f"holds {n_labels} labels of {n_chars} characters in all, but its dtype "
            f"{dtype.str} makes each {width} characters wide: an array of more than "
            f"{_LABEL_WIDTH_FACTOR} times their characters (plus {_MAX_LABEL_CHARS}); use a "
            "dtype as wide as the longest label"
        )
    return None


def _feature_names_problem(names, n_in: int) -> str | None:
    """Why ``names`` cannot name the inputs of a network with ``n_in`` inputs, or None."""
    if (
        not isinstance(names, Sequence)
        or isinstance(names, str)
        or not all(isinstance(name, str) for name in names)
    ):
        return f"must be a list of strings, got {_brief(_jsonable(names))}"
    if len(names) != n_in:
        return f"must hold {n_in} names, one per input, got {len(names)}: {_brief(list(names))}"
    if len(set(names)) != len(names):
        return f"must be distinct, got {_brief(list(names))}"
    return None


_GRAD_NORM = "grad_norm."


def _history_problem(data, n_layers: int) -> str | None:
    """Why ``data`` is not the ``History.to_dict()`` of a network of ``n_layers`` layers, or None.

    Every value is a number that a float holds (not an integer of 400 digits; NaN and infinities
    are kept, as training may record them), every ``grad_norm.<i>`` names a layer and
    ``best_epoch`` is an epoch that was recorded.
    """
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict) or not all(isinstance(v, list) for v in metrics.values()):
        return (
            "must be a JSON object with 'metrics' (name -> list of numbers) and 'best_epoch' "
            f"(an integer or null), got {_brief(data)}"
        )
    layer_names = {f"{_GRAD_NORM}{index}" for index in range(n_layers)}
    for name, values in metrics.items():
        if not all(map(_float_number, values)):
            return f"metric {_brief(name)} must be a list of numbers a float holds, got " + _brief(
                values
            )
        if name.startswith(_GRAD_NORM) and name not in layer_names:
            return f"metric {_brief(name)} names no layer (the network has {n_layers})"
    n_epochs = max(map(len, metrics.values()), default=0)
    best_epoch = data.get("best_epoch")
    if best_epoch is not None and not (type(best_epoch) is int and 0 <= best_epoch < n_epochs):
        return (
            f"'best_epoch' (an integer or null) must be one of the {n_epochs} recorded epochs, "
            f"got {_brief(best_epoch)}"
        )
    return None


def _float_number(value) -> bool:
    """Whether a JSON value is a number that a Python float holds (NaN and infinities too)."""
    if isinstance(value, float):
        return True
    if type(value) is not int:
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True
