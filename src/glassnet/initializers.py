"""Weight initialisers: ``init(shape, rng, dtype) -> array`` for a ``(n_out, n_in, ...)`` array.

For a matrix ``(n_out, n_in)``, ``fan_in = n_in`` and ``fan_out = n_out``; for a convolution
kernel ``(out_channels, in_channels, kh, kw)`` every input and output value is counted over the
kernel's receptive field: ``fan_in = in_channels kh kw``, ``fan_out = out_channels kh kw``.

The tutorial draws every weight and bias from the standard normal (``normal``); that works for
its 2-2-1 network but makes wide layers saturate, so layers default to a scaled initialiser
chosen by their activation (``default_for``):

* He (Kaiming) for ReLU-like activations: ``Var(W) = 2 / fan_in`` keeps the variance of ``z``
  constant from layer to layer when half of the units are off.
* Glorot (Xavier) otherwise: ``Var(W) = 2 / (fan_in + fan_out)`` balances the forward and
  backward passes for sigmoid- and tanh-like activations.
"""

from __future__ import annotations

import numpy as np


def zeros(shape, rng: np.random.Generator, dtype) -> np.ndarray:
    """All zeros: the default for biases."""
    return np.zeros(shape, dtype=dtype)


def normal(shape, rng: np.random.Generator, dtype) -> np.ndarray:
    """The tutorial's ``np.random.normal()``: mean 0, standard deviation 1."""
    return rng.standard_normal(shape).astype(dtype)


def glorot_uniform(shape, rng: np.random.Generator, dtype) -> np.ndarray:
    """Uniform on ``[-r, r]`` with ``r = sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)


def glorot_normal(shape, rng: np.random.Generator, dtype) -> np.ndarray:
    """Normal with standard deviation ``sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(shape)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / (fan_in + fan_out))).astype(dtype)


def he_uniform(shape, rng: np.random.Generator, dtype) -> np.ndarray:
    """Uniform on ``[-r, r]`` with ``r = sqrt(6 / fan_in)``."""
    fan_in, _ = _fans(shape)
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, shape).astype(dtype)


def he_normal(shape, rng: np.random.Generator, dtype) -> np.ndarray:
    """Normal with standard deviation ``sqrt(2 / fan_in)``."""
    fan_in, _ = _fans(shape)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


def orthogonal(shape, rng: np.random.Generator, dtype) -> np.ndarray:
    """A matrix with orthonormal rows or columns (``Q`` of the QR decomposition of a standard
    normal matrix, signs fixed by ``R``'s diagonal), reshaped to ``shape``. The usual choice for
    recurrent weights ``Wh``: repeated products by ``Wh`` neither grow nor shrink a state."""
    n_rows, n_cols = shape[0], int(np.prod(shape[1:]))
    normal_matrix = rng.standard_normal((max(n_rows, n_cols), min(n_rows, n_cols)))
    q, r = np.linalg.qr(normal_matrix)
    q *= np.sign(np.diag(r))
    if n_rows < n_cols:
        q = q.T
    return q.reshape(shape).astype(dtype)


def _fans(shape) -> tuple[int, int]:
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = int(np.prod(shape[2:]))
    return shape[1] * receptive_field, shape[0] * receptive_field


_BY_NAME = {
    fn.__name__: fn
    for fn in (zeros, normal, glorot_uniform, glorot_normal, he_uniform, he_normal, orthogonal)
}
NAMES = tuple(_BY_NAME)
_RELU_LIKE = ("relu", "leaky_relu")


def default_for(activation_name: str) -> str:
    """The default weight initialiser for an activation: He for ReLU-like, else Glorot."""
    return "he_normal" if activation_name in _RELU_LIKE else "glorot_uniform"


def get(initializer):
    """Return an initialiser function from its name, or a callable unchanged."""
    if callable(initializer):
        return initializer
    if not isinstance(initializer, str):
        raise TypeError(f"initializer must be a name or a callable, got {initializer!r}")
    if initializer not in _BY_NAME:
        raise ValueError(f"unknown initializer {initializer!r}; choose one of: {', '.join(NAMES)}")
    return _BY_NAME[initializer]


def config_of(**initializers) -> dict[str, str]:
    """The names of the built-in initialisers among ``initializers`` (for a layer's config); a
    user's own callable has no name to save and is left out, so it must be given again."""
    return {key: fn.__name__ for key, fn in initializers.items() if _BY_NAME.get(fn.__name__) is fn}
