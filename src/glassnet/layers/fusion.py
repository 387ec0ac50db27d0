"""Stages: how a network runs its layers, one at a time or a convolution and its max pool as one.

Max pooling commutes with a non-decreasing activation ``f``: the largest of ``f(z)`` over a
window is ``f`` of the largest ``z``, taken at the same pixel (with ReLU, a window whose ``z``
are all negative gives 0 and a zero gradient either way). So a ``Conv2D`` whose activation
never decreases, followed by a ``MaxPool2D``, can pool ``z`` first and apply ``f`` (forward)
and ``f'`` (backward) to the pooled values only (a quarter of them for 2x2 windows): the same
numbers, bit for bit when the windows do not overlap (where they do, ``f'`` scales each
window's share before the shares are added, which rounds differently), with two passes fewer
over the convolution's full-size output. ``Network`` runs such pairs as
one ``ConvMaxPool`` stage; called on their own, the layers still compute the textbook order.
"""

from __future__ import annotations

from glassnet.layers.base import Layer
from glassnet.layers.conv import Conv2D
from glassnet.layers.pooling import MaxPool2D


class ConvMaxPool(Layer):
    """A ``Conv2D`` and the ``MaxPool2D`` after it, run as ``pool(z)`` then ``f``.

    Forward: ``z = W * x + b`` (the convolution without its activation), ``m = maxpool(z)``,
    ``a = f(m)``. Backward from ``dJ/da``: ``dJ/dm = dJ/da * f'(m)`` at the pooled size, the
    pool routes it to ``dJ/dz``, and the convolution takes it from there. The two layers keep
    their parameters; the stage only orders their work.
    """

    def __init__(self, conv: Conv2D, pool: MaxPool2D):
        super().__init__()
        self.conv, self.pool = conv, pool
        self.dtype = conv.dtype

    def forward(self, x, training=False):
        pooled = self.pool.forward(self.conv.forward_linear(x, training), training)
        self.a = self.conv.activation.forward(pooled, out=pooled)
        return self.a

    def backward(self, grad_output, need_input_grad=True):
        delta = self._array_like("delta", grad_output)
        self.conv.activation.backward(grad_output, self.a, self.a, out=delta)
        return self.conv.backward_linear(self.pool.backward(delta), need_input_grad)


def stages(layers: list[Layer]) -> list[tuple[object, int]]:
    """``(stage, index of its first layer)`` for running ``layers`` in order: each layer on its
    own, except a ``Conv2D`` with a non-decreasing activation (whose derivative its output
    gives) followed by a ``MaxPool2D``, which run as one ``ConvMaxPool``."""
    result, index = [], 0
    while index < len(layers):
        layer = layers[index]
        following = layers[index + 1] if index + 1 < len(layers) else None
        activation = getattr(layer, "activation", None)
        if (
            isinstance(layer, Conv2D)
            and isinstance(following, MaxPool2D)
            and activation.nondecreasing
            and activation.derivative_from_output
        ):
            result.append((ConvMaxPool(layer, following), index))
            index += 2
        else:
            result.append((layer, index))
            index += 1
    return result
