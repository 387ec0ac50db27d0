"""Backprop you can read: one sample's forward and backward pass, in the tutorial's notation.

Layers are numbered as in the tutorial's section 7: the input is layer 1, so ``a^(1) = x``,
``z^(2) = W^(1) a^(1) + b^(1)``, ``a^(2) = f(z^(2))`` and so on; the output residual is
``delta^(n_l)`` and each hidden residual is ``delta^(l) = (W^(l)T delta^(l+1)) * f'(z^(l))``.

For the tutorial's shape of network (one hidden layer, one output unit) the trace also spells
out the chain rule for every weight, naming them as the tutorial does: ``w1, w2`` feed ``h1``,
``w3, w4`` feed ``h2``, ..., then the output's weights, and biases ``b1, b2, ...``; so that
``dL/dw1 = dL/dy_pred * dy_pred/dh1 * dh1/dw1`` can be checked by hand.

Recurrent layers and Embedding are traced step by step through time by
``glassnet.explain_recurrent``. Every other layer (convolution, pooling, flatten, batch norm,
dropout) gets one forward line,
``a^(l+1) = <what it computes>``, whose value is printed as its shape and summary statistics
when it holds more than a few numbers, and backward lines for the gradients of its
parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glassnet import losses
from glassnet.layers import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAvgPool2D,
    MaxPool2D,
    Recurrent,
    Reshape,
)

#: Arrays with more values than this are summarised rather than printed whole.
MAX_PRINTED_VALUES = 12


@dataclass(frozen=True)
class Step:
    """One line of the trace: ``symbol = formula = value``."""

    symbol: str
    formula: str
    value: np.ndarray


@dataclass(frozen=True)
class ChainRule:
    """``dL/d<name>`` as the product of its chain-rule ``factors`` (symbol, value)."""

    name: str
    factors: tuple[tuple[str, float], ...]
    value: float


@dataclass(frozen=True, repr=False)
class Trace:
    """A forward and backward pass of one sample, step by step.

    ``str(trace)`` and ``repr(trace)`` are the printed trace, so a REPL shows it as it is;
    ``to_dict()`` gives the numbers.
    """

    forward: list[Step]
    loss: Step
    backward: list[Step]
    chain: list[ChainRule] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-able form (values as nested lists)."""

        def step(s: Step) -> dict:
            return {"symbol": s.symbol, "formula": s.formula, "value": s.value.tolist()}

        return {
            "forward": [step(s) for s in self.forward],
            "loss": step(self.loss),
            "backward": [step(s) for s in self.backward],
            "chain": [
                {"name": c.name, "factors": [list(f) for f in c.factors], "value": c.value}
                for c in self.chain
            ],
        }

    def __str__(self) -> str:
        lines = ["Forward"]
        lines += [_line(s) for s in self.forward]
        lines += ["Loss", _line(self.loss), "Backward"]
        lines += [_line(s) for s in self.backward]
        if self.chain:
            lines.append("Chain rule, weight by weight")
            for rule in self.chain:
                symbols = " * ".join(symbol for symbol, _ in rule.factors)
                values = " * ".join(_number(value) for _, value in rule.factors)
                lines.append(f"  dL/d{rule.name} = {symbols}")
                lines.append(f"  {'':>{len(rule.name) + 4}} = {values} = {_number(rule.value)}")
        return "\n".join(lines)

    __repr__ = __str__


