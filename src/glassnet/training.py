"""The training loop: ``fit`` turns data into a trained network and a ``History``.

It reads top to bottom. Setup: encode labels, standardise inputs, split off validation data,
prepare targets and the optimizer. Then for every epoch:

1. set the learning rate from the schedule;
2. shuffle the sample order (from the seed);
3. for every batch: gather it, forward, loss and output residual, backward, regularise, clip,
   update the parameters in place, record;
4. check that the weights are still finite;
5. evaluate the validation data;
6. record the epoch in the history and let the callbacks act (early stopping, progress).

The tutorial's three modes of gradient descent are batch sizes: stochastic (``batch_size=1``),
mini-batch (``batch_size=32``) and full-batch (``batch_size=None``).
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import losses, optimizers, schedules
from glassnet._checks import (
    fraction,
    non_negative_float,
    numeric_array,
    positive_float,
    positive_int,
)
from glassnet.callbacks import EpochLogger, History, ProgressBar
from glassnet.metrics import r2_from_sums, total_sum_of_squares
from glassnet.network import class_indices
from glassnet.preprocessing import LabelEncoder, Standardizer


class TrainingDiverged(ArithmeticError):
    """Raised when the loss or the weights stop being finite numbers."""


class Trainer:
    """The state of one ``fit`` call, as callbacks see it: ``network``, ``optimizer``,
    ``history``, ``epochs``, ``n_batches``; ``stop_training = True`` ends training."""

    def __init__(self, network, optimizer, loss, history, epochs, n_batches, regularization):
        self.network = network
        self.optimizer = optimizer
        self.loss = loss
        self.history = history
        self.epochs = epochs
        self.n_batches = n_batches
        self.weight_decay, self.l1, self.clip_norm = regularization
        self.stop_training = False
        self.grads = network.gradients()  # the same arrays every step, refilled in place
        self.weight_layers = [i for i, layer in enumerate(network.layers) if "W" in layer.grads]
        # Gradient norms are sampled on at most ~32 batches an epoch: enough for the history,
        # and nearly free for the training step.
        self.norm_stride = max(1, n_batches // 32)

    def step(self, xb: np.ndarray, yb: np.ndarray, epoch: int, batch: int) -> float:
        """One update from a batch: forward, loss and residual, backward, penalties, clipping,
        optimizer step. Returns the batch's loss."""
        network, output = self.network, self.network.output_layer
        network.forward(xb, training=True)
        batch_loss, delta = self.loss.residual(yb, output.z, output.a, output.activation)
        if not math.isfinite(batch_loss):
            raise TrainingDiverged(
                f"training diverged at epoch {epoch} (batch {batch}): the loss is {batch_loss}; "
                f"the learning rate {self.optimizer.learning_rate:g} is probably too high"
            )
        network.backward(delta)
        if self.weight_decay or self.l1:
            network.add_penalty_gradients(self.weight_decay, self.l1)
        if batch % self.norm_stride == 0:
            for position, index in enumerate(self.weight_layers):
                norm = np.linalg.norm(network.layers[index].grads["W"])
                self.grad_square_sums[position] += norm * norm
        if self.clip_norm is not None:
            optimizers.clip_by_global_norm(self.grads, self.clip_norm)
        self.optimizer.step(self.grads)
        return batch_loss

    def start_epoch(self) -> None:
        """Reset the per-epoch sums of gradient norms."""
        self.grad_square_sums = np.zeros(len(self.weight_layers))

    def gradient_norms(self) -> dict[str, float]:
        """The epoch's root-mean-square weight-gradient norm of each layer."""
        n_sampled = math.ceil(self.n_batches / self.norm_stride)
        return {
            f"grad_norm.{index}": math.sqrt(self.grad_square_sums[position] / n_sampled)
            for position, index in enumerate(self.weight_layers)
        }

    def check_weights(self, epoch: int) -> None:
        """Raise ``TrainingDiverged`` if any parameter stopped being finite."""
        for param in self.network.parameters():
            if not np.isfinite(param).all():
                raise TrainingDiverged(
                    f"training diverged at epoch {epoch}: the weights are no longer finite; "
                    f"the learning rate {self.optimizer.learning_rate:g} is probably too high"
                )


