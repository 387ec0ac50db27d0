"""ONNX emitters of the image layers, on NCHW batches as in glassnet: Conv2D, MaxPool2D,
AvgPool2D and GlobalAvgPool2D."""

from __future__ import annotations

from glassnet.onnx.activations import emit_activation


def conv(graph, layer, index, x) -> str:
    """``z = W * x + b`` as one ``Conv`` (``W (F, C, kh, kw)`` as ONNX holds it), then
    ``f(z)``. The padding is the layer's own: ``((top, bottom), (left, right))`` zeros, which
    ONNX writes ``[top, left, bottom, right]``, so ``"same"`` with an odd total keeps its extra
    row and column at the bottom and right."""
    window = layer.window
    (top, bottom), (left, right) = window.padding
    weight = graph.constant(f"layers.{index}.W", layer.params["W"])
    bias = graph.constant(f"layers.{index}.b", layer.params["b"])
    z = graph.node(
        "Conv",
        [x, weight, bias],
        f"layers.{index}.z",
        kernel_shape=list(window.kernel),
        strides=list(window.stride),
        pads=[top, left, bottom, right],
    )
    return emit_activation(graph, layer.activation, index, z, f"layers.{index}.a")


def _pool(op_type):
    def emit(graph, layer, index, x) -> str:
        # No padding and floor rounding (ceil_mode=0): the rows and columns no window
        # reaches are left out, as glassnet does; every window holds kh kw real pixels.
        window = layer.window
        return graph.node(
            op_type,
            [x],
            f"layers.{index}.y",
            kernel_shape=list(window.kernel),
            strides=list(window.stride),
        )

    emit.__doc__ = f"One ``{op_type}`` without padding, floor rounding."
    return emit


max_pool = _pool("MaxPool")
avg_pool = _pool("AveragePool")


def global_avg_pool(graph, layer, index, x) -> str:
    """``GlobalAveragePool`` gives ``(n, C, 1, 1)``; ``Flatten`` makes it ``(n, C)``."""
    pooled = graph.node("GlobalAveragePool", [x], f"layers.{index}.pooled")
    return graph.node("Flatten", [pooled], f"layers.{index}.y", axis=1)
