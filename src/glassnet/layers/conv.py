"""The 2-D convolution of a convolutional network (CNN)."""

from __future__ import annotations

import math

import numpy as np

from glassnet import activations, initializers
from glassnet._checks import positive_int
from glassnet.image_ops import col2im, im2col, nchw
from glassnet.layers.image import ImageLayer, Window, config_pair, image_shape, int_pair

PADDING_NAMES = ("same", "valid")


class Conv2D(ImageLayer):
    """A convolution: ``F`` filters slide over an image and each gives one feature map.

    Images are NCHW, ``(n_samples, channels, height, width)``, as in PyTorch, and so are the
    parameters: ``W`` has shape ``(out_channels, in_channels, kh, kw)`` and ``b`` shape
    ``(out_channels,)``, so PyTorch's ``Conv2d.weight`` and ``.bias`` copy across one to one.
    For output channel ``f`` at position ``(p, q)`` (strides ``s_h, s_w``, input zero-padded)::

        z[f, p, q] = b[f] + sum_{c, i, j} W[f, c, i, j] x[c, s_h p + i, s_w q + j]
        a = f(z)

    which is the tutorial's ``z = W a + b`` with one small ``W`` shared by every position. As
    products: im2col lays every window out as a column, ``cols (C kh kw, Ho Wo n)``, and
    ``z = W cols + b`` is one matrix product for the whole batch. Backward from the residual
    ``delta = dJ/dz = dJ/da * f'(z)`` (whose 1/n the loss holds)::

        dJ/dW = delta cols^T          dJ/db = sum of delta over positions and samples
        dJ/dx = col2im(W^T delta)     (each pixel sums what its windows send back)

    The bias rides in the product as a last column of ``W`` against a row of ones in ``cols``,
    so ``dJ/db`` comes out of ``dJ/dW``'s product too. Activations whose derivative can be read
    from their output (ReLU, sigmoid, tanh, identity) are applied in place, and the layer keeps
    ``a`` only (then ``z`` is ``a``). Arrays stay in the batch-innermost layout of
    ``glassnet.image_ops``, and the output is an NCHW view of it.

    Args:
        in_channels: channels of the input images (1 for grey, 3 for colour).
        out_channels: number of filters, the channels of the output.
        kernel_size: ``k`` or ``(kh, kw)``.
        stride: ``s`` or ``(s_h, s_w)``; the output has ``(H + pads - kh) // s_h + 1`` rows.
        padding: zeros around the image: ``p`` or ``(p_h, p_w)`` on each side, ``"valid"`` (0)
            or ``"same"`` (output size ``ceil(H / s_h)``; an odd total puts the extra row and
            column at the bottom and right, as PyTorch and TensorFlow do).
        activation: element-wise activation (default ``"relu"``); name, config or instance.
        weight_init: initialiser; default He for ReLU-like activations, Glorot otherwise, with
            fans that count the kernel's receptive field (``fan_in = in_channels kh kw``).
        bias_init: initialiser for ``b`` (default zeros).
    """

    decay_keys = ("W",)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        activation="relu",
        weight_init=None,
        bias_init="zeros",
    ):
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.kernel_size = int_pair(kernel_size, "kernel_size")
        self.stride = int_pair(stride, "stride")
        self.padding = _padding(padding)
        self.activation = activations.get(activation)
        if not self.activation.elementwise:
            raise ValueError(
                f"Conv2D needs an element-wise activation, got {self.activation.name!r}"
            )
        if weight_init is None:
            weight_init = initializers.default_for(self.activation.name)
        self.weight_init = initializers.get(weight_init)
        self.bias_init = initializers.get(bias_init)
        self.window: Window | None = None
        self.cols = self.z = self.a = self._kernel = None

    def describe(self, input_shape):
        window = self._window(input_shape)
        return (self.out_channels, *window.out_size), {
            "W": (self.out_channels, self.in_channels, *self.kernel_size),
            "b": (self.out_channels,),
        }

    def _window(self, input_shape) -> Window:
        channels, height, width = image_shape("Conv2D", input_shape)
        if channels != self.in_channels:
            raise ValueError(
                f"Conv2D expects in_channels={self.in_channels} channels (axis 1 of NCHW), but "
                f"receives samples of shape {input_shape} with {channels}"
            )
        window = Window((height, width), self.kernel_size, self.stride)
        window = Window(window.in_size, window.kernel, window.stride, _pads(self.padding, window))
        window.check("Conv2D", input_shape)
        return window

    def _init_params(self, param_shapes, rng):
        self.window = self._window(self.input_shape)
        inits = {"W": self.weight_init, "b": self.bias_init}
        for key, shape in param_shapes.items():
            self._add_param(key, inits[key](shape, rng, self.dtype))

    def multiply_adds_per_sample(self):
        """Each weight once per output pixel: ``C' C kh kw H' W'``."""
        return self.params["W"].size * math.prod(self.output_shape[1:])

    @property
    def _n_weights(self) -> int:
        """Weights per filter: ``C kh kw``, the rows of ``cols`` before the row of ones."""
        return self.in_channels * math.prod(self.kernel_size)

    def forward(self, x, training=False):
        z = self.forward_linear(x, training).transpose(1, 2, 3, 0)
        # a = f(z), in place when f' can be read from a
        if self.activation.derivative_from_output:
            a = self.activation.forward(z, out=z)
        else:
            a = self.activation.forward(z, out=self._array("a", z.shape, training))
        self.a = nchw(a)
        return self.a

    def forward_linear(self, x, training=False):
        """``z = W * x + b`` without the activation, as an NCHW view; kept as ``self.z``."""
        window, n_weights = self.window, self._n_weights
        image = self._chwn_input(x, window.padding)
        out_shape = (self.out_channels, *window.out_size, len(x))
        n_positions = math.prod(out_shape[1:])
        # 1. the windows as columns, with a row of ones that meets the bias
        cols = self._array("cols", (n_weights + 1, n_positions))
        im2col(image, cols[:n_weights], window.kernel, window.stride, window.out_size)
        cols[n_weights] = 1
        # 2. z = [W b] [cols; 1], straight into the batch-innermost layout
        self._kernel = kernel = self._kernel_matrix()
        z = self._array("z", (self.out_channels, n_positions), training)
        np.matmul(kernel, cols, out=z)
        self.cols = cols
        self.z, self.a = nchw(z.reshape(out_shape)), None
        return self.z

    def backward(self, grad_output, need_input_grad=True):
        # delta = dJ/da * f'(z), in the layout of z
        delta = self._array("delta", self.z.transpose(1, 2, 3, 0).shape)
        self.activation.backward(
            grad_output.transpose(1, 2, 3, 0),
            self.z.transpose(1, 2, 3, 0),
            self.a.transpose(1, 2, 3, 0),
            out=delta,
        )
        return self.backward_linear(nchw(delta), need_input_grad)

    def backward_linear(self, delta, need_input_grad=True):
        """Backward from the residual ``delta = dJ/dz`` (NCHW): fill ``grads``, return
        ``dJ/dx`` (or None)."""
        window, n_weights = self.window, self._n_weights
        delta = delta.transpose(1, 2, 3, 0).reshape(self.out_channels, -1)
        # 1. [dJ/dW dJ/db] = delta [cols; 1]^T: one product, formed as its transpose
        #    [cols; 1] delta^T, the order in which BLAS runs this long sum fastest
        kernel_grad = self._array("kernel_grad", (n_weights + 1, self.out_channels))
        np.matmul(self.cols, delta.T, out=kernel_grad)
        np.copyto(self.grads["W"], kernel_grad[:n_weights].T.reshape(self.grads["W"].shape))
        np.copyto(self.grads["b"], kernel_grad[n_weights])
        if not need_input_grad:
            return None
        # 2. dJ/dx = col2im(W^T delta); the columns are spent, so their memory takes W^T delta
        dcols = np.matmul(self._kernel[:, :n_weights].T, delta, out=self.cols[:n_weights])
        self.cols = None
        (top, _), (left, _) = window.padding
        padded = (self.in_channels, *window.padded_size, delta.shape[1] // self._positions)
        dimage = self._array("dx", padded)
        col2im(dcols, dimage, window.kernel, window.stride, window.out_size)
        height, width = window.in_size
        return nchw(dimage[:, top : top + height, left : left + width])

    @property
    def _positions(self) -> int:
        """Output positions per sample: ``Ho Wo``."""
        return math.prod(self.window.out_size)

    def _kernel_matrix(self) -> np.ndarray:
        """``[W b]``, shape ``(out_channels, C kh kw + 1)``: the filters as rows, bias last."""
        n_weights = self._n_weights
        kernel = self._array("kernel", (self.out_channels, n_weights + 1))
        np.copyto(kernel[:, :n_weights], self.params["W"].reshape(self.out_channels, n_weights))
        np.copyto(kernel[:, n_weights], self.params["b"])
        return kernel

    def get_config(self):
        return {
            "type": "Conv2D",
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": config_pair(self.kernel_size),
            "stride": config_pair(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else config_pair(self.padding),
            "activation": self.activation.get_config(),
            **initializers.config_of(weight_init=self.weight_init, bias_init=self.bias_init),
        }


def _padding(padding):
    """``"same"``, ``"valid"`` or a pair of non-negative ints (rows, columns on each side)."""
    if isinstance(padding, str):
        if padding not in PADDING_NAMES:
            raise ValueError(
                f"padding must be a non-negative integer, a pair of them, 'same' or 'valid', "
                f"got {padding!r}"
            )
        return padding
    pair = (padding, padding) if not isinstance(padding, (tuple, list)) else tuple(padding)
    if len(pair) != 2 or not all(
        isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size >= 0
        for size in pair
    ):
        raise ValueError(
            f"padding must be a non-negative integer, a pair of them, 'same' or 'valid', "
            f"got {padding!r}"
        )
    return int(pair[0]), int(pair[1])


def _pads(padding, window: Window) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((top, bottom), (left, right))`` zeros for a padding setting."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        pads = []
        for size, kernel, stride in zip(window.in_size, window.kernel, window.stride, strict=True):
            total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    return (padding[0], padding[0]), (padding[1], padding[1])
