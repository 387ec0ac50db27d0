"""Loss functions: each has a ``value`` J and a ``gradient`` dJ/dy_pred, averaged over samples.

Shapes: ``y_pred`` is ``(n_samples, n_outputs)``; 1-D arrays are read as ``n_samples`` samples
of one output, so ``mse([1, 0, 0, 1], [0, 0, 0, 0])`` is the tutorial's 0.5.

For training, a network calls ``residual(y_true, z, a, activation)``: the pair (J, delta) where
``delta = dJ/dz`` is the output layer's residual of the tutorial's section 7.2. By the chain rule
it is ``dJ/da * f'(z)``; cross-entropies paired with their natural output (softmax, sigmoid)
simplify it to ``(a - y) / n`` and compute J from the logits ``z``, so they never take ``log 0``.
"""

from __future__ import annotations

import numpy as np

from glassnet import activations as _activations
from glassnet._checks import numeric_array
from glassnet._registry import lookup
from glassnet.ops import row_max
from glassnet.preprocessing import one_hot


class Loss:
    """Base class: J(y_true, y_pred) averaged over samples, and its gradient."""

    name = "loss"

    def value(self, y_true, y_pred) -> float:
        """Return J for ``y_true`` and ``y_pred``, both ``(n_samples, n_outputs)``."""
        y_true, y_pred = self._pair(y_true, y_pred)
        return float(self._value(y_true, y_pred))

    def gradient(self, y_true, y_pred) -> np.ndarray:
        """Return ``dJ/dy_pred``, shape ``(n_samples, n_outputs)``."""
        y_true, y_pred = self._pair(y_true, y_pred)
        return self._gradient(y_true, y_pred)

    def residual(self, y_true, z, a, activation, sample_weight=None) -> tuple[float, np.ndarray]:
        """Return (J, delta) for the output layer: ``delta = dJ/dz = dJ/da * f'(z)``.

        ``y_true`` must already be in the form of ``prepare_targets``; ``z`` and ``a`` are the
        output layer's ``(n_samples, n_outputs)`` net input and activation. With
        ``sample_weight`` ``w (n_samples,)``, J is the weighted mean ``sum_i w_i J_i / sum_i
        w_i`` of the per-sample losses and each row of delta is scaled to match; a batch whose
        weights are all zero (padding only) adds nothing: J = 0 and delta = 0.
        """
        value, delta = self._residual(y_true, z, a, activation)
        if sample_weight is None:
            return value, delta
        total = float(np.add.reduce(sample_weight, axis=None))
        if not total:
            delta[...] = 0
            return 0.0, delta
        value = float(np.dot(sample_weight, self.sample_losses(y_true, z, a, activation)))
        delta *= (sample_weight * (len(delta) / total))[:, None]
        return value / total, delta

    def sample_losses(self, y_true, z, a, activation) -> np.ndarray:
        """Each sample's loss ``J_i``, shape ``(n_samples,)``; J is their mean."""
        return self._sample_losses(y_true, a)

    def _residual(self, y_true, z, a, activation):
        return float(self._value(y_true, a)), activation.backward(self._gradient(y_true, a), z, a)

    def prepare_targets(self, y, n_outputs: int, dtype) -> np.ndarray:
        """Return targets as a float ``(n_samples, n_outputs)`` array, checking the shape."""
        y = np.asarray(y)
        if y.ndim == 1 and n_outputs == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[1] != n_outputs:
            raise ValueError(
                f"Y must have shape (n_samples, {n_outputs}) for a network with {n_outputs} "
                f"output(s), got shape {y.shape}"
            )
        return y.astype(dtype, copy=False)

    def get_config(self) -> dict:
        """Return a JSON-able description from which ``get`` rebuilds this loss."""
        return {"name": self.name}

    def __call__(self, y_true, y_pred) -> float:
        return self.value(y_true, y_pred)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _pair(self, y_true, y_pred):
        y_pred = numeric_array(y_pred, "y_pred", ndim=(1, 2))
        y_pred = y_pred.astype(np.result_type(y_pred.dtype, np.float32), copy=False)
        if y_pred.ndim == 1:
            y_pred = y_pred.reshape(-1, 1)
        y_true = numeric_array(y_true, "y_true", ndim=(1, 2))
        return self.prepare_targets(y_true, y_pred.shape[1], y_pred.dtype), y_pred

    def _value(self, y_true, y_pred):
        raise NotImplementedError

    def _sample_losses(self, y_true, y_pred):
        raise NotImplementedError

    def _gradient(self, y_true, y_pred):
        raise NotImplementedError


class MeanSquaredError(Loss):
    """The tutorial's MSE: ``J = 1/(n k) sum (y_true - y_pred)^2`` over n samples, k outputs.

    ``dJ/dy_pred = -2 (y_true - y_pred) / (n k)``; for one sample and one output this is the
    tutorial's ``dL/dy_pred = -2 (1 - y_pred)``.
    """

    name = "mse"

    def _value(self, y_true, y_pred):
        diff = y_true - y_pred
        return np.mean(diff * diff)

    def _sample_losses(self, y_true, y_pred):
        diff = y_true - y_pred
        return np.mean(diff * diff, axis=1)

    def _gradient(self, y_true, y_pred):
        return (y_pred - y_true) * (2 / y_pred.size)


