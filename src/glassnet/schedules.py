"""Learning-rate schedules: the learning rate ``eta`` to use for each epoch.

The training loop calls a schedule at the start of every epoch and gives the optimizer what it
returns::

    optimizer.learning_rate = schedule(epoch, initial_lr, logs)

``epoch`` counts from 0, ``initial_lr`` (``eta_0`` below) is the learning rate the optimizer was
made with, and ``logs`` holds the previous epoch's metrics (``{"loss": ..., "val_loss": ...}``;
empty at epoch 0). Schedules are found by name through ``get``, like optimizers, and a user may
pass their own ``Schedule`` subclass instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from glassnet._checks import (
    fraction,
    is_finite_number,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)
from glassnet._registry import lookup


class Schedule:
    """Base class: ``schedule(epoch, initial_lr, logs)`` returns the learning rate of ``epoch``.

    ``__call__`` checks its arguments, then asks ``learning_rate``, which subclasses define.
    """

    name = "schedule"

    def __call__(self, epoch: int, initial_lr: float, logs: Mapping[str, float]) -> float:
        """The learning rate for ``epoch`` (0-based), given the previous epoch's ``logs``."""
        epoch = non_negative_int(epoch, "epoch")
        initial_lr = positive_float(initial_lr, "initial_lr")
        if not isinstance(logs, Mapping):
            raise TypeError(f"logs must be a dict of metric values, got {logs!r}")
        return self.learning_rate(epoch, initial_lr, logs)

    def learning_rate(self, epoch: int, initial_lr: float, logs: Mapping[str, float]) -> float:
        """The learning rate for ``epoch``, with arguments already checked."""
        raise NotImplementedError

    def get_config(self) -> dict:
        """A JSON-able description from which ``get`` rebuilds this schedule (without state)."""
        return {"name": self.name}

    def get_state(self) -> dict:
        """The JSON-able state a stateful schedule keeps between epochs (empty if none)."""
        return {}

    def set_state(self, state: dict) -> None:
        """Restore what ``get_state`` returned."""
        if state:
            raise ValueError(f"{self.name} keeps no state, got {state!r}")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """The same learning rate every epoch::

    eta(epoch) = eta_0
    """

    name = "constant"

    def learning_rate(self, epoch, initial_lr, logs):
        return initial_lr


