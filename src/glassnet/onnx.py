"""ONNX export: a trained network as an ONNX graph, for onnxruntime and every other runtime.

The graph computes what ``Network.predict_output``, ``predict_proba`` and ``predict`` compute,
in float32, from one input ``X`` of shape ``(n_samples, *input_shape)`` (``(n_samples, n_in)``
for feature rows):

1. the input standardisation, when the network has a scaler: ``x' = (x - mean) / scale``;
2. every layer, in order, through the table ``LAYER_EMITTERS`` (layer type -> the function that
   writes its nodes); ``Dense`` is ``z = x W^T + b`` (one ``Gemm`` on rows, ``MatMul`` and
   ``Add`` on the last axis of more) followed by its activation from ``ACTIVATION_EMITTERS``;
   ``Dropout`` is the identity, as when predicting;
3. the outputs. A regression network has one, ``output (n_samples, *output_shape)``. A
   classifier (whose output is one row of class scores per sample) has
   ``probabilities (n_samples, n_classes)`` in ``classes`` order (``[1 - a, a]`` for a single
   sigmoid unit) and ``label (n_samples,)`` in the user's own label values, strings or numbers,
   picked by the rule of ``glassnet.network.class_indices``: ``a >= 0.5`` for one unit, else the
   largest output.

A new layer family joins the export with one entry in ``LAYER_EMITTERS``: a function
``emit(graph, layer, index, x) -> name`` that adds the layer's nodes reading tensor ``x`` and
returns the name of its output tensor.

The ``onnx`` package is imported inside these functions: ``import glassnet`` does not load it.
"""

from __future__ import annotations

import json

import numpy as np

from glassnet import __version__, activations
from glassnet._checks import non_negative_int
from glassnet._files import atomic_write
from glassnet.layers import Dense, Dropout
from glassnet.network import Network

#: The oldest opset the graph is written for (``Softmax`` on the last axis needs 13).
MIN_OPSET = 13
#: The opset used when none is asked for: read by every onnxruntime since 1.12.
DEFAULT_OPSET = 17

__all__ = [
    "ACTIVATION_EMITTERS",
    "DEFAULT_OPSET",
    "LAYER_EMITTERS",
    "MIN_OPSET",
    "save",
    "to_model",
]


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

    graph = _Graph(onnx)
    x = graph.add_input("X", network.input_shape)
    if network.scaler is not None:
        # The scaler reads a sample as one row of n_in values: element-wise over input_shape.
        mean = graph.constant("scaler.mean", network.scaler.mean.reshape(network.input_shape))
        scale = graph.constant("scaler.scale", network.scaler.scale.reshape(network.input_shape))
        x = graph.node("Div", [graph.node("Sub", [x, mean], "scaler.centred"), scale], "scaler")
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
            _tensor_info(onnx, "output", onnx.TensorProto.FLOAT, network.output_shape)
        )
    elif len(network.output_shape) == 1:
        _classifier_outputs(graph, network, x)
    else:
        raise ValueError(
            "the ONNX export gives a classifier's labels for one row of class scores per sample; "
            f"this network's output per sample has shape {network.output_shape}"
        )

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


# -- layers ------------------------------------------------------------------------------------


def _dense(graph, layer, index, x) -> str:
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
    emit = ACTIVATION_EMITTERS.get(type(layer.activation))
    if emit is None:
        raise ValueError(
            f"layers[{index}] has the activation {layer.activation!r}, which the ONNX export "
            f"does not know; it exports: {', '.join(cls.name for cls in ACTIVATION_EMITTERS)}"
        )
    return emit(graph, layer.activation, z, f"layers.{index}.a")


def _dropout(graph, layer, index, x) -> str:
    """Dropout predicts as the identity."""
    return graph.node("Identity", [x], f"layers.{index}.y")


LAYER_EMITTERS = {Dense: _dense, Dropout: _dropout}


# -- activations: a = f(z) -------------------------------------------------------------------------


def _unary(op_type):
    def emit(graph, activation, z, name):
        return graph.node(op_type, [z], name)

    return emit


