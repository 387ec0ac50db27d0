"""explain's lines for sequence layers: Embedding and the recurrent layers, step by step.

A recurrent layer l reads the sequence ``a^(l) = (x_1, ..., x_T)`` and carries its state
``h^(l+1)_t``; its output ``a^(l+1)`` is the last state (or all of them). Forward, the trace
shows every step's state, and for LSTM and GRU every gate. Backward, it walks back through
time, from ``t = T`` to ``1``: ``dL/dh_t`` (what the layer above sends to step t plus what step
t+1 sends back through ``Wh``), the residual ``delta_t`` of the step's net inputs, and the
step's contribution ``delta_t h_(t-1)^T`` to ``dL/dWh``; the gradient is their sum.
"""

from __future__ import annotations

import numpy as np

from glassnet.explain import Step
from glassnet.layers import GRU, LSTM, Dense, Embedding, Recurrent


def forward_steps(layer, number: int) -> list[Step]:
    """The forward lines of layer ``number`` (it maps ``a^(l)`` to ``a^(l+1)``)."""
    if isinstance(layer, Embedding):
        row = layer.params["W"][layer.ids[0]]
        formula = f"W^({number})[a^({number})]  (token k's vector: row k of W^({number}))"
        return [Step(f"a^({number + 1})", formula, row)]
    return _recurrent_forward(layer, number)


def backward_steps(layer, number: int, grad: dict, network) -> list[Step]:
    """The backward lines of layer ``number`` from its gradients ``grad``."""
    if isinstance(layer, Embedding):
        formula = f"row k: the sum of dL/da^({number + 1}) over the steps that hold token k"
        return [Step(f"dL/dW^({number})", formula, grad["W"])]
    return _recurrent_backward(layer, number, grad, _from_above(network, number))


def _recurrent_forward(layer: Recurrent, number: int) -> list[Step]:
    p, s = f"^({number})", f"^({number + 1})"  # the layer's parameters, its states
    h = layer.hidden_states[0]
    gates = _gate_values(layer)
    padded = _padded_steps(layer)
    steps = [Step(f"h{s}_0", "the initial state", h[0].copy())]
    for t in range(1, len(h)):
        if padded[t - 1]:
            steps.append(Step(f"h{s}_{t}", f"h{s}_{t - 1}  (step {t} is padding)", h[t].copy()))
            continue
        x = f"x_{t}" if number == 1 else f"a^({number})_{t}"
        previous = f"h{s}_{t - 1}"
        if isinstance(layer, LSTM):
            for gate in "ifgo":
                f = "tanh" if gate == "g" else "sigmoid"
                net = _net_input(gate, x, previous, p)
                steps.append(Step(f"{gate}{s}_{t}", f"{f}({net})", gates[gate][t - 1]))
            cell = f"f{s}_{t} * c{s}_{t - 1} + i{s}_{t} * g{s}_{t}"
            steps.append(Step(f"c{s}_{t}", cell, layer.cell_states[0, t].copy()))
            steps.append(Step(f"h{s}_{t}", f"o{s}_{t} * tanh(c{s}_{t})", h[t].copy()))
        elif isinstance(layer, GRU):
            for gate in "rz":
                net = _net_input(gate, x, previous, p)
                steps.append(Step(f"{gate}{s}_{t}", f"sigmoid({net})", gates[gate][t - 1]))
            candidate = f"tanh(Wx_n{p} {x} + bx_n{p} + r{s}_{t} * (Wh_n{p} {previous} + bh_n{p}))"
            steps.append(Step(f"n{s}_{t}", candidate, gates["n"][t - 1]))
            update = f"(1 - z{s}_{t}) * n{s}_{t} + z{s}_{t} * {previous}"
            steps.append(Step(f"h{s}_{t}", update, h[t].copy()))
        else:
            net = _net_input("", x, previous, p)
            steps.append(Step(f"h{s}_{t}", f"{layer.activation.name}({net})", h[t].copy()))
    last = len(h) - 1
    if layer.return_sequences:
        steps.append(Step(f"a^({number + 1})", f"(h{s}_1, ..., h{s}_{last})", h[1:].copy()))
    else:
        steps.append(Step(f"a^({number + 1})", f"h{s}_{last}", h[last].copy()))
    return steps


