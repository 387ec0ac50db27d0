"""The training loop: ``fit`` turns data into a trained network and a ``History``.

It reads top to bottom. Setup: encode labels, standardise inputs, split off validation data,
prepare targets and the optimizer. Then for every epoch:

1. set the learning rate from the optimizer's schedule;
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
from contextlib import closing
from dataclasses import dataclass

import numpy as np

from glassnet import losses, optimizers, parallel, schedules, tasks, threads
from glassnet._checks import (
    fraction,
    non_negative_float,
    non_negative_int,
    numeric_array,
    positive_float,
    positive_int,
)
from glassnet.callbacks import EpochLogger, History, ProgressBar
from glassnet.metrics import r2_from_sums, total_sum_of_squares
from glassnet.network import check_sample_weight, class_indices
from glassnet.ops import gather_rows
from glassnet.preprocessing import Standardizer


class TrainingDiverged(ArithmeticError):
    """Raised when the loss or the weights stop being finite numbers."""


@dataclass(frozen=True)
class TrainingState:
    """Where a run stands after ``epoch`` epochs: enough, with the optimizer's state and the
    layers' random generators, for ``fit(..., initial_epoch=epoch)`` to continue it exactly.

    ``shuffle`` is the state of the generator that orders the samples (``bit_generator.state``).
    """

    epoch: int
    shuffle: dict

    def to_dict(self) -> dict:
        return {"epoch": self.epoch, "shuffle": self.shuffle}

    @classmethod
    def from_dict(cls, data) -> TrainingState:
        """Rebuild from ``to_dict()`` output, checking every field."""
        if not isinstance(data, dict) or set(data) != {"epoch", "shuffle"}:
            raise ValueError(f"a training state must be a dict of epoch and shuffle, got {data!r}")
        epoch = non_negative_int(data["epoch"], "epoch")
        generator = np.random.default_rng()
        try:
            generator.bit_generator.state = data["shuffle"]
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise ValueError(f"invalid shuffle generator state: {error}") from None
        return cls(epoch, generator.bit_generator.state)


class Trainer:
    """The state of one ``fit`` call, as callbacks see it: ``network``, ``optimizer``,
    ``history``, ``epochs``, ``n_batches``; ``stop_training = True`` ends training, and
    ``stop_reason`` says why (the progress display prints it)."""

    def __init__(
        self, network, optimizer, loss, history, epochs, n_batches, regularization, n_shards=1
    ):
        self.network = network
        self.optimizer = optimizer
        self.loss = loss
        self.history = history
        self.epochs = epochs
        self.n_batches = n_batches
        self.weight_decay, self.l1, self.clip_norm = regularization
        self.stop_training = False
        self.stop_reason: str | None = None
        self.grads = network.gradients()  # the same arrays every step, refilled in place
        self.weight_grads = [
            grad for layer in network.layers for _, grad in layer.decayed_parameters()
        ]
        self.weight_layers = [
            index for index, layer in enumerate(network.layers) for _ in layer.decayed_parameters()
        ]
        # Gradient norms are sampled on at most ~32 batches an epoch: enough for the history,
        # and nearly free for the training step.
        self.norm_stride = max(1, n_batches // 32)
        # Batches split across threads when that pays (glassnet.parallel); else one loss step.
        self.sharded = parallel.ShardedStep(network, n_shards) if n_shards > 1 else None

    def close(self) -> None:
        """Release the worker threads of a sharded step."""
        if self.sharded is not None:
            self.sharded.close()

    def outputs(self, yb):
        """``(a, y)`` pairs of the last step's output activations and their targets, covering
        the batch (one pair, or one per shard)."""
        if self.sharded is None:
            return [(self.network.output_layer.a, yb)]
        return [(a, yb[rows]) for a, rows in self.sharded.outputs]

    def step(self, xb, yb, wb, epoch: int, batch: int) -> float:
        """One update from a batch: the network's loss step (forward, loss and residual,
        backward, penalties), then clipping and the optimizer step. Returns the batch's data
        loss."""
        network = self.network
        if self.sharded is None:
            data_loss = network.loss_step(
                xb,
                yb,
                self.loss,
                weight_decay=self.weight_decay,
                l1=self.l1,
                training=True,
                sample_weight=wb,
            ).data_loss
        else:
            data_loss = self.sharded(xb, yb, self.loss, wb)
            network.add_penalty_gradients(self.weight_decay, self.l1)
        if not math.isfinite(data_loss):
            raise TrainingDiverged(
                f"training diverged at epoch {epoch} (batch {batch}): the loss is "
                f"{data_loss}; the learning rate {self.optimizer.learning_rate:g} is "
                "probably too high"
            )
        if batch % self.norm_stride == 0:
            for position, grad in enumerate(self.weight_grads):
                norm = np.linalg.norm(grad)
                self.grad_square_sums[position] += norm * norm
        if self.clip_norm is not None:
            optimizers.clip_by_global_norm(self.grads, self.clip_norm)
        self.optimizer.step(self.grads)
        return data_loss

    def start_epoch(self) -> None:
        """Reset the per-epoch sums of gradient norms."""
        self.grad_square_sums = np.zeros(len(self.weight_grads))

    def gradient_norms(self) -> dict[str, float]:
        """The epoch's root-mean-square weight-gradient norm of each layer (``grad_norm.<l>``;
        a layer with several weight arrays reports their combined norm)."""
        n_sampled = math.ceil(self.n_batches / self.norm_stride)
        square_sums: dict[int, float] = {}
        for position, index in enumerate(self.weight_layers):
            square_sums[index] = square_sums.get(index, 0.0) + self.grad_square_sums[position]
        return {
            f"grad_norm.{index}": math.sqrt(total / n_sampled)
            for index, total in square_sums.items()
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
    optimizer=None,
    learning_rate: float | None = None,
    epochs: int = 100,
    initial_epoch: int = 0,
    batch_size: int | None = 32,
    weight_decay: float = 0.0,
    l1: float = 0.0,
    clip_norm: float | None = None,
    schedule=None,
    shuffle: bool = True,
    seed: int | None = None,
    sample_weight=None,
    validation_data=None,
    validation_split: float = 0.0,
    metrics="auto",
    standardize: bool = False,
    callbacks=(),
    verbose: bool = False,
    print_every: int | None = None,
    task: str | None = None,
    classes=None,
) -> History:
    """Train ``network`` on ``X (n_samples, *input_shape)`` and targets ``Y``; return a ``History``.

    Args:
        Y: ``(n_samples, n_out)`` values, or ``(n_samples,)`` class labels (any values, strings
            too); labels are encoded and ``network.classes`` set, so ``predict`` answers in the
            same labels. Whether ``Y`` holds labels is ``glassnet.tasks.task_and_loss``'s rule.
        loss: name or ``Loss``; default ``cross_entropy`` for a softmax output,
            ``binary_cross_entropy`` for one sigmoid unit on class labels, else the tutorial's
            ``mse`` (``glassnet.tasks.default_loss``); when continuing a run: the run's loss.
        optimizer, learning_rate: name (with an optional learning rate) or ``Optimizer``;
            default ``"sgd"``, or the network's own optimizer when continuing a run. The same
            ``Optimizer`` object keeps its state (momentum, Adam's moments) from call to call.
        epochs: train until this many epochs have run in all.
        initial_epoch: continue a run that has done this many epochs: the schedule, the sample
            order and the History carry on from there (a model saved with
            ``include_optimizer=True`` and loaded again continues bit for bit).
        batch_size: samples per update; ``1`` is the tutorial's stochastic gradient descent,
            ``None`` full-batch gradient descent.
        weight_decay: the tutorial's L2 term λ: J gains ``λ/2 sum ||W||^2``, dJ/dW gains ``λW``.
        l1: J gains ``l1 sum |W|``, dJ/dW gains ``l1 sign(W)``. Biases are never penalised.
        clip_norm: rescale the gradients so their global norm is at most this.
        schedule: a learning-rate schedule (name, config or ``Schedule``) that the optimizer
            keeps and applies every epoch.
        shuffle, seed: reshuffle the samples every epoch, from ``seed`` (default: the network's
            seed), so the same seeds repeat a run bit for bit.
        sample_weight: ``(n_samples,)`` non-negative weights: the data loss becomes
            ``sum_i w_i J_i / sum_i w_i`` (metrics stay unweighted). For sequence outputs it
            may hold one weight per position, ``(n_samples, T)``: zeros at padded steps leave
            them out of the loss.
        validation_data: ``(X_val, Y_val)`` evaluated after every epoch; or
        validation_split: the fraction of samples (drawn with the seed) held out for it,
            each class alike for a classifier.
        metrics: ``"auto"`` (accuracy for classifiers, MAE and R² otherwise), a list of names
            among ``"accuracy"``, ``"mae"``, ``"r2"``, or ``()`` for the loss alone.
        standardize: learn the inputs' mean and scale and keep them with the network: per
            feature for feature rows, one mean and scale over all values for inputs of more than
            one axis (images), so pixels given as 0-255 or as 0-1 train alike.
        callbacks: ``Callback`` objects, e.g. ``EarlyStopping(patience=5)``.
        verbose: show progress on stderr: a bar on an interactive terminal, else a line every
            tenth of the epochs; either way, say when and why training stopped early.
        print_every: print the tutorial's ``Epoch 10 loss: 0.123`` every this many epochs.
        task: ``"classification"`` (``Y`` holds class labels) or ``"regression"`` (numbers);
            default: inferred from ``Y``, the loss and the output layer.
        classes: every label a classifier tells apart, when ``Y`` may lack some (a chunk of a
            stream); default: the labels found in ``Y``.

    The History records per epoch ``loss`` (the data loss, a mean over the samples),
    ``penalty`` (the regularisation term, when there is one; the objective is their sum),
    the metrics, ``val_`` versions of loss and metrics, ``learning_rate`` and ``grad_norm.<l>``.
    """
    # -- setup: validate, encode, split ---------------------------------------------------------
    epochs = positive_int(epochs, "epochs")
    initial_epoch = non_negative_int(initial_epoch, "initial_epoch")
    if initial_epoch >= epochs:
        raise ValueError(
            f"initial_epoch ({initial_epoch}) must be less than epochs ({epochs}), the total "
            "number of epochs the run should reach"
        )
    resuming = initial_epoch > 0
    weight_decay = non_negative_float(weight_decay, "weight_decay")
    l1 = non_negative_float(l1, "l1")
    if clip_norm is not None:
        clip_norm = positive_float(clip_norm, "clip_norm")
    validation_split = fraction(validation_split, "validation_split")
    if loss is None and resuming and network.loss is not None:
        loss = network.loss
    task, loss = tasks.task_and_loss(network, Y, loss, task)
    loss = losses.get(loss)
    if optimizer is None:
        optimizer = network.optimizer if resuming and network.optimizer is not None else "sgd"
    optimizer = optimizers.get(optimizer, learning_rate)
    if schedule is not None:
        optimizer.schedule = schedules.get(schedule)
    seed = network.seed if seed is None else seed
    rng = np.random.default_rng(seed)

    X = network.check_inputs(X)
    Y = tasks.encode_targets(network, Y, loss, len(X), task=task, classes=classes)
    weights = (
        None if sample_weight is None else check_sample_weight(sample_weight, len(X), network.dtype)
    )
    if standardize:
        pooled = len(network.input_shape) > 1
        network.scaler = Standardizer().fit(X.reshape(len(X), -1), pooled=pooled)
    X = network.scale_inputs(X)
    if validation_data is not None and validation_split:
        raise ValueError("give validation_data or validation_split, not both")
    if validation_split:
        X, Y, weights, validation_data = tasks.split_validation(
            network, X, Y, validation_split, rng, weights
        )
    elif validation_data is not None:
        validation_data = _validation_arrays(network, validation_data, loss)
    state = network.training_state
    if resuming and state is not None and state.epoch == initial_epoch:
        rng.bit_generator.state = state.shuffle
    n_samples = len(X)
    batch_size = (
        n_samples if batch_size is None else min(positive_int(batch_size, "batch_size"), n_samples)
    )
    metric_names = _metric_names(metrics, network)
    ss_total = total_sum_of_squares(Y.reshape(-1, Y.shape[-1])) if "r2" in metric_names else None
    total_weight = n_samples if weights is None else float(weights.sum())

    optimizer.bind(network.parameters())
    network.loss, network.optimizer = loss, optimizer
    n_batches = math.ceil(n_samples / batch_size)
    history = network.history if resuming and network.history is not None else History()
    callbacks = list(callbacks)
    if verbose:
        callbacks.append(ProgressBar())
    if print_every is not None:
        callbacks.append(EpochLogger(print_every))
    X_batch = np.empty((batch_size, *X.shape[1:]), dtype=network.dtype)
    Y_batch = np.empty((batch_size, *Y.shape[1:]), dtype=network.dtype)
    w_batch = None if weights is None else np.empty((batch_size, *weights.shape[1:]), network.dtype)
    n_shards = threads.training_shards(network, batch_size)
    trainer = Trainer(
        network,
        optimizer,
        loss,
        history,
        epochs,
        n_batches,
        (weight_decay, l1, clip_norm),
        n_shards,
    )

    # Overflow shows up as a non-finite loss or weight, which stops training with a clear
    # error, so NumPy's own warnings would only repeat it. The trainer's threads (if it splits
    # batches) end with the block, however it ends.
    with (
        closing(trainer),
        np.errstate(over="ignore", invalid="ignore"),
        threads.for_training(batch_size, n_shards),
    ):
        for callback in callbacks:
            callback.on_train_begin(trainer)
        for epoch in range(initial_epoch, epochs):
            for callback in callbacks:
                callback.on_epoch_begin(trainer, epoch)
            # 1. learning rate for this epoch, from the optimizer's schedule
            optimizer.start_epoch(epoch, history.last())
            # 2. shuffle: a fresh permutation, so the order depends on the generator alone
            if shuffle:
                order = rng.permutation(n_samples)
            # 3. every batch: gather it (no copy of the whole dataset), update, record
            trainer.start_epoch()
            totals = dict.fromkeys(("loss", "correct", "abs_error", "sq_error"), 0.0)
            for batch, start in enumerate(range(0, n_samples, batch_size)):
                if shuffle:
                    indices = order[start : start + batch_size]
                    xb, yb = gather_rows(X, indices, X_batch), gather_rows(Y, indices, Y_batch)
                    wb = None if weights is None else gather_rows(weights, indices, w_batch)
                else:
                    xb, yb = X[start : start + batch_size], Y[start : start + batch_size]
                    wb = None if weights is None else weights[start : start + batch_size]
                batch_loss = trainer.step(xb, yb, wb, epoch, batch)
                totals["loss"] += batch_loss * (len(xb) if wb is None else float(wb.sum()))
                if metric_names:
                    for outputs, targets in trainer.outputs(yb):
                        _accumulate(totals, metric_names, outputs, targets)
                for callback in callbacks:
                    callback.on_batch_end(trainer, batch, batch_loss)
            # 4. guard against non-finite weights
            trainer.check_weights(epoch)
            logs = {"loss": totals["loss"] / total_weight}
            if weight_decay or l1:
                logs["penalty"] = network.penalty(weight_decay, l1)
            logs.update(_train_metrics(totals, metric_names, n_samples, Y, ss_total))
            # 5. validation
            if validation_data is not None:
                logs.update(_evaluate(network, *validation_data, loss, metric_names, prefix="val_"))
            # 6. record and call back
            logs["learning_rate"] = optimizer.learning_rate
            logs.update(trainer.gradient_norms())
            history.record(logs)
            network.training_state = TrainingState(epoch + 1, rng.bit_generator.state)
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
    ``glassnet.tasks.default_loss``.
    """
    loss = losses.get(loss if loss is not None else tasks.scoring_loss(network))
    X = network.prepare_inputs(X)
    Y = tasks.encode_targets(network, Y, loss, len(X), refit=False)
    return _evaluate(network, X, Y, loss, _metric_names(metrics, network))


def apply_gradients(network, grads, optimizer):
    """One optimizer step from gradients computed elsewhere; returns the (bound) optimizer.

    The seam of data-parallel training: each worker takes ``(J, grads)`` from
    ``network.loss_and_gradients`` on its shard, the workers average ``grads`` (weighted by
    shard size, so the mean is the full batch's), and each calls this with the average. An
    ``Optimizer`` keeps its state across calls (Adam's moments, momentum): pass the instance this
    returns to the next call. A name (``"sgd"``) starts a fresh optimizer.

    Args:
        grads: what ``loss_and_gradients`` returns: ``grads[l]`` maps each parameter name of
            layer l (``"W"``, ``"b"``, ``"cell.Wh"``) to ``dJ/dparam`` of that parameter's
            shape (``{}`` for a layer without parameters). They are copied, never changed.
        optimizer: name, config or ``Optimizer``, e.g. ``glassnet.optimizers.Adam(0.01)``.
    """
    layers = network.layers
    if not isinstance(grads, (list, tuple)) or len(grads) != len(layers):
        raise ValueError(
            f"grads must be a list of {len(layers)} dicts, one per layer, got {grads!r:.80}"
        )
    flat = []
    for index, (layer, layer_grads) in enumerate(zip(layers, grads, strict=True)):
        params = {name: param for name, param, _ in layer.named_parameters()}
        if not isinstance(layer_grads, dict) or set(layer_grads) != set(params):
            raise ValueError(
                f"grads[{index}] must be a dict with the keys {sorted(params)}, "
                f"got {layer_grads!r:.80}"
            )
        for name, param in params.items():
            grad = numeric_array(layer_grads[name], f"grads[{index}][{name!r}]")
            if grad.shape != param.shape:
                raise ValueError(
                    f"grads[{index}][{name!r}] must have shape {param.shape}, got {grad.shape}"
                )
            flat.append(np.array(grad, dtype=network.dtype, order="K"))  # the step's scratch
    optimizer = optimizers.get(optimizer)
    optimizer.bind(network.parameters())
    optimizer.step(flat)
    return optimizer


# -- helpers ---------------------------------------------------------------------------------------


def _validation_arrays(network, validation_data, loss):
    try:
        X_val, Y_val = validation_data
    except (TypeError, ValueError):
        raise ValueError("validation_data must be a pair (X_val, Y_val)") from None
    X_val = network.prepare_inputs(X_val, "X_val")
    return X_val, tasks.encode_targets(network, Y_val, loss, len(X_val), refit=False)


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
        diff = (output - targets).reshape(-1, output.shape[-1])
        totals["sq_error"] += np.einsum("ij,ij->j", diff, diff, dtype=np.float64)


def _train_metrics(totals, metric_names, n_samples, Y, ss_total) -> dict[str, float]:
    logs = {}
    n_positions = Y[0].size // Y.shape[-1]  # outputs per sample that each get a class or value
    if "accuracy" in metric_names:
        logs["accuracy"] = totals["correct"] / (n_samples * n_positions)
    if "mae" in metric_names:
        logs["mae"] = totals["abs_error"] / Y.size
    if "r2" in metric_names:
        logs["r2"] = r2_from_sums(totals["sq_error"], ss_total)
    return logs


def _evaluate(network, X, Y, loss, metric_names, prefix="") -> dict[str, float]:
    """Loss and metrics on ``(X, Y)`` in inference mode, a chunk of samples at a time."""
    totals = dict.fromkeys(("loss", "correct", "abs_error", "sq_error"), 0.0)
    for rows in network.inference_chunks(len(X)):
        result = network.loss_step(X[rows], Y[rows], loss, backward=False)
        totals["loss"] += result.data_loss * (len(Y[rows]) / len(Y))  # a mean of the means
        _accumulate(totals, metric_names, network.output_layer.a, Y[rows])
    logs = {"loss": totals["loss"]}
    ss_total = total_sum_of_squares(Y.reshape(-1, Y.shape[-1])) if "r2" in metric_names else None
    logs.update(_train_metrics(totals, metric_names, len(X), Y, ss_total))
    return {prefix + key: val for key, val in logs.items()}