def fit(
    network,
    X,
    Y,
    *,
    loss=None,
    optimizer="sgd",
    learning_rate: float | None = None,
    epochs: int = 100,
    batch_size: int | None = 32,
    weight_decay: float = 0.0,
    l1: float = 0.0,
    clip_norm: float | None = None,
    schedule=None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_data=None,
    validation_split: float = 0.0,
    metrics="auto",
    standardize: bool = False,
    callbacks=(),
    verbose: bool = False,
    print_every: int | None = None,
) -> History:
    """Train ``network`` on ``X (n_samples, n_in)`` and targets ``Y``; return a ``History``.

    Args:
        Y: ``(n_samples, n_out)`` values, or ``(n_samples,)`` class labels (any values, strings
            too) for a cross-entropy loss; labels are encoded and ``network.classes`` set, so
            ``predict`` answers in the same labels.
        loss: name or ``Loss``; default ``cross_entropy`` for a softmax output, else the
            tutorial's ``mse``.
        optimizer, learning_rate: name (with an optional learning rate) or ``Optimizer``.
        epochs: passes over the training data.
        batch_size: samples per update; ``1`` is the tutorial's stochastic gradient descent,
            ``None`` full-batch gradient descent.
        weight_decay: the tutorial's L2 term λ: J gains ``λ/2 sum ||W||^2``, dJ/dW gains ``λW``.
        l1: J gains ``l1 sum |W|``, dJ/dW gains ``l1 sign(W)``. Biases are never penalised.
        clip_norm: rescale the gradients so their global norm is at most this.
        schedule: a learning-rate schedule (name, config or ``Schedule``), set every epoch.
        shuffle, seed: reshuffle the samples every epoch, from ``seed`` (default: the network's
            seed), so the same seeds repeat a run bit for bit.
        validation_data: ``(X_val, Y_val)`` evaluated after every epoch; or
        validation_split: the fraction of samples (drawn with the seed) held out for it.
        metrics: ``"auto"`` (accuracy for classifiers, MAE and R² otherwise), a list of names
            among ``"accuracy"``, ``"mae"``, ``"r2"``, or ``()`` for the loss alone.
        standardize: learn the inputs' mean and scale and keep them with the network.
        callbacks: ``Callback`` objects, e.g. ``EarlyStopping(patience=5)``.
        verbose: draw a progress bar (on an interactive terminal).
        print_every: print the tutorial's ``Epoch 10 loss: 0.123`` every this many epochs.
    """
    # -- setup: validate, encode, split ---------------------------------------------------------
    epochs = positive_int(epochs, "epochs")
    weight_decay = non_negative_float(weight_decay, "weight_decay")
    l1 = non_negative_float(l1, "l1")
    if clip_norm is not None:
        clip_norm = positive_float(clip_norm, "clip_norm")
    validation_split = fraction(validation_split, "validation_split")
    loss = losses.get(loss if loss is not None else _default_loss(network))
    optimizer = optimizers.get(optimizer, learning_rate)
    schedule = schedules.get(schedule) if schedule is not None else None
    seed = network.seed if seed is None else seed
    rng = np.random.default_rng(seed)

    X = network.check_inputs(X)
    Y = _encode_targets(network, Y, loss, len(X))
    if standardize:
        network.scaler = Standardizer().fit(X)
    X = network.scale_inputs(X)
    if validation_data is not None and validation_split:
        raise ValueError("give validation_data or validation_split, not both")
    if validation_split:
        X, Y, validation_data = _split(X, Y, validation_split, rng)
    elif validation_data is not None:
        validation_data = _validation_arrays(network, validation_data, loss)
    n_samples = len(X)
    batch_size = (
        n_samples if batch_size is None else min(positive_int(batch_size, "batch_size"), n_samples)
    )
    metric_names = _metric_names(metrics, network)
    ss_total = total_sum_of_squares(Y) if "r2" in metric_names else None

    optimizer.bind(network.parameters())
    network.loss, network.optimizer = loss, optimizer
    initial_lr = optimizer.learning_rate
    output = network.output_layer
    n_batches = math.ceil(n_samples / batch_size)
    history = History()
    trainer = Trainer(
        network, optimizer, loss, history, epochs, n_batches, (weight_decay, l1, clip_norm)
    )
    callbacks = list(callbacks)
    if verbose:
        callbacks.append(ProgressBar())
    if print_every is not None:
        callbacks.append(EpochLogger(print_every))
    X_batch = np.empty((batch_size, X.shape[1]), dtype=network.dtype)
    Y_batch = np.empty((batch_size, Y.shape[1]), dtype=network.dtype)
    order = np.arange(n_samples)

    for callback in callbacks:
        callback.on_train_begin(trainer)
    # Overflow shows up as a non-finite loss or weight, which stops training with a clear
    # error, so NumPy's own warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            for callback in callbacks:
                callback.on_epoch_begin(trainer, epoch)
            # 1. learning rate for this epoch
            if schedule is not None:
                optimizer.learning_rate = schedule(epoch, initial_lr, history.last())
            # 2. shuffle
            if shuffle:
                rng.shuffle(order)
            # 3. every batch: gather it (no copy of the whole dataset), update, record
            trainer.start_epoch()
            totals = dict.fromkeys(("loss", "correct", "abs_error", "sq_error"), 0.0)
            for batch, start in enumerate(range(0, n_samples, batch_size)):
                if shuffle:
                    indices = order[start : start + batch_size]
                    # mode="clip" skips a bounds check that makes take with out= slow
                    xb = X.take(indices, axis=0, out=X_batch[: len(indices)], mode="clip")
                    yb = Y.take(indices, axis=0, out=Y_batch[: len(indices)], mode="clip")
                else:
                    xb, yb = X[start : start + batch_size], Y[start : start + batch_size]
                batch_loss = trainer.step(xb, yb, epoch, batch)
                totals["loss"] += batch_loss * len(xb)
                if metric_names:
                    _accumulate(totals, metric_names, output.a, yb)
                for callback in callbacks:
                    callback.on_batch_end(trainer, batch, batch_loss)
            # 4. guard against non-finite weights
            trainer.check_weights(epoch)
            logs = {"loss": totals["loss"] / n_samples + network.penalty(weight_decay, l1)}
            logs.update(_train_metrics(totals, metric_names, n_samples, Y.shape[1], ss_total))
            # 5. validation
            if validation_data is not None:
                logs.update(_evaluate(network, *validation_data, loss, metric_names, prefix="val_"))
            # 6. record and call back
            logs["learning_rate"] = optimizer.learning_rate
            logs.update(trainer.gradient_norms())
            history.record(logs)
            for callback in callbacks:
                callback.on_epoch_end(trainer, epoch, logs)
            if trainer.stop_training:
                break
    for callback in callbacks:
        callback.on_train_end(trainer)
    network.history = history
    return history


