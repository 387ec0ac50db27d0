"""Gradient checking: backprop's gradients against central finite differences.

For every parameter p the numerical derivative is ``(J(p + eps) - J(p - eps)) / (2 eps)``,
whose error is O(eps^2). Agreement is measured per parameter array as the relative error
``||g_backprop - g_numeric|| / (||g_backprop|| + ||g_numeric||)``, which is near 1e-10 for a
correct float64 implementation and near 1 for a wrong one.

The check always runs in float64: a float32 network is checked through a float64 copy with the
same layers and the same weights (float32 values convert exactly), because in float32 the
differences drown in rounding (an error near 0.1 for a correct network).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from glassnet import losses
from glassnet._checks import positive_float
from glassnet.network import Network


@dataclass(frozen=True)
class GradcheckResult:
    """``max_error`` over all parameters and ``errors[l][key]`` for each layer's arrays."""

    max_error: float
    errors: list[dict[str, float]]

    def layer_errors(self) -> list[float]:
        """The largest relative error of each layer (0.0 for layers without parameters)."""
        return [max(layer.values(), default=0.0) for layer in self.errors]


def gradcheck(network, X, Y, loss="mse", weight_decay: float = 0.0, epsilon: float = 1e-5):
    """Compare ``network.loss_and_gradients`` with central differences on ``(X, Y)``.

    Costs two forward passes per parameter, so use small networks and batches. A network of
    another dtype is checked through a float64 copy and is left untouched. Even in float64 the
    differences carry a rounding error near ``1e-16 J / epsilon``, so gradients whose norm is
    that small (vanishing ones) cannot be checked this way. Returns a ``GradcheckResult``.
    """
    loss = losses.get(loss)
    epsilon = positive_float(epsilon, "epsilon")
    network = _as_float64(network)
    _, analytic = network.loss_and_gradients(X, Y, loss=loss, weight_decay=weight_decay)

    def objective() -> float:
        return network.loss_and_gradients(X, Y, loss=loss, weight_decay=weight_decay)[0]

    errors = []
    for layer, layer_grads in zip(network.layers, analytic, strict=True):
        errors.append(
            {
                name: _relative_error(
                    layer_grads[name], numerical_gradient(objective, param, epsilon)
                )
                for name, param, _ in layer.named_parameters()
            }
        )
    max_error = max((max(e.values(), default=0.0) for e in errors), default=0.0)
    return GradcheckResult(max_error=max_error, errors=errors)


def numerical_gradient(objective, array: np.ndarray, epsilon: float = 1e-5) -> np.ndarray:
    """``d objective / d array`` by central differences, entry by entry:
    ``(J(a + eps) - J(a - eps)) / (2 eps)``, changing ``array`` in place and putting it back."""
    numeric = np.zeros(array.shape, dtype=np.float64)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + epsilon
        plus = objective()
        array[index] = original - epsilon
        minus = objective()
        array[index] = original
        numeric[index] = (plus - minus) / (2 * epsilon)
    return numeric


def _as_float64(network):
    """``network`` itself when it computes in float64, else a float64 copy: copies of the same
    layers (activations and initialisers included, even user-defined ones) rebuilt in float64,
    holding the same weights."""
    if network.dtype == np.float64:
        return network
    twin = Network(
        [copy.deepcopy(layer) for layer in network.layers],
        input_shape=network.input_shape,
        seed=network.seed,
        dtype="float64",
    )
    twin.set_weights(network.get_weights())
    return twin


def _relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    difference = np.linalg.norm(analytic - numeric)
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(difference / scale) if scale > 0 else float(difference)