def _leaky_relu(graph, activation, z, name):
    return graph.node("LeakyRelu", [z], name, alpha=activation.alpha)


def _softmax(graph, activation, z, name):
    return graph.node("Softmax", [z], name, axis=-1)


ACTIVATION_EMITTERS = {
    activations.Sigmoid: _unary("Sigmoid"),
    activations.Tanh: _unary("Tanh"),
    activations.ReLU: _unary("Relu"),
    activations.LeakyReLU: _leaky_relu,
    activations.Softplus: _unary("Softplus"),
    activations.Identity: _unary("Identity"),
    activations.Softmax: _softmax,
}


# -- outputs -------------------------------------------------------------------------------------


def _classifier_outputs(graph, network, a) -> None:
    """``probabilities`` and ``label`` from the output activation ``a``."""
    onnx = graph.onnx
    classes = np.asarray(network.classes)
    if network.n_out == 1:
        one = graph.constant("one", np.ones(1))
        probabilities = graph.node("Concat", [graph.node("Sub", [one, a], "a.not"), a], "", axis=1)
        half = graph.constant("half", np.full(1, 0.5))
        above = graph.node("GreaterOrEqual", [a, half], "a.at_least_half")
        index = graph.node("Cast", [above], "class_index.column", to=onnx.TensorProto.INT64)
        axis = graph.constant("axis_1", np.ones(1, dtype=np.int64))
        index = graph.node("Squeeze", [index, axis], "class_index")
    else:
        probabilities = a
        index = graph.node("ArgMax", [a], "class_index", axis=1, keepdims=0)
    graph.node("Identity", [probabilities], "probabilities")
    label_values = graph.constant("classes", _label_array(classes))
    graph.node("Gather", [label_values, index], "label", axis=0)
    graph.outputs.append(
        _tensor_info(onnx, "probabilities", onnx.TensorProto.FLOAT, (max(network.n_out, 2),))
    )
    graph.outputs.append(_tensor_info(onnx, "label", graph.elem_type("classes"), ()))


def _label_array(classes: np.ndarray) -> np.ndarray:
    """The classes as ONNX holds them: strings as str objects, numbers in their own dtype."""
    if classes.dtype.kind == "U":
        return classes.astype(object)
    if classes.dtype.kind == "f":
        return classes.astype(np.float32) if classes.dtype.itemsize <= 4 else classes
    return classes


# -- graph building --------------------------------------------------------------------------------


class _Graph:
    """Collects the nodes, initializers, inputs and outputs of one graph under unique names."""

    def __init__(self, onnx):
        self.onnx = onnx
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []
        self._elem_types: dict[str, int] = {}
        self._count = 0

    def add_input(self, name: str, shape: tuple[int, ...]) -> str:
        self.inputs.append(_tensor_info(self.onnx, name, self.onnx.TensorProto.FLOAT, shape))
        return name

    def constant(self, name: str, value: np.ndarray) -> str:
        """An initializer; floating values are stored as float32, the graph's precision."""
        value = np.asarray(value)
        if value.dtype.kind == "f":
            value = np.ascontiguousarray(value, dtype=np.float32)
        tensor = self.onnx.numpy_helper.from_array(value, name)
        self.initializers.append(tensor)
        self._elem_types[name] = tensor.data_type
        return name

    def elem_type(self, name: str) -> int:
        return self._elem_types[name]

    def node(self, op_type: str, inputs: list[str], output: str, **attributes) -> str:
        """Add a node computing ``output``; an empty ``output`` gets a fresh name."""
        self._count += 1
        output = output or f"{op_type.lower()}_{self._count}"
        self.nodes.append(
            self.onnx.helper.make_node(
                op_type, inputs, [output], name=f"{op_type}_{self._count}", **attributes
            )
        )
        return output


def _tensor_info(onnx, name: str, elem_type: int, shape: tuple[int, ...]):
    """A value info of ``(n_samples, *shape)``, the batch size left symbolic."""
    return onnx.helper.make_tensor_value_info(name, elem_type, ["n_samples", *shape])


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