def _recurrent_backward(layer: Recurrent, number: int, grad: dict, above: str) -> list[Step]:
    p, s = f"^({number})", f"^({number + 1})"  # the layer's parameters, its states
    h, dh = layer.hidden_states[0], layer.state_grads[0]
    deltas, recurrent_deltas = layer.deltas[0], layer.recurrent_deltas[0]
    last = len(h) - 1
    x = "x" if number == 1 else f"a^({number})"
    recurrent = "delta'" if isinstance(layer, GRU) else "delta"  # what meets Wh
    padded = _padded_steps(layer)
    steps = []
    for t in range(last, 0, -1):
        parts = []
        if layer.return_sequences:
            parts.append(f"({above})_{t}")
        elif t == last:
            parts.append(above)
        if t < last and padded[t]:
            parts.append(f"dL/dh{s}_{t + 1}  (step {t + 1} is padding: h{s}_{t + 1} = h{s}_{t})")
        elif t < last:
            parts.append(f"Wh{p}T {recurrent}{s}_{t + 1}")
            if isinstance(layer, GRU):
                parts.append(f"dL/dh{s}_{t + 1} * z{s}_{t + 1}")
        steps.append(Step(f"dL/dh{s}_{t}", " + ".join(parts), dh[t].copy()))
        if padded[t - 1]:
            continue  # a padded step has no residual and adds nothing to the gradients
        if isinstance(layer, LSTM):
            cell = f"dL/dh{s}_{t} * o{s}_{t} * (1 - tanh(c{s}_{t})^2)"
            if t < last:
                cell += f" + dL/dc{s}_{t + 1} * f{s}_{t + 1}"
            steps.append(Step(f"dL/dc{s}_{t}", cell, layer.cell_grads[0, t].copy()))
        steps.append(Step(f"delta{s}_{t}", _delta_formula(layer, s, t), deltas[t - 1].copy()))
        if isinstance(layer, GRU):
            formula = f"[d_r; d_z; d_n * r{s}_{t}]  (what meets Wh{p})"
            steps.append(Step(f"delta'{s}_{t}", formula, recurrent_deltas[t - 1].copy()))
        outer = np.outer(recurrent_deltas[t - 1], h[t - 1])
        contribution = f"{recurrent}{s}_{t} h{s}_{t - 1}T"
        steps.append(Step(f"dL/dWh{p} from step {t}", contribution, outer))
    steps += [
        Step(f"dL/dWh{p}", f"sum_t {recurrent}{s}_t h{s}_(t-1)T", grad["Wh"]),
        Step(f"dL/dWx{p}", f"sum_t delta{s}_t {x}_tT", grad["Wx"]),
        Step(f"dL/dbx{p}", f"sum_t delta{s}_t", grad["bx"]),
        Step(f"dL/dbh{p}", f"sum_t {recurrent}{s}_t", grad["bh"]),
    ]
    return steps


def _net_input(gate: str, x: str, previous: str, p: str) -> str:
    """``Wx_k x_t + bx_k + Wh_k h_(t-1) + bh_k`` for gate k ("" for SimpleRNN's one gate)."""
    k = f"_{gate}" if gate else ""
    return f"Wx{k}{p} {x} + bx{k}{p} + Wh{k}{p} {previous} + bh{k}{p}"


def _delta_formula(layer: Recurrent, s: str, t: int) -> str:
    """``delta_t = dL/dz_t`` in the layer's own terms (see each layer's docstring)."""
    dh, q = f"dL/dh{s}_{t}", f"{s}_{t}"
    if isinstance(layer, LSTM):
        dc = f"dL/dc{s}_{t}"
        return (
            f"[{dc} g{q} i{q}(1 - i{q}); {dc} c{s}_{t - 1} f{q}(1 - f{q}); "
            f"{dc} i{q}(1 - g{q}^2); {dh} tanh(c{q}) o{q}(1 - o{q})]"
        )
    if isinstance(layer, GRU):
        return (
            f"[d_r; d_z; d_n] with d_n = {dh} (1 - z{q})(1 - n{q}^2), "
            f"d_z = {dh} (h{s}_{t - 1} - n{q}) z{q}(1 - z{q}), "
            f"d_r = d_n (Wh_n h{s}_{t - 1} + bh_n) r{q}(1 - r{q})"
        )
    return f"{dh} * {layer.activation.name}'(z{q})"


def _padded_steps(layer: Recurrent) -> np.ndarray:
    """``(T,)`` bool: which of sample 0's steps are padding."""
    if layer.padded is None:
        return np.zeros(layer.hidden_states.shape[1] - 1, dtype=bool)
    return layer.padded[0]


def _gate_values(layer: Recurrent) -> dict[str, np.ndarray]:
    """Sample 0's gate activations, ``{gate: (T, n_hidden)}``."""
    values = layer.gate_values[0]
    hidden = layer.n_hidden
    return {
        gate: values[:, k * hidden : (k + 1) * hidden].copy() for k, gate in enumerate(layer.gates)
    }


def _from_above(network, number: int) -> str:
    """What ``dL/da^(l+1)`` is made of, in the notation of the layer above layer ``number``."""
    if number == len(network.layers):
        return f"dL/da^({number + 1})"
    above = network.layers[number]
    if isinstance(above, Dense):
        return f"W^({number + 1})T delta^({number + 2})"
    if isinstance(above, Recurrent):
        return f"Wx^({number + 1})T delta^({number + 2})"
    return f"dL/da^({number + 1})"