class SquaredError(Loss):
    """Section 7's cost: ``J = 1/n sum_i 1/2 ||h(x_i) - y_i||^2``, the mean of half sums.

    ``dJ/dy_pred = (y_pred - y_true) / n``, so the output residual is the tutorial's
    ``delta^(n_l) = -(y - a) f'(z)`` for each sample (divided by n for the batch mean).
    """

    name = "squared_error"

    def _value(self, y_true, y_pred):
        diff = y_true - y_pred
        return 0.5 * np.sum(diff * diff) / len(y_pred)

    def _sample_losses(self, y_true, y_pred):
        diff = y_true - y_pred
        return 0.5 * np.sum(diff * diff, axis=1)

    def _gradient(self, y_true, y_pred):
        return (y_pred - y_true) / len(y_pred)


class BinaryCrossEntropy(Loss):
    """``J = -1/(n k) sum [y log p + (1 - y) log(1 - p)]`` for independent yes/no outputs.

    Targets are in [0, 1]. With a sigmoid output, J is computed from the logits as
    ``softplus(z) - y z`` and the residual is ``delta = (a - y) / (n k)``.
    """

    name = "binary_cross_entropy"

    def prepare_targets(self, y, n_outputs, dtype):
        y = super().prepare_targets(y, n_outputs, dtype)
        if np.any((y < 0) | (y > 1)):
            raise ValueError("binary_cross_entropy targets must lie in [0, 1]")
        return y

    def _residual(self, y_true, z, a, activation):
        if not isinstance(activation, _activations.Sigmoid):
            return super()._residual(y_true, z, a, activation)
        value = np.mean(np.logaddexp(0, z) - y_true * z)
        return float(value), (a - y_true) * (1 / a.size)

    def sample_losses(self, y_true, z, a, activation):
        if not isinstance(activation, _activations.Sigmoid):
            return super().sample_losses(y_true, z, a, activation)
        return np.mean(np.logaddexp(0, z) - y_true * z, axis=1)

    def _value(self, y_true, y_pred):
        return np.mean(self._sample_losses(y_true, y_pred))

    def _sample_losses(self, y_true, y_pred):
        p = _clip_probability(y_pred)
        return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log1p(-p), axis=1)

    def _gradient(self, y_true, y_pred):
        p = _clip_probability(y_pred)
        return (p - y_true) / (p * (1 - p) * y_pred.size)


class CrossEntropy(Loss):
    """``J = -1/n sum_i sum_c y_ic log p_ic`` for one class out of k (a softmax output).

    Targets are integer class indices ``(n_samples,)`` or rows ``(n_samples, k)`` that are
    probability distributions (one-hot for hard labels). With a softmax output the residual is
    ``delta = (p - y) / n`` and J comes from the logits: ``log p_ic = z_ic - m_i - log s_i``
    with ``m_i = max_c z_ic`` and ``s_i = sum_c e^(z_ic - m_i)``; since the largest
    probability is ``1 / s_i`` (at least 1/k, never 0), ``log s_i = -log max_c p_ic``, so
    ``J = 1/n sum_i (m_i - log max_c p_ic - sum_c y_ic z_ic)`` needs no second exponential
    and never takes ``log 0``.
    """

    name = "cross_entropy"

    def prepare_targets(self, y, n_outputs, dtype):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1 and n_outputs > 1:
            y = y[:, 0]
        if y.ndim == 1:
            if not np.all(np.equal(np.mod(y, 1), 0)) or y.min() < 0 or y.max() >= n_outputs:
                raise ValueError(
                    f"cross_entropy class indices must be integers in [0, {n_outputs - 1}], "
                    f"got values from {y.min()} to {y.max()}"
                )
            return one_hot(y.astype(np.intp), n_outputs, dtype)
        return super().prepare_targets(y, n_outputs, dtype)

    def _residual(self, y_true, z, a, activation):
        if not isinstance(activation, _activations.Softmax):
            return super()._residual(y_true, z, a, activation)
        log_sum = np.log(row_max(a))
        value = (np.add.reduce(row_max(z) - log_sum, axis=None) - np.vdot(y_true, z)) / len(z)
        delta = np.subtract(a, y_true)
        delta *= 1 / len(z)
        return float(value), delta

    def sample_losses(self, y_true, z, a, activation):
        if not isinstance(activation, _activations.Softmax):
            return super().sample_losses(y_true, z, a, activation)
        return row_max(z)[:, 0] - np.log(row_max(a)[:, 0]) - np.einsum("ij,ij->i", y_true, z)

    def _value(self, y_true, y_pred):
        return -np.sum(y_true * np.log(_clip_probability(y_pred))) / len(y_pred)

    def _sample_losses(self, y_true, y_pred):
        return -np.sum(y_true * np.log(_clip_probability(y_pred)), axis=1)

    def _gradient(self, y_true, y_pred):
        return -y_true / (_clip_probability(y_pred) * len(y_pred))


def _clip_probability(p):
    eps = np.finfo(p.dtype).eps
    return np.clip(p, eps, 1 - eps)


mse = MeanSquaredError()
squared_error = SquaredError()
binary_cross_entropy = BinaryCrossEntropy()
cross_entropy = CrossEntropy()

_BY_NAME: dict[str, type[Loss]] = {
    cls.name: cls for cls in (MeanSquaredError, SquaredError, BinaryCrossEntropy, CrossEntropy)
}
NAMES = tuple(_BY_NAME)


def get(loss) -> Loss:
    """Return a ``Loss`` from a name (``"mse"``), a config dict or an instance."""
    return lookup(loss, "loss", Loss, _BY_NAME)