class StepDecay(Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs::

        eta(epoch) = eta_0 * gamma^(epoch // step_size)

    Args:
        step_size: epochs between two decays, a positive integer.
        gamma: the factor applied at each decay, in (0, 1).
    """

    name = "step_decay"

    def __init__(self, step_size: int, gamma: float = 0.1):
        self.step_size = positive_int(step_size, "step_size")
        self.gamma = fraction(gamma, "gamma", inclusive_low=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "step_size": self.step_size, "gamma": self.gamma}

    def learning_rate(self, epoch, initial_lr, logs):
        return initial_lr * self.gamma ** (epoch // self.step_size)


class ExponentialDecay(Schedule):
    """Multiply the learning rate by ``gamma`` every epoch::

        eta(epoch) = eta_0 * gamma^epoch

    Args:
        gamma: the factor applied each epoch, in (0, 1).
    """

    name = "exponential_decay"

    def __init__(self, gamma: float):
        self.gamma = fraction(gamma, "gamma", inclusive_low=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "gamma": self.gamma}

    def learning_rate(self, epoch, initial_lr, logs):
        return initial_lr * self.gamma**epoch


class CosineDecay(Schedule):
    """Follow half a cosine from ``eta_0`` down to ``min_lr`` over ``total_epochs`` epochs::

        t = min(epoch, total_epochs)
        eta(epoch) = min_lr + (eta_0 - min_lr) * (1 + cos(pi * t / total_epochs)) / 2

    so ``eta(0) = eta_0`` and the rate stays at ``min_lr`` from epoch ``total_epochs`` on (as
    PyTorch's ``CosineAnnealingLR`` with ``T_max=total_epochs``, ``eta_min=min_lr``).

    Args:
        total_epochs: the length of the decay, a positive integer.
        min_lr: the final learning rate, >= 0 and at most ``eta_0``.
    """

    name = "cosine_decay"

    def __init__(self, total_epochs: int, min_lr: float = 0.0):
        self.total_epochs = positive_int(total_epochs, "total_epochs")
        self.min_lr = non_negative_float(min_lr, "min_lr")

    def get_config(self) -> dict:
        return {**super().get_config(), "total_epochs": self.total_epochs, "min_lr": self.min_lr}

    def learning_rate(self, epoch, initial_lr, logs):
        if self.min_lr > initial_lr:
            raise ValueError(
                f"min_lr ({self.min_lr}) must not exceed initial_lr, got initial_lr={initial_lr}"
            )
        progress = min(epoch, self.total_epochs) / self.total_epochs
        return self.min_lr + (initial_lr - self.min_lr) * (1.0 + math.cos(math.pi * progress)) / 2


class ReduceOnPlateau(Schedule):
    """Divide the learning rate when a monitored metric stops improving.

    Stateful: it keeps the current rate ``eta``, the best value seen and a wait count, and
    starts afresh at epoch 0 (``eta = eta_0``, ``best = inf``, ``wait = 0``). At every later
    epoch, with ``value = logs[monitor]`` from the epoch just finished::

        if value < best - min_delta:
            best <- value;  wait <- 0
        else:
            wait <- wait + 1
            if wait == patience:  eta <- max(eta * factor, min_lr);  wait <- 0

    Args:
        monitor: the metric to watch in ``logs`` (lower is better), e.g. ``"val_loss"``.
        factor: what the rate is multiplied by on a plateau, in (0, 1).
        patience: epochs without improvement before the rate is reduced, a positive integer.
        min_delta: how much lower than the best a value must be to count as improvement, >= 0.
        min_lr: the rate is never reduced below this, >= 0.
    """

    name = "reduce_on_plateau"

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 1e-4,
        min_lr: float = 0.0,
    ):
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor must be the name of a metric, got {monitor!r}")
        self.monitor = monitor
        self.factor = fraction(factor, "factor", inclusive_low=False)
        self.patience = positive_int(patience, "patience")
        self.min_delta = non_negative_float(min_delta, "min_delta")
        self.min_lr = non_negative_float(min_lr, "min_lr")
        self.current_lr: float | None = None
        self.best = math.inf
        self.wait = 0

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "monitor": self.monitor,
            "factor": self.factor,
            "patience": self.patience,
            "min_delta": self.min_delta,
            "min_lr": self.min_lr,
        }

    def get_state(self) -> dict:
        best = None if math.isinf(self.best) else self.best  # JSON has no infinity
        return {"current_lr": self.current_lr, "best": best, "wait": self.wait}

    def set_state(self, state: dict) -> None:
        if not isinstance(state, dict) or set(state) != {"current_lr", "best", "wait"}:
            raise ValueError(f"invalid {self.name} state: {state!r}")
        current_lr, best, wait = state["current_lr"], state["best"], state["wait"]
        if current_lr is not None:
            current_lr = positive_float(current_lr, "current_lr")
        if best is not None and not is_finite_number(best):
            raise ValueError(f"invalid {self.name} state: best must be a number, got {best!r}")
        self.current_lr = current_lr
        self.best = math.inf if best is None else float(best)
        self.wait = non_negative_int(wait, "wait")

    def learning_rate(self, epoch, initial_lr, logs):
        if epoch == 0 or self.current_lr is None:
            self.current_lr, self.best, self.wait = initial_lr, math.inf, 0
        if epoch == 0:
            return self.current_lr
        if self.monitor not in logs:
            raise ValueError(
                f"monitor {self.monitor!r} is not in the logs; available keys: "
                f"{', '.join(map(repr, logs)) or 'none'}"
            )
        value = float(logs[self.monitor])
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
        else:
            self.wait += 1
            if self.wait == self.patience:
                self.current_lr = max(self.current_lr * self.factor, self.min_lr)
                self.wait = 0
        return self.current_lr


_BY_NAME: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (Constant, StepDecay, ExponentialDecay, CosineDecay, ReduceOnPlateau)
}


NAMES = tuple(_BY_NAME)


def get(schedule) -> Schedule:
    """Return a ``Schedule`` from a name (``"constant"``), a config dict or an instance."""
    return lookup(schedule, "schedule", Schedule, _BY_NAME)