def explain(network, x, y, loss="mse") -> Trace:
    """Trace sample ``x`` (of ``network.input_shape``, or its ``n_in`` values in a row) with
    target ``y`` through ``network``, forward and backward.

    ``y`` is the target row ``(n_out,)`` (or a class index for cross-entropy). A network with
    an input scaler is traced on what its first layer really sees, ``a^(1) = (x - mean) /
    scale``, and the trace shows both. Nothing in the network changes except the gradients it
    stores.
    """
    loss = losses.get(loss)
    given = np.asarray(x)
    if given.ndim <= 1:
        given = np.reshape(given, (1, -1))
    elif given.shape == network.input_shape:
        given = given[None]
    given = network.check_inputs(given, "x")
    if len(given) != 1:
        raise ValueError(f"explain traces one sample, got {len(given)} rows in x")
    y = np.asarray(y)
    y_row = network.check_targets(
        y[None] if network.output_shape[:-1] else y.reshape(1, -1), loss, 1
    )
    x = network.scale_inputs(given)  # what the first layer really sees
    outputs = _layer_outputs(network, x)
    value, grads = network.loss_and_gradients(given, y_row, loss=loss)

    if network.scaler is None:
        forward = [Step("a^(1)", "x", x[0].copy())]
    else:
        forward = [
            Step("x", "the sample as given", given[0].copy()),
            Step("a^(1)", "(x - mean) / scale, the network's input scaler", x[0].copy()),
        ]
    for number, layer in enumerate(network.layers, start=1):
        forward += _forward_steps(layer, number, outputs[number - 1])
    output = network.output_layer
    n_l = len(network.layers) + 1
    loss_step = Step(
        "L", f"{loss.name}(y, a^({n_l}))  with y = {_array(y_row[0])}", np.array(value)
    )

    rows = (-1, network.n_out)  # every output position is a row of the loss
    dl_da = loss.gradient(y_row.reshape(rows), output.a.reshape(rows)).reshape(output.a.shape)
    backward = [Step("dL/dy_pred", f"dL/da^({n_l})", dl_da[0])]
    for number in range(len(network.layers), 0, -1):
        layer, grad = network.layers[number - 1], grads[number - 1]
        backward += _backward_steps(layer, number, grad, network)

    chain = _chain_rules(network, x[0], y_row, loss) if _tutorial_shaped(network) else []
    return Trace(forward=forward, loss=loss_step, backward=backward, chain=chain)


def _forward_steps(layer, number: int, output: np.ndarray) -> list[Step]:
    """The forward lines of layer ``number`` (the tutorial's l: it maps a^(l) to a^(l+1)),
    by kind: Dense, sequence layers (``glassnet.explain_recurrent``), and one line
    ``a^(l+1) = <what it computes>`` with its ``output`` for any other layer."""
    if isinstance(layer, Dense):
        return _dense_forward(layer, number)
    if isinstance(layer, (Embedding, Recurrent)):
        from glassnet import explain_recurrent

        return explain_recurrent.forward_steps(layer, number)
    return [Step(f"a^({number + 1})", _formula(layer, number), output)]


def _backward_steps(layer, number: int, grad: dict, network) -> list[Step]:
    """The backward lines of layer ``number``, by kind, from its gradients ``grad``."""
    if isinstance(layer, Dense):
        return _dense_backward(layer, number, grad, number == len(network.layers))
    if isinstance(layer, (Embedding, Recurrent)):
        from glassnet import explain_recurrent

        return explain_recurrent.backward_steps(layer, number, grad, network)
    return [
        Step(f"dL/d{key}^({number})", _gradient_formula(layer, key, number), value)
        for key, value in grad.items()
    ]


def _dense_forward(layer, number: int) -> list[Step]:
    l_in, l_out = number, number + 1
    return [
        Step(f"z^({l_out})", f"W^({l_in}) a^({l_in}) + b^({l_in})", layer.z[0].copy()),
        Step(f"a^({l_out})", f"{layer.activation.name}(z^({l_out}))", layer.a[0].copy()),
    ]


def _dense_backward(layer, number: int, grad: dict, is_output: bool) -> list[Step]:
    l_out = number + 1
    if is_output:
        formula = f"dL/dz^({l_out}) = dL/da^({l_out}) * f'(z^({l_out}))"
    else:
        formula = f"(W^({l_out})T delta^({l_out + 1})) * f'(z^({l_out}))"
    return [
        Step(f"delta^({l_out})", formula, layer.delta[0].copy()),
        Step(f"dL/dW^({number})", f"delta^({l_out}) a^({number})T", grad["W"]),
        Step(f"dL/db^({number})", f"delta^({l_out})", grad["b"]),
    ]


def _layer_outputs(network, x) -> list[np.ndarray]:
    """Each layer's output for the one sample of the prepared batch ``x``, in inference mode."""
    outputs, activation = [], x
    for layer in network.layers:
        activation = layer.forward(activation)
        outputs.append(np.array(activation[0]))
    return outputs


