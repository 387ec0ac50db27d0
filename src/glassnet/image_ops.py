"""Array operations for the image layers: the NumPy-specific half of convolution and pooling.

``glassnet.ops`` names this module as its sibling: a new array backend replaces both.

**Memory layout.** Image batches are NCHW by shape, ``(n_samples, channels, height, width)``,
as in PyTorch, and every value sits where NCHW indexing says. In memory, the image layers keep
their arrays channel-major with the batch innermost, ``(C, H, W, n)`` ("CHWN"), and hand them
on as NCHW views (``nchw``). The batch on the fast axis is what makes NumPy quick here:

* a window of a convolution or a pool, ``x[c, i:i+Ho, j:j+Wo, :]``, is one long run of
  ``Wo * n`` contiguous values for a stride of 1 (of ``n`` values otherwise), so im2col,
  col2im and pooling move long runs instead of rows of a few pixels;
* the columns of im2col, ``(C kh kw, Ho Wo n)``, make each of a convolution's three products
  (forward, ``dJ/dW``, ``dJ/dx``) a single BLAS call on two plain matrices, and the forward
  product lands in CHWN order itself, so no layout copy is ever made;
* per-channel statistics (batch norm) reduce contiguous rows.

Any NCHW array works as input; one that is not a CHWN view is copied into one first.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def chwn(x: np.ndarray) -> np.ndarray | None:
    """The contiguous ``(C, H, W, n)`` array behind the NCHW batch ``x``, or None when ``x``
    is not such a view (then the caller copies it with ``copy_to_chwn``)."""
    behind = x.transpose(1, 2, 3, 0)
    return behind if behind.flags.c_contiguous else None


def nchw(array: np.ndarray) -> np.ndarray:
    """The NCHW view ``(n, C, H, W)`` of a CHWN array ``(C, H, W, n)``: no copy."""
    return array.transpose(3, 0, 1, 2)


def copy_to_chwn(x: np.ndarray, out: np.ndarray, padding=((0, 0), (0, 0))) -> np.ndarray:
    """Write the NCHW batch ``x`` into the CHWN array ``out``, inside a border of zeros.

    ``padding`` is ``((top, bottom), (left, right))``; ``out`` has shape
    ``(C, H + top + bottom, W + left + right, n)``. Returns ``out``.
    """
    (top, bottom), (left, right) = padding
    _, height, width, _ = out.shape
    out[:, :top] = 0
    out[:, height - bottom :] = 0
    out[:, :, :left] = 0
    out[:, :, width - right :] = 0
    np.copyto(out[:, top : height - bottom, left : width - right], x.transpose(1, 2, 3, 0))
    return out


def windows(image: np.ndarray, kernel, stride, out_size):
    """``(i, j, view)`` for every kernel offset of a window sliding over a CHWN ``image``:
    ``view[c, ho, wo, m] = image[c, s_h ho + i, s_w wo + j, m]``, of shape ``(C, Ho, Wo, n)``.

    A loop over the ``kh kw`` offsets of the kernel, never over samples or pixels: each view
    covers the whole batch.
    """
    (stride_h, stride_w), (out_h, out_w) = stride, out_size
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            rows = slice(i, i + stride_h * (out_h - 1) + 1, stride_h)
            columns = slice(j, j + stride_w * (out_w - 1) + 1, stride_w)
            yield i, j, image[:, rows, columns]


def im2col(image: np.ndarray, cols: np.ndarray, kernel, stride, out_size) -> None:
    """Fill the columns of a convolution: ``cols[(c, i, j), (ho, wo, m)] =
    image[c, s_h ho + i, s_w wo + j, m]`` for a CHWN ``image`` (already padded).

    ``cols`` is ``(C kh kw, Ho Wo n)``, C-contiguous: one row per weight of a filter, one column
    per output position of every sample, so that ``W (F, C kh kw) @ cols`` is the whole
    convolution in one product. The windows are a strided view of ``image`` (no copy); the one
    copy is into ``cols``.
    """
    channels, _, _, n_samples = image.shape
    (kernel_h, kernel_w), (stride_h, stride_w), (out_h, out_w) = kernel, stride, out_size
    step_c, step_h, step_w, step_n = image.strides
    view = as_strided(
        image,
        shape=(channels, kernel_h, kernel_w, out_h, out_w, n_samples),
        strides=(step_c, step_h, step_w, stride_h * step_h, stride_w * step_w, step_n),
        writeable=False,
    )
    np.copyto(cols.reshape(view.shape), view)


def col2im(dcols: np.ndarray, dimage: np.ndarray, kernel, stride, out_size) -> None:
    """The adjoint of ``im2col``: ``dimage[c, s_h ho + i, s_w wo + j, m] += dcols[(c, i, j),
    (ho, wo, m)]``, summed over every window that covers a pixel, into a CHWN ``dimage``
    (zeroed first). One strided add per kernel offset."""
    channels, _, _, n_samples = dimage.shape
    by_offset = dcols.reshape(channels, *kernel, *out_size, n_samples)
    dimage.fill(0)
    for i, j, view in windows(dimage, kernel, stride, out_size):
        view += by_offset[:, i, j]
