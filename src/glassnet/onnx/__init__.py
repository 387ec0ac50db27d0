"""ONNX export: a trained network as an ONNX graph, for onnxruntime and every other runtime.

The graph computes what ``Network.predict_output``, ``predict_proba`` and ``predict`` compute,
in float32, from one input ``X``:

* ``X (n_samples, *input_shape)`` in float32: feature rows ``(n_samples, n_in)``, images
  ``(n_samples, C, H, W)``, sequences ``(n_samples, T, F)``. ``predict`` also takes images and
  sequences flattened to rows of ``n_in`` values (as a CSV file holds them); the graph takes the
  shape its first layer reads, so flattened rows are reshaped first, ``X.reshape(-1,
  *input_shape)`` (row-major, as ``predict`` reads them).
* ``X (n_samples, T)`` in int64 for a network whose first layer is an ``Embedding``: token
  ids, as every runtime holds them (ONNX's ``Gather`` reads int64 indices). glassnet refuses
  ids that are not whole numbers in ``[0, n_tokens)``; onnxruntime refuses those out of range
  but wraps a negative id from the end of the table, as ``Gather`` does.

From ``X``, in order:

1. the input standardisation, when the network has a scaler: ``x' = (x - mean) / scale``
   (element-wise over ``input_shape``; refused before an ``Embedding``, whose ids are not
   scaled);
2. every layer, in order, through the table ``LAYER_EMITTERS`` (layer type -> the function that
   writes its nodes):

   - ``Dense``: ``z = x W^T + b`` (one ``Gemm`` on rows, ``MatMul`` and ``Add`` on the last
     axis of more, e.g. every step of a sequence) and its activation from
     ``ACTIVATION_EMITTERS``; ``Dropout``: the identity, as when predicting;
   - ``Conv2D``: one ``Conv`` with the layer's own padding (``"same"``, ``"valid"`` or sizes)
     and strides, and its activation; ``MaxPool2D`` / ``AvgPool2D``: ``MaxPool`` /
     ``AveragePool`` without padding, floor rounding; ``GlobalAvgPool2D``:
     ``GlobalAveragePool`` and ``Flatten``;
   - ``BatchNorm``: ``BatchNormalization`` with the running statistics and the layer's
     epsilon, on rows ``(n, C)`` or images ``(n, C, H, W)``; ``Flatten`` / ``Reshape``:
     ``Reshape``; ``Embedding``: ``Gather``;
   - ``SimpleRNN`` / ``LSTM`` / ``GRU``: ONNX's ``RNN`` / ``LSTM`` / ``GRU`` operators, with
     the gates reordered and zero initial states (see ``glassnet.onnx.recurrent``, which also
     says how a ``mask_value`` is kept exactly);
3. the outputs. A regression network has one, ``output (n_samples, *output_shape)``. A
   classifier has ``probabilities (n_samples, *positions, n_classes)`` in ``classes`` order
   (``[1 - a, a]`` for a single sigmoid unit) and ``label (n_samples, *positions)`` in the
   user's own label values, strings or numbers, picked by the rule of
   ``glassnet.network.class_indices``: ``a >= 0.5`` for one unit, else the largest output.
   ``positions`` is empty for one row of class scores per sample, ``(T,)`` for a label per
   step of a sequence.

A new layer family joins the export with one entry in ``LAYER_EMITTERS``: a function
``emit(graph, layer, index, x) -> name`` that adds the layer's nodes reading tensor ``x`` and
returns the name of its output tensor (``glassnet.onnx.graph.Graph`` has ``constant``,
``node`` and ``node_outputs``).

Every operator used is in opset 13, the oldest accepted; ``opset=`` picks a newer one.

The ``onnx`` package is imported inside these functions: ``import glassnet`` does not load it.
"""

from __future__ import annotations

import json

import numpy as np

from glassnet import __version__
from glassnet._checks import non_negative_int
from glassnet._files import atomic_write
from glassnet.layers import (
    GRU,
    LSTM,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAvgPool2D,
    MaxPool2D,
    Reshape,
    SimpleRNN,
)
from glassnet.network import Network
from glassnet.onnx import core, image
from glassnet.onnx.activations import ACTIVATION_EMITTERS
from glassnet.onnx.graph import Graph, tensor_info
from glassnet.onnx.recurrent import recurrent

#: The oldest opset the graph is written for (``Softmax`` on the last axis and ``Squeeze``
#: with its axes as an input need 13).
MIN_OPSET = 13
#: The opset used when none is asked for: read by every onnxruntime since 1.12.
DEFAULT_OPSET = 17

__all__ = [
    "ACTIVATION_EMITTERS",
    "DEFAULT_OPSET",
    "LAYER_EMITTERS",
    "MIN_OPSET",
    "input_type",
    "save",
    "to_model",
]

LAYER_EMITTERS = {
    Dense: core.dense,
    Dropout: core.dropout,
    BatchNorm: core.batch_norm,
    Flatten: core.reshape,
    Reshape: core.reshape,
    Embedding: core.embedding,
    Conv2D: image.conv,
    MaxPool2D: image.max_pool,
    AvgPool2D: image.avg_pool,
    GlobalAvgPool2D: image.global_avg_pool,
    SimpleRNN: recurrent,
    LSTM: recurrent,
    GRU: recurrent,
}


def save(network, path, *, opset: int = DEFAULT_OPSET) -> None:
    """Write ``network`` as an ONNX model file at ``path``, atomically.

    The model passes ``onnx.checker.check_model`` before a byte is written; an existing file
    at ``path`` is replaced only once the new one is complete.
    """
    model = to_model(network, opset=opset)
    with atomic_write(path) as handle:
        handle.write(model.SerializeToString())


