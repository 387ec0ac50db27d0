"""The layer contract that every layer family (dense, dropout, conv, recurrent) follows.

A layer maps a batch ``(n_samples, *input_shape)`` to ``(n_samples, *output_shape)``; the
shapes are per sample, so the batch size never enters them. ``docs/layers.md`` has the whole
contract with a table of who calls what.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.ops import aligned_empty, weight_array, zeros_like_weight


class Layer:
    """A layer: configuration in ``__init__``, parameters made by ``build``, then
    ``forward`` / ``backward``.

    * ``describe(input_shape)`` checks an input shape and returns ``(output_shape, {key:
      parameter shape})`` without allocating; ``build(input_shape, rng, dtype)`` then draws the
      parameters (``_init_params``) and returns ``output_shape``.
    * ``params`` and ``grads`` are dicts under the same keys (``"W"``, ``"b"``); ``grads`` is
      filled by ``backward``, in place, so optimizers can hold on to both.
    * ``decay_keys`` names the parameters that weight decay and L1 act on (the weights, never
      the biases).
    * ``children`` holds the layers this one is made of, by name; their parameters are named
      ``<child>.<key>`` (``layers.3.cell.Wh``).
    * ``state`` holds arrays that are part of the model but not trained by the optimizer (batch
      norm's running statistics): weights and model files include them, optimizers never see
      them.
    * ``forward(x, training)`` keeps what ``backward`` needs. In training mode a layer may write
      its outputs into buffers that it reuses from batch to batch, so the arrays it returns are
      only valid until its next ``forward``.
    * ``backward(grad_output)`` takes ``dJ/d(output)`` and returns ``dJ/d(input)``.
    """

    decay_keys: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.children: dict[str, Layer] = {}
        self.state: dict[str, np.ndarray] = {}
        self.input_shape: tuple[int, ...] | None = None
        self.output_shape: tuple[int, ...] | None = None
        self.dtype: np.dtype | None = None
        self._buffers: dict[str, np.ndarray] = {}

    @property
    def built(self) -> bool:
        """Whether ``build`` has made this layer's parameters."""
        return self.dtype is not None

    @property
    def default_input_shape(self) -> tuple[int, ...] | None:
        """The input shape the layer's own configuration implies (Dense: ``(n_in,)``), or None
        when the network must be told (``Network(..., input_shape=...)``)."""
        return None

    def build(self, input_shape: tuple[int, ...], rng: np.random.Generator, dtype) -> tuple:
        """Make the parameters for samples of ``input_shape``; return the output shape."""
        self.dtype = np.dtype(dtype)
        self.input_shape = tuple(int(size) for size in input_shape)
        output_shape, param_shapes = self.describe(self.input_shape)
        self._init_params(param_shapes, rng)
        self.output_shape = tuple(int(size) for size in output_shape)
        return self.output_shape

    def describe(self, input_shape: tuple[int, ...]) -> tuple[tuple, dict[str, tuple]]:
        """``(output_shape, {key: parameter shape})`` for samples of ``input_shape``, checked
        (a ``ValueError`` names the problem) without making any array.

        The default is a layer without parameters that keeps the shape.
        """
        return input_shape, {}

    def _init_params(self, param_shapes: dict[str, tuple], rng: np.random.Generator) -> None:
        """Draw the parameters of ``describe``'s shapes from ``rng`` (through ``_add_param``)."""

    def _add_param(self, key: str, value: np.ndarray) -> None:
        """Register a parameter and its zero gradient, in the layout the products want."""
        self.params[key] = weight_array(value, self.dtype)
        self.grads[key] = zeros_like_weight(self.params[key])

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Map a batch ``(n_samples, *input_shape)`` to ``(n_samples, *output_shape)``."""
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True):
        """Fill ``grads`` and return ``dJ/d(input)`` (or None when not ``need_input_grad``)."""
        raise NotImplementedError

    def named_parameters(self, prefix: str = ""):
        """``(name, param, grad)`` for this layer's arrays and its children's, in order."""
        for key, param in self.params.items():
            yield prefix + key, param, self.grads[key]
        for name, child in self.children.items():
            yield from child.named_parameters(f"{prefix}{name}.")

    def named_state(self, prefix: str = ""):
        """``(name, array)`` for this layer's ``state`` arrays and its children's, in order."""
        for key, array in self.state.items():
            yield prefix + key, array
        for name, child in self.children.items():
            yield from child.named_state(f"{prefix}{name}.")

    def check_state(self, values: dict[str, np.ndarray]) -> None:
        """Raise ``ValueError`` when ``values`` (by ``named_state`` name) are no state this layer
        can use; ``Network.set_weights`` asks before it copies anything."""

    def decayed_parameters(self):
        """``(param, grad)`` pairs that weight decay and L1 act on, children's included."""
        for key in self.decay_keys:
            yield self.params[key], self.grads[key]
        for child in self.children.values():
            yield from child.decayed_parameters()

    @property
    def n_parameters(self) -> int:
        """Number of values in this layer's parameters, children's included."""
        return sum(param.size for _, param, _ in self.named_parameters())

    @property
    def couples_samples(self) -> bool:
        """Whether a sample's result depends on the other samples of its batch (batch norm's
        batch statistics, a stateful layer's carried rows): such a layer keeps a training
        batch whole instead of splitting it across threads (``glassnet.parallel``)."""
        return False

    def multiply_adds_per_sample(self) -> int:
        """Roughly how many multiply-adds one sample's forward pass through this layer costs:
        each parameter once, plus one per output value (``glassnet.parallel`` sizes its shards
        from it)."""
        return self.n_parameters + size_of(self.output_shape)

    def inference_values(self) -> int:
        """How many values per sample this layer holds during an inference forward pass: its
        output, and any working arrays it keeps (``Network.inference_chunks`` sizes the chunks
        of ``predict`` from it)."""
        return size_of(self.output_shape)

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

    def _buffer(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A reusable array of ``shape``, grown only when a larger batch (first axis) arrives
        (and remade when the layer was rebuilt in another dtype)."""
        buffer = self._buffers.get(name)
        if (
            buffer is None
            or buffer.shape[0] < shape[0]
            or buffer.shape[1:] != tuple(shape[1:])
            or buffer.dtype != self.dtype
        ):
            buffer = aligned_empty(tuple(shape), self.dtype)
            self._buffers[name] = buffer
        return buffer[: shape[0]]

    def _output(self, name: str, shape: tuple[int, ...], training: bool) -> np.ndarray:
        """Where a forward result goes: a reused buffer while training, else a new array (on a
        cache line, as all of a layer's arrays)."""
        if training:
            return self._buffer(name, shape)
        return aligned_empty(tuple(shape), self.dtype)

    def _array(self, name: str, shape: tuple[int, ...], training: bool = True, dtype=None):
        """A C-contiguous array of ``shape`` (and ``dtype``, default the layer's): while
        training, reused storage that grows when more values are needed, whichever axis holds
        the batch (image layers keep it last); otherwise a new array."""
        dtype = self.dtype if dtype is None else np.dtype(dtype)
        if not training:
            return aligned_empty(tuple(shape), dtype)
        size = math.prod(shape)
        storage = self._buffers.get(name)
        if storage is None or storage.size < size or storage.dtype != dtype:
            storage = aligned_empty((size,), dtype)
            self._buffers[name] = storage
        return storage[:size].reshape(shape)

    def _array_like(self, name: str, like: np.ndarray, training: bool = True) -> np.ndarray:
        """An array of ``like``'s shape whose memory runs in ``like``'s axis order (a CHWN image
        batch stays CHWN), so element-wise work between the two moves contiguous runs."""
        order = sorted(range(like.ndim), key=lambda axis: -like.strides[axis])
        stored = self._array(name, tuple(like.shape[axis] for axis in order), training)
        return stored.transpose(np.argsort(order))

    def __repr__(self) -> str:
        config = self.get_config()
        config.pop("type")
        args = ", ".join(f"{key}={value!r}" for key, value in config.items())
        return f"{type(self).__name__}({args})"


class IdentityHead:
    """The output-layer view of a layer without an activation of its own.

    The loss meets the network's last layer through a small *head* protocol: ``z`` (the net
    input of the output activation), ``a = activation(z)`` (the predictions), ``activation``,
    and ``backward_residual(delta, need_input_grad)``, which backprops ``delta = dJ/dz``. Dense
    satisfies it itself; any other last layer is read through this adapter, as ``a = z`` with the
    identity activation.
    """

    def __init__(self, layer: Layer):
        from glassnet.activations import identity

        self.layer = layer
        self.activation = identity
        self.z = self.a = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self.z = self.a = self.layer.forward(x, training)
        return self.a

    def backward_residual(self, delta: np.ndarray, need_input_grad: bool = True):
        return self.layer.backward(delta, need_input_grad)


def is_head(layer) -> bool:
    """Whether ``layer`` satisfies the head protocol itself (see ``IdentityHead``)."""
    return all(hasattr(layer, name) for name in ("z", "a", "activation", "backward_residual"))


def size_of(shape: tuple[int, ...]) -> int:
    """Number of values in one sample of ``shape``."""
    return math.prod(shape)
