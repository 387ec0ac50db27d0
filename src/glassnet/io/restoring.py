"""What a model file adds to a network beyond its layers and weights, read back and checked:
classes, feature and target names, loss, optimizer and its state, the layers' random
generators, the learning-rate schedule and the training history.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from glassnet import losses, optimizers, schedules
from glassnet._checks import SIMPLE_DTYPE_NAME
from glassnet.callbacks import History
from glassnet.io.checks import (
    _MAX_LABEL_CHARS,
    _classes_problem,
    _count_problem,
    _feature_names_problem,
    _history_problem,
    _too_wide,
    _width_problem,
)
from glassnet.io.reading import _json_field
from glassnet.io.text import _brief, _quoted, _reason
from glassnet.network import Network
from glassnet.preprocessing import LABEL_KINDS
from glassnet.safetensors import ModelFileError


def _load_classes(path: Path, metadata: dict[str, str], n_out: int) -> np.ndarray:
    """The stored labels as an array of their own dtype, checked against the output size."""
    if "classes_dtype" not in metadata:
        raise ModelFileError(f"{path}: metadata has 'classes' but no 'classes_dtype'")
    values = _json_field(path, metadata, "classes")
    dtype_text = metadata["classes_dtype"]
    dtype = None
    if SIMPLE_DTYPE_NAME.fullmatch(dtype_text):  # NumPy's parser of other strings is no place
        try:  # for a file's text: it can be slow, and raise SyntaxError
            dtype = np.dtype(dtype_text)
        except (TypeError, ValueError, OverflowError):
            dtype = None
    if dtype is None or dtype.kind not in LABEL_KINDS or _too_wide(dtype):
        raise ModelFileError(
            f"{path}: metadata 'classes_dtype' is {_quoted(dtype_text)}, expected the dtype of "
            f"strings (up to {_MAX_LABEL_CHARS} characters), integers, floats or booleans"
        )
    if not isinstance(values, list) or not all(_fits_kind(value, dtype.kind) for value in values):
        raise ModelFileError(
            f"{path}: metadata 'classes' must be a JSON list of {_KIND_NAMES[dtype.kind]} "
            f"(classes_dtype {dtype_text!r}), got {_brief(values)}"
        )
    # Both checked before the array is made, whose size they bound.
    problem = _count_problem(len(values), n_out)
    if problem is None and dtype.kind == "U":
        problem = _width_problem(len(values), dtype, sum(map(len, values)))
    if problem:
        raise ModelFileError(f"{path}: metadata 'classes' {problem}")
    try:
        classes = np.array(values, dtype=dtype)
    except (OverflowError, ValueError):
        classes = None
    # A label too long for a "<U3", or too big for an int8, would change silently otherwise.
    if classes is None or classes.shape != (len(values),) or classes.tolist() != values:
        raise ModelFileError(
            f"{path}: metadata 'classes' does not fit classes_dtype {dtype_text!r}: "
            f"{_brief(values)}"
        )
    problem = _classes_problem(classes, n_out)
    if problem:
        raise ModelFileError(f"{path}: metadata 'classes' {problem}")
    return classes


_KIND_NAMES = {"b": "booleans", "i": "integers", "u": "integers", "f": "numbers", "U": "strings"}


def _fits_kind(value, kind: str) -> bool:
    if kind == "U":
        return isinstance(value, str)
    if kind == "b":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind in "iu":
        return isinstance(value, int)
    return isinstance(value, (int, float)) and math.isfinite(value)


def _load_names(path: Path, metadata: dict[str, str], n_in: int):
    """``(feature names as a tuple, target name)``; each is None when the file has no entry."""
    feature_names = None
    if "feature_names" in metadata:
        values = _json_field(path, metadata, "feature_names")
        problem = _feature_names_problem(values, n_in)
        if problem:
            raise ModelFileError(f"{path}: metadata 'feature_names' {problem}")
        feature_names = tuple(values)
    # Metadata values are always strings in safetensors; a missing key means "not known".
    return feature_names, metadata.get("target_name")


def _load_loss(path: Path, metadata: dict[str, str]):
    """The stored training loss, or None when the file has none."""
    if "loss" not in metadata:
        return None
    config = _json_field(path, metadata, "loss")
    try:
        return losses.get(config)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{path}: metadata 'loss' cannot be built: {_reason(error)}") from None


def _build_optimizer(path: Path, network: Network, config):
    """The stored optimizer, rebuilt and bound to ``network``'s parameters (state not yet set)."""
    if not isinstance(config, dict):
        raise ModelFileError(
            f"{path}: metadata 'optimizer' must be a JSON object, got {_brief(config)}"
        )
    try:
        optimizer = optimizers.get(config)
    except (TypeError, ValueError) as error:
        raise ModelFileError(
            f"{path}: metadata 'optimizer' cannot be built: {_reason(error)}"
        ) from None
    optimizer.bind(network.parameters())
    return optimizer


def _load_schedule(path: Path, data):
    """The stored learning-rate schedule, with its state."""
    if not isinstance(data, dict) or set(data) != {"config", "state"}:
        raise ModelFileError(
            f"{path}: metadata 'schedule' must be a JSON object with 'config' and 'state', "
            f"got {_brief(data)}"
        )
    try:
        schedule = schedules.get(data["config"])
        schedule.set_state(data["state"])
    except (TypeError, ValueError) as error:
        raise ModelFileError(
            f"{path}: metadata 'schedule' cannot be built: {_reason(error)}"
        ) from None
    return schedule


def _random_layers(network: Network) -> dict:
    """``{"layers.<i>": layer}`` for every layer with a random generator (dropout)."""
    return {
        f"layers.{index}": layer
        for index, layer in enumerate(network.layers)
        if layer.get_random_state() is not None
    }


def _load_random_states(path: Path, network: Network, states) -> None:
    """Restore the layers' random generators from the ``random_state`` entry."""
    expected = _random_layers(network)
    if not isinstance(states, dict) or set(states) != set(expected):
        raise ModelFileError(
            f"{path}: metadata 'random_state' must map {sorted(expected)} to generator states, "
            f"got {_brief(states)}"
        )
    for name, state in states.items():
        try:
            expected[name].set_random_state(state)
        except ValueError as error:
            raise ModelFileError(
                f"{path}: metadata 'random_state' of {name}: {_reason(error)}"
            ) from None


def _load_optimizer_state(path: Path, optimizer, arrays: dict) -> None:
    prefix = "optimizer."
    state = {
        name[len(prefix) :]: array for name, array in arrays.items() if name.startswith(prefix)
    }
    for name, array in state.items():
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ModelFileError(f"{path}: array '{prefix}{name}' holds non-finite values")
    if int(state["iterations"]) < 0:
        raise ModelFileError(
            f"{path}: array '{prefix}iterations' must be >= 0, got {int(state['iterations'])}"
        )
    try:
        optimizer.load_state_dict(state)
    except ValueError as error:
        raise ModelFileError(f"{path}: {_reason(error)}") from None


def _load_history(path: Path, data, n_layers: int) -> History:
    """A ``History`` from its stored dict, after checking every field (``_history_problem``)."""
    problem = _history_problem(data, n_layers)
    if problem:
        raise ModelFileError(f"{path}: metadata 'history' {problem}")
    metrics = {name: [float(value) for value in values] for name, values in data["metrics"].items()}
    return History(metrics, data.get("best_epoch"))
