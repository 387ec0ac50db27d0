"""Validation at the boundary: every public function checks its arguments with these.

Each helper raises ``ValueError`` or ``TypeError`` whose message names the argument, what was
expected and what was received, e.g. ``n_in must be a positive integer, got 0``.
"""

from __future__ import annotations

import math
import numbers
import re

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
    if not is_finite_number(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def non_negative_float(value, name: str) -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise naming ``name``."""
    if not is_finite_number(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def fraction(value, name: str, *, inclusive_low: bool = True) -> float:
    """Return ``value`` as a float in [0, 1) (or (0, 1) when not ``inclusive_low``)."""
    ok = is_finite_number(value)
    if ok:
        ok = (0 <= value < 1) if inclusive_low else (0 < value < 1)
    if not ok:
        interval = "[0, 1)" if inclusive_low else "(0, 1)"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return float(value)


def is_finite_number(value) -> bool:
    """Whether ``value`` is a real number (not a bool) that a float holds as a finite value;
    an integer too large for a float (``10**400``) is not, where ``math.isfinite`` raises."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


# The name of a plain dtype: a byte order, letters, a size ("<f4", "float32", "|b1", "<U65536").
SIMPLE_DTYPE_NAME = re.compile(r"[<>=|]?[A-Za-z]{1,12}[0-9]{0,10}")


def float_dtype(dtype) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype if it is float32 or float64.

    Only a name (``"float32"``, ``"<f4"``), a type (``np.float32``) or a dtype is looked at:
    NumPy would also build a dtype from lists, dicts and strings such as ``"f4,(2,3)u1"``, at a
    cost set by whoever wrote them, and with errors of its parser's own (``SyntaxError``).
    """
    resolved = None
    if isinstance(dtype, (type, np.dtype)) or (
        isinstance(dtype, str) and SIMPLE_DTYPE_NAME.fullmatch(dtype)
    ):
        try:
            resolved = np.dtype(dtype)
        except (TypeError, ValueError, OverflowError):
            resolved = None
    # None first: a dtype compares equal to None, which NumPy reads as float64.
    if resolved is None or resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {_describe(dtype)}")
    return resolved


# NumPy dtype kinds accepted as numbers: bool, signed and unsigned ints, floats. Complex numbers
# are refused: converting them to float would silently drop their imaginary part.
_NUMERIC_KINDS = "biuf"
# NumPy parses these kinds (objects such as Decimal, text such as "1.5") when asked for a float.
_PARSED_KINDS = "OUS"


def numeric_array(value, name: str, *, dtype=None, ndim: int | tuple[int, ...] | None = None):
    """Convert ``value`` to a finite, non-empty, real numeric array, or raise naming ``name``.

    ``dtype``, a float dtype, is the dtype of the result: every value must fit it, so that
    ``1e39`` is refused for float32 rather than becoming ``inf``. ``ndim`` restricts the number
    of dimensions (an int or a tuple of allowed ints).
    """
    try:
        array = np.asarray(value)
        if dtype is not None and array.dtype.kind in _PARSED_KINDS:
            array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as error:
        raise TypeError(f"{name} must be numeric array-like, got {_describe(value)}") from error
    if array.dtype.kind == "c":
        raise TypeError(
            f"{name} must hold real numbers, got complex values (dtype {array.dtype}); "
            "pass the real part (value.real) or the magnitude (abs(value)) explicitly"
        )
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{name} must be numeric, got an array of dtype {array.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if array.ndim not in allowed:
            wanted = " or ".join(f"{n}-D" for n in allowed)
            raise ValueError(f"{name} must be {wanted}, got an array of shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got an array of shape {array.shape}")
    result, bad = cast_to_float(array, dtype) if dtype is not None else (array, _first_bad(array))
    if bad is not None and not np.isfinite(array[bad]):
        raise ValueError(
            f"{name} must contain only finite values, got {array[bad]} at index "
            f"({_index_text(bad)})"
        )
    if bad is not None:
        raise ValueError(
            f"{name} must hold values that {fit_text(dtype)}, got {array[bad].item()!r} at index "
            f"({_index_text(bad)})"
        )
    return result


def cast_to_float(array: np.ndarray, dtype) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """``(array as the float dtype, index of its first value that is not finite, or None)``.

    The value at that index is a NaN or an infinity of ``array``, or a finite value beyond the
    range of ``dtype``, which the cast turns into an infinity. One pass over the data finds
    either: over the result when the cast can overflow, else over ``array`` (the smaller of
    the two, or the same); none for integers that always fit.
    """
    dtype = np.dtype(dtype)
    with np.errstate(over="ignore"):
        cast = array.astype(dtype, copy=False)
    return cast, _first_bad(cast if _may_overflow(array.dtype, dtype) else array)


def _first_bad(array: np.ndarray) -> tuple[int, ...] | None:
    """The index of the first value of ``array`` that is not finite, or None (for integers)."""
    if array.dtype.kind != "f" or all_finite(array):
        return None
    return tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])


def fit_text(dtype) -> str:
    """``fit float32 (at most 3.4028235e+38 in magnitude)``, for messages."""
    dtype = np.dtype(dtype)
    return f"fit {dtype.name} (at most {np.finfo(dtype).max:.8g} in magnitude)"


def _may_overflow(source: np.dtype, target: np.dtype) -> bool:
    """Whether some finite value of dtype ``source`` is beyond the float dtype ``target``."""
    largest = np.finfo(target).max
    if source.kind == "f":
        return np.finfo(source).max > largest
    return source.kind in "iu" and np.iinfo(source).max > largest


def _index_text(index) -> str:
    return ", ".join(str(int(i)) for i in index)


# float64 holds every integer up to 2**53 in magnitude exactly; beyond it neighbouring integers
# share one float, so a larger whole-valued float is not known to be the integer that was meant.
MAX_EXACT_INTEGER = 2**53


def check_sample_weight(sample_weight, n_samples: int, dtype) -> np.ndarray:
    """Return per-sample weights ``(n_samples,)`` (or per position) as non-negative finite
    numbers of ``dtype`` with a positive sum, or raise naming ``sample_weight``."""
    weights = numeric_array(sample_weight, "sample_weight", dtype=dtype)
    if len(weights) != n_samples:
        raise ValueError(
            f"sample_weight must have {n_samples} entries, one per sample, got {len(weights)}"
        )
    if np.any(weights < 0):
        raise ValueError("sample_weight must hold non-negative real numbers")
    if not np.add.reduce(weights, axis=None) > 0:
        raise ValueError("sample_weight must not be all zero")
    return weights


def one_of(value, name: str, options) -> str:
    """Return ``value`` if it is one of ``options``, else raise listing them."""
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{type(value).__name__} {text[:57]}..."
