"""Layers that only change the shape of each sample: Reshape and Flatten."""

from __future__ import annotations

import math

import numpy as np

from glassnet.layers.base import Layer


class Reshape(Layer):
    """Give each sample a new shape with the same number of values, read in row-major (C)
    order: ``(n, *input_shape) -> (n, *shape)``, e.g. 784 pixels to an image ``(1, 28, 28)``.
    One size may be -1, the rest inferred. Backward reshapes ``dJ/dy`` back; no values change.

    Args:
        shape: the new shape of one sample, an int or a tuple of ints.
    """

    def __init__(self, shape):
        super().__init__()
        shape = (shape,) if not isinstance(shape, (tuple, list)) else tuple(shape)
        valid = (
            shape
            and all(
                isinstance(size, (int, np.integer)) and not isinstance(size, bool) for size in shape
            )
            and all(size >= 1 or size == -1 for size in shape)
            and sum(size == -1 for size in shape) <= 1
        )
        if not valid:
            raise ValueError(f"shape must be positive integers with at most one -1, got {shape!r}")
        self.shape = tuple(int(size) for size in shape)

    def describe(self, input_shape):
        n_values = math.prod(input_shape)
        known = math.prod(size for size in self.shape if size != -1)
        if -1 in self.shape:
            if n_values % known:
                raise ValueError(
                    f"{type(self).__name__} cannot fit samples of shape {input_shape} "
                    f"({n_values} values) into shape {self.shape}"
                )
            return tuple(n_values // known if size == -1 else size for size in self.shape), {}
        if known != n_values:
            raise ValueError(
                f"{type(self).__name__} to {self.shape} needs {known} values per sample, but "
                f"receives samples of shape {input_shape} ({n_values} values)"
            )
        return self.shape, {}

    def forward(self, x, training=False):
        self.x_shape = x.shape
        shape = (len(x), *self.output_shape)
        if x.flags.c_contiguous:
            return x.reshape(shape)
        # A view in another memory order (a CHWN image) is copied into row-major order.
        y = self._output("y", shape, training)
        np.copyto(y.reshape(x.shape), x)
        return y

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        return np.ascontiguousarray(grad_output).reshape(self.x_shape)

    def get_config(self):
        return {"type": "Reshape", "shape": list(self.shape)}


class Flatten(Reshape):
    """Flatten each sample to one axis, in row-major (C) order as PyTorch's ``nn.Flatten``:
    ``(n, C, H, W) -> (n, C H W)``, so a Dense layer can follow a convolution."""

    def __init__(self):
        super().__init__(-1)

    def get_config(self):
        return {"type": "Flatten"}
