"""ONNX emitters of the recurrent layers: SimpleRNN, LSTM and GRU as ONNX's ``RNN``, ``LSTM``
and ``GRU`` operators.

glassnet's sequences are batch first, ``(n, T, F)``; the operators read time first,
``(T, n, F)`` (their ``layout=1`` attribute is not run by onnxruntime's CPU kernels), so a
``Transpose`` goes in and out. The parameters copy across with the gate blocks reordered:

====== ================== ================ ===========================================
cell   glassnet (PyTorch) ONNX             note
====== ================== ================ ===========================================
RNN    h                  h                the layer's activation (``Affine`` for identity)
LSTM   i, f, g, o         i, o, f, c       sigmoid / tanh / tanh, as glassnet
GRU    r, z, n            z, r, h          ``linear_before_reset=1``: ``r * (Wh_n h + bh_n)``
====== ================== ================ ===========================================

``W = Wx``, ``R = Wh`` and ``B = [bx, bh]``, each with a leading axis of one direction. Every
sequence starts from zero states, as ``predict`` does (a layer with an ``initial_state`` set
is refused: that state belongs to one batch, not to the model).

A layer with ``mask_value`` skips padded steps (every feature equal to ``mask_value``) anywhere
in a sequence: the state stays as it was. ONNX's ``sequence_lens`` only cuts sequences short at
the end, so such a layer is unrolled instead, one single-step operator per step, each started
from the previous state, followed by ``Where(padded_t, h_(t-1), h_t)`` (and the same for
``c``): exactly the layer's rule, for padding at either end or in the middle.
"""

from __future__ import annotations

import numpy as np

from glassnet.layers import GRU, LSTM, SimpleRNN
from glassnet.onnx.activations import CELL_ACTIVATIONS

#: The ONNX operator of each cell and where glassnet's gate blocks go: ONNX's block k is
#: glassnet's block ``order[k]``.
CELLS = {SimpleRNN: ("RNN", (0,)), LSTM: ("LSTM", (0, 3, 1, 2)), GRU: ("GRU", (1, 0, 2))}


def recurrent(graph, layer, index, x) -> str:
    """``(n, T, n_in) -> (n, T, n_hidden)`` (``return_sequences``) or ``(n, n_hidden)``."""
    if layer.initial_state is not None:
        raise ValueError(
            f"layers[{index}] ({type(layer).__name__}) has an initial_state, which belongs to "
            "one batch; the ONNX graph starts every sequence from zeros: set initial_state = "
            "None to export"
        )
    op_type, order = CELLS[type(layer)]
    name = f"layers.{index}"
    weights = [
        graph.constant(f"{name}.W", _reordered(layer.params["Wx"], order)[None]),
        graph.constant(f"{name}.R", _reordered(layer.params["Wh"], order)[None]),
        graph.constant(
            f"{name}.B",
            np.concatenate(
                [_reordered(layer.params["bx"], order), _reordered(layer.params["bh"], order)]
            )[None],
        ),
    ]
    attributes = {"hidden_size": layer.n_hidden, **_cell_attributes(layer, index)}
    steps = graph.node("Transpose", [x], f"{name}.x_time_major", perm=[1, 0, 2])
    if layer.mask_value is None:
        sequence, last = graph.node_outputs(
            op_type,
            [steps, *weights],
            [f"{name}.Y" if layer.return_sequences else None, f"{name}.h_T"],
            **attributes,
        )
        if layer.return_sequences:  # Y (T, 1, n, n_hidden)
            sequence = graph.node("Squeeze", [sequence, graph.int64s(f"{name}.axis1", [1])], "")
            return graph.node("Transpose", [sequence], f"{name}.y", perm=[1, 0, 2])
    else:
        states = _masked_steps(graph, layer, name, x, steps, weights, op_type, attributes)
        if layer.return_sequences:
            sequence = graph.node("Concat", states, f"{name}.h", axis=0)
            return graph.node("Transpose", [sequence], f"{name}.y", perm=[1, 0, 2])
        last = states[-1]  # h_T (1, n, n_hidden)
    return graph.node("Squeeze", [last, graph.int64s(f"{name}.axis0", [0])], f"{name}.y")


def _reordered(param: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """``param`` (gate blocks stacked on axis 0) with its blocks in ``order``."""
    blocks = np.split(param, len(order))
    return np.concatenate([blocks[k] for k in order])


def _cell_attributes(layer, index) -> dict:
    """The RNN operator's activation (LSTM and GRU use ONNX's defaults, which are glassnet's),
    and GRU's ``linear_before_reset``."""
    if isinstance(layer, GRU):
        return {"linear_before_reset": 1}
    if not isinstance(layer, SimpleRNN):
        return {}
    describe = CELL_ACTIVATIONS.get(type(layer.activation))
    if describe is None:
        raise ValueError(
            f"layers[{index}] has the activation {layer.activation!r}, which ONNX's RNN "
            f"operator does not run; it exports: "
            f"{', '.join(cls.name for cls in CELL_ACTIVATIONS)}"
        )
    op_name, alpha, beta = describe(layer.activation)
    attributes = {"activations": [op_name]}
    if alpha is not None:
        attributes["activation_alpha"] = [alpha]
    if beta is not None:
        attributes["activation_beta"] = [beta]
    return attributes


def _masked_steps(graph, layer, name, x, steps, weights, op_type, attributes) -> list[str]:
    """The states ``h_1 .. h_T``, each ``(1, n, n_hidden)``, one step at a time, a padded step
    keeping the state before it (zeros before the first step)."""
    n_steps = layer.input_shape[0]
    # padded (n, T, 1): every feature of the step equals mask_value
    mask_value = graph.constant(f"{name}.mask_value", np.full(1, layer.mask_value))
    differs = graph.node("Not", [graph.node("Equal", [x, mask_value], "")], "")
    count = graph.node("Cast", [differs], "", to=graph.onnx.TensorProto.FLOAT)
    count = graph.node("ReduceSum", [count, graph.int64s(f"{name}.features", [-1])], "")
    padded = graph.node("Equal", [count, graph.constant(f"{name}.none", np.zeros(1))], "")
    padded = graph.node("Transpose", [padded], f"{name}.padded", perm=[1, 0, 2])
    ones = graph.int64s(f"{name}.split", np.ones(n_steps))
    inputs = graph.node_outputs("Split", [steps, ones], [""] * n_steps, axis=0)
    pads = graph.node_outputs("Split", [padded, ones], [""] * n_steps, axis=0)
    zeros = graph.constant(f"{name}.zeros", np.zeros(1))
    n_states = 2 if op_type == "LSTM" else 1
    previous, hidden = [zeros] * n_states, []
    for t in range(n_steps):
        started = [] if t == 0 else ["", *previous]  # sequence_lens unused; h_(t-1), c_(t-1)
        new = graph.node_outputs(
            op_type, [inputs[t], *weights, *started], [None] + [""] * n_states, **attributes
        )[1:]
        previous = [
            graph.node("Where", [pads[t], before, after], f"{name}.{state}_{t + 1}")
            for before, after, state in zip(previous, new, "hc", strict=False)
        ]
        hidden.append(previous[0])
    return hidden
