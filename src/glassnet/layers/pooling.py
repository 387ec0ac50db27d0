"""Pooling: each output pixel summarises a window of its input channel (max or mean)."""

from __future__ import annotations

import numpy as np

from glassnet.image_ops import nchw, windows
from glassnet.layers.image import ImageLayer, Window, config_pair, image_shape, int_pair


class _Pool2D(ImageLayer):
    """A ``size`` window moved by ``stride`` (default ``size``) over each channel of an NCHW
    batch, without padding; the output has ``(H - kh) // s_h + 1`` rows (the last rows and
    columns that no window reaches are left out, as PyTorch does).

    Args:
        size: ``k`` or ``(kh, kw)``, the window (default 2).
        stride: ``s`` or ``(s_h, s_w)``; default ``size`` (windows side by side).
    """

    def __init__(self, size=2, stride=None):
        super().__init__()
        self.size = int_pair(size, "size")
        self.stride = self.size if stride is None else int_pair(stride, "stride")
        self.window: Window | None = None

    def describe(self, input_shape):
        window = self._window(input_shape)
        return (input_shape[0], *window.out_size), {}

    def _window(self, input_shape) -> Window:
        _, height, width = image_shape(type(self).__name__, input_shape)
        window = Window((height, width), self.size, self.stride)
        window.check(type(self).__name__, input_shape)
        return window

    def _init_params(self, param_shapes, rng):
        self.window = self._window(self.input_shape)

    def _input_grad(self, n_samples: int) -> np.ndarray:
        """The CHWN array that ``dJ/dx`` is written into: zeros where no window writes (the
        last rows and columns that no window reaches; every pixel when windows overlap and
        add up, or leave gaps)."""
        window = self.window
        dimage = self._array("dx", (self.input_shape[0], *window.in_size, n_samples))
        if window.kernel != window.stride:
            dimage.fill(0)
        else:  # side by side: only the uncovered last rows and columns
            covered_h, covered_w = (
                out * size for out, size in zip(window.out_size, window.kernel, strict=True)
            )
            dimage[:, covered_h:] = 0
            dimage[:, :, covered_w:] = 0
        return dimage

    def get_config(self):
        return {
            "type": type(self).__name__,
            "size": config_pair(self.size),
            "stride": config_pair(self.stride),
        }


