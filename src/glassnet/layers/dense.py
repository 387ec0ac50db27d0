"""The fully connected layer of the tutorial's section 7."""

from __future__ import annotations

import numpy as np

from glassnet import activations, initializers
from glassnet._checks import numeric_array, positive_int
from glassnet.layers.base import Layer, size_of


class Dense(Layer):
    """A fully connected layer: ``z = W a + b``, ``a' = f(z)``, on the last axis.

    In the tutorial's convention ``W`` has shape ``(n_out, n_in)``: row i holds the weights into
    unit i, and ``b`` has shape ``(n_out,)``. Batches are rows, so for ``x`` of shape
    ``(n_samples, n_in)`` the layer computes ``z = x W^T + b`` of shape ``(n_samples, n_out)``.

    Backward, from the residual ``delta = dJ/dz`` (summed over the batch, whose 1/n the loss
    already holds)::

        dJ/dW = delta^T x           (the tutorial's delta a^T, per sample)
        dJ/db = sum of delta rows
        dJ/dx = delta W             (the tutorial's W^T delta, per sample)

    and the layer below turns ``dJ/dx`` into its own residual with ``* f'(z)``, giving the
    tutorial's ``delta^(l) = (W^(l)T delta^(l+1)) * f'(z^(l))``.

    ``W`` and its gradient are stored in column-major (Fortran) order, so that ``W^T`` is a
    plain row-major matrix and both ``x W^T`` and ``x^T delta`` run as BLAS's fastest,
    untransposed products; the shape and the values are the tutorial's either way.

    Inputs of more axes, ``(n_samples, ..., n_in)`` such as a sequence ``(n_samples, time,
    n_in)``, are mapped position by position to ``(n_samples, ..., n_out)`` with the same
    ``W`` and ``b`` (every position is one row of the products).

    Args:
        n_in: number of inputs to each unit.
        n_out: number of units.
        activation: name, config dict or ``Activation`` (default: the tutorial's sigmoid).
        weight_init: initialiser name or callable; default He for ReLU-like activations,
            Glorot otherwise (see ``glassnet.initializers``).
        bias_init: initialiser for ``b`` (default zeros; the tutorial's code uses "normal").
    """

    def __init__(
        self, n_in: int, n_out: int, activation="sigmoid", weight_init=None, bias_init="zeros"
    ):
        super().__init__()
        self.n_in = positive_int(n_in, "n_in")
        self.n_out = positive_int(n_out, "n_out")
        self.activation = activations.get(activation)
        if weight_init is None:
            weight_init = initializers.default_for(self.activation.name)
        self.weight_init = initializers.get(weight_init)
        self.bias_init = initializers.get(bias_init)
        self._preset: dict[str, np.ndarray] = {}
        self.x = self.z = self.a = self.delta = None

    @property
    def W(self) -> np.ndarray:
        """The ``(n_out, n_in)`` weight matrix; assignment checks the shape and copies."""
        return self._get("W")

    @W.setter
    def W(self, value) -> None:
        self._set("W", value, (self.n_out, self.n_in))

    @property
    def b(self) -> np.ndarray:
        """The ``(n_out,)`` bias vector; assignment checks the shape and copies."""
        return self._get("b")

    @b.setter
    def b(self, value) -> None:
        self._set("b", value, (self.n_out,))

    decay_keys = ("W",)

    @property
    def default_input_shape(self):
        return (self.n_in,)

    def multiply_adds_per_sample(self):
        """Each weight once per position (one for a feature row, T for a sequence)."""
        return self.n_parameters * size_of(self.input_shape[:-1])

    def describe(self, input_shape):
        if len(input_shape) > 2:
            raise ValueError(
                f"Dense takes samples of shape (n_in,) or (time, n_in), but receives samples of "
                f"shape {input_shape}; put a Flatten before it"
            )
        if input_shape[-1] != self.n_in:
            raise ValueError(
                f"Dense expects n_in={self.n_in} inputs on the last axis, but receives samples "
                f"of shape {input_shape}"
            )
        return (*input_shape[:-1], self.n_out), {"W": (self.n_out, self.n_in), "b": (self.n_out,)}

    def _init_params(self, param_shapes, rng):
        inits = {"W": self.weight_init, "b": self.bias_init}
        for key, shape in param_shapes.items():
            preset = self._preset.pop(key, None)
            self._add_param(
                key, preset if preset is not None else inits[key](shape, rng, self.dtype)
            )

    def forward(self, x, training=False):
        self.x = x
        rows = x if x.ndim == 2 else x.reshape(-1, self.n_in)  # every position is a sample row
        z = self._output("z", (len(rows), self.n_out), training)
        np.matmul(rows, self.params["W"].T, out=z)
        z += self.params["b"]
        a = self.activation.forward(z, out=self._output("a", z.shape, training))
        if x.ndim != 2:
            z, a = z.reshape(*x.shape[:-1], self.n_out), a.reshape(*x.shape[:-1], self.n_out)
        self.z, self.a = z, a
        return a

    def backward(self, grad_output, need_input_grad=True):
        delta = self._buffer("delta", grad_output.shape)
        return self.backward_residual(
            self.activation.backward(grad_output, self.z, self.a, out=delta), need_input_grad
        )

    def backward_residual(self, delta: np.ndarray, need_input_grad: bool = True):
        """Backward from this layer's residual ``delta = dJ/dz`` (the loss gives it for the
        output layer): fill ``grads`` and return ``dJ/dx = delta W``."""
        self.delta = delta
        rows, delta_rows = self.x, delta
        if delta.ndim != 2:
            rows, delta_rows = self.x.reshape(-1, self.n_in), delta.reshape(-1, self.n_out)
        np.matmul(rows.T, delta_rows, out=self.grads["W"].T)
        np.add.reduce(delta_rows, axis=0, out=self.grads["b"])
        if not need_input_grad:
            return None
        dx = self._buffer("dx", (len(delta_rows), self.n_in))
        np.matmul(delta_rows, self.params["W"], out=dx)
        return dx if delta.ndim == 2 else dx.reshape(self.x.shape)

    def get_config(self):
        return {
            "type": "Dense",
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation.get_config(),
            **initializers.config_of(weight_init=self.weight_init, bias_init=self.bias_init),
        }

    def _get(self, key):
        if key in self.params:
            return self.params[key]
        return self._preset.get(key)

    def _set(self, key, value, shape):
        param = self.params.get(key)
        value = numeric_array(value, key, dtype=np.float64 if param is None else param.dtype)
        if value.shape != shape:
            raise ValueError(f"{key} must have shape {shape}, got {value.shape}")
        if key in self.params:
            np.copyto(self.params[key], value, casting="unsafe")  # optimizers hold this array
        else:
            self._preset[key] = np.array(value, dtype=np.float64)
