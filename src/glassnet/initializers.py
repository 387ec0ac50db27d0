"""Weight initialisers: ``init(shape, rng, dtype) -> array`` for a ``(n_out, n_in)`` matrix.

``fan_in = n_in`` and ``fan_out = n_out``. The tutorial draws every weight and bias from the
standard normal (``normal``); that works for its 2-2-1 network but makes wide layers saturate,
so layers default to a scaled initialiser chosen by their activation (``default_for``):

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


def _fans(shape) -> tuple[int, int]:
    if len(shape) == 1:
        return shape[0], shape[0]
    n_out, n_in = shape[0], int(np.prod(shape[1:]))
    return n_in, n_out


_BY_NAME = {
    fn.__name__: fn for fn in (zeros, normal, glorot_uniform, glorot_normal, he_uniform, he_normal)
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
