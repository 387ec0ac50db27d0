"""The graph builder the emitters write into: nodes, constants, inputs and outputs by name."""

from __future__ import annotations

import numpy as np


class Graph:
    """Collects the nodes, initializers, inputs and outputs of one graph under unique names."""

    def __init__(self, onnx):
        self.onnx = onnx
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []
        self._elem_types: dict[str, int] = {}
        self._count = 0

    def add_input(self, name: str, shape: tuple[int, ...], elem_type: int) -> str:
        self.inputs.append(tensor_info(self.onnx, name, elem_type, shape))
        self._elem_types[name] = elem_type
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

    def int64s(self, name: str, values) -> str:
        """A constant 1-D int64 tensor: the axes, shapes and slice bounds operators read."""
        return self.constant(name, np.asarray(values, dtype=np.int64).reshape(-1))

    def elem_type(self, name: str) -> int:
        """The element type of an input or constant; float for the tensors nodes compute."""
        return self._elem_types.get(name, self.onnx.TensorProto.FLOAT)

    def node(self, op_type: str, inputs: list[str], output: str, **attributes) -> str:
        """Add a node computing ``output``; an empty ``output`` gets a fresh name."""
        return self.node_outputs(op_type, inputs, [output or ""], **attributes)[0]

    def node_outputs(self, op_type: str, inputs: list[str], outputs: list[str], **attributes):
        """Add a node with several outputs; an empty name gets a fresh one, ``None`` skips an
        optional output. Returns the names, ``None`` for the skipped."""
        self._count += 1
        names = [
            None if output is None else output or f"{op_type.lower()}_{self._count}_{position}"
            for position, output in enumerate(outputs)
        ]
        self.nodes.append(
            self.onnx.helper.make_node(
                op_type,
                inputs,
                ["" if name is None else name for name in names],
                name=f"{op_type}_{self._count}",
                **attributes,
            )
        )
        return names


def tensor_info(onnx, name: str, elem_type: int, shape: tuple[int, ...]):
    """A value info of ``(n_samples, *shape)``, the batch size left symbolic."""
    return onnx.helper.make_tensor_value_info(name, elem_type, ["n_samples", *shape])
