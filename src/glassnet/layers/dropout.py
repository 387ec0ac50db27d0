"""Inverted dropout: a regulariser that silences random units while training."""

from __future__ import annotations

import numpy as np

from glassnet._checks import fraction
from glassnet.layers.base import Layer


class Dropout(Layer):
    """Zero each input value (of any shape) with probability ``rate`` while training, scaling
    the rest by ``1 / (1 - rate)`` so the expected output equals the input; the identity when
    predicting.

    Forward ``y = x * m`` with ``m_ij = [u_ij >= rate] / (1 - rate)``, ``u ~ U[0, 1)``;
    backward ``dJ/dx = dJ/dy * m``. Its masks come from the network's seed.
    """

    def __init__(self, rate: float = 0.5):
        super().__init__()
        self.rate = fraction(rate, "rate")
        self.mask = None
        self.next_mask = None  # the mask the next training forward uses, when drawn before it
        self._rng = None

    def _init_params(self, param_shapes, rng):
        self._rng = np.random.default_rng(rng.integers(2**63))

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.mask = self.next_mask = None
            return x
        if self.next_mask is None:
            self.mask = self.draw_mask(x.shape)
        else:  # drawn for a whole batch, of which x is a shard (glassnet.parallel)
            self.mask, self.next_mask = self.next_mask, None
        return np.multiply(x, self.mask, out=self._buffer("y", x.shape))

    def draw_mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """The mask ``m`` for inputs of ``shape``, drawn from the layer's generator: ``u ~ U[0,
        1)`` into the mask's own buffer, then turned into ``[u >= rate] / (1 - rate)``."""
        mask = self._rng.random(dtype=self.dtype, out=self._buffer("mask", shape))
        np.greater_equal(mask, self.rate, out=mask)
        mask *= 1 / (1 - self.rate)
        return mask

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        if self.mask is None:
            return grad_output
        return np.multiply(grad_output, self.mask, out=self._buffer("dx", grad_output.shape))

    def get_config(self):
        return {"type": "Dropout", "rate": self.rate}

    def get_random_state(self):
        return self._rng.bit_generator.state

    def set_random_state(self, state):
        generator = np.random.default_rng()
        try:
            generator.bit_generator.state = state
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise ValueError(f"invalid random generator state: {error}") from None
        self._rng = generator