def to_model(network, *, opset: int = DEFAULT_OPSET):
    """Return the ``onnx.ModelProto`` of ``network`` (see the module docstring), checked."""
    onnx = _onnx()
    if not isinstance(network, Network):
        raise TypeError(f"network must be a glassnet Network, got {type(network).__name__}")
    opset = non_negative_int(opset, "opset")
    newest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"opset must be an integer from {MIN_OPSET} to {newest} (this onnx package's "
            f"newest), got {opset}"
        )

    graph = Graph(onnx)
    x = _input(graph, network)
    for index, layer in enumerate(network.layers):
        emit = LAYER_EMITTERS.get(type(layer))
        if emit is None:
            raise ValueError(
                f"layers[{index}] is a {type(layer).__name__}, which the ONNX export does not "
                f"know; it exports: {', '.join(cls.__name__ for cls in LAYER_EMITTERS)}"
            )
        x = emit(graph, layer, index, x)

    if network.classes is None:
        graph.node("Identity", [x], "output")
        graph.outputs.append(
            tensor_info(onnx, "output", onnx.TensorProto.FLOAT, network.output_shape)
        )
    else:
        _classifier_outputs(graph, network, x)

    model = onnx.helper.make_model(
        onnx.helper.make_graph(
            graph.nodes, "glassnet", graph.inputs, graph.outputs, graph.initializers
        ),
        opset_imports=[onnx.helper.make_opsetid("", opset)],
        producer_name="glassnet",
        producer_version=__version__,
        doc_string=f"glassnet {network!r}",
    )
    model.ir_version = onnx.helper.find_min_ir_version_for(list(model.opset_import))
    onnx.helper.set_model_props(model, _metadata(network))
    onnx.checker.check_model(model, full_check=True)
    return model


def input_type(network) -> str:
    """The element type of the graph's input ``X``: ``"int64"`` (token ids) when the first
    layer is an Embedding, else ``"float32"``."""
    return "int64" if isinstance(network.layers[0], Embedding) else "float32"


def _input(graph, network) -> str:
    """The graph input ``X`` (int64 token ids before an Embedding, else float32), standardised
    when the network has a scaler."""
    onnx = graph.onnx
    if input_type(network) == "int64":
        if network.scaler is not None:
            raise ValueError(
                "the network standardises its inputs, but its first layer is an Embedding, "
                "which reads token ids: refit it without standardize to export it"
            )
        return graph.add_input("X", network.input_shape, onnx.TensorProto.INT64)
    x = graph.add_input("X", network.input_shape, onnx.TensorProto.FLOAT)
    if network.scaler is None:
        return x
    # The scaler reads a sample as one row of n_in values: element-wise over input_shape.
    mean = graph.constant("scaler.mean", network.scaler.mean.reshape(network.input_shape))
    scale = graph.constant("scaler.scale", network.scaler.scale.reshape(network.input_shape))
    return graph.node("Div", [graph.node("Sub", [x, mean], "scaler.centred"), scale], "scaler")


# -- outputs -------------------------------------------------------------------------------------


def _classifier_outputs(graph, network, a) -> None:
    """``probabilities`` and ``label`` from the output activation ``a``, class scores on the
    last axis (one row per sample, or per step of a sequence)."""
    onnx = graph.onnx
    classes = np.asarray(network.classes)
    last_axis = graph.int64s("last_axis", [-1])
    if network.n_out == 1:
        one = graph.constant("one", np.ones(1))
        not_a = graph.node("Sub", [one, a], "a.not")
        probabilities = graph.node("Concat", [not_a, a], "", axis=-1)
        half = graph.constant("half", np.full(1, 0.5))
        above = graph.node("GreaterOrEqual", [a, half], "a.at_least_half")
        index = graph.node("Cast", [above], "class_index.column", to=onnx.TensorProto.INT64)
        index = graph.node("Squeeze", [index, last_axis], "class_index")
    else:
        probabilities = a
        index = graph.node("ArgMax", [a], "class_index", axis=-1, keepdims=0)
    graph.node("Identity", [probabilities], "probabilities")
    label_values = graph.constant("classes", _label_array(classes))
    graph.node("Gather", [label_values, index], "label", axis=0)
    positions = network.output_shape[:-1]
    n_columns = max(network.n_out, 2)
    graph.outputs.append(
        tensor_info(onnx, "probabilities", onnx.TensorProto.FLOAT, (*positions, n_columns))
    )
    graph.outputs.append(tensor_info(onnx, "label", graph.elem_type("classes"), positions))


def _label_array(classes: np.ndarray) -> np.ndarray:
    """The classes as ONNX holds them: strings as str objects, numbers in their own dtype."""
    if classes.dtype.kind == "U":
        return classes.astype(object)
    if classes.dtype.kind == "f":
        return classes.astype(np.float32) if classes.dtype.itemsize <= 4 else classes
    return classes


def _metadata(network) -> dict[str, str]:
    """Model properties a deployment can read: what the inputs and outputs mean."""
    metadata = {"task": "classification" if network.classes is not None else "regression"}
    if network.feature_names is not None:
        metadata["feature_names"] = json.dumps(list(network.feature_names))
    if network.target_name is not None:
        metadata["target_name"] = network.target_name
    if network.classes is not None:
        metadata["classes"] = json.dumps(np.asarray(network.classes).tolist())
    return metadata


def _onnx():
    try:
        import onnx
        import onnx.numpy_helper
    except ImportError:
        raise ImportError(
            'ONNX export needs the onnx package: pip install "glassnet[onnx]"'
        ) from None
    return onnx
