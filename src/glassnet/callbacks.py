"""Callbacks: small objects the training loop calls at fixed points, and the ``History``.

A callback overrides any of ``on_train_begin``, ``on_epoch_begin``, ``on_batch_end``,
``on_epoch_end`` and ``on_train_end``. Each receives the running ``Trainer`` (its ``network``,
``optimizer``, ``history``, ``epochs``, ``n_batches``); setting ``trainer.stop_training = True``
ends training after the current epoch, and ``trainer.stop_reason`` says why.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from glassnet._checks import non_negative_float, positive_int


class History:
    """What training recorded, epoch by epoch.

    ``history["loss"]`` is the training objective of each epoch (the mean of the batch losses,
    plus the weight-decay penalty); ``"val_loss"``, ``"accuracy"``, ``"val_accuracy"``,
    ``"mae"``, ``"r2"``, ``"learning_rate"`` and ``"grad_norm.<layer>"`` (the root mean square,
    over up to 32 evenly spaced batches of the epoch, of the norm of that layer's weight
    gradient) follow the same pattern when recorded. ``best_epoch`` is set by early stopping.
    """

    def __init__(self, metrics: dict[str, list[float]] | None = None, best_epoch=None):
        self.metrics: dict[str, list[float]] = {k: list(v) for k, v in (metrics or {}).items()}
        self.best_epoch: int | None = best_epoch

    def record(self, logs: dict[str, float]) -> None:
        """Append one epoch's values."""
        for key, value in logs.items():
            self.metrics.setdefault(key, []).append(float(value))

    def last(self) -> dict[str, float]:
        """The last epoch's recorded values (empty before the first epoch)."""
        return {key: values[-1] for key, values in self.metrics.items() if values}

    @property
    def epochs(self) -> int:
        """How many epochs were recorded."""
        return len(self.metrics.get("loss", []))

    def grad_norms(self) -> dict[int, list[float]]:
        """Per-layer weight-gradient norms over epochs, keyed by layer index."""
        prefix = "grad_norm."
        return {int(k[len(prefix) :]): v for k, v in self.metrics.items() if k.startswith(prefix)}

    def to_dict(self) -> dict:
        """A JSON-able copy."""
        return {"metrics": self.metrics, "best_epoch": self.best_epoch}

    @classmethod
    def from_dict(cls, data: dict) -> History:
        """Rebuild from ``to_dict()`` output."""
        return cls(data.get("metrics", {}), data.get("best_epoch"))

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.metrics:
            raise KeyError(f"no {key!r} in history; recorded: {', '.join(self.metrics)}")
        return self.metrics[key]

    def __contains__(self, key: str) -> bool:
        return key in self.metrics

    def __repr__(self) -> str:
        return f"History(epochs={self.epochs}, keys={list(self.metrics)})"


class Callback:
    """Base class with do-nothing hooks."""

    def on_train_begin(self, trainer) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, trainer, epoch: int) -> None:
        """Before epoch ``epoch`` (0-based)."""

    def on_batch_end(self, trainer, batch: int, loss: float) -> None:
        """After each update, with the batch's loss."""

    def on_epoch_end(self, trainer, epoch: int, logs: dict[str, float]) -> None:
        """After the epoch's validation, with everything recorded for it."""

    def on_train_end(self, trainer) -> None:
        """After the last epoch (also when stopped early)."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs, and
    (by default) put back the weights of the best epoch.

    Losses and errors improve downwards, accuracy and R² upwards.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
    ):
        self.monitor = monitor
        self.patience = positive_int(patience, "patience")
        self.min_delta = non_negative_float(min_delta, "min_delta")
        self.restore_best_weights = restore_best_weights
        self.sign = 1.0 if monitor.split("val_")[-1] in ("accuracy", "r2") else -1.0

    def on_train_begin(self, trainer):
        self.best = -math.inf
        self.best_epoch = None
        self.best_weights = None
        self.wait = 0

    def on_epoch_end(self, trainer, epoch, logs):
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which is not recorded; "
                f"recorded: {', '.join(logs)} (give validation data to monitor val_ metrics)"
            )
        score = self.sign * logs[self.monitor]
        if score > self.best + self.min_delta:
            self.best, self.best_epoch, self.wait = score, epoch, 0
            if self.restore_best_weights:
                self.best_weights = trainer.network.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.stop_training = True
                trainer.stop_reason = (
                    f"{self.monitor} has not improved for {self.patience} epochs; "
                    + (
                        f"restored the weights of epoch {self.best_epoch}, the best"
                        if self.restore_best_weights
                        else f"the best was epoch {self.best_epoch}"
                    )
                )

    def on_train_end(self, trainer):
        trainer.history.best_epoch = self.best_epoch
        if self.best_weights is not None:
            trainer.network.set_weights(self.best_weights)


class EpochLogger(Callback):
    """Print the tutorial's ``Epoch 10 loss: 0.123`` line every ``every`` epochs (0-based)."""

    def __init__(self, every: int = 10, stream=None):
        self.every = positive_int(every, "print_every")
        self.stream = stream

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch % self.every == 0 or epoch == trainer.epochs - 1:
            extra = "".join(
                f" {key}: {value:.3f}"
                for key, value in logs.items()
                if key != "loss" and not key.startswith(("grad_norm", "learning_rate"))
            )
            print(f"Epoch {epoch} loss: {logs['loss']:.3f}{extra}", file=self.stream or sys.stdout)


