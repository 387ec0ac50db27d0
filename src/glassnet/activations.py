"""Activation functions: each is a small object with its forward ``f`` and derivative ``f'``.

In the tutorial's notation a layer computes ``a = f(z)``. Backprop needs ``f'(z)`` to turn
``dJ/da`` into the residual ``delta = dJ/dz = dJ/da * f'(z)``; that product is ``backward``.
Every function is numerically stable: inputs of +-1000 give finite results and no warnings,
in float32 and float64.

Find one by name with ``get("tanh")``, or pass your own ``Activation`` subclass anywhere a name
is accepted. ``sigmoid(2.0)`` calls the forward pass directly.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet._registry import lookup
from glassnet.ops import row_max, row_sum


class Activation:
    """Base class: an element-wise ``a = f(z)`` with its derivative.

    Subclasses define ``forward`` and ``derivative``; ``backward`` follows from them, except
    for activations whose Jacobian is not diagonal (softmax), which override it.
    """

    name = "activation"
    elementwise = True
    #: Whether ``f'`` can be read from the output alone, so ``backward(grad, a, a)`` is exact and
    #: a layer may compute ``a = f(z)`` in place over ``z`` (a convolution's large outputs).
    derivative_from_output = False
    #: Whether ``f`` never decreases, so that it commutes with taking a maximum:
    #: ``max(f(z1), f(z2)) = f(max(z1, z2))`` (a convolution and its max pool use this).
    nondecreasing = False

    def forward(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Return ``a = f(z)``, written into ``out`` when given (``out`` may be ``z``)."""
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Return ``f'(z)`` element-wise; ``a = f(z)`` is passed because it is often cheaper."""
        raise NotImplementedError

    def backward(
        self, grad: np.ndarray, z: np.ndarray, a: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Return ``delta = grad * f'(z)``, i.e. ``dJ/dz`` from ``grad = dJ/da``.

        ``out`` may be ``grad`` itself, to work in place.
        """
        return np.multiply(grad, self.derivative(z, a), out=out)

    def get_config(self) -> dict:
        """Return a JSON-able description from which ``get`` rebuilds this activation."""
        return {"name": self.name}

    def __call__(self, z) -> np.ndarray:
        z = np.asarray(z, dtype=np.result_type(np.asarray(z).dtype, np.float32))
        return self.forward(z)

    def __repr__(self) -> str:
        params = {k: v for k, v in self.get_config().items() if k != "name"}
        args = ", ".join(f"{k}={v!r}" for k, v in params.items())
        return f"{type(self).__name__}({args})"


class Sigmoid(Activation):
    """``f(z) = 1 / (1 + e^-z)``, range (0, 1); ``f'(z) = f(z) (1 - f(z))``.

    Computed as ``(1 + tanh(z/2)) / 2``, which is the same function and never overflows.
    """

    name = "sigmoid"
    derivative_from_output = True
    nondecreasing = True

    def forward(self, z, out=None):
        if out is None:
            out = np.empty_like(z)
        np.multiply(z, 0.5, out=out)
        np.tanh(out, out=out)
        out += 1
        out *= 0.5
        return out

    def derivative(self, z, a):
        return a * (1 - a)


class Tanh(Activation):
    """``f(z) = tanh(z) = 2 sigmoid(2z) - 1``, range (-1, 1); ``f'(z) = 1 - f(z)^2``."""

    name = "tanh"
    derivative_from_output = True
    nondecreasing = True

    def forward(self, z, out=None):
        return np.tanh(z, out=out)

    def derivative(self, z, a):
        return 1 - a * a


class ReLU(Activation):
    """``f(z) = max(z, 0)``; ``f'(z) = 1`` where ``z > 0``, else 0 (0 at ``z = 0`` too)."""

    name = "relu"
    derivative_from_output = True
    nondecreasing = True

    def forward(self, z, out=None):
        return np.maximum(z, 0, out=out)

    def derivative(self, z, a):
        return (z > 0).astype(z.dtype)

    def backward(self, grad, z, a, out=None):
        return np.multiply(grad, z > 0, out=out)


class LeakyReLU(Activation):
    """``f(z) = z`` where ``z > 0``, else ``alpha z``; ``f'(z)`` is 1 or ``alpha``."""

    name = "leaky_relu"
    derivative_from_output = True
    nondecreasing = True

    def __init__(self, alpha: float = 0.01):
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 <= alpha < 1:
            raise ValueError(f"alpha must be a number in [0, 1), got {alpha!r}")
        self.alpha = float(alpha)

    def forward(self, z, out=None):
        # With 0 <= alpha < 1, max(z, alpha z) is z for z > 0 and alpha z otherwise.
        scaled = np.multiply(z, self.alpha)
        return np.maximum(z, scaled, out=out)

    def derivative(self, z, a):
        return np.where(z > 0, 1, self.alpha).astype(z.dtype)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}


class Softplus(Activation):
    """``f(z) = log(1 + e^z)``, a smooth ReLU; ``f'(z) = sigmoid(z)``."""

    name = "softplus"
    nondecreasing = True

    def forward(self, z, out=None):
        return np.logaddexp(0, z, out=out)

    def derivative(self, z, a):
        return sigmoid.forward(z)


class Identity(Activation):
    """``f(z) = z``, for regression outputs; ``f'(z) = 1``."""

    name = "identity"
    derivative_from_output = True
    nondecreasing = True

    def forward(self, z, out=None):
        if out is None:
            return z.copy()
        if out is not z:
            np.copyto(out, z)
        return out

    def derivative(self, z, a):
        return np.ones_like(z)

    def backward(self, grad, z, a, out=None):
        return self.forward(grad, out=out)


class Softmax(Activation):
    """``f(z)_i = e^{z_i} / sum_j e^{z_j}`` over each row: class probabilities.

    Not element-wise: its Jacobian is ``diag(a) - a a^T``, so ``backward`` computes the product
    ``delta = a * (grad - sum(grad * a))`` row by row instead of ``grad * f'(z)``.
    """

    name = "softmax"
    elementwise = False

    def forward(self, z, out=None):
        if z.ndim != 2:
            return self.forward(z.reshape(1, -1), None if out is None else out.reshape(1, -1))[0]
        # Subtracting the row maximum leaves the result unchanged and keeps exp() <= 1.
        out = np.subtract(z, row_max(z), out=out)
        np.exp(out, out=out)
        out /= row_sum(out)
        return out

    def derivative(self, z, a):
        raise TypeError(
            "softmax has no element-wise derivative (its Jacobian is diag(a) - a a^T); "
            "use backward(grad, z, a) for the Jacobian-vector product"
        )

    def backward(self, grad, z, a, out=None):
        out = np.subtract(grad, row_sum(grad * a), out=out)
        out *= a
        return out


sigmoid = Sigmoid()
tanh = Tanh()
relu = ReLU()
leaky_relu = LeakyReLU()
softplus = Softplus()
identity = Identity()
softmax = Softmax()

_BY_NAME: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Softplus, Identity, Softmax)
}
NAMES = tuple(_BY_NAME)


def get(activation) -> Activation:
    """Return an ``Activation`` from a name (``"relu"``), a config dict or an instance."""
    return lookup(activation, "activation", Activation, _BY_NAME)
