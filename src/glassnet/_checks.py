"""Validation at the boundary: every public function checks its arguments with these.

Each helper raises ``ValueError`` or ``TypeError`` whose message names the argument, what was
expected and what was received, e.g. ``n_in must be a positive integer, got 0``.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.ops import all_finite


def positive_int(value, name: str) -> int:
    """Return ``value`` as an int if it is an integer >= 1, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def non_negative_int(value, name: str) -> int:
    """Return ``value`` as an int if it is an integer >= 0, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def positive_float(value, name: str) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def non_negative_float(value, name: str) -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def fraction(value, name: str, *, inclusive_low: bool = True) -> float:
    """Return ``value`` as a float in [0, 1) (or (0, 1) when not ``inclusive_low``)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok:
        ok = (0 <= value < 1) if inclusive_low else (0 < value < 1)
    if not ok:
        interval = "[0, 1)" if inclusive_low else "(0, 1)"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return float(value)


def float_dtype(dtype) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype if it is float32 or float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return resolved


# NumPy dtype kinds accepted as numbers: bool, signed and unsigned ints, floats, complex.
_NUMERIC_KINDS = "biufc"


def numeric_array(value, name: str, *, dtype=None, ndim: int | tuple[int, ...] | None = None):
    """Convert ``value`` to a finite, non-empty numeric array, or raise naming ``name``.

    ``ndim`` restricts the number of dimensions (an int or a tuple of allowed ints).
    """
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be numeric array-like, got {_describe(value)}") from error
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{name} must be numeric, got an array of dtype {array.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if array.ndim not in allowed:
            wanted = " or ".join(f"{n}-D" for n in allowed)
            raise ValueError(f"{name} must be {wanted}, got an array of shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got an array of shape {array.shape}")
    if array.dtype.kind in "fc" and not all_finite(array):
        bad = np.argwhere(~np.isfinite(array))[0]
        where = ", ".join(str(int(i)) for i in bad)
        raise ValueError(
            f"{name} must contain only finite values, got {array[tuple(bad)]} at index ({where})"
        )
    return array


def one_of(value, name: str, options) -> str:
    """Return ``value`` if it is one of ``options``, else raise listing them."""
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{type(value).__name__} {text[:57]}..."
