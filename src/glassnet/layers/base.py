"""The layer protocol that every layer family (dense, dropout; later conv, recurrent) follows."""

from __future__ import annotations

import numpy as np


class Layer:
    """A layer: configuration in ``__init__``, parameters made by ``build``, then
    ``forward`` / ``backward``.

    * ``params`` and ``grads`` are dicts under the same keys (``"W"``, ``"b"``); ``grads`` is
      filled by ``backward``, in place, so optimizers can hold on to both.
    * ``forward(x, training)`` keeps what ``backward`` needs. In training mode a layer may write
      its outputs into buffers that it reuses from batch to batch, so the arrays it returns are
      only valid until its next ``forward``.
    * ``backward(grad_output)`` takes ``dJ/d(output)`` and returns ``dJ/d(input)``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.n_in: int | None = None
        self.n_out: int | None = None
        self.dtype: np.dtype | None = None
        self._buffers: dict[str, np.ndarray] = {}

    @property
    def built(self) -> bool:
        """Whether ``build`` has made this layer's parameters."""
        return self.dtype is not None

    def build(self, n_in: int, rng: np.random.Generator, dtype) -> None:
        """Make the parameters for inputs of ``n_in`` features, drawing from ``rng``."""
        self.n_in = n_in
        self.n_out = n_in
        self.dtype = np.dtype(dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Map a batch ``(n_samples, n_in)`` to ``(n_samples, n_out)``."""
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True):
        """Fill ``grads`` and return ``dJ/d(input)`` (or None when not ``need_input_grad``)."""
        raise NotImplementedError

    def get_config(self) -> dict:
        """Return a JSON-able dict from which ``glassnet.layers.from_config`` rebuilds it."""
        return {"type": type(self).__name__}

    def get_random_state(self) -> dict | None:
        """The JSON-able state of the layer's random generator, or None for a layer that draws
        nothing; a training checkpoint stores it, so a resumed run draws what the first would."""
        return None

    def set_random_state(self, state: dict) -> None:
        """Restore what ``get_random_state`` returned."""
        raise ValueError(f"{type(self).__name__} has no random state to restore")

    def _buffer(self, name: str, n_rows: int, n_cols: int) -> np.ndarray:
        """A reusable ``(n_rows, n_cols)`` array, grown only when a larger batch arrives (and
        remade when the layer was rebuilt in another dtype)."""
        buffer = self._buffers.get(name)
        if (
            buffer is None
            or buffer.shape[0] < n_rows
            or buffer.shape[1] != n_cols
            or buffer.dtype != self.dtype
        ):
            buffer = np.empty((n_rows, n_cols), dtype=self.dtype)
            self._buffers[name] = buffer
        return buffer[:n_rows]

    def _output(self, name: str, like: np.ndarray, n_cols: int, training: bool):
        """Where a forward or backward result goes: a reused buffer while training, else new."""
        if training:
            return self._buffer(name, like.shape[0], n_cols)
        return np.empty((like.shape[0], n_cols), dtype=self.dtype)

    def __repr__(self) -> str:
        config = self.get_config()
        config.pop("type")
        args = ", ".join(f"{key}={value!r}" for key, value in config.items())
        return f"{type(self).__name__}({args})"
