"""What the image layers (convolution, pooling) share: the checks of an image shape, the
geometry of a sliding window and the CHWN arrays of ``glassnet.image_ops``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet.image_ops import chwn, copy_to_chwn
from glassnet.layers.base import Layer

NO_PADDING = ((0, 0), (0, 0))


@dataclass(frozen=True)
class Window:
    """A window sliding over an image of ``in_size = (H, W)``, padded by ``padding = ((top,
    bottom), (left, right))``: ``kernel = (kh, kw)`` pixels moved by ``stride = (s_h, s_w)``,
    giving ``out_size = (Ho, Wo)`` positions with ``Ho = (H + top + bottom - kh) // s_h + 1``."""

    in_size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]] = NO_PADDING

    @property
    def padded_size(self) -> tuple[int, int]:
        (top, bottom), (left, right) = self.padding
        return self.in_size[0] + top + bottom, self.in_size[1] + left + right

    @property
    def out_size(self) -> tuple[int, int]:
        sizes = zip(self.padded_size, self.kernel, self.stride, strict=True)
        return tuple((padded - kernel) // stride + 1 for padded, kernel, stride in sizes)

    @property
    def n_offsets(self) -> int:
        """Pixels in the window: ``kh kw``."""
        return self.kernel[0] * self.kernel[1]

    @property
    def tiles(self) -> bool:
        """Whether the windows never overlap (``stride >= kernel``): each pixel is in at most
        one window, so backward can write instead of add."""
        pairs = zip(self.kernel, self.stride, strict=True)
        return all(stride >= kernel for kernel, stride in pairs)

    def check(self, layer: str, input_shape: tuple[int, ...]) -> None:
        """Raise ``ValueError`` when the window does not fit in the (padded) image."""
        padded_h, padded_w = self.padded_size
        if self.kernel[0] > padded_h or self.kernel[1] > padded_w:
            padded = "" if self.padding == NO_PADDING else f" (padded to {padded_h}x{padded_w})"
            raise ValueError(
                f"{layer}'s {self.kernel[0]}x{self.kernel[1]} window is larger than its input "
                f"image {self.in_size[0]}x{self.in_size[1]}{padded}: samples of shape "
                f"{input_shape}"
            )


def image_shape(layer: str, input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """``(channels, height, width)`` of a sample, or a ``ValueError`` naming ``layer``."""
    if len(input_shape) != 3:
        raise ValueError(
            f"{layer} expects images of shape (channels, height, width), but receives samples "
            f"of shape {input_shape}; give the network input_shape=(channels, height, width)"
            + (" or put a Reshape before it" if len(input_shape) == 1 else "")
        )
    return input_shape


def int_pair(value, name: str) -> tuple[int, int]:
    """A positive int, or a pair of them, as ``(along height, along width)``."""
    pair = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(pair) != 2 or not all(
        isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size >= 1
        for size in pair
    ):
        raise ValueError(f"{name} must be a positive integer or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def config_pair(pair: tuple[int, int]):
    """A pair as a config writes it: one int when both sizes agree, else a list."""
    return pair[0] if pair[0] == pair[1] else list(pair)


class ImageLayer(Layer):
    """A layer on NCHW image batches that works on CHWN arrays (see ``glassnet.image_ops``)."""

    def _chwn_input(self, x: np.ndarray, padding=NO_PADDING) -> np.ndarray:
        """``x`` as a CHWN array: its own memory when it is already one and needs no padding,
        else a copy into a reused array, inside a border of zeros."""
        if padding == NO_PADDING:
            behind = chwn(x)
            if behind is not None:
                return behind
        (top, bottom), (left, right) = padding
        n_samples, channels, height, width = x.shape
        shape = (channels, height + top + bottom, width + left + right, n_samples)
        return copy_to_chwn(x, self._array("x_chwn", shape), padding)
