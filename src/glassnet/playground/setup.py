"""What a page may ask for: the server's ``Limits`` and a checked ``Setup`` of the network.

Every field of a set-up message is checked here, on the server, against the limits: a number
must be a finite JSON number in its range, a name one of its choices, a list no longer than its
cap. The page's own controls offer only valid values, but the server trusts nothing it is sent.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields, replace

from glassnet.playground import data, features

#: The hidden-layer activations offered, by glassnet name.
ACTIVATIONS = ("tanh", "relu", "sigmoid", "identity", "leaky_relu")
#: The optimizers offered; "momentum" is SGD with momentum 0.9.
OPTIMIZERS = ("sgd", "momentum", "adam")
#: Regularisation: none, the L1 term ``l1 sum |W|``, or the tutorial's L2 weight decay.
REGULARIZATIONS = ("none", "l1", "l2")
MAX_DROPOUT = 0.9
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Limits:
    """The server's caps on what a page may ask for: settings, not constants of the page."""

    max_hidden_layers: int = 8
    max_neurons: int = 16  # per hidden layer
    max_batch_size: int = 30
    max_learning_rate: float = 10.0
    max_regularization_rate: float = 10.0
    max_classes: int = 10  # of an uploaded label column (the softmax's width)
    max_upload_bytes: int = 4 * 1024 * 1024
    max_upload_rows: int = 50_000
    max_message_bytes: int = 64 * 1024  # any message but an upload
    max_sessions: int = 16  # pages connected at once
    max_updates_per_second: float = 60.0  # while playing
    map_size: int = 100  # the output heat map: map_size² points
    neuron_map_size: int = 20  # every neuron's small heat map

    def __post_init__(self):
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
                raise ValueError(f"{item.name} must be a positive number, got {value!r}")

    def max_socket_bytes(self) -> int:
        """The largest WebSocket message taken: an upload's text, escaped as JSON (at most
        twice as long for CSV text), with room for the message around it."""
        return 2 * self.max_upload_bytes + self.max_message_bytes


