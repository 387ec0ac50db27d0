"""What a network is trained for: the task, the output layer and loss, targets, the split.

The one place for these rules: ``fit``, ``evaluate``, the command line and the estimators call
them and keep none of their own.

- ``infer_task``: are the targets class labels ("classification") or numbers ("regression")?
- ``output_spec``: the output layer and loss for a task (sigmoid unit and binary cross-entropy
  for two classes, softmax and cross-entropy for more, identity and mse for numbers).
- ``default_loss``: the loss a network trains or is scored with when none is named.
- ``encode_targets``: class labels to the output layer's targets (``network.classes`` keeps
  the user's labels, so ``predict`` answers in them), one per sample or, for a sequence
  output, one per position.
- ``stratified_split``: held-out validation rows, each class split alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet import losses
from glassnet._checks import fraction as check_fraction
from glassnet._checks import one_of
from glassnet.network import class_indices
from glassnet.preprocessing import LabelEncoder, check_labels, label_array, one_hot

TASKS = ("classification", "regression")

#: Integer-valued targets with at most this many distinct values are class labels, when no
#: task and no loss say otherwise; with more they are counts or amounts (a regression).
MAX_CLASSES = 20

_CROSS_ENTROPIES = ("cross_entropy", "binary_cross_entropy")
_LARGEST_EXACT_INTEGER = 2.0**53  # every integer up to this is exact in float64 and int64


@dataclass(frozen=True)
class OutputSpec:
    """The output layer and the loss for a task: ``Dense(n_hidden, n_out, activation)``."""

    n_out: int  # units of the output layer
    activation: str  # its activation: "sigmoid", "softmax" or "identity"
    loss: str  # the loss to train it with


def infer_task(y, task: str | None = None, loss=None) -> str:
    """Return ``"classification"`` when ``y`` holds class labels, ``"regression"`` for numbers.

    ``y`` is ``(n_samples,)`` or ``(n_samples, n_targets)``. The rule, first match wins:

    1. an explicit ``task`` wins; a regression needs numbers, a classification one label per
       sample;
    2. several target columns are numbers to predict (a regression, one output each);
    3. text, booleans and other objects are labels;
    4. fractions and non-finite numbers are a regression;
    5. integer-valued numbers are labels for a cross-entropy ``loss`` and numbers for any other
       ``loss``; without a loss they are labels when they take 2 to ``MAX_CLASSES`` distinct
       values (0/1, ratings 1-5, digits), else a regression (a constant, counts, years).
    """
    y = _targets(y)
    if task is not None:
        task = one_of(task, "task", TASKS)
        if task == "regression" and _is_text(y):
            first = y.ravel()[:1].tolist()[0]
            raise ValueError(
                f"task 'regression' needs numbers, got labels such as {first!r} "
                f"(dtype {y.dtype}); the task for labels is 'classification'"
            )
        if task == "classification" and not _label_shaped(y):
            raise ValueError(
                f"task 'classification' takes one label per sample, got targets of shape {y.shape}"
            )
        return task
    if not _label_shaped(y):
        return "regression"
    if _is_text(y):
        return "classification"
    if not _integer_valued(y):
        return "regression"
    if loss is not None:
        return "classification" if _loss_name(loss) in _CROSS_ENTROPIES else "regression"
    return "classification" if 2 <= len(np.unique(y)) <= MAX_CLASSES else "regression"


def output_spec(task: str, n_targets_or_classes: int, loss: str | None = None) -> OutputSpec:
    """The output layer and loss for ``task``: ``n_targets_or_classes`` is the number of
    classes of a classification or of target columns of a regression.

    - two classes: one sigmoid unit, ``binary_cross_entropy`` (the unit is P(second class));
    - k > 2 classes, or ``cross_entropy`` asked for: k softmax units, ``cross_entropy``;
    - a regression: one identity unit per target, ``mse``.

    A ``loss`` asked for replaces the default when it suits the task: cross-entropies need
    classes, and ``binary_cross_entropy`` exactly two (mse on classes trains on their index, or
    one-hot rows, as the tutorial trains its classifier).
    """
    task = one_of(task, "task", TASKS)
    count = n_targets_or_classes
    if task == "regression":
        if loss in _CROSS_ENTROPIES:
            raise ValueError(
                f"{loss} needs class labels, but the task is a regression (numbers to predict); "
                "use mse, or the task 'classification' for whole-number labels"
            )
        return OutputSpec(count, "identity", loss or "mse")
    if count < 2:
        plural = "" if count == 1 else "es"
        raise ValueError(f"a classifier needs at least two classes, got {count} class{plural}")
    if loss is None:
        loss = "binary_cross_entropy" if count == 2 else "cross_entropy"
    if loss == "binary_cross_entropy" and count != 2:
        raise ValueError(
            f"binary_cross_entropy tells 2 classes apart, got {count}; use cross_entropy"
        )
    if loss == "cross_entropy" or count > 2:
        return OutputSpec(count, "softmax", loss)
    return OutputSpec(1, "sigmoid", loss)


def default_loss(network, task: str | None = None) -> str:
    """The loss for ``network`` when none is named: ``cross_entropy`` for a softmax output,
    ``binary_cross_entropy`` for one sigmoid unit that tells classes apart, else ``mse``.

    ``task`` says what the network is trained for; None means what it was trained for: a
    classification when it has ``classes``.
    """
    output = network.output_layer
    if output.activation.name == "softmax":
        return "cross_entropy"
    if task is None:
        task = "classification" if network.classes is not None else "regression"
    if task == "classification" and network.n_out == 1 and output.activation.name == "sigmoid":
        return "binary_cross_entropy"
    return "mse"


def scoring_loss(network):
    """The loss a trained (or loaded) network is scored with: the one it was trained with
    when known, else ``default_loss``."""
    return network.loss if network.loss is not None else default_loss(network)


def task_and_loss(network, Y, loss=None, task: str | None = None):
    """``(task, loss)`` for training ``network`` on targets ``Y``; ``loss`` and ``task`` are
    the caller's (None to infer).

    Without a loss, the output layer says what the network is for: a softmax tells classes
    apart (one label per sample, of any kind), one sigmoid unit tells two apart when ``Y``
    holds labels (``infer_task``), any other output predicts numbers unless ``Y`` is text. The
    loss is then ``default_loss`` for the task.
    """
    Y = _targets(Y)
    per_position = _labels_per_position(network, Y)
    labels = Y.reshape(-1) if per_position else Y  # a sequence's labels, position by position
    if task is None and loss is None:
        output = network.output_layer.activation.name
        if output == "softmax" and (_label_shaped(Y) or per_position):
            task = "classification"
        elif output == "sigmoid" and network.n_out == 1:
            task = infer_task(labels)  # a yes/no unit or a value in (0, 1): the targets tell
        else:
            task = infer_task(labels, loss="mse")
    else:
        task = infer_task(labels, task, loss)
    return task, loss if loss is not None else default_loss(network, task)


def classes_for_outputs(n_out: int) -> int:
    """How many classes an output layer of ``n_out`` units tells apart: 2 for one (sigmoid)
    unit, ``n_out`` for more (one unit per class)."""
    return 2 if n_out == 1 else n_out


def encode_targets(network, Y, loss, n_samples: int, refit: bool = True, task=None, classes=None):
    """Return the targets ``fit`` trains on: ``(n_samples, n_out)`` in the network's dtype.

    For a classification, ``Y (n_samples,)`` holds labels (any values, text too). With
    ``refit`` the labels found become ``network.classes`` (sorted); their number must match the
    output layer (``classes_for_outputs``), so every output stands for a class and ``predict``
    always answers with one. Label ``classes[i]`` becomes index ``i``: a one-hot row for a
    softmax (or any several outputs), the number ``i`` for one unit (0 or 1). Without ``refit``
    the network's classes are kept and an unknown label raises. ``classes`` names every label
    there is, for data that may lack some (one chunk of a stream): with ``refit`` they, rather
    than the labels found, become ``network.classes``.

    ``task`` defaults to a classification when the network has classes and ``Y`` one column,
    else a regression, whose targets are checked and returned as they are (and, with
    ``refit``, the network's classes forgotten).

    A network with a sequence output ``(T, n_out)`` takes one label per position,
    ``Y (n_samples, T)``, all encoded with one set of classes.
    """
    Y = _targets(Y)
    per_position = _labels_per_position(network, Y)
    if task is None:
        has_labels = network.classes is not None and (_label_shaped(Y) or per_position)
        task = "classification" if has_labels else "regression"
    if task == "regression":
        if refit:
            network.classes = None  # a network refitted on numbers answers in numbers
        return network.check_targets(Y, loss, n_samples)
    labels = Y.reshape(-1) if _label_shaped(Y) or per_position else Y
    if labels.ndim != 1:
        raise ValueError(f"Y must hold one label per sample, got shape {Y.shape}")
    if len(Y) != n_samples or (not per_position and len(labels) != n_samples):
        raise ValueError(f"Y must have {n_samples} rows, one per sample of X, got {len(Y)}")
    if refit or network.classes is None:
        classes = LabelEncoder().fit(labels if classes is None else classes).classes
        wanted = classes_for_outputs(network.n_out)
        if len(classes) < 2:
            raise ValueError(
                f"Y has a single class ({classes[0].item()!r}); a classifier needs at least two"
            )
        if len(classes) != wanted:
            raise ValueError(
                f"Y has {len(classes)} classes but the network's output can tell {wanted} apart "
                f"({network.n_out} unit{'s' if network.n_out > 1 else ''}): give the last "
                f"layer {_units_for(len(classes))}"
            )
        network.classes = classes
    indices = LabelEncoder(network.classes).transform(labels)
    if per_position:
        indices = indices.reshape(Y.shape)
    if isinstance(losses.get(loss), losses.CrossEntropy):
        targets = indices  # the loss checks and one-hot encodes class indices itself
    elif network.n_out > 1:
        targets = one_hot(indices.reshape(-1), network.n_out).reshape(*indices.shape, -1)
    else:
        targets = indices.astype(np.float64)
    return network.check_targets(targets, loss, n_samples)


def stratified_split(n_samples: int, fraction: float, rng, labels=None):
    """Row indices ``(training, validation)``, each sorted: ``fraction`` of the rows held out,
    drawn with the generator ``rng``.

    With ``labels (n_samples,)`` each class is split alike (``round(fraction * n_class)``
    rows) and keeps at least one training row, so the model learns every class and the
    validation rows have the data's mix; without, the rows are drawn from all alike.
    """
    fraction = check_fraction(fraction, "fraction")
    if labels is None:
        groups = [np.arange(n_samples)]
    else:
        labels = np.asarray(labels)
        if labels.shape != (n_samples,):
            raise ValueError(f"labels must have shape ({n_samples},), got {labels.shape}")
        groups = [np.flatnonzero(labels == label) for label in np.unique(labels)]
    held_out = []
    for rows in groups:
        n_held_out = min(round(fraction * len(rows)), len(rows) - 1)
        held_out.append(rng.permutation(rows)[:n_held_out])
    validation = np.sort(np.concatenate(held_out)).astype(np.intp)
    return np.setdiff1d(np.arange(n_samples), validation), validation


def split_validation(network, X, Y, fraction: float, rng, sample_weight=None):
    """``(X_train, Y_train, weights_train, (X_val, Y_val))`` for
    ``fit(validation_split=fraction)``: encoded targets ``Y``, stratified by class for a
    classifier; both parts must get a row. ``sample_weight`` (or None) goes with the training
    rows."""
    one_label_each = network.classes is not None and not network.output_shape[:-1]
    labels = class_indices(Y) if one_label_each else None
    train, validation = stratified_split(len(X), fraction, rng, labels)
    if len(validation) == 0 or len(train) == 0:
        raise ValueError(
            f"validation_split={fraction} leaves {len(validation)} of {len(X)} samples for "
            "validation; both parts need at least one"
        )
    train_weights = None if sample_weight is None else sample_weight[train]
    return X[train], Y[train], train_weights, (X[validation], Y[validation])


def as_class_labels(y, name: str = "labels") -> np.ndarray:
    """Labels as the user wrote them, from a column read as numbers or text: integer-valued
    floats (as a CSV reader gives them) become int64 when every one is exact in both, so a
    class reads ``1`` rather than ``1.0``; other numbers are kept; text is checked as labels
    (``preprocessing.check_labels``, messages naming ``name``)."""
    y = _targets(y)
    if _is_text(y):
        return check_labels(y, name)
    if y.dtype.kind == "f" and _integer_valued(y) and np.all(np.abs(y) <= _LARGEST_EXACT_INTEGER):
        return y.astype(np.int64)
    return y


# -- helpers ---------------------------------------------------------------------------------------


def _targets(y) -> np.ndarray:
    y = label_array(y)
    if y.dtype.kind == "c":
        raise TypeError(
            f"Y must hold real numbers or labels, got complex values such as {y.flat[0]}"
        )
    if y.ndim == 0 or y.size == 0:
        raise ValueError(f"Y must be a non-empty 1-D or 2-D array, got shape {y.shape}")
    return y


def _label_shaped(y: np.ndarray) -> bool:
    # Targets of several axes per sample are values to predict, unless they are a sequence
    # output's labels, one per position (_labels_per_position).
    return y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)


def _labels_per_position(network, y: np.ndarray) -> bool:
    """Whether ``y (n_samples, T)`` holds one label per position of the network's sequence
    output ``(T, n_out)``."""
    positions = network.output_shape[:-1]
    return bool(positions) and y.shape[1:] == positions


def _is_text(y: np.ndarray) -> bool:
    return y.dtype.kind not in "iuf"


def _integer_valued(y: np.ndarray) -> bool:
    if y.dtype.kind in "iu":
        return True
    return bool(np.isfinite(y).all() and np.all(y == np.round(y)))


def _loss_name(loss) -> str:
    return loss if isinstance(loss, str) else losses.get(loss).name


def _units_for(n_classes: int) -> str:
    if n_classes == 2:
        return "1 unit (sigmoid) or 2 (softmax)"
    return f"{n_classes} units (softmax)"