def _formula(layer, l_in: int) -> str:
    """What a layer other than Dense computes from ``a^(l_in)``, in words and symbols."""
    a = f"a^({l_in})"
    if isinstance(layer, Conv2D):
        kernel = "x".join(map(str, layer.kernel_size))
        return (
            f"{layer.activation.name}(W^({l_in}) conv {a} + b^({l_in})), {layer.out_channels} "
            f"filters of {kernel}, stride {_pair(layer.stride)}, padding "
            f"{layer.padding if isinstance(layer.padding, str) else _pair(layer.padding)}"
        )
    if isinstance(layer, (MaxPool2D, AvgPool2D)):
        kind = "max" if isinstance(layer, MaxPool2D) else "mean"
        size = "x".join(map(str, layer.size))
        return f"{kind} of each {size} window of {a}, stride {_pair(layer.stride)}"
    if isinstance(layer, GlobalAvgPool2D):
        return f"mean of each channel of {a}"
    if isinstance(layer, BatchNorm):
        return f"gamma^({l_in}) ({a} - running mean) / sqrt(running var + eps) + beta^({l_in})"
    if isinstance(layer, Flatten):
        return f"{a} flattened"
    if isinstance(layer, Reshape):
        return f"{a} reshaped"
    if isinstance(layer, Dropout):
        return f"{a} (dropout is the identity when predicting)"
    return f"{type(layer).__name__}({a})"


def _gradient_formula(layer, key: str, number: int) -> str:
    """How the gradient of a parameter of a layer other than Dense is formed."""
    delta, a = f"delta^({number + 1})", f"a^({number})"
    formulas = {
        (Conv2D, "W"): f"{delta} correlated with {a}, summed over positions",
        (Conv2D, "b"): f"{delta} summed over positions",
        (BatchNorm, "gamma"): f"dL/da^({number + 1}) * (normalised {a}), summed",
        (BatchNorm, "beta"): f"dL/da^({number + 1}), summed",
    }
    return formulas.get((type(layer), key), f"{type(layer).__name__} {key}")


def _pair(pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else "x".join(map(str, pair))


def _tutorial_shaped(network) -> bool:
    """Two Dense layers (one hidden), one output unit, element-wise activations, few weights."""
    layers = network.layers
    return (
        len(layers) == 2
        and all(isinstance(layer, Dense) and layer.activation.elementwise for layer in layers)
        and network.n_out == 1
        and network.n_in * layers[0].n_out <= 64
    )


def _chain_rules(network, x, y_row, loss) -> list[ChainRule]:
    hidden, output = network.layers
    h, z_h = hidden.a[0], hidden.z[0]
    y_pred, z_o = output.a[0], output.z[0]
    dl_dy = float(loss.gradient(y_row, output.a)[0, 0])
    f_out = float(output.activation.derivative(z_o, y_pred)[0])
    f_hidden = hidden.activation.derivative(z_h, h)
    rules, number = [], 1
    for i in range(hidden.n_out):
        dy_dh = float(output.W[0, i]) * f_out
        for j in range(hidden.n_in):
            dh_dw = float(x[j] * f_hidden[i])
            factors = (
                ("dL/dy_pred", dl_dy),
                (f"dy_pred/dh{i + 1}", dy_dh),
                (f"dh{i + 1}/dw{number}", dh_dw),
            )
            rules.append(ChainRule(f"w{number}", factors, dl_dy * dy_dh * dh_dw))
            number += 1
    for i in range(hidden.n_out):
        dy_dw = float(h[i]) * f_out
        factors = (("dL/dy_pred", dl_dy), (f"dy_pred/dw{number}", dy_dw))
        rules.append(ChainRule(f"w{number}", factors, dl_dy * dy_dw))
        number += 1
    for i in range(hidden.n_out):
        dy_dh = float(output.W[0, i]) * f_out
        dh_db = float(f_hidden[i])
        factors = (
            ("dL/dy_pred", dl_dy),
            (f"dy_pred/dh{i + 1}", dy_dh),
            (f"dh{i + 1}/db{i + 1}", dh_db),
        )
        rules.append(ChainRule(f"b{i + 1}", factors, dl_dy * dy_dh * dh_db))
    bias = hidden.n_out + 1
    factors = (("dL/dy_pred", dl_dy), (f"dy_pred/db{bias}", f_out))
    rules.append(ChainRule(f"b{bias}", factors, dl_dy * f_out))
    return rules


def _number(value: float) -> str:
    return f"{value:.4g}"


def _array(value: np.ndarray) -> str:
    value = np.asarray(value)
    if value.ndim == 0:
        return _number(float(value))
    if value.size > MAX_PRINTED_VALUES:
        return (
            f"<{'x'.join(map(str, value.shape))} values: min {_number(value.min())}, "
            f"mean {_number(value.mean())}, max {_number(value.max())}, "
            f"norm {_number(float(np.linalg.norm(value)))}>"
        )
    if value.ndim == 1:
        return "[" + ", ".join(_number(v) for v in value) + "]"
    return "[" + ", ".join(_array(row) for row in value) + "]"


def _line(step: Step) -> str:
    return f"  {step.symbol} = {step.formula} = {_array(step.value)}"