@dataclass(frozen=True)
class Setup:
    """Everything that defines a network and its training, as the page's URL holds it.

    The defaults are TensorFlow Playground's: the circle, no noise, half the points for
    training, batches of 10, learning rate 0.03, tanh, two hidden layers of 4 and 2 neurons,
    inputs x1 and x2, no regularisation, plain SGD.
    """

    problem: str = "classification"
    dataset: str = "circle"  # a key of data.BUILTINS, or data.UPLOAD
    noise: float = 0.0  # percent, 0-50
    train_percent: float = 50.0  # 10-90
    batch_size: int = 10
    seed: int = 0  # of the data, the split, the initial weights and the shuffles
    learning_rate: float = 0.03
    optimizer: str = "sgd"
    regularization: str = "none"
    regularization_rate: float = 0.0
    features: tuple[str, ...] = features.DEFAULT
    hidden: tuple[int, ...] = (4, 2)  # neurons per hidden layer
    activations: tuple[str, ...] = ("tanh", "tanh")  # one per hidden layer
    dropout: tuple[float, ...] = (0.0, 0.0)  # one rate per hidden layer

    def to_dict(self) -> dict:
        """The set-up as JSON-able values, as the page sends it."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }


#: Set-up fields that change while training goes on; any other change builds a new network.
LIVE_FIELDS = frozenset({"learning_rate"})


def update(setup: Setup, changes, limits: Limits, uploaded_problem: str | None) -> Setup:
    """``setup`` with ``changes`` (a dict from a message) applied, every field checked.

    ``uploaded_problem`` is the problem of the uploaded data, or None when nothing was
    uploaded. Raises ``ValueError`` naming the field, what it takes and what it got.
    """
    if not isinstance(changes, dict):
        raise ValueError(f"setup must be an object of fields, got {brief(changes)}")
    known = {item.name for item in fields(Setup)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValueError(
            f"unknown setup field {unknown[0]!r}; the fields are: {', '.join(sorted(known))}"
        )
    checked = {name: _CHECKS[name](value, limits) for name, value in changes.items()}
    result = replace(setup, **checked)
    _check_together(result, uploaded_problem)
    return result


def _check_together(setup: Setup, uploaded_problem: str | None) -> None:
    """The checks that involve several fields: the dataset fits the problem, one activation
    and one dropout rate per hidden layer."""
    if setup.dataset == data.UPLOAD:
        if uploaded_problem is None:
            raise ValueError("dataset 'upload' needs an uploaded CSV file first")
        if uploaded_problem != setup.problem:
            raise ValueError(
                f"the uploaded file is a {uploaded_problem} set, not {setup.problem}: "
                f"set problem to {uploaded_problem!r}"
            )
    elif data.BUILTINS[setup.dataset].problem != setup.problem:
        choices = [name for name, item in data.BUILTINS.items() if item.problem == setup.problem]
        raise ValueError(
            f"dataset {setup.dataset!r} is not a {setup.problem} set; choose one of: "
            f"{', '.join(choices)}"
        )
    n_layers = len(setup.hidden)
    for name in ("activations", "dropout"):
        if len(getattr(setup, name)) != n_layers:
            raise ValueError(
                f"{name} must hold one entry per hidden layer ({n_layers}), "
                f"got {len(getattr(setup, name))}"
            )


# -- one check per field -----------------------------------------------------------------------


def _number(value, name: str, low: float, high: float, *, low_open: bool = False) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (low < value if low_open else low <= value) and value <= high
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise ValueError(f"{name} must be a number in {interval}, got {brief(value)}")
    return float(value)


def _integer(value, name: str, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON from a page may spell 10 as 10.0
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {brief(value)}")
    return value


def _choice(value, name: str, options) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}; got {brief(value)}")
    return value


def _list(value, name: str, max_length: int, min_length: int = 0) -> list:
    if not isinstance(value, list) or not min_length <= len(value) <= max_length:
        raise ValueError(
            f"{name} must be a list of {min_length} to {max_length} entries, got {brief(value)}"
        )
    return value


def _features(value, limits: Limits) -> tuple[str, ...]:
    keys = _list(value, "features", len(features.FEATURES), min_length=1)
    checked = tuple(_choice(key, "features entries", list(features.BY_KEY)) for key in keys)
    if len(set(checked)) != len(checked):
        raise ValueError(f"features must name each feature once, got {brief(value)}")
    return checked


def _hidden(value, limits: Limits) -> tuple[int, ...]:
    sizes = _list(value, "hidden", limits.max_hidden_layers)
    return tuple(_integer(size, "hidden layer sizes", 1, limits.max_neurons) for size in sizes)


_CHECKS = {
    "problem": lambda value, limits: _choice(value, "problem", data.PROBLEMS),
    "dataset": lambda value, limits: _choice(value, "dataset", [*data.BUILTINS, data.UPLOAD]),
    "noise": lambda value, limits: _number(value, "noise", 0, 50),
    "train_percent": lambda value, limits: _number(value, "train_percent", 10, 90),
    "batch_size": lambda value, limits: _integer(value, "batch_size", 1, limits.max_batch_size),
    "seed": lambda value, limits: _integer(value, "seed", 0, MAX_SEED),
    "learning_rate": lambda value, limits: _number(
        value, "learning_rate", 0, limits.max_learning_rate, low_open=True
    ),
    "optimizer": lambda value, limits: _choice(value, "optimizer", OPTIMIZERS),
    "regularization": lambda value, limits: _choice(value, "regularization", REGULARIZATIONS),
    "regularization_rate": lambda value, limits: _number(
        value, "regularization_rate", 0, limits.max_regularization_rate
    ),
    "features": _features,
    "hidden": _hidden,
    "activations": lambda value, limits: tuple(
        _choice(name, "activations entries", ACTIVATIONS)
        for name in _list(value, "activations", limits.max_hidden_layers)
    ),
    "dropout": lambda value, limits: tuple(
        _number(rate, "dropout rates", 0, MAX_DROPOUT)
        for rate in _list(value, "dropout", limits.max_hidden_layers)
    ),
}


def brief(value) -> str:
    """``repr(value)``, cut to 60 characters so that a huge message makes a short error."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
