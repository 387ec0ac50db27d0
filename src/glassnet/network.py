"""Network: a stack of layers with forward, backward and the loss's gradients.

Section 7 of the tutorial in code. With ``a^(1) = x``, each layer computes::

    z^(l+1) = W^(l) a^(l) + b^(l)        a^(l+1) = f(z^(l+1))

and backprop walks back from the output residual ``delta^(n_l) = dJ/dz^(n_l)``::

    delta^(l) = (W^(l)T delta^(l+1)) * f'(z^(l))
    dJ/dW^(l) = delta^(l+1) a^(l)T       dJ/db^(l) = delta^(l+1)

Gradients are averaged over the samples of a batch. With ``weight_decay=λ`` the objective is the
tutorial's ``J(W, b) = [1/m sum_i J(W, b; x_i, y_i)] + λ/2 sum_l ||W^(l)||^2``: the decay term is
not divided by the number of samples, every weight gradient gains ``λ W`` and biases are never
decayed (a parameter is a weight when it has two or more dimensions).
"""

from __future__ import annotations

import numpy as np

from glassnet import losses
from glassnet._checks import float_dtype, non_negative_float, numeric_array
from glassnet._rows import row_argmax
from glassnet.layers import Dense, Layer, from_config


class Network:
    """A feedforward network of any depth and width.

    Args:
        layers: the layers in order; the last must be ``Dense`` (it has the output activation).
        seed: seed for the initial weights and for every random draw the layers make (dropout),
            so the same seed gives the same network bit for bit.
        dtype: ``"float32"`` (default, fast) or ``"float64"`` (for gradient checks); the network
            keeps every array in it.

    Attributes:
        classes: a classifier's labels, in the user's own values (set by ``fit``), or None.
        scaler: the ``Standardizer`` applied by ``predict`` (set by ``fit(standardize=True)``).
        feature_names: the names of the input columns, in input order, or None when unknown.
        target_name: the name of the column the network predicts, or None when unknown.
        loss, optimizer, history: the ``Loss``, optimizer and ``History`` of the last ``fit``,
            or None.

    Example, the tutorial's 2-2-1 network::

        net = Network([Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")], seed=0)
        net.feedforward([2, 3])
    """

    def __init__(self, layers, *, seed: int | None = None, dtype="float32"):
        layers = list(layers) if not isinstance(layers, Layer) else [layers]
        if not layers:
            raise ValueError("layers must hold at least one layer, got an empty list")
        for index, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{index}] must be a Layer, got {layer!r}")
        if not isinstance(layers[-1], Dense):
            raise TypeError(f"the last layer must be Dense, got {type(layers[-1]).__name__}")
        if not isinstance(layers[0], Dense):
            raise TypeError(f"the first layer must be Dense, got {type(layers[0]).__name__}")
        self.layers: list[Layer] = layers
        self.dtype = float_dtype(dtype)
        self.seed = seed
        self.classes: np.ndarray | None = None
        self.scaler = None
        self.feature_names: tuple[str, ...] | None = None
        self.target_name: str | None = None
        self.loss = None
        self.optimizer = None
        self.history = None
        self._scratch: dict[int, np.ndarray] = {}
        rng = np.random.default_rng(seed)
        n_features = layers[0].n_in
        for index, layer in enumerate(layers):
            try:
                layer.build(n_features, rng, self.dtype)
            except ValueError as error:
                raise ValueError(f"layers[{index}]: {error}") from None
            n_features = layer.n_out

    @property
    def n_in(self) -> int:
        """Number of input features."""
        return self.layers[0].n_in

    @property
    def n_out(self) -> int:
        """Number of outputs."""
        return self.layers[-1].n_out

    @property
    def output_layer(self) -> Dense:
        """The last layer, whose activation produces the predictions."""
        return self.layers[-1]

    def parameters(self) -> list[np.ndarray]:
        """Every parameter array, layer by layer; optimizers update these in place."""
        return [array for layer in self.layers for array in layer.params.values()]

    def gradients(self) -> list[np.ndarray]:
        """The gradient arrays, in the order of ``parameters()``, as the last backward left them."""
        return [layer.grads[key] for layer in self.layers for key in layer.params]

    @property
    def n_parameters(self) -> int:
        """Total number of weights and biases."""
        return sum(array.size for array in self.parameters())

    # -- forward -------------------------------------------------------------------------------

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """Output ``(n_samples, n_out)`` for a checked batch ``X`` of this network's dtype.

        Each layer keeps its ``z`` and ``a`` for ``backward`` and ``explain``; in training mode
        they live in reused buffers.
        """
        activation = X
        for layer in self.layers:
            activation = layer.forward(activation, training)
        return activation

    def predict(self, X) -> np.ndarray:
        """Outputs for a batch ``X`` of shape ``(n_samples, n_in)``.

        For a classifier (``classes`` set by ``fit``), the predicted labels, in the user's own
        label values; otherwise the network's outputs ``(n_samples, n_out)``.
        """
        output = self.predict_output(X)
        return output if self.classes is None else self.classes[class_indices(output)]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` of a classifier, in ``classes`` order."""
        if self.classes is None:
            raise ValueError("predict_proba needs a classifier: fit the network on class labels")
        output = self.predict_output(X)
        if self.n_out == 1:
            return np.hstack([1 - output, output])
        return output

    def predict_output(self, X) -> np.ndarray:
        """The raw network output ``(n_samples, n_out)``, after the input scaler if any."""
        return self.forward(self.scale_inputs(self.check_inputs(X)))  # new arrays, not buffers

    def scale_inputs(self, X: np.ndarray) -> np.ndarray:
        """Checked inputs after the network's ``scaler`` (if any), as one contiguous array of
        the network's dtype: what the first layer sees."""
        if self.scaler is not None:
            X = self.scaler.transform(X).astype(self.dtype, copy=False)
        return np.ascontiguousarray(X)

    def feedforward(self, x) -> np.ndarray:
        """The tutorial's feedforward of one sample ``x`` of shape ``(n_in,)``: ``(n_out,)``."""
        x = numeric_array(x, "x", ndim=1)
        return self.forward(self.check_inputs(x.reshape(1, -1), "x"))[0]

    def check_inputs(self, X, name: str = "X") -> np.ndarray:
        """Return ``X`` as a finite ``(n_samples, n_in)`` array of the network's dtype."""
        X = numeric_array(X, name, ndim=2)
        if X.shape[1] != self.n_in:
            raise ValueError(
                f"{name} must have {self.n_in} features (columns) for this network, "
                f"got shape {X.shape}"
            )
        return np.asarray(X, dtype=self.dtype)

    # -- backward ------------------------------------------------------------------------------

    def backward(self, delta: np.ndarray) -> None:
        """Backprop the output residual ``delta = dJ/dz^(n_l)``, filling every layer's grads."""
        grad = self.output_layer.backward_residual(delta, need_input_grad=len(self.layers) > 1)
        for index in range(len(self.layers) - 2, -1, -1):
            grad = self.layers[index].backward(grad, need_input_grad=index > 0)

    def penalty(self, weight_decay: float = 0.0, l1: float = 0.0) -> float:
        """The regularisation term of J: ``λ/2 sum ||W||^2 + l1 sum |W|`` over the weights."""
        total = 0.0
        for weight, _ in self._weights_and_grads():
            if weight_decay:
                total += 0.5 * weight_decay * float(np.linalg.norm(weight)) ** 2
            if l1:
                total += l1 * float(np.abs(weight).sum())
        return total

    def add_penalty_gradients(self, weight_decay: float = 0.0, l1: float = 0.0) -> None:
        """Add the penalty's gradient ``λ W + l1 sign(W)`` to every weight gradient."""
        for weight, grad in self._weights_and_grads():
            # Each term goes through a scratch array kept per weight: no allocation per batch.
            scratch = self._scratch.get(id(weight))
            if scratch is None:
                scratch = self._scratch[id(weight)] = np.empty_like(weight)
            if weight_decay:
                grad += np.multiply(weight, weight_decay, out=scratch)
            if l1:
                np.sign(weight, out=scratch)
                grad += np.multiply(scratch, l1, out=scratch)

    def _weights_and_grads(self):
        """The (parameter, gradient) pairs that regularisation touches: weights, not biases."""
        for layer in self.layers:
            for key, param in layer.params.items():
                if param.ndim >= 2:
                    yield param, layer.grads[key]

    def loss_and_gradients(self, X, Y, loss="mse", weight_decay: float = 0.0, l1: float = 0.0):
        """The objective J and its gradients for the batch ``(X, Y)``, in inference mode.

        Returns ``(J, grads)`` where ``grads[l]`` is ``{"W": dJ/dW, "b": dJ/db}`` for layer l
        (an empty dict for layers without parameters), with the parameters' shapes.
        """
        loss = losses.get(loss)
        weight_decay = non_negative_float(weight_decay, "weight_decay")
        l1 = non_negative_float(l1, "l1")
        X = self.check_inputs(X)
        Y = self.check_targets(Y, loss, len(X))
        output = self.output_layer
        self.forward(X)
        value, delta = loss.residual(Y, output.z, output.a, output.activation)
        self.backward(delta)
        self.add_penalty_gradients(weight_decay, l1)
        return value + self.penalty(weight_decay, l1), [
            {key: grad.copy() for key, grad in layer.grads.items()} for layer in self.layers
        ]

    def check_targets(self, Y, loss, n_samples: int) -> np.ndarray:
        """Return ``Y`` in the form ``loss`` needs, checking it matches ``n_samples`` rows."""
        Y = numeric_array(Y, "Y", ndim=(1, 2))
        if len(Y) != n_samples:
            raise ValueError(f"Y must have {n_samples} rows, one per sample of X, got {len(Y)}")
        return losses.get(loss).prepare_targets(Y, self.n_out, self.dtype)

    # -- training and teaching -----------------------------------------------------------------

    def fit(self, X, Y, **options):
        """Train the network; see ``glassnet.training.fit`` for the options. Returns a History."""
        from glassnet.training import fit

        return fit(self, X, Y, **options)

    def explain(self, x, y, loss="mse"):
        """Trace one sample forward and backward; see ``glassnet.explain.explain``."""
        from glassnet.explain import explain

        return explain(self, x, y, loss=loss)

    # -- configuration and weights -------------------------------------------------------------

    def get_config(self) -> dict:
        """The architecture as a JSON-able dict: layers, dtype, seed."""
        return {
            "layers": [layer.get_config() for layer in self.layers],
            "dtype": self.dtype.name,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict) -> Network:
        """Build a network from ``get_config()`` output (weights freshly initialised)."""
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(
                f"a network config must be a dict with a 'layers' list, got {config!r}"
            )
        layers = [from_config(layer) for layer in config["layers"]]
        return cls(layers, seed=config.get("seed"), dtype=config.get("dtype", "float32"))

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, named ``"layers.<index>.<key>"``."""
        return {
            f"layers.{index}.{key}": param.copy()
            for index, layer in enumerate(self.layers)
            for key, param in layer.params.items()
        }

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Copy named arrays (as from ``get_weights``) into the parameters, checking every name,
        shape and value; a mismatch raises before anything is changed."""
        expected = {
            f"layers.{index}.{key}": param
            for index, layer in enumerate(self.layers)
            for key, param in layer.params.items()
        }
        missing = sorted(set(expected) - set(weights))
        unexpected = sorted(set(weights) - set(expected))
        if missing or unexpected:
            raise ValueError(
                f"weights do not match the network: missing {missing}, unexpected {unexpected}"
            )
        checked = {}
        for name, param in expected.items():
            value = numeric_array(weights[name], name)
            if value.shape != param.shape:
                raise ValueError(f"{name} must have shape {param.shape}, got {value.shape}")
            checked[name] = value
        for name, param in expected.items():
            np.copyto(param, checked[name], casting="unsafe")

    def save(self, path, **options) -> None:
        """Write the network to a model file; see ``glassnet.io.save``."""
        from glassnet.io import save

        save(self, path, **options)

    def to_onnx(self, path, **options) -> None:
        """Write the network as an ONNX model file; see ``glassnet.onnx.save``."""
        from glassnet.onnx import save

        save(self, path, **options)

    def summary(self) -> str:
        """A table of layers, output sizes and parameter counts."""
        rows = [f"{'layer':<28}{'outputs':>8}{'params':>10}"]
        for index, layer in enumerate(self.layers):
            count = sum(p.size for p in layer.params.values())
            rows.append(f"{f'{index}: {layer!r}':<28}{layer.n_out:>8}{count:>10}")
        rows.append(f"{'total':<28}{'':>8}{self.n_parameters:>10}")
        return "\n".join(rows)

    def __repr__(self) -> str:
        sizes = "-".join(
            str(size)
            for size in [
                self.n_in,
                *(layer.n_out for layer in self.layers if isinstance(layer, Dense)),
            ]
        )
        return f"Network({sizes}, dtype={self.dtype.name})"


def class_indices(output: np.ndarray) -> np.ndarray:
    """The class each row of ``output (n_samples, n_out)`` stands for: ``output >= 0.5`` for a
    single sigmoid unit (two classes), else the index of the largest output."""
    if output.shape[1] == 1:
        return (output[:, 0] >= 0.5).astype(np.intp)
    return row_argmax(output)
