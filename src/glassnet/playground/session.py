"""One page's playground: its data, its glassnet ``Network`` and optimizer, and its training.

Everything numeric happens here, in glassnet: ``Network.fit`` trains one epoch at a time with
the same optimizer object (its state carries on), ``glassnet.evaluate`` measures the losses,
``Network.predict_output`` and the layers' own ``forward`` draw the heat maps,
``Network.explain`` traces a point, ``glassnet.io.save`` writes the model file. The page only
draws what it is sent.

Heat maps travel as bytes, base64-encoded: a value ``t`` in [-1, 1] is ``round((t + 1) * 127.5)``
(a probability ``p`` in [0, 1] is ``round(p * 255)``, the same as ``t = 2p - 1``), row by row from
the top of the view (largest x2) and, within a row, from the smallest x1.
"""

from __future__ import annotations

import base64
import math
import tempfile
from pathlib import Path

import numpy as np

import glassnet
from glassnet import Dense, Dropout, Network, optimizers, tasks
from glassnet.callbacks import History
from glassnet.metrics import confusion_matrix
from glassnet.playground import data, export, features
from glassnet.playground.setup import LIVE_FIELDS, Limits, Setup, update
from glassnet.preprocessing import LabelEncoder, Standardizer

#: Set-up fields that change the data; any other change rebuilds only the network.
DATA_FIELDS = frozenset({"problem", "dataset", "noise", "train_percent", "seed"})
#: The longest list of hand edits and learning-rate changes the exported script replays.
MAX_EVENTS = 10_000


