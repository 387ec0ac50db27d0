"""Array operations that depend on NumPy's internals: the one module a new array backend replaces.

Everything else in glassnet writes plain NumPy (``np.matmul``, ufuncs with ``out=``). What lives
here are the tricks that are fast only because of how NumPy and its BLAS work:

* row-wise reductions of ``(n_samples, n_classes)`` arrays: NumPy reduces along a short last
  axis one row at a time, so for many short rows the transposed copy is reduced along its first
  axis instead, vectorised over the samples (about 5x faster for 128 rows of 10 classes);
* ``gather_rows``: ``take`` into a reused buffer, with ``mode="clip"``, which skips the bounds
  check that makes ``take(..., out=)`` slow;
* ``weight_array``: matrices stored in column-major (Fortran) order, so that ``W^T`` is a plain
  row-major matrix and both ``x W^T`` and ``x^T delta`` run as BLAS's untransposed products;
* ``all_finite``: one BLAS pass ``X @ ones`` instead of a boolean mask the size of the data;
* ``time_major``: a batch of sequences copied once into the step-by-step order the recurrent
  loops read, so that every step is one contiguous block;
* ``gate_activations``: the sigmoid and tanh gates of a recurrent step in one ``tanh`` call;
* ``aligned_empty``: arrays that start on a cache line, which NumPy's large allocations do not.

Its sibling ``glassnet.image_ops`` holds the same kind of tricks for the image layers: the
channel-major, batch-innermost memory layout, im2col and col2im through strided views.
"""

from __future__ import annotations

import math

import numpy as np

# Up to this many values a boolean mask is cheap; above it ``all_finite`` sums with BLAS first.
MASK_LIMIT = 1 << 17
# Bytes in a cache line, and in the widest vector register (AVX-512).
CACHE_LINE = 64


def row_max(x: np.ndarray) -> np.ndarray:
    """``max_j x_ij`` for each row i of a 2-D array, shape ``(n_rows, 1)``."""
    return _reduce_rows(np.maximum.reduce, x)[:, None]


def row_sum(x: np.ndarray) -> np.ndarray:
    """``sum_j x_ij`` for each row i of a 2-D array, shape ``(n_rows, 1)``."""
    return _reduce_rows(np.add.reduce, x)[:, None]


def row_argmax(x: np.ndarray) -> np.ndarray:
    """``argmax_j x_ij`` for each row i of a 2-D array, shape ``(n_rows,)``."""
    return _reduce_rows(np.ndarray.argmax, x)


def _reduce_rows(reduce, x: np.ndarray) -> np.ndarray:
    """``reduce`` over each row of ``x``, on the transposed copy when rows are many and short."""
    n_rows, n_columns = x.shape
    if n_rows > 2 * n_columns:
        return reduce(np.ascontiguousarray(x.T), axis=0)
    return reduce(x, axis=1)


def gather_rows(source: np.ndarray, indices: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``source[indices]`` written into ``out[:len(indices)]`` (indices must be in range)."""
    return source.take(indices, axis=0, out=out[: len(indices)], mode="clip")


def weight_array(value, dtype) -> np.ndarray:
    """A parameter array in the layout the products want: column-major for matrices, row-major
    for kernels ``(out_channels, in_channels, kh, kw)``, whose rows ``W.reshape(F, -1)`` are the
    filters of a convolution's product."""
    if np.ndim(value) == 2:
        return np.asfortranarray(value, dtype=dtype)
    return np.ascontiguousarray(value, dtype=dtype)


def zeros_like_weight(param: np.ndarray) -> np.ndarray:
    """Zeros in the shape, dtype and memory layout of ``param`` (its gradient's home)."""
    return np.zeros_like(param, order="K")


def all_finite(array: np.ndarray) -> bool:
    """Whether every value of a float or complex ``array`` is finite.

    Small arrays are tested value by value. A large one is first summed: a sum is never finite
    when a value is NaN or infinite, and its row sums ``array @ ones`` take one pass of BLAS
    over the data, with its threads, and no temporary the size of the data (multiplying by 1
    keeps every NaN and inf); rows too long for a ones vector to be small are summed by NumPy
    instead. Only a non-finite sum, from a bad value or from large finite values overflowing,
    is looked at value by value.
    """
    if array.size > MASK_LIMIT and array.ndim >= 1:
        with np.errstate(over="ignore", invalid="ignore"):
            if array.shape[-1] <= MASK_LIMIT:
                row_sums = np.matmul(array, np.ones(array.shape[-1], dtype=array.dtype))
            else:
                row_sums = np.add.reduce(array, axis=-1)
            if np.isfinite(np.add.reduce(row_sums, axis=None)):
                return True
    return bool(np.isfinite(array).all())


def time_major(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x (n_samples, T, ...)`` as a contiguous ``(T, n_samples, ...)`` array, in ``out``
    when given: each time step becomes one contiguous block."""
    if out is None:
        return np.ascontiguousarray(x.swapaxes(0, 1))
    np.copyto(out, x.swapaxes(0, 1))
    return out


def gate_activations(gates: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Sigmoid on some columns of ``gates (n_samples, width)`` and tanh on the others, in
    place, with one ``tanh`` call for all of them.

    Since ``sigmoid(z) = (1 + tanh(z / 2)) / 2``, a column with ``scale = 0.5, shift = 0.5``
    becomes a sigmoid and one with ``scale = 1, shift = 0`` a tanh when ``gates`` holds
    ``scale * z``: ``a = tanh(scale z) scale + shift``. The caller gets ``scale * z`` for free
    by scaling its weights and biases once (exact, 1/2 being a power of two). Three calls on
    the whole block per step instead of a chain of calls per gate.
    """
    np.tanh(gates, out=gates)
    gates *= scale
    gates += shift
    return gates


def aligned_empty(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised C-contiguous array of ``shape`` whose data starts on a 64-byte cache
    line.

    NumPy aligns its arrays to 16 bytes only, and a large one, which ``malloc`` maps fresh
    from the system behind a 16-byte header, starts 16 bytes past a page. Then every 64-byte
    vector load or store of its rows straddles two cache lines: a forward and backward pass
    of an LSTM (T=50, batch 32, 128 units, float32, AVX-512) took about 8% longer with its
    arrays where NumPy put them. The array is a view into a byte buffer 64 bytes longer than
    its data.
    """
    dtype = np.dtype(dtype)
    n_bytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(n_bytes + CACHE_LINE, dtype=np.uint8)
    start = -raw.ctypes.data % CACHE_LINE
    return raw[start : start + n_bytes].view(dtype).reshape(shape)