class MaxPool2D(_Pool2D):
    """Max pooling: ``y[c, p, q] = max_{i, j} x[c, s_h p + i, s_w q + j]``.

    Backward sends each ``dJ/dy`` to the pixel that held the maximum (the first in row-major
    order when several tie, as in PyTorch) and 0 to the others. Which pixel won is stored
    compactly: a byte per output (its offset in the window), or for the common 2x2 window with
    stride 2 a boolean map per quarter of the window, built from three comparisons ("right
    beats left" in the top and in the bottom row, "bottom beats top"), so that backward is four
    products ``dJ/dx[quarter] = dJ/dy * won[quarter]``.
    """

    def forward(self, x, training=False):
        window = self.window
        image = self._chwn_input(x)
        shape = (image.shape[0], *window.out_size, len(x))
        y = self._array("y", shape, training)
        if window.kernel == window.stride == (2, 2):
            self._forward_2x2(image, y)
        else:
            self._forward_any(image, y)
        return nchw(y)

    def _forward_2x2(self, image, y) -> None:
        quarters = [view for _, _, view in windows(image, (2, 2), (2, 2), self.window.out_size)]
        top_left, top_right, bottom_left, bottom_right = quarters
        right_top, right_bottom, down = (
            self._array(name, y.shape, dtype=bool) for name in ("right1", "right2", "down")
        )
        bottom = self._array("bottom", y.shape)
        np.greater(top_right, top_left, out=right_top)
        np.greater(bottom_right, bottom_left, out=right_bottom)
        np.maximum(top_left, top_right, out=y)
        np.maximum(bottom_left, bottom_right, out=bottom)
        np.greater(bottom, y, out=down)
        np.maximum(y, bottom, out=y)
        # The winner of each window, one boolean map per quarter (booleans are cheap to combine).
        self.routes = routes = self._array("routes", (4, *y.shape), dtype=bool)
        np.logical_or(right_top, down, out=routes[0])
        np.logical_not(routes[0], out=routes[0])  # top left: neither right nor down won
        np.greater(right_top, down, out=routes[1])  # top right: right won, down did not
        np.greater(down, right_bottom, out=routes[2])  # bottom left
        np.logical_and(down, right_bottom, out=routes[3])  # bottom right

    def _forward_any(self, image, y) -> None:
        window = self.window
        offsets = windows(image, window.kernel, window.stride, window.out_size)
        index_type = np.uint8 if window.n_offsets <= 256 else np.uint16
        self.routes = argmax = self._array("argmax", y.shape, dtype=index_type)
        bigger = self._array("bigger", y.shape, dtype=bool)
        _, _, first = next(offsets)
        np.copyto(y, first)
        argmax.fill(0)
        for offset, (_, _, view) in enumerate(offsets, start=1):
            np.greater(view, y, out=bigger)
            np.copyto(y, view, where=bigger)
            np.copyto(argmax, offset, where=bigger)

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        window = self.window
        grad = grad_output.transpose(1, 2, 3, 0)
        dimage = self._input_grad(len(grad_output))
        offsets = windows(dimage, window.kernel, window.stride, window.out_size)
        if window.kernel == window.stride == (2, 2):
            for route, (_, _, quarter) in zip(self.routes, offsets, strict=True):
                np.multiply(grad, route, out=quarter)
        else:
            routed = self._array("routed", grad.shape, dtype=bool)
            share = self._array("share", grad.shape)
            for offset, (_, _, view) in enumerate(offsets):
                np.equal(self.routes, offset, out=routed)
                if window.tiles:
                    np.multiply(grad, routed, out=view)
                else:
                    view += np.multiply(grad, routed, out=share)
        return nchw(dimage)


class AvgPool2D(_Pool2D):
    """Average pooling: ``y[c, p, q] = 1/(kh kw) sum_{i, j} x[c, s_h p + i, s_w q + j]``;
    backward gives every pixel of a window ``dJ/dy / (kh kw)``.
    """

    def forward(self, x, training=False):
        window = self.window
        image = self._chwn_input(x)
        y = self._array("y", (image.shape[0], *window.out_size, len(x)), training)
        offsets = windows(image, window.kernel, window.stride, window.out_size)
        _, _, first = next(offsets)
        np.copyto(y, first)
        for _, _, view in offsets:
            y += view
        y *= 1 / window.n_offsets
        return nchw(y)

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        window = self.window
        grad = grad_output.transpose(1, 2, 3, 0)
        share = np.multiply(grad, 1 / window.n_offsets, out=self._array("share", grad.shape))
        dimage = self._input_grad(len(grad_output))
        for _, _, view in windows(dimage, window.kernel, window.stride, window.out_size):
            if window.tiles:
                np.copyto(view, share)
            else:
                view += share
        return nchw(dimage)


class GlobalAvgPool2D(ImageLayer):
    """The mean of each channel over the whole image: ``(C, H, W) -> (C,)``,
    ``y[c] = 1/(H W) sum_{h, w} x[c, h, w]``; backward spreads ``dJ/dy[c] / (H W)`` over the
    channel. A Dense layer can follow it directly."""

    def describe(self, input_shape):
        channels, _, _ = image_shape("GlobalAvgPool2D", input_shape)
        return (channels,), {}

    def forward(self, x, training=False):
        image = self._chwn_input(x)
        channels, height, width, n_samples = image.shape
        means = self._array("y", (channels, n_samples), training)
        np.add.reduce(image.reshape(channels, height * width, n_samples), axis=1, out=means)
        means *= 1 / (height * width)
        return means.T

    def backward(self, grad_output, need_input_grad=True):
        if not need_input_grad:
            return None
        channels, height, width = self.input_shape
        dimage = self._array("dx", (channels, height, width, len(grad_output)))
        np.multiply(grad_output.T[:, None, None, :], 1 / (height * width), out=dimage)
        return nchw(dimage)
