"""Network: a stack of layers with forward, backward and the loss's gradients.

Section 7 of the tutorial in code. With ``a^(1) = x``, each layer computes::

    z^(l+1) = W^(l) a^(l) + b^(l)        a^(l+1) = f(z^(l+1))

and backprop walks back from the output residual ``delta^(n_l) = dJ/dz^(n_l)``::

    delta^(l) = (W^(l)T delta^(l+1)) * f'(z^(l))
    dJ/dW^(l) = delta^(l+1) a^(l)T       dJ/db^(l) = delta^(l+1)

Gradients are averaged over the samples of a batch. With ``weight_decay=λ`` the objective is the
tutorial's ``J(W, b) = [1/m sum_i J(W, b; x_i, y_i)] + λ/2 sum_l ||W^(l)||^2``: the decay term is
not divided by the number of samples, every weight gradient gains ``λ W`` and biases are never
decayed (each layer declares which of its parameters are weights, ``decay_keys``).

Any layer that follows the contract of ``glassnet.layers.base`` fits in: a network maps samples
of ``input_shape`` (``(n_in,)`` for feature rows, ``(channels, height, width)`` for images,
``(time, features)`` for sequences) through each layer's ``output_shape`` to its outputs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from glassnet import losses
from glassnet._checks import check_sample_weight, float_dtype, non_negative_float, numeric_array
from glassnet.layers import Dense, Layer, from_config
from glassnet.layers.base import IdentityHead, is_head, size_of
from glassnet.layers.fusion import stages
from glassnet.ops import row_argmax

#: Inference runs in chunks of samples whose layer outputs hold at most about this many values
#: in all, so that predicting 10,000 images with a CNN never holds every feature map of every
#: image at once; a dense network's chunks are tens of thousands of rows.
INFERENCE_VALUES = 1 << 23


class StepResult(NamedTuple):
    """What one loss step measured: the data loss (the mean of the per-sample losses) and the
    regularisation penalty; the objective is ``J = data_loss + penalty``."""

    data_loss: float
    penalty: float

    @property
    def objective(self) -> float:
        return self.data_loss + self.penalty


class Network:
    """A feedforward network of any depth and width.

    Args:
        layers: the layers in order. The loss fuses with the last one through the head protocol
            (``glassnet.layers.base.IdentityHead``): a ``Dense`` last layer brings its output
            activation; any other last layer is read as an identity output.
        input_shape: the shape of one sample, e.g. ``(1, 28, 28)`` for an image; an int is a
            feature count. Default: what the first layer implies (``(n_in,)`` for ``Dense``).
        seed: seed for the initial weights and for every random draw the layers make (dropout),
            so the same seed gives the same network bit for bit.
        dtype: ``"float32"`` (default, fast) or ``"float64"`` (for gradient checks); the network
            keeps every array in it.

    Attributes:
        input_shape, output_shape: the shapes of one sample in and out.
        classes: a classifier's labels, in the user's own values (set by ``fit``), or None.
        scaler: the ``Standardizer`` applied to every input (set by ``fit(standardize=True)``).
        feature_names: the names of the input columns, in input order, or None when unknown.
        target_name: the name of the column the network predicts, or None when unknown.
        loss, optimizer, history: the ``Loss``, optimizer and ``History`` of the last ``fit``,
            or None.
        training_state: where training stands (epoch, shuffle generator), kept by ``fit`` so
            that a later ``fit(..., initial_epoch=k)`` continues exactly; None before any fit.

    Example, the tutorial's 2-2-1 network::

        net = Network([Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")], seed=0)
        net.feedforward([2, 3])
    """

    def __init__(self, layers, *, input_shape=None, seed: int | None = None, dtype="float32"):
        layers = list(layers) if not isinstance(layers, Layer) else [layers]
        if not layers:
            raise ValueError("layers must hold at least one layer, got an empty list")
        for index, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{index}] must be a Layer, got {layer!r}")
        if len({id(layer) for layer in layers}) != len(layers):
            raise ValueError("layers must not hold the same layer object twice")
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
        self.training_state = None
        self._scratch: dict[int, np.ndarray] = {}
        self.input_shape = _input_shape(input_shape, layers[0])
        rng = np.random.default_rng(seed)
        shape = self.input_shape
        for index, layer in enumerate(layers):
            try:
                shape = layer.build(shape, rng, self.dtype)
            except ValueError as error:
                raise ValueError(f"layers[{index}] ({type(layer).__name__}): {error}") from None
        self.output_shape = shape
        self.head = layers[-1] if is_head(layers[-1]) else IdentityHead(layers[-1])
        # A convolution and its max pool run as one stage (see glassnet.layers.fusion).
        self._stages = stages(layers[:-1])
        self._forward_path = [*(stage for stage, _ in self._stages), self.head]

    @property
    def n_in(self) -> int:
        """Number of input values per sample (features, or pixels of an image)."""
        return size_of(self.input_shape)

    @property
    def n_out(self) -> int:
        """Number of outputs per position: the size of the output's last axis."""
        return self.output_shape[-1]

    @property
    def output_layer(self):
        """The head the loss meets: the last layer, or its identity view (``IdentityHead``)."""
        return self.head

    def named_parameters(self):
        """``(name, param, grad)`` for every parameter array, named ``layers.<index>.<key>``
        (``layers.<index>.<child>.<key>`` inside a layer made of parts)."""
        for index, layer in enumerate(self.layers):
            yield from layer.named_parameters(f"layers.{index}.")

    def parameters(self) -> list[np.ndarray]:
        """Every parameter array, layer by layer; optimizers update these in place."""
        return [param for _, param, _ in self.named_parameters()]

    def gradients(self) -> list[np.ndarray]:
        """The gradient arrays, in the order of ``parameters()``, as the last backward left them."""
        return [grad for _, _, grad in self.named_parameters()]

    @property
    def n_parameters(self) -> int:
        """Total number of weights and biases."""
        return sum(layer.n_parameters for layer in self.layers)

    # -- forward -------------------------------------------------------------------------------

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """Output ``(n_samples, *output_shape)`` for a prepared batch ``X`` (see
        ``prepare_inputs``) of shape ``(n_samples, *input_shape)``.

        Each layer keeps what ``backward`` and ``explain`` need (Dense: its ``z`` and ``a``); in
        training mode they live in reused buffers.
        """
        activation = X
        for layer in self._forward_path:
            activation = layer.forward(activation, training)
        return activation

    def predict(self, X) -> np.ndarray:
        """Outputs for a batch ``X`` of shape ``(n_samples, *input_shape)``.

        For a classifier (``classes`` set by ``fit``), the predicted labels, in the user's own
        label values; otherwise the network's outputs ``(n_samples, *output_shape)``.
        """
        output = self.predict_output(X)
        return output if self.classes is None else self.classes[class_indices(output)]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` of a classifier, in ``classes`` order
        (``(n_samples, T, n_classes)`` for a label per step of a sequence)."""
        if self.classes is None:
            raise ValueError("predict_proba needs a classifier: fit the network on class labels")
        output = self.predict_output(X)
        if self.n_out == 1:
            return np.concatenate([1 - output, output], axis=-1)
        return output

    def predict_output(self, X) -> np.ndarray:
        """The raw network output ``(n_samples, *output_shape)`` for user inputs ``X``."""
        X = self.prepare_inputs(X)
        chunks = self.inference_chunks(len(X))
        if len(chunks) == 1:
            return self.forward(X)  # new arrays, not buffers
        output = np.empty((len(X), *self.output_shape), dtype=self.dtype)
        for rows in chunks:
            output[rows] = self.forward(X[rows])
        return output

    def inference_chunks(self, n_samples: int) -> list[slice]:
        """The slices of ``n_samples`` samples that inference takes one at a time: as many
        samples as keep what every layer holds (its ``inference_values``) within
        ``INFERENCE_VALUES`` values."""
        values_per_sample = sum(layer.inference_values() for layer in self.layers)
        step = max(1, INFERENCE_VALUES // values_per_sample)
        return [slice(start, start + step) for start in range(0, max(n_samples, 1), step)]

    def feedforward(self, x) -> np.ndarray:
        """The tutorial's feedforward of one sample ``x`` of ``input_shape``: ``output_shape``."""
        x = numeric_array(x, "x")
        return self.forward(self.prepare_inputs(x.reshape(1, *x.shape), "x"))[0]

    def prepare_inputs(self, X, name: str = "X") -> np.ndarray:
        """The one way in for user inputs: check ``X`` and apply the network's ``scaler``.

        Returns what the first layer sees: a contiguous ``(n_samples, *input_shape)`` array of
        the network's dtype. ``predict``, ``feedforward``, ``explain``, ``evaluate`` and ``fit``
        all go through here.
        """
        return self.scale_inputs(self.check_inputs(X, name))

    def check_inputs(self, X, name: str = "X") -> np.ndarray:
        """Return ``X`` as a finite ``(n_samples, *input_shape)`` array of the network's dtype.

        Rows of flattened values ``(n_samples, n_in)``, as a CSV file holds them, are reshaped
        to ``input_shape``. A value beyond the dtype's range raises rather than becoming an
        infinity.
        """
        X = numeric_array(X, name, dtype=self.dtype)
        if X.ndim >= 2 and X.shape[1:] == self.input_shape:
            return np.asarray(X, dtype=self.dtype)
        if X.ndim == 2 and X.shape[1] == self.n_in:
            return np.asarray(X, dtype=self.dtype).reshape(len(X), *self.input_shape)
        if X.ndim != len(self.input_shape) + 1 and X.ndim != 2:
            raise ValueError(
                f"{name} must be {len(self.input_shape) + 1}-D, got an array of shape {X.shape}"
            )
        if len(self.input_shape) == 1:
            raise ValueError(
                f"{name} must have {self.n_in} features (columns) for this network, "
                f"got shape {X.shape}"
            )
        raise ValueError(
            f"{name} must have shape (n_samples, {', '.join(map(str, self.input_shape))}) or "
            f"(n_samples, {self.n_in}) for this network, got shape {X.shape}"
        )

    def scale_inputs(self, X: np.ndarray) -> np.ndarray:
        """Checked inputs after the network's ``scaler`` (if any), as one contiguous array of
        the network's dtype. The scaler sees each sample as one row of ``n_in`` values."""
        if self.scaler is not None:
            scaled = self.scaler.transform(X.reshape(len(X), -1))
            X = scaled.astype(self.dtype, copy=False).reshape(X.shape)
        return np.ascontiguousarray(X)

    # -- backward ------------------------------------------------------------------------------

    def backward(self, delta: np.ndarray) -> None:
        """Backprop the output residual ``delta = dJ/dz^(n_l)``, filling every layer's grads."""
        grad = self.head.backward_residual(delta, need_input_grad=len(self.layers) > 1)
        for stage, first_index in reversed(self._stages):
            grad = stage.backward(grad, need_input_grad=first_index > 0)

    def loss_step(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        loss,
        *,
        weight_decay: float = 0.0,
        l1: float = 0.0,
        training: bool = False,
        backward: bool = True,
        sample_weight: np.ndarray | None = None,
    ) -> StepResult:
        """One pass of the objective on a prepared batch: the one place where the loss meets the
        network, for ``loss_and_gradients``, every training step and every validation pass.

        1. forward ``X (n_samples, *input_shape)``;
        2. the loss and the output residual ``delta = dJ/dz`` from the head's ``z`` and ``a``
           (outputs of more than two axes, such as sequences, are scored position by position);
        3. with ``backward``: backprop ``delta``, filling every layer's ``grads``;
        4. the penalty ``λ/2 sum ||W||^2 + l1 sum |W|`` and, with ``backward``, its gradient.

        ``Y`` must be prepared (``check_targets``) to the head's shape; ``sample_weight`` is
        ``(n_samples,)``, or one weight per output position (a padding mask).
        """
        self.forward(X, training)
        head = self.head
        z, a = head.z, head.a
        if z.ndim > 2:  # positions of a sequence (or map) are scored as rows
            rows = (-1, z.shape[-1])
            z, a, Y = z.reshape(rows), a.reshape(rows), Y.reshape(rows)
            if sample_weight is not None and sample_weight.size != len(z):
                sample_weight = np.repeat(sample_weight, len(z) // len(X))
            if sample_weight is not None:
                sample_weight = sample_weight.reshape(-1)
        data_loss, delta = loss.residual(Y, z, a, head.activation, sample_weight)
        penalty = self.penalty(weight_decay, l1) if weight_decay or l1 else 0.0
        if backward:
            self.backward(delta.reshape(head.z.shape))
            if weight_decay or l1:
                self.add_penalty_gradients(weight_decay, l1)
        return StepResult(data_loss, penalty)

    def penalty(self, weight_decay: float = 0.0, l1: float = 0.0) -> float:
        """The regularisation term of J: ``λ/2 sum ||W||^2 + l1 sum |W|`` over the weights."""
        total = 0.0
        if not (weight_decay or l1):
            return total
        for weight, _ in self._weights_and_grads():
            if weight_decay:
                total += 0.5 * weight_decay * float(np.linalg.norm(weight)) ** 2
            if l1:
                total += l1 * float(np.abs(weight).sum())
        return total

    def add_penalty_gradients(self, weight_decay: float = 0.0, l1: float = 0.0) -> None:
        """Add the penalty's gradient ``λ W + l1 sign(W)`` to every weight gradient."""
        if not (weight_decay or l1):
            return
        for position, (weight, grad) in enumerate(self._weights_and_grads()):
            # Each term goes through a scratch array kept per weight: no allocation per batch.
            # It is filed by position, not id(), so that a pickled or copied network finds its
            # own arrays' scratch and never another's.
            scratch = self._scratch.get(position)
            if scratch is None or scratch.shape != weight.shape:
                scratch = self._scratch[position] = np.empty_like(weight)
            if weight_decay:
                grad += np.multiply(weight, weight_decay, out=scratch)
            if l1:
                np.sign(weight, out=scratch)
                grad += np.multiply(scratch, l1, out=scratch)

    def _weights_and_grads(self):
        """The (parameter, gradient) pairs that regularisation touches: what each layer
        declares in ``decay_keys`` (weights, never biases)."""
        for layer in self.layers:
            yield from layer.decayed_parameters()

    def loss_and_gradients(
        self, X, Y, loss="mse", weight_decay: float = 0.0, l1: float = 0.0, sample_weight=None
    ):
        """The objective J and its gradients for the batch ``(X, Y)``, in inference mode.

        ``X`` is user input (checked and scaled like ``predict``'s). Returns ``(J, grads)``
        where ``grads[l]`` maps each parameter name of layer l (``"W"``, ``"b"``, or
        ``"cell.Wh"`` inside a layer made of parts) to a copy of its gradient (an empty dict for
        layers without parameters).
        """
        loss = losses.get(loss)
        weight_decay = non_negative_float(weight_decay, "weight_decay")
        l1 = non_negative_float(l1, "l1")
        X = self.prepare_inputs(X)
        Y = self.check_targets(Y, loss, len(X))
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(X), self.dtype)
        result = self.loss_step(
            X, Y, loss, weight_decay=weight_decay, l1=l1, sample_weight=sample_weight
        )
        grads = [
            {name: grad.copy() for name, _, grad in layer.named_parameters()}
            for layer in self.layers
        ]
        return result.objective, grads

    def check_targets(self, Y, loss, n_samples: int) -> np.ndarray:
        """Return ``Y`` in the form ``loss`` needs, checking it matches ``n_samples`` rows.

        For an output of more than one axis per sample (a sequence ``(time, n_out)``), ``Y``
        holds the targets of every position: ``(n_samples, time, n_out)``, or class indices
        ``(n_samples, time)`` for cross-entropy.
        """
        Y = numeric_array(Y, "Y", dtype=self.dtype)
        if len(Y) != n_samples:
            raise ValueError(f"Y must have {n_samples} rows, one per sample of X, got {len(Y)}")
        loss = losses.get(loss)
        positions = self.output_shape[:-1]
        if not positions:
            if Y.ndim > 2:
                raise ValueError(f"Y must be 1-D or 2-D, got an array of shape {Y.shape}")
            return loss.prepare_targets(Y, self.n_out, self.dtype)
        if Y.shape[1 : 1 + len(positions)] != positions:
            raise ValueError(
                f"Y must hold targets for every output position, shape (n_samples, "
                f"{', '.join(map(str, positions))}, ...), got shape {Y.shape}"
            )
        n_positions = size_of(positions)
        flat = Y.reshape(n_samples * n_positions, *Y.shape[1 + len(positions) :])
        prepared = loss.prepare_targets(flat, self.n_out, self.dtype)
        return prepared.reshape(n_samples, *self.output_shape)

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
        """The architecture as a JSON-able dict: layers, input shape, dtype, seed."""
        return {
            "layers": [layer.get_config() for layer in self.layers],
            "input_shape": list(self.input_shape),
            "dtype": self.dtype.name,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict) -> Network:
        """Build a network from ``get_config()`` output: the same seed draws the same weights."""
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(
                f"a network config must be a dict with a 'layers' list, got {config!r}"
            )
        layers = [from_config(layer) for layer in config["layers"]]
        return cls(
            layers,
            input_shape=config.get("input_shape"),
            seed=config.get("seed"),
            dtype=config.get("dtype", "float32"),
        )

    def named_state(self):
        """``(name, array)`` for every array that is part of the model but not trained (batch
        norm's running statistics), named ``layers.<index>.<key>`` like the parameters."""
        for index, layer in enumerate(self.layers):
            yield from layer.named_state(f"layers.{index}.")

    def named_weights(self):
        """``(name, array)`` for everything a model file stores of the layers: every parameter,
        then every state array."""
        for name, param, _ in self.named_parameters():
            yield name, param
        yield from self.named_state()

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and state array, by name (see ``named_weights``)."""
        return {name: array.copy() for name, array in self.named_weights()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Copy named arrays (as from ``get_weights``) into the parameters and state, checking
        every name, shape and value; a mismatch raises before anything is changed."""
        expected = dict(self.named_weights())
        missing = sorted(set(expected) - set(weights))
        unexpected = sorted(set(weights) - set(expected))
        if missing or unexpected:
            raise ValueError(
                f"weights do not match the network: missing {missing}, unexpected {unexpected}"
            )
        checked = {}
        for name, param in expected.items():
            value = numeric_array(weights[name], name, dtype=param.dtype)
            if value.shape != param.shape:
                raise ValueError(f"{name} must have shape {param.shape}, got {value.shape}")
            checked[name] = value
        for index, layer in enumerate(self.layers):
            prefix = f"layers.{index}."
            layer.check_state({name: checked[prefix + name] for name, _ in layer.named_state()})
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
        """A table of layers, output shapes and parameter counts."""
        rows = [f"{'layer':<36}{'output shape':>16}{'params':>10}"]
        rows.append(f"{'input':<36}{_shape_text(self.input_shape):>16}{'':>10}")
        for index, layer in enumerate(self.layers):
            name = f"{index}: {layer!r}"
            if len(name) > 35:
                name = name[:32] + "..."
            rows.append(f"{name:<36}{_shape_text(layer.output_shape):>16}{layer.n_parameters:>10}")
        rows.append(f"{'total':<36}{'':>16}{self.n_parameters:>10}")
        return "\n".join(rows)

    def __repr__(self) -> str:
        if len(self.input_shape) == 1 and all(
            isinstance(layer, Dense) or not layer.params for layer in self.layers
        ):
            sizes = [self.n_in, *(layer.n_out for layer in self.layers if isinstance(layer, Dense))]
            return f"Network({'-'.join(map(str, sizes))}, dtype={self.dtype.name})"
        kinds = ", ".join(type(layer).__name__ for layer in self.layers)
        return (
            f"Network([{kinds}], input_shape={self.input_shape}, "
            f"output_shape={self.output_shape}, dtype={self.dtype.name})"
        )


def _input_shape(input_shape, first_layer: Layer) -> tuple[int, ...]:
    """The checked per-sample input shape: as given (an int is a feature count), else what the
    first layer implies."""
    if input_shape is None:
        implied = first_layer.default_input_shape
        if implied is None:
            raise ValueError(
                f"give input_shape: a {type(first_layer).__name__} first layer does not imply "
                "the shape of a sample"
            )
        return tuple(implied)
    return check_input_shape(input_shape)


def check_input_shape(input_shape) -> tuple[int, ...]:
    """``input_shape`` as a tuple of positive ints (an int is a feature count), or a
    ``ValueError`` naming it."""
    if isinstance(input_shape, (int, np.integer)) and not isinstance(input_shape, bool):
        input_shape = (input_shape,)
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise ValueError(
            f"input_shape must be a positive integer or a tuple of them, got {input_shape!r}"
        )
    for size in input_shape:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(
                f"input_shape must be a positive integer or a tuple of them, got {input_shape!r}"
            )
    return tuple(int(size) for size in input_shape)


def _shape_text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def class_indices(output: np.ndarray) -> np.ndarray:
    """The class each row of ``output (n_samples, n_out)`` stands for: ``output >= 0.5`` for a
    single sigmoid unit (two classes), else the index of the largest output."""
    if output.shape[-1] == 1:
        return (output[..., 0] >= 0.5).astype(np.intp)
    if output.ndim == 2:
        return row_argmax(output)
    return output.argmax(axis=-1)