class Session:
    """The state behind one page: set-up, data, network, optimizer and what training did.

    Not thread-safe: the server runs one call at a time per session.
    """

    def __init__(self, *, setup: Setup | None = None, limits: Limits | None = None):
        self.limits = limits or Limits()
        self.setup = setup or Setup()
        self.uploaded: data.Points | None = None
        self.upload_name: str | None = None
        self._load_data()
        self._build_network()

    # -- set-up ------------------------------------------------------------------------------------

    def configure(self, changes) -> bool:
        """Apply a set-up message's ``changes``; return whether a new network was built.

        A learning rate changes the running optimizer; a change to the data draws it again and
        builds a new network; any other change builds a new network on the same data.
        """
        uploaded_problem = self.uploaded.problem if self.uploaded is not None else None
        new = update(self.setup, changes, self.limits, uploaded_problem)
        changed = {name for name in changes if getattr(new, name) != getattr(self.setup, name)}
        self.setup = new
        if not changed:
            return False
        if changed <= LIVE_FIELDS:
            self.optimizer.learning_rate = new.learning_rate
            self._record(("learning_rate", new.learning_rate))
            return False
        if changed & DATA_FIELDS:
            self._load_data()
        self._build_network()
        return True

    def upload(self, name: str, content: bytes) -> None:
        """Read an uploaded CSV file and train on it: the dataset becomes ``"upload"`` and the
        problem the one its label or target column calls for."""
        points = data.read_upload(
            name,
            content,
            self.limits.max_upload_bytes,
            self.limits.max_upload_rows,
            self.limits.max_classes,
        )
        changes = {"dataset": data.UPLOAD, "problem": points.problem}
        self.setup = update(self.setup, changes, self.limits, points.problem)
        self.uploaded, self.upload_name = points, name
        self._load_data()
        self._build_network()

    def reset(self) -> None:
        """Start again: the initial weights (the same for the same seed), epoch 0."""
        self._build_network()

    def _load_data(self) -> None:
        setup = self.setup
        if setup.dataset == data.UPLOAD:
            self.points = self.uploaded
        else:
            self.points = data.BUILTINS[setup.dataset].draw(setup.noise, setup.seed)
        self.train_rows, self.test_rows = data.split(self.points, setup.train_percent, setup.seed)
        self.classes = (
            np.unique(self.points.targets) if self.points.problem == "classification" else None
        )
        self.domain = self.points.domain()
        # Regression colours run from -value_range (orange) to +value_range (blue).
        self.value_range = 1.0
        if self.classes is None:
            self.value_range = float(max(np.abs(self.points.targets).max(), 1e-9))
        self.map_xy = _grid(self.domain, self.limits.map_size)
        self.neuron_xy = _grid(self.domain, self.limits.neuron_map_size)

    def _build_network(self) -> None:
        setup, points = self.setup, self.points
        self.inputs = {
            name: features.compute(setup.features, xy)
            for name, xy in (
                ("train", points.xy[self.train_rows]),
                ("test", points.xy[self.test_rows]),
                ("map", self.map_xy),
                ("neurons", self.neuron_xy),
            )
        }
        self.targets = {
            "train": points.targets[self.train_rows],
            "test": points.targets[self.test_rows],
        }
        n_classes = len(self.classes) if self.classes is not None else 0
        spec = tasks.output_spec(points.problem, n_classes or 1)
        self.loss, output_activation, n_out = spec.loss, spec.activation, spec.n_out
        layers, n_in = [], len(setup.features)
        for size, activation, rate in zip(
            setup.hidden, setup.activations, setup.dropout, strict=True
        ):
            layers.append(Dense(n_in, size, activation))
            if rate > 0:
                layers.append(Dropout(rate))
            n_in = size
        layers.append(Dense(n_in, n_out, output_activation))
        network = Network(layers, seed=setup.seed)
        network.scaler = Standardizer().fit(self.inputs["train"])
        network.feature_names = features.names(setup.features, points.column_names)
        network.target_name = points.target_name
        network.classes = self.classes  # what fit finds; known before the first epoch too
        self.network = network
        self.dense_positions = [
            position for position, layer in enumerate(network.layers) if isinstance(layer, Dense)
        ]
        self.optimizer = make_optimizer(setup.optimizer, setup.learning_rate)
        self.initial_learning_rate = setup.learning_rate  # the script replays later changes
        self.epoch = 0
        self.history = History()
        self.events: list[tuple] = []
        self.diverged = False
        self._measure({})

    # -- training ----------------------------------------------------------------------------------

    def train_epoch(self) -> None:
        """One pass over the training points, in batches, with ``Network.fit``.

        The shuffle of epoch ``e`` is drawn from ``seed + e``, so the exported script, which
        trains epoch by epoch the same way, reaches the same weights. Raises
        ``glassnet.TrainingDiverged`` when the loss or the weights stop being finite.
        """
        setup = self.setup
        try:
            history = self.network.fit(
                self.inputs["train"],
                self.targets["train"],
                **self.fit_options(),
                epochs=1,
                seed=setup.seed + self.epoch,
            )
        except glassnet.TrainingDiverged as error:
            self.diverged = True
            # fit counts its own single epoch as epoch 0; the page counts from its start.
            message = str(error).replace("at epoch 0", f"in epoch {self.epoch + 1}", 1)
            raise glassnet.TrainingDiverged(message) from None
        self.epoch += 1
        self._record(("train", 1))
        self._measure(history.last())

    def fit_options(self) -> dict:
        """The options of every ``fit`` call but ``epochs`` and ``seed``."""
        setup = self.setup
        rate = setup.regularization_rate
        return {
            "loss": self.loss,
            "optimizer": self.optimizer,
            "batch_size": setup.batch_size,
            "weight_decay": rate if setup.regularization == "l2" else 0.0,
            "l1": rate if setup.regularization == "l1" else 0.0,
            "metrics": (),
        }

    def _measure(self, last_epoch: dict) -> None:
        """Evaluate the training and test points and record them with the gradient norms."""
        logs = {}
        for part, prefix in (("train", ""), ("test", "val_")):
            results = glassnet.evaluate(
                self.network, self.inputs[part], self.targets[part], loss=self.loss
            )
            logs.update({prefix + key: value for key, value in results.items()})
        logs.update({key: value for key, value in last_epoch.items() if key.startswith("grad_")})
        self.history.record(logs)

    def set_parameter(self, layer: int, name: str, index, value) -> None:
        """Set one weight ``W[i, j]`` or bias ``b[i]`` of hidden or output layer ``layer``
        (0 is the first hidden layer) to ``value``, as a click on a link or a bias does."""
        if isinstance(layer, bool) or not isinstance(layer, int):
            raise ValueError(f"layer must be an integer, got {layer!r}")
        if not 0 <= layer < len(self.dense_positions):
            raise ValueError(f"layer must be in [0, {len(self.dense_positions) - 1}], got {layer}")
        if name not in ("W", "b"):
            raise ValueError(f"name must be 'W' or 'b', got {name!r}")
        param = self.network.layers[self.dense_positions[layer]].params[name]
        if (
            not isinstance(index, list)
            or len(index) != param.ndim
            or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 <= i < size
                for i, size in zip(index, param.shape, strict=True)
            )
        ):
            raise ValueError(
                f"index must be {param.ndim} integers within the shape {list(param.shape)} "
                f"of {name}, got {index!r}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"value must be a number, got {value!r}")
        if not math.isfinite(value) or abs(value) > 1e6:
            raise ValueError(f"value must be a finite number within ±1e6, got {value!r}")
        param[tuple(index)] = value
        position = self.dense_positions[layer]
        self._record(("set", position, name, tuple(index), float(param[tuple(index)])))
        self._measure({})

    def _record(self, event: tuple) -> None:
        """Remember a training step or a hand change, for the exported script to replay."""
        if event[0] == "train" and self.events and self.events[-1][0] == "train":
            self.events[-1] = ("train", self.events[-1][1] + event[1])
        elif len(self.events) < MAX_EVENTS:
            self.events.append(event)
        else:
            self.events.append(("overflow",))

    # -- what the page draws -----------------------------------------------------------------------

    def description(self) -> dict:
        """The ``network`` message: set-up, layer sizes, points, view and the input maps."""
        network, points = self.network, self.points
        all_keys = [feature.key for feature in features.FEATURES]
        return {
            "type": "network",
            "setup": self.setup.to_dict(),
            "sizes": [network.n_in, *(network.layers[p].n_out for p in self.dense_positions)],
            "activations": [network.layers[p].activation.name for p in self.dense_positions],
            "loss": self.loss,
            "problem": points.problem,
            "feature_labels": dict(
                zip(all_keys, features.names(all_keys, points.column_names), strict=True)
            ),
            "column_names": list(points.column_names),
            "target_name": points.target_name,
            "classes": None if self.classes is None else [str(c) for c in self.classes],
            "value_range": self.value_range,
            "domain": self.domain,
            "train": self._points_list(self.train_rows),
            "test": self._points_list(self.test_rows),
            "upload": None
            if self.uploaded is None
            else {"name": self.upload_name, "rows": len(self.uploaded.targets)},
            "map_size": self.limits.map_size,
            "neuron_map_size": self.limits.neuron_map_size,
            "input_maps": _encode(_spread(features.compute(all_keys, self.neuron_xy).T)),
        }

    def _points_list(self, rows: np.ndarray) -> list[list[float]]:
        """``[x1, x2, target]`` per row: a class index, or a value for regression."""
        xy = self.points.xy[rows]
        targets = self.points.targets[rows]
        if self.classes is not None:
            targets = np.searchsorted(self.classes, targets)
        table = np.column_stack([xy, targets.astype(np.float64)])
        return np.round(table, 4).tolist()

    def snapshot(self) -> dict:
        """The ``update`` message: epoch, losses, metrics, weights and every heat map."""
        network = self.network
        last = self.history.last()
        message = {
            "type": "update",
            "epoch": self.epoch,
            "train_loss": _finite(last.get("loss")),
            "test_loss": _finite(last.get("val_loss")),
            "metrics": {
                key: _finite(value)
                for key, value in last.items()
                if key not in ("loss", "val_loss") and not key.startswith("grad_")
            },
            "grad_norms": [_finite(last.get(f"grad_norm.{p}")) for p in self.dense_positions],
            "weights": [_rounded(network.layers[p].params["W"]) for p in self.dense_positions],
            "biases": [_rounded(network.layers[p].params["b"]) for p in self.dense_positions],
            "diverged": self.diverged,
        }
        with np.errstate(all="ignore"):
            message.update(self._maps())
            message["confusion"] = self._confusion()
        return message

    def _maps(self) -> dict:
        """The output heat map and every hidden and output neuron's small one."""
        network = self.network
        output = np.nan_to_num(network.predict_output(self.inputs["map"]).astype(np.float64))
        maps = {}
        if self.classes is None:
            maps["output_map"] = _encode(np.clip(output[:, 0] / self.value_range, -1, 1))
        elif output.shape[1] == 1:
            maps["output_map"] = _encode(output[:, 0] * 2 - 1)
        else:
            maps["output_map"] = _encode(output.max(axis=1) * 2 - 1)
            maps["class_map"] = base64.b64encode(
                output.argmax(axis=1).astype(np.uint8).tobytes()
            ).decode("ascii")
        activation = network.scaler.transform(self.inputs["neurons"]).astype(network.dtype)
        neuron_maps = []
        for layer in network.layers:
            activation = layer.forward(activation)
            if isinstance(layer, Dense):
                neuron_maps.append(_spread(np.nan_to_num(activation.T.astype(np.float64))))
        maps["neuron_maps"] = _encode(np.concatenate(neuron_maps))
        return maps

    def _confusion(self) -> list[list[int]] | None:
        """Counts of test points by true class (rows) and predicted class (columns)."""
        if self.classes is None or self.diverged:
            return None
        predicted = self.network.predict(self.inputs["test"])
        labels = self.network.classes
        return confusion_matrix(self.targets["test"], predicted, labels).tolist()

    # -- explain and export ------------------------------------------------------------------------

    def explain(self, layer: int, unit: int, point: int) -> dict:
        """The ``explain`` message: ``Network.explain`` of training point ``point``, with the
        numbers of unit ``unit`` of layer ``layer`` (0 is the first hidden layer) picked out."""
        if isinstance(layer, bool) or not isinstance(layer, int):
            raise ValueError(f"layer must be an integer, got {layer!r}")
        if not 0 <= layer < len(self.dense_positions):
            raise ValueError(f"layer must be in [0, {len(self.dense_positions) - 1}], got {layer}")
        size = self.network.layers[self.dense_positions[layer]].n_out
        if isinstance(unit, bool) or not isinstance(unit, int) or not 0 <= unit < size:
            raise ValueError(f"unit must be an integer in [0, {size - 1}], got {unit!r}")
        n_points = len(self.train_rows)
        if isinstance(point, bool) or not isinstance(point, int) or not 0 <= point < n_points:
            raise ValueError(
                f"point must be the index of a training point, in [0, {n_points - 1}], "
                f"got {point!r}"
            )
        network = self.network
        x = self.inputs["train"][point]  # explain shows it, then what the scaler makes of it
        label = self.targets["train"][point]
        if self.classes is None:
            y = np.array([label], dtype=np.float64)
        else:
            y = LabelEncoder(network.classes).transform(np.array([label]))[0]
        trace = network.explain(x, y, loss=self.loss)
        steps = trace.to_dict()
        number = self.dense_positions[layer] + 1  # the tutorial numbers the input layer 1
        by_symbol = {step["symbol"]: step["value"] for step in steps["forward"] + steps["backward"]}
        return {
            "type": "explain",
            "layer": layer,
            "unit": unit,
            "point": point,
            "xy": self.points.xy[self.train_rows[point]].tolist(),
            "target": str(label) if self.classes is not None else float(label),
            "symbols": {
                "z": f"z^({number + 1})",
                "a": f"a^({number + 1})",
                "delta": f"delta^({number + 1})",
                "dW": f"dL/dW^({number})",
                "db": f"dL/db^({number})",
            },
            "unit_values": {
                "z": by_symbol[f"z^({number + 1})"][unit],
                "a": by_symbol[f"a^({number + 1})"][unit],
                "delta": by_symbol[f"delta^({number + 1})"][unit],
                "dW": by_symbol[f"dL/dW^({number})"][unit],
                "db": by_symbol[f"dL/db^({number})"][unit],
            },
            "loss": steps["loss"]["value"],
            "text": str(trace),
        }

    def model_file(self) -> bytes:
        """The network as a glassnet model file (``glassnet.load`` reads it)."""
        self.network.history = self.history
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.safetensors"
            glassnet.io.save(self.network, path)
            return path.read_bytes()

    def script(self) -> str:
        """A Python script that builds and trains this network with glassnet."""
        return export.script(self)


def make_optimizer(name: str, learning_rate: float) -> optimizers.Optimizer:
    """The optimizer of the set-up's ``name``: "momentum" is SGD with momentum 0.9."""
    if name == "momentum":
        return optimizers.SGD(learning_rate, momentum=0.9)
    return optimizers.get(name, learning_rate)


def _grid(domain, size: int) -> np.ndarray:
    """The centres of a ``size x size`` grid over ``domain``: ``(size², 2)``, row by row from
    the top (largest x2) and, within a row, from the smallest x1."""
    (x1_low, x1_high), (x2_low, x2_high) = domain
    x1 = x1_low + (np.arange(size) + 0.5) * (x1_high - x1_low) / size
    x2 = x2_high - (np.arange(size) + 0.5) * (x2_high - x2_low) / size
    grid_x1, grid_x2 = np.meshgrid(x1, x2)
    return np.column_stack([grid_x1.ravel(), grid_x2.ravel()])


def _spread(rows: np.ndarray) -> np.ndarray:
    """Each row divided by ``max(1, its largest magnitude)``: values in [-1, 1] that keep a
    bounded activation (tanh, sigmoid) as it is and show an unbounded one's shape."""
    return rows / np.maximum(1.0, np.abs(rows).max(axis=1, keepdims=True))


def _encode(values: np.ndarray) -> str:
    """Values in [-1, 1] as base64 bytes ``round((t + 1) * 127.5)``."""
    codes = np.rint((np.clip(values, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return base64.b64encode(codes.tobytes()).decode("ascii")


def _rounded(param: np.ndarray) -> list:
    """A parameter array as nested lists of numbers rounded to 5 decimals, non-finite as 0."""
    return np.nan_to_num(param.astype(np.float64), posinf=0, neginf=0).round(5).tolist()


def _finite(value):
    """``value`` as a float when it is a finite number, else None (JSON has no NaN)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