def evaluate(network, X, Y, loss=None, metrics="auto") -> dict[str, float]:
    """Loss and metrics of ``network`` on ``(X, Y)``, applying its scaler and label encoding.

    The loss defaults to the one the network was trained with (``network.loss``), else to
    ``fit``'s default for its output.
    """
    if loss is None:
        loss = network.loss if network.loss is not None else _default_loss(network)
    loss = losses.get(loss)
    X = network.scale_inputs(network.check_inputs(X))
    Y = _encode_targets(network, Y, loss, len(X), refit=False)
    return _evaluate(network, X, Y, loss, _metric_names(metrics, network))


def apply_gradients(network, grads, optimizer):
    """One optimizer step from gradients computed elsewhere; returns the (bound) optimizer.

    The seam of data-parallel training: each worker takes ``(J, grads)`` from
    ``network.loss_and_gradients`` on its shard, the workers average ``grads`` (weighted by
    shard size, so the mean is the full batch's), and each calls this with the average. An
    ``Optimizer`` keeps its state across calls (Adam's moments, momentum): pass the instance this
    returns to the next call. A name (``"sgd"``) starts a fresh optimizer.

    Args:
        grads: ``grads[l]`` a dict for layer l with the keys and shapes of
            ``network.layers[l].params`` (``{"W": dJ/dW, "b": dJ/db}``; ``{}`` for a layer
            without parameters). They are copied, never changed.
        optimizer: name, config or ``Optimizer``, e.g. ``glassnet.optimizers.Adam(0.01)``.
    """
    layers = network.layers
    if not isinstance(grads, (list, tuple)) or len(grads) != len(layers):
        raise ValueError(
            f"grads must be a list of {len(layers)} dicts, one per layer, got {grads!r:.80}"
        )
    flat = []
    for index, (layer, layer_grads) in enumerate(zip(layers, grads, strict=True)):
        if not isinstance(layer_grads, dict) or set(layer_grads) != set(layer.params):
            raise ValueError(
                f"grads[{index}] must be a dict with the keys {sorted(layer.params)}, "
                f"got {layer_grads!r:.80}"
            )
        for key, param in layer.params.items():
            grad = numeric_array(layer_grads[key], f"grads[{index}][{key!r}]")
            if grad.shape != param.shape:
                raise ValueError(
                    f"grads[{index}][{key!r}] must have shape {param.shape}, got {grad.shape}"
                )
            flat.append(np.array(grad, dtype=network.dtype, order="K"))  # the step's scratch
    optimizer = optimizers.get(optimizer)
    optimizer.bind(network.parameters())
    optimizer.step(flat)
    return optimizer


