"""The tutorial's first building block: one neuron, ``y = f(w . x + b)``."""

from __future__ import annotations

import numpy as np

from glassnet import activations
from glassnet._checks import numeric_array


class Neuron:
    """A single neuron with weights ``w`` of shape ``(n_in,)``, a bias ``b`` and activation f.

    ``feedforward(x) = f(w . x + b)``; with the tutorial's ``w = [0, 1]``, ``b = 4`` and
    ``x = [2, 3]``: ``w . x + b = 0*2 + 1*3 + 4 = 7`` and ``sigmoid(7) = 0.999``.
    """

    def __init__(self, weights, bias, activation="sigmoid"):
        self.weights = numeric_array(weights, "weights", dtype=np.float64, ndim=1)
        self.bias = float(numeric_array(bias, "bias", dtype=np.float64, ndim=0))
        self.activation = activations.get(activation)

    def total(self, x) -> float:
        """The weighted sum ``w . x + b`` before the activation."""
        x = numeric_array(x, "x", dtype=np.float64, ndim=1)
        if x.shape != self.weights.shape:
            raise ValueError(
                f"x must have {len(self.weights)} values, one per weight, got shape {x.shape}"
            )
        return float(np.dot(self.weights, x) + self.bias)

    def feedforward(self, x) -> float:
        """The neuron's output ``f(w . x + b)`` for one input ``x`` of shape ``(n_in,)``."""
        return float(self.activation.forward(np.array(self.total(x))))

    def __repr__(self) -> str:
        return f"Neuron(weights={self.weights.tolist()}, bias={self.bias}, {self.activation!r})"
