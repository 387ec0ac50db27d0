"""Optimizers, from the simplest (the tutorial's SGD) to the most elaborate (Adam, AdamW).

An optimizer sees parameter arrays, never layers: ``bind(params)`` takes the list once (state
is kept in parallel lists), and ``step(grads)`` updates every parameter in place. ``step`` may
overwrite the gradient arrays, which the network refills on the next backward pass; the
optimizers below use them as scratch space, so a step allocates no parameter-sized temporaries.

In every docstring ``w`` is one parameter array, ``g = dJ/dw`` its gradient, ``eta`` the learning
rate, ``t`` the number of steps taken (1 on the first step); operations are elementwise.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet._checks import fraction, non_negative_float, positive_float
from glassnet._registry import lookup


class Optimizer:
    """Base class: holds ``learning_rate``, its ``schedule`` and the step count ``iterations``.

    The optimizer owns its learning-rate schedule: ``start_epoch(epoch, logs)`` sets
    ``learning_rate = schedule(epoch, initial_learning_rate, logs)``, so a run resumed from a
    checkpoint continues the schedule where it stopped instead of restarting it from the
    decayed rate.
    """

    name = "optimizer"
    default_learning_rate = 0.01

    def __init__(self, learning_rate: float | None = None):
        if learning_rate is None:
            learning_rate = self.default_learning_rate
        self.learning_rate = positive_float(learning_rate, "learning_rate")
        self.initial_learning_rate = self.learning_rate
        self.schedule = None
        self.params: list[np.ndarray] = []
        self.iterations = 0

    def start_epoch(self, epoch: int, logs) -> None:
        """Set the learning rate of ``epoch`` (0-based) from the schedule, if there is one;
        ``logs`` holds the previous epoch's metrics."""
        if self.schedule is not None:
            self.learning_rate = self.schedule(epoch, self.initial_learning_rate, logs)

    def bind(self, params: list[np.ndarray]) -> None:
        """Take the parameters to update; state is kept when they are the same arrays."""
        if len(params) == len(self.params) and all(
            new is old for new, old in zip(params, self.params, strict=True)
        ):
            return
        self.params = list(params)
        self.iterations = 0
        self._init_state()

    def step(self, grads: list[np.ndarray]) -> None:
        """Update every bound parameter in place from its gradient (one per parameter)."""
        if len(grads) != len(self.params):
            raise ValueError(
                f"grads must hold one array per bound parameter ({len(self.params)}), "
                f"got {len(grads)}"
            )
        self.iterations += 1
        self._update(grads)

    def get_config(self) -> dict:
        """A JSON-able description from which ``get`` rebuilds this optimizer (without state)."""
        return {"name": self.name, "learning_rate": self.initial_learning_rate}

    def state_dict(self) -> dict[str, np.ndarray]:
        """The optimizer's state as named arrays (for model files), e.g. ``"velocity.0"``."""
        state = {"iterations": np.array(self.iterations, dtype=np.int64)}
        for slot, arrays in self._slots().items():
            for index, array in enumerate(arrays):
                state[f"{slot}.{index}"] = array
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore ``state_dict()`` output into the bound state, checking names and shapes."""
        slots = self._slots()
        expected = {"iterations"} | {
            f"{slot}.{index}" for slot, arrays in slots.items() for index in range(len(arrays))
        }
        if set(state) != expected:
            raise ValueError(
                f"optimizer state does not match {self.name}: expected {sorted(expected)}, "
                f"got {sorted(state)}"
            )
        for slot, arrays in slots.items():
            for index, array in enumerate(arrays):
                value = np.asarray(state[f"{slot}.{index}"])
                if value.shape != array.shape:
                    raise ValueError(
                        f"optimizer state {slot}.{index} must have shape {array.shape}, "
                        f"got {value.shape}"
                    )
                np.copyto(array, value, casting="unsafe")
        self.iterations = int(state["iterations"])

    def _init_state(self) -> None:
        """Create the per-parameter state (zeros shaped like the parameters)."""

    def _slots(self) -> dict[str, list[np.ndarray]]:
        """The state arrays by slot name, in parameter order."""
        return {}

    def _update(self, grads: list[np.ndarray]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """The tutorial's stochastic gradient descent, optionally with (Nesterov) momentum.

    With ``momentum == 0`` (the default), the tutorial's rule, with no state at all::

        w <- w - eta * dJ/dw

    With ``momentum = mu > 0``, a velocity ``v`` (zeros at first) accumulates past gradients,
    in PyTorch's convention (the learning rate multiplies the velocity, not the gradient)::

        v <- mu * v + dJ/dw
        w <- w - eta * v

    With ``nesterov=True``, the step looks ahead along the new velocity::

        v <- mu * v + dJ/dw
        w <- w - eta * (dJ/dw + mu * v)

    Args:
        learning_rate: ``eta`` > 0 (default 0.01).
        momentum: ``mu`` in [0, 1).
        nesterov: use Nesterov momentum; needs ``momentum > 0``.
    """

    name = "sgd"

    def __init__(
        self, learning_rate: float | None = None, momentum: float = 0.0, nesterov: bool = False
    ):
        super().__init__(learning_rate)
        self.momentum = fraction(momentum, "momentum")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise ValueError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0:
            raise ValueError(f"nesterov=True needs momentum > 0, got momentum={momentum!r}")
        self.nesterov = bool(nesterov)
        self._init_state()

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

    def _init_state(self):
        # Plain SGD keeps no state: no velocity arrays are made when momentum is 0.
        self.velocities = [np.zeros_like(param) for param in self.params] if self.momentum else []

    def _slots(self):
        return {"velocity": self.velocities} if self.momentum else {}

    def _update(self, grads):
        if not self.momentum:
            for param, grad in zip(self.params, grads, strict=True):
                grad *= self.learning_rate
                param -= grad
            return
        for param, grad, velocity in zip(self.params, grads, self.velocities, strict=True):
            velocity *= self.momentum
            velocity += grad
            if self.nesterov:
                # eta * (g + mu * v) taken in two parts, so that grad is the only scratch.
                grad *= self.learning_rate
                param -= grad
                np.multiply(velocity, self.learning_rate * self.momentum, out=grad)
            else:
                np.multiply(velocity, self.learning_rate, out=grad)
            param -= grad


class AdaGrad(Optimizer):
    """AdaGrad: each weight's step shrinks with the sum of its squared gradients so far::

        s <- s + (dJ/dw)^2
        w <- w - eta * dJ/dw / (sqrt(s) + epsilon)

    As PyTorch's ``torch.optim.Adagrad`` (``epsilon`` added outside the square root, no
    learning-rate decay, ``s`` starting at zeros).

    Args:
        learning_rate: ``eta`` > 0 (default 0.01).
        epsilon: > 0, keeps the division finite where ``s`` is 0.
    """

    name = "adagrad"

    def __init__(self, learning_rate: float | None = None, epsilon: float = 1e-8):
        super().__init__(learning_rate)
        self.epsilon = positive_float(epsilon, "epsilon")
        self._init_state()

    def get_config(self) -> dict:
        return {**super().get_config(), "epsilon": self.epsilon}

    def _init_state(self):
        self.squared_gradient_sums = [np.zeros_like(param) for param in self.params]
        # Working memory for g^2 and the denominator, so a step allocates nothing.
        self._scratch = [np.empty_like(param) for param in self.params]

    def _slots(self):
        return {"squared_gradient_sum": self.squared_gradient_sums}

    def _update(self, grads):
        for param, grad, squared_sum, scratch in zip(
            self.params, grads, self.squared_gradient_sums, self._scratch, strict=True
        ):
            np.multiply(grad, grad, out=scratch)
            squared_sum += scratch
            np.sqrt(squared_sum, out=scratch)
            scratch += self.epsilon
            grad /= scratch
            grad *= self.learning_rate
            param -= grad


class RMSProp(Optimizer):
    """RMSProp: like AdaGrad, but a moving average of squared gradients forgets the past::

        v <- rho * v + (1 - rho) * (dJ/dw)^2
        w <- w - eta * dJ/dw / (sqrt(v) + epsilon)

    As PyTorch's ``torch.optim.RMSprop`` with ``alpha=rho`` (``epsilon`` outside the square root,
    not inside it as in Keras; no momentum, not centered; ``v`` starting at zeros).

    Args:
        learning_rate: ``eta`` > 0 (default 0.001).
        rho: decay of the moving average, in [0, 1).
        epsilon: > 0, keeps the division finite where ``v`` is 0.
    """

    name = "rmsprop"
    default_learning_rate = 0.001

    def __init__(self, learning_rate: float | None = None, rho: float = 0.9, epsilon: float = 1e-8):
        super().__init__(learning_rate)
        self.rho = fraction(rho, "rho")
        self.epsilon = positive_float(epsilon, "epsilon")
        self._init_state()

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}

    def _init_state(self):
        self.mean_squares = [np.zeros_like(param) for param in self.params]
        # Working memory for g^2 and the denominator, so a step allocates nothing.
        self._scratch = [np.empty_like(param) for param in self.params]

    def _slots(self):
        return {"mean_square": self.mean_squares}

    def _update(self, grads):
        for param, grad, mean_square, scratch in zip(
            self.params, grads, self.mean_squares, self._scratch, strict=True
        ):
            np.multiply(grad, grad, out=scratch)
            scratch *= 1.0 - self.rho
            mean_square *= self.rho
            mean_square += scratch
            np.sqrt(mean_square, out=scratch)
            scratch += self.epsilon
            grad /= scratch
            grad *= self.learning_rate
            param -= grad


class Adam(Optimizer):
    """Adam: momentum on the gradient, scaled as RMSProp does, both bias-corrected::

        m <- beta1 * m + (1 - beta1) * dJ/dw
        v <- beta2 * v + (1 - beta2) * (dJ/dw)^2
        m_hat = m / (1 - beta1^t)
        v_hat = v / (1 - beta2^t)
        w <- w - eta * m_hat / (sqrt(v_hat) + epsilon)

    As PyTorch's ``torch.optim.Adam`` (``m`` and ``v`` start at zeros; the bias corrections undo
    that start, so early steps are not too small).

    Args:
        learning_rate: ``eta`` > 0 (default 0.001).
        beta1: decay of the gradient average ``m``, in [0, 1).
        beta2: decay of the squared-gradient average ``v``, in [0, 1).
        epsilon: > 0, keeps the division finite where ``v`` is 0.
    """

    name = "adam"
    default_learning_rate = 0.001

    def __init__(
        self,
        learning_rate: float | None = None,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
    ):
        super().__init__(learning_rate)
        self.beta1 = fraction(beta1, "beta1")
        self.beta2 = fraction(beta2, "beta2")
        self.epsilon = positive_float(epsilon, "epsilon")
        self._init_state()

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta1": self.beta1,
            "beta2": self.beta2,
            "epsilon": self.epsilon,
        }

    def _init_state(self):
        self.first_moments = [np.zeros_like(param) for param in self.params]
        self.second_moments = [np.zeros_like(param) for param in self.params]

    def _slots(self):
        return {"first_moment": self.first_moments, "second_moment": self.second_moments}

    def _update(self, grads):
        step_size = self.learning_rate / (1.0 - self.beta1**self.iterations)
        sqrt_bias_correction2 = math.sqrt(1.0 - self.beta2**self.iterations)
        for param, grad, m, v in zip(
            self.params, grads, self.first_moments, self.second_moments, strict=True
        ):
            # m <- g + beta1 (m - g), the same average, computed without a temporary.
            m -= grad
            m *= self.beta1
            m += grad
            grad *= grad
            grad *= 1.0 - self.beta2
            v *= self.beta2
            v += grad
            # sqrt(v_hat) + epsilon, then eta * m_hat / it, both in grad's memory.
            np.sqrt(v, out=grad)
            grad /= sqrt_bias_correction2
            grad += self.epsilon
            np.divide(m, grad, out=grad)
            grad *= step_size
            param -= grad


class AdamW(Adam):
    """Adam with decoupled weight decay: weights shrink before Adam's step::

        w <- w - eta * lambda * w        (only for weights: parameters with ndim >= 2)
        w <- w - eta * m_hat / (sqrt(v_hat) + epsilon)        (Adam's step, as above)

    As PyTorch's ``torch.optim.AdamW`` with biases in a group without decay. Unlike the
    tutorial's ``weight_decay`` of the network (``lambda * w`` added to ``dJ/dw``, so that Adam
    rescales it with the gradient), this decay does not pass through ``m`` and ``v``. Biases
    (1-D parameters) are never decayed.

    Args:
        learning_rate: ``eta`` > 0 (default 0.001).
        beta1, beta2, epsilon: as for ``Adam``.
        weight_decay: ``lambda`` >= 0.
    """

    name = "adamw"

    def __init__(
        self,
        learning_rate: float | None = None,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.01,
    ):
        super().__init__(learning_rate, beta1, beta2, epsilon)
        self.weight_decay = non_negative_float(weight_decay, "weight_decay")

    def get_config(self) -> dict:
        return {**super().get_config(), "weight_decay": self.weight_decay}

    def _update(self, grads):
        shrink = 1.0 - self.learning_rate * self.weight_decay
        for param in self.params:
            if param.ndim >= 2:
                param *= shrink
        super()._update(grads)


def clip_by_global_norm(grads: list[np.ndarray], max_norm: float) -> float:
    """Scale all gradients in place so that their global L2 norm is at most ``max_norm``.

    The global norm is that of all gradients put end to end::

        norm = sqrt(sum over arrays, sum over elements of g^2)
        if norm > max_norm:  g <- g * max_norm / norm      (every array, the same factor)

    so the direction of the whole step is kept and only its length is capped.

    Args:
        grads: the gradient arrays (floating point), changed in place.
        max_norm: the largest global norm allowed, > 0.

    Returns:
        The global norm before clipping (useful to log).
    """
    max_norm = positive_float(max_norm, "max_norm")
    for index, grad in enumerate(grads):
        if not isinstance(grad, np.ndarray) or not np.issubdtype(grad.dtype, np.floating):
            raise TypeError(f"grads[{index}] must be a floating-point NumPy array, got {grad!r}")
    norm = math.hypot(*(float(np.linalg.norm(grad)) for grad in grads))
    if not math.isfinite(norm):
        raise ValueError(f"grads must be finite to clip them, got a global norm of {norm}")
    if norm > max_norm:
        scale = max_norm / norm
        for grad in grads:
            grad *= scale
    return norm


_BY_NAME: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, AdaGrad, RMSProp, Adam, AdamW)
}


NAMES = tuple(_BY_NAME)


def get(optimizer, learning_rate: float | None = None) -> Optimizer:
    """Return an ``Optimizer`` from a name (``"adam"``), a config dict or an instance;
    ``learning_rate``, when given, overrides the name's or config's own."""
    if learning_rate is None:
        return lookup(optimizer, "optimizer", Optimizer, _BY_NAME)
    if isinstance(optimizer, Optimizer):
        raise ValueError(
            "learning_rate must be given to the optimizer object itself, not beside it"
        )
    if isinstance(optimizer, str):
        optimizer = {"name": optimizer}
    if isinstance(optimizer, dict):
        optimizer = {**optimizer, "learning_rate": learning_rate}
    return lookup(optimizer, "optimizer", Optimizer, _BY_NAME)