# -- helpers ---------------------------------------------------------------------------------------


def _default_loss(network) -> str:
    return "cross_entropy" if network.output_layer.activation.name == "softmax" else "mse"


def _encode_targets(network, Y, loss, n_samples, refit=True) -> np.ndarray:
    """Encode class labels (for cross-entropies) and return targets shaped for ``loss``."""
    Y = np.asarray(Y)
    is_labels = isinstance(loss, (losses.CrossEntropy, losses.BinaryCrossEntropy)) and (
        Y.ndim == 1 or (Y.ndim == 2 and Y.shape[1] == 1 and network.n_out > 1)
    )
    if is_labels:
        if len(Y) != n_samples:
            raise ValueError(f"Y must have {n_samples} rows, one per sample of X, got {len(Y)}")
        if refit or network.classes is None:
            encoder = LabelEncoder().fit(Y)
            n_classes = len(encoder.classes)
            wanted = 2 if network.n_out == 1 else network.n_out
            if n_classes < 2:
                raise ValueError(
                    f"Y has a single class ({encoder.classes[0].item()!r}); "
                    "a classifier needs at least two"
                )
            if n_classes > wanted:
                raise ValueError(
                    f"Y has {n_classes} classes but the network's output can tell {wanted} apart: "
                    f"give the last layer {n_classes} units"
                )
            network.classes = encoder.classes
        Y = LabelEncoder(network.classes).transform(Y)
    return network.check_targets(Y, loss, n_samples)


def _validation_arrays(network, validation_data, loss):
    try:
        X_val, Y_val = validation_data
    except (TypeError, ValueError):
        raise ValueError("validation_data must be a pair (X_val, Y_val)") from None
    X_val = network.scale_inputs(network.check_inputs(X_val, "X_val"))
    return X_val, _encode_targets(network, Y_val, loss, len(X_val), refit=False)


def _split(X, Y, validation_split, rng):
    n_val = round(len(X) * validation_split)
    if n_val < 1 or n_val >= len(X):
        raise ValueError(
            f"validation_split={validation_split} leaves {n_val} of {len(X)} samples for "
            "validation; both parts need at least one"
        )
    order = rng.permutation(len(X))
    train, val = np.sort(order[n_val:]), np.sort(order[:n_val])
    return X[train], Y[train], (X[val], Y[val])


def _metric_names(metrics, network) -> tuple[str, ...]:
    if metrics == "auto":
        return ("accuracy",) if network.classes is not None else ("mae", "r2")
    names = tuple(metrics)
    for name in names:
        if name not in ("accuracy", "mae", "r2"):
            raise ValueError(f"unknown metric {name!r}; choose among 'accuracy', 'mae', 'r2'")
        if name == "accuracy" and network.classes is None:
            raise ValueError("the accuracy metric needs class labels (a classifier)")
    return names


def _accumulate(totals, metric_names, output, targets) -> None:
    if "accuracy" in metric_names:
        totals["correct"] += int(np.count_nonzero(class_indices(output) == class_indices(targets)))
    if "mae" in metric_names:
        totals["abs_error"] += float(np.abs(output - targets).sum())
    if "r2" in metric_names:
        diff = output - targets
        totals["sq_error"] += np.einsum("ij,ij->j", diff, diff, dtype=np.float64)


def _train_metrics(totals, metric_names, n_samples, n_outputs, ss_total) -> dict[str, float]:
    logs = {}
    if "accuracy" in metric_names:
        logs["accuracy"] = totals["correct"] / n_samples
    if "mae" in metric_names:
        logs["mae"] = totals["abs_error"] / (n_samples * n_outputs)
    if "r2" in metric_names:
        logs["r2"] = r2_from_sums(totals["sq_error"], ss_total)
    return logs


def _evaluate(network, X, Y, loss, metric_names, prefix="") -> dict[str, float]:
    output_layer = network.output_layer
    network.forward(X)
    value, _ = loss.residual(Y, output_layer.z, output_layer.a, output_layer.activation)
    totals = dict.fromkeys(("correct", "abs_error", "sq_error"), 0.0)
    _accumulate(totals, metric_names, output_layer.a, Y)
    logs = {"loss": value}
    ss_total = total_sum_of_squares(Y) if "r2" in metric_names else None
    logs.update(_train_metrics(totals, metric_names, len(X), Y.shape[1], ss_total))
    return {prefix + key: val for key, val in logs.items()}
