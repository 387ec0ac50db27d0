"""ONNX emitters of the layers that work on any shape: Dense, Dropout, BatchNorm, Flatten,
Reshape and Embedding. Each is ``emit(graph, layer, index, x) -> name of its output``."""

from __future__ import annotations

from glassnet.onnx.activations import emit_activation


def dense(graph, layer, index, x) -> str:
    """``z = x W^T + b`` (W is ``(n_out, n_in)``), then ``f(z)``: one ``Gemm`` with
    ``transB=1`` for rows, ``MatMul`` with ``W^T`` and ``Add`` on the last axis of more."""
    bias = graph.constant(f"layers.{index}.b", layer.params["b"])
    if len(layer.input_shape) == 1:
        weight = graph.constant(f"layers.{index}.W", layer.params["W"])
        z = graph.node("Gemm", [x, weight, bias], f"layers.{index}.z", transB=1)
    else:
        weight = graph.constant(f"layers.{index}.W^T", layer.params["W"].T)
        product = graph.node("MatMul", [x, weight], f"layers.{index}.xW^T")
        z = graph.node("Add", [product, bias], f"layers.{index}.z")
    return emit_activation(graph, layer.activation, index, z, f"layers.{index}.a")


def dropout(graph, layer, index, x) -> str:
    """Dropout predicts as the identity."""
    return graph.node("Identity", [x], f"layers.{index}.y")


def batch_norm(graph, layer, index, x) -> str:
    """Inference with the running statistics, channels on axis 1 (rows ``(n, C)`` or images
    ``(n, C, H, W)``): ``y = gamma (x - running_mean) / sqrt(running_var + eps) + beta``, one
    ``BatchNormalization`` node."""
    names = [
        graph.constant(f"layers.{index}.{key}", values[key])
        for values, key in (
            (layer.params, "gamma"),
            (layer.params, "beta"),
            (layer.state, "running_mean"),
            (layer.state, "running_var"),
        )
    ]
    return graph.node("BatchNormalization", [x, *names], f"layers.{index}.y", epsilon=layer.epsilon)


def reshape(graph, layer, index, x) -> str:
    """Reshape and Flatten: each sample to ``output_shape``, read in row-major order (the
    leading 0 keeps the batch size)."""
    shape = graph.int64s(f"layers.{index}.shape", [0, *layer.output_shape])
    return graph.node("Reshape", [x, shape], f"layers.{index}.y")


def embedding(graph, layer, index, x) -> str:
    """``y[..., :] = W[x[...], :]``: one ``Gather`` of the table's rows by token id. Ids that
    arrive as floats (a layer before the Embedding) are cast to int64 first."""
    int64 = graph.onnx.TensorProto.INT64
    if graph.elem_type(x) != int64:
        x = graph.node("Cast", [x], f"layers.{index}.ids", to=int64)
    table = graph.constant(f"layers.{index}.W", layer.params["W"])
    return graph.node("Gather", [table, x], f"layers.{index}.y", axis=0)
