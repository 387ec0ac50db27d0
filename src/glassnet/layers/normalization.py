"""Batch normalisation: each channel standardised over the batch, then scaled and shifted."""

from __future__ import annotations

import numpy as np

from glassnet._checks import fraction, positive_float
from glassnet.layers.base import Layer


class BatchNorm(Layer):
    """Standardise each channel over the batch, then scale and shift it.

    Channels are axis 1, as in PyTorch: the features of ``(n, features)`` rows, the channels of
    ``(n, C, H, W)`` images (or of ``(n, C, L)``). Over the ``m`` values of channel ``c`` in a
    batch (``m = n`` for rows, ``m = n H W`` for images)::

        mu = 1/m sum x          var = 1/m sum (x - mu)^2
        x^ = (x - mu) / sqrt(var + eps)
        y = gamma x^ + beta

    Backward, with ``g = dJ/dy`` summed over the same values::

        dJ/dbeta = sum g        dJ/dgamma = sum g x^
        dJ/dx = gamma / (m sqrt(var + eps)) (m g - dJ/dbeta - x^ dJ/dgamma)

    Training also keeps running estimates, ``running = (1 - momentum) running + momentum
    batch`` (the variance unbiased, ``var m / (m - 1)``), and inference normalises with them
    instead of the batch's: then ``y`` is an affine map of ``x`` and ``dJ/dx = gamma g /
    sqrt(running_var + eps)``. The running statistics are the layer's ``state``: saved in model
    files, never trained. ``gamma`` and ``beta`` (PyTorch's ``weight`` and ``bias``) are not
    weights of a product, so weight decay leaves them alone, as it does biases.

    Args:
        momentum: weight of each new batch in the running statistics (PyTorch's 0.1).
        epsilon: added to the variance to keep the division finite (PyTorch's 1e-5).
    """

    def __init__(self, momentum: float = 0.1, epsilon: float = 1e-5):
        super().__init__()
        self.momentum = fraction(momentum, "momentum")
        self.epsilon = positive_float(epsilon, "epsilon")
        self.x_hat = self.inv_std = None

    @property
    def couples_samples(self):
        """Training normalises with the batch's own mean and variance."""
        return True

    def describe(self, input_shape):
        return input_shape, {"gamma": (input_shape[0],), "beta": (input_shape[0],)}

    def _init_params(self, param_shapes, rng):
        n_channels = param_shapes["gamma"][0]
        self._add_param("gamma", np.ones(n_channels))
        self._add_param("beta", np.zeros(n_channels))
        self.state["running_mean"] = np.zeros(n_channels, dtype=self.dtype)
        self.state["running_var"] = np.ones(n_channels, dtype=self.dtype)

    def check_state(self, values):
        variance = values["running_var"]
        if np.any(variance < 0):
            raise ValueError(f"running_var must be non-negative, got {variance.min()!r}")

    def _per_channel(self, array: np.ndarray) -> np.ndarray:
        """``array`` viewed as ``(n, C, rest)``, so statistics reduce axes 0 and 2."""
        return array.reshape(len(array), self.input_shape[0], -1)

    def forward(self, x, training=False):
        x3 = self._per_channel(x)
        x_hat = self._array_like("x_hat", x3, training)
        if training:
            n_values = x3.shape[0] * x3.shape[2]
            mean = np.add.reduce(x3, axis=(0, 2)) / n_values
            np.subtract(x3, mean[:, None], out=x_hat)
            variance = np.add.reduce(np.square(x_hat), axis=(0, 2)) / n_values
            self._update_running(mean, variance, n_values)
        else:
            np.subtract(x3, self.state["running_mean"][:, None], out=x_hat)
            variance = self.state["running_var"]
        self.inv_std = 1 / np.sqrt(variance + self.epsilon)
        x_hat *= self.inv_std[:, None]
        self.x_hat, self.training = x_hat, training
        y = self._array_like("y", x3, training)
        np.multiply(x_hat, self.params["gamma"][:, None], out=y)
        y += self.params["beta"][:, None]
        return y.reshape(x.shape)

    def _update_running(self, mean, variance, n_values) -> None:
        unbiased = variance * (n_values / (n_values - 1)) if n_values > 1 else variance
        for key, batch_value in (("running_mean", mean), ("running_var", unbiased)):
            running = self.state[key]
            running *= 1 - self.momentum
            running += self.momentum * batch_value

    def backward(self, grad_output, need_input_grad=True):
        grad = self._per_channel(grad_output)
        x_hat = self.x_hat
        np.add.reduce(grad, axis=(0, 2), out=self.grads["beta"])
        product = np.multiply(grad, x_hat, out=self._array_like("product", x_hat))
        np.add.reduce(product, axis=(0, 2), out=self.grads["gamma"])
        if not need_input_grad:
            return None
        scale = self.params["gamma"] * self.inv_std
        dx = self._array_like("dx", x_hat)
        if self.training:
            n_values = grad.shape[0] * grad.shape[2]
            # dJ/dx = gamma / (m sqrt(var + eps)) (m g - dJ/dbeta - x^ dJ/dgamma)
            np.multiply(x_hat, self.grads["gamma"][:, None], out=dx)
            dx += self.grads["beta"][:, None]
            dx *= 1 / n_values
            np.subtract(grad, dx, out=dx)
        else:
            np.copyto(dx, grad)
        dx *= scale[:, None]
        return dx.reshape(grad_output.shape)

    def get_config(self):
        return {"type": "BatchNorm", "momentum": self.momentum, "epsilon": self.epsilon}