class ProgressBar(Callback):
    """Progress on ``stream`` (default stderr) while training.

    On an interactive terminal, a one-line bar with the ETA and the running loss, redrawn at
    most 10 times a second. Elsewhere (a pipe, a log file, a notebook's captured output), a line
    ``Epoch 10/100 loss ...`` every tenth of the epochs and for the last one. Either way, when a
    callback stops training early, the bar is completed and a last line says after how many
    epochs and why.
    """

    def __init__(self, stream=None, width: int = 24):
        self.stream = stream or sys.stderr
        self.width = width
        self.on_terminal = hasattr(self.stream, "isatty") and self.stream.isatty()

    def on_train_begin(self, trainer):
        self.start = time.perf_counter()
        self.last_draw = 0.0
        self.total = trainer.epochs * trainer.n_batches
        self.line_every = max(1, trainer.epochs // 10)
        self.epochs_done = 0
        self.logs: dict[str, float] = {}

    def on_epoch_begin(self, trainer, epoch):
        self.epoch = epoch
        self.loss_sum = 0.0
        self.seen = 0

    def on_batch_end(self, trainer, batch, loss):
        self.loss_sum += loss
        self.seen += 1
        now = time.perf_counter()
        if self.on_terminal and now - self.last_draw >= 0.1:
            self.last_draw = now
            self._draw(trainer, self.epoch * trainer.n_batches + batch + 1, now)

    def on_epoch_end(self, trainer, epoch, logs):
        self.epochs_done, self.logs = epoch + 1, logs
        if self.on_terminal:
            self._draw(trainer, self.epochs_done * trainer.n_batches, time.perf_counter(), logs)
        elif self.epochs_done % self.line_every == 0 or self.epochs_done == trainer.epochs:
            self._write_line(trainer)

    def on_train_end(self, trainer):
        stopped_early = trainer.stop_training and self.epochs_done < trainer.epochs
        if self.on_terminal and stopped_early:
            self.total = self.epochs_done * trainer.n_batches  # the run is complete: a full bar
            self._draw(trainer, self.total, time.perf_counter(), self.logs)
        if self.on_terminal:
            self.stream.write("\n")
        elif stopped_early and self.epochs_done % self.line_every:
            self._write_line(trainer)  # the last epoch's line, not yet printed
        if stopped_early:
            reason = f": {trainer.stop_reason}" if trainer.stop_reason else ""
            self.stream.write(
                f"Stopped early after {self.epochs_done} of {trainer.epochs} epochs{reason}\n"
            )
        self.stream.flush()

    def _write_line(self, trainer):
        elapsed = _clock(time.perf_counter() - self.start)
        self.stream.write(f"{self._status(trainer, self.logs)}, {elapsed} elapsed\n")
        self.stream.flush()

    def _draw(self, trainer, done, now, logs=None):
        fraction = done / self.total
        filled = int(self.width * fraction)
        elapsed = now - self.start
        eta = elapsed / fraction - elapsed if fraction > 0 else 0.0
        bar = f"[{'=' * filled}{' ' * (self.width - filled)}] {fraction:4.0%} ETA {_clock(eta)} "
        self.stream.write(f"\r{self._status(trainer, logs, bar)}  ")
        self.stream.flush()

    def _status(self, trainer, logs, bar=""):
        """``Epoch 3/10 [bar] loss 0.1234 val_loss 0.2345``: the epoch's losses when it is
        over, the running mean of its batch losses before."""
        loss = logs["loss"] if logs else self.loss_sum / max(self.seen, 1)
        extra = f" val_loss {logs['val_loss']:.4f}" if logs and "val_loss" in logs else ""
        return f"Epoch {self.epoch + 1}/{trainer.epochs} {bar}loss {loss:.4f}{extra}"


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(np.ceil(seconds)), 60)
    return f"{minutes}:{seconds:02d}"
