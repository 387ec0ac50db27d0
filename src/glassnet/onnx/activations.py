"""Activations as ONNX nodes: ``a = f(z)`` through the table ``ACTIVATION_EMITTERS``."""

from __future__ import annotations

from glassnet import activations


def emit_activation(graph, activation, index: int, z: str, name: str) -> str:
    """The nodes of ``a = f(z)`` for ``layers[index]``'s activation, output ``name``."""
    emit = ACTIVATION_EMITTERS.get(type(activation))
    if emit is None:
        raise ValueError(
            f"layers[{index}] has the activation {activation!r}, which the ONNX export "
            f"does not know; it exports: {', '.join(cls.name for cls in ACTIVATION_EMITTERS)}"
        )
    return emit(graph, activation, z, name)


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

#: The element-wise activations inside ONNX's ``RNN`` operator, by type: ``(name, alpha,
#: beta)``; ``Affine`` with ``alpha = 1, beta = 0`` is the identity.
CELL_ACTIVATIONS = {
    activations.Sigmoid: lambda activation: ("Sigmoid", None, None),
    activations.Tanh: lambda activation: ("Tanh", None, None),
    activations.ReLU: lambda activation: ("Relu", None, None),
    activations.LeakyReLU: lambda activation: ("LeakyRelu", activation.alpha, None),
    activations.Softplus: lambda activation: ("Softplus", None, None),
    activations.Identity: lambda activation: ("Affine", 1.0, 0.0),
}
