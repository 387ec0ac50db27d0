"""Model files: a network's config and weights in one safetensors file, never pickle.

A glassnet model file is a safetensors file (see ``glassnet.safetensors``) holding::

    arrays     "layers.<i>.<key>"      every parameter, in the network's dtype ("layers.0.W";
                                       "layers.<i>.<child>.<key>" inside a layer made of parts),
                                       and every state array that is not trained (batch norm's
                                       "layers.<i>.running_mean" and "running_var")
               "scaler.mean/scale"     the input Standardizer, float64 (n_in,), when there is one
               "optimizer.<name>"      the optimizer's state_dict(), when saved with it
    metadata   "format"                "glassnet"
               "format_version"        "1"; a reader refuses files newer than it knows
               "glassnet_version"      the version that wrote the file
               "config"                JSON of Network.get_config(): layers (with their
                                       initialisers), input_shape, dtype, seed
               "classes"               JSON list of a classifier's labels, with
               "classes_dtype"         their NumPy dtype ("<U6", "<i8", ...), so they come back
                                       exactly: strings as strings, ints as ints
               "scaler"                "Standardizer", with the scaler arrays
               "feature_names"         JSON list of the n_in input columns' names, when known
               "target_name"           the predicted column's name, when known
               "loss"                  JSON of Loss.get_config(): the loss it was trained with,
                                       when a built-in one
               "optimizer"             JSON of Optimizer.get_config(), with its state arrays
               "random_state"          JSON {"layers.<i>": state} of the layers' random
                                       generators (dropout), saved with the optimizer
               "schedule"              JSON {"config", "state"} of the optimizer's learning-rate
                                       schedule, saved with the optimizer when it has one
               "training_state"        JSON of TrainingState.to_dict(): the epoch reached and
                                       the shuffle generator, saved with the optimizer
               "history"               JSON of History.to_dict(): what training recorded

Loading trusts nothing in the file: the format and its version, every JSON field, every array's
name, shape and dtype and the consistency of classes and scaler with the network are checked,
and any problem raises ``ModelFileError`` whose message starts with the path and names it.
Memory and time follow what the file holds, not what it claims: JSON fields are plain data of
bounded nesting (``glassnet._json``), a config has at most ``MAX_LAYERS`` layers and no more
parameters than the file stores, and class labels become an array no larger than a small
multiple of their own characters. ``inspect`` reads a file exactly as ``load`` does, so the two
accept the same files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import glassnet
from glassnet import _json, losses, optimizers, schedules
from glassnet import layers as _layers
from glassnet import safetensors as st
from glassnet._checks import SIMPLE_DTYPE_NAME
from glassnet.callbacks import History
from glassnet.network import Network
from glassnet.preprocessing import LABEL_KINDS, Standardizer, check_labels
from glassnet.safetensors import ModelFileError
from glassnet.tasks import classes_for_outputs
from glassnet.training import TrainingState

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "inspect", "load", "save"]

FORMAT = "glassnet"
FORMAT_VERSION = 1

# A "<U1000000000" in a damaged file would allocate gigabytes per label; no label is this long.
_MAX_LABEL_CHARS = 65_536
# A sample has at most this many axes, each of at most this size (a file cannot ask for more).
_MAX_AXES, _MAX_SIZE = 8, 2**31 - 1
# A fixed-width array of labels takes (number of labels) x (width) characters: a model file may
# ask for at most this many times the characters its labels really have, plus _MAX_LABEL_CHARS,
# so that thousands of one-letter labels cannot ask for 65,536 characters each.
_LABEL_WIDTH_FACTOR = 8
# Far more layers than any network glassnet trains; a config of a million Dropout layers would
# take minutes to build before anything else could be checked.
MAX_LAYERS = 10_000


def save(network: Network, path, *, include_optimizer: bool = False) -> None:
    """Write ``network`` to ``path`` as a glassnet model file, atomically.

    Stores the config, every weight, the classes, scaler, feature names, target name and loss
    (a built-in one) when set, the training history when there is one and, with
    ``include_optimizer=True``, the optimizer and its state and the layers' random generators
    (dropout), so that training can resume exactly where it stopped.

    Everything is checked before a byte is written: a network that ``load`` could not rebuild
    (a custom layer or activation without a registered name, non-finite weights, classes that do
    not fit the output) raises ``ValueError``; a missing folder raises ``FileNotFoundError``.
    An existing file at ``path`` is replaced only once the new one is complete.
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a glassnet Network, got {type(network).__name__}")
    if not isinstance(include_optimizer, bool):
        raise TypeError(f"include_optimizer must be True or False, got {include_optimizer!r}")

    arrays = network.get_weights()
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            raise ValueError(f"cannot save: {name} holds non-finite values (NaN or infinity)")
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "glassnet_version": glassnet.__version__,
        "config": _config_json(network),
    }
    if network.classes is not None:
        metadata["classes"], metadata["classes_dtype"] = _classes_json(network)
    if network.scaler is not None:
        metadata["scaler"] = _SCALER
        arrays.update(_scaler_arrays(network))
    metadata.update(_names_metadata(network))
    loss = _loss_json(network)
    if loss is not None:
        metadata["loss"] = loss
    optimizer = network.optimizer
    if include_optimizer and optimizer is not None:
        config, state = _optimizer_state(network, optimizer)
        metadata["optimizer"] = config
        arrays.update({f"optimizer.{name}": array for name, array in state.items()})
        random_layers = _random_layers(network)
        if random_layers:
            metadata["random_state"] = json.dumps(
                {name: layer.get_random_state() for name, layer in random_layers.items()}
            )
        if optimizer.schedule is not None:
            metadata["schedule"] = _schedule_json(optimizer.schedule)
        if network.training_state is not None:
            metadata["training_state"] = json.dumps(network.training_state.to_dict())
    history = network.history
    if history is not None:
        metadata["history"] = _history_json(history, len(network.layers))
    st.save(path, arrays, metadata)


def load(path) -> Network:
    """Read the model file at ``path`` and return the network it holds, ready to predict.

    Classes, scaler, feature names, target name, loss and history are restored when stored
    (each stays None in files without it); a stored optimizer comes back bound to the network's
    parameters with its state, as ``network.optimizer``, and dropout layers go on with their
    stored random draws. Raises
    ``ModelFileError`` (a ``ValueError``) naming the path and the problem for any file that is
    not a valid glassnet model, ``FileNotFoundError`` when there is no file.
    """
    return _read(Path(path))[0]


def inspect(path) -> dict:
    """Summarise the model file at ``path``.

    Returns a dict with ``path``, ``format_version``, ``glassnet_version``, ``config``,
    ``n_in``, ``n_out``, ``input_shape``, ``output_shape`` (lists), ``n_parameters``, ``dtype``,
    ``classes`` (a list, or None), ``scaler`` (True when stored), ``feature_names`` (a list,
    or None), ``target_name`` (or None), ``loss`` (its config, or None), ``optimizer`` (its
    config, or None) and ``history`` (None, or ``{"epochs", "best_epoch", "final"}`` where
    ``final`` maps each recorded metric to its last value). The file is read and checked
    exactly as ``load`` reads it, weights included, so ``inspect`` raises for every file that
    ``load`` refuses and for no other.
    """
    path = Path(path)
    network, metadata = _read(path)
    history = None
    if network.history is not None:
        recorded = network.history
        history = {
            "epochs": recorded.epochs,
            "best_epoch": recorded.best_epoch,
            "final": recorded.last(),
        }
    return {
        "path": str(path),
        "format_version": int(metadata["format_version"]),
        "glassnet_version": metadata.get("glassnet_version"),
        "config": network.get_config(),
        "dtype": network.dtype.name,
        "n_in": network.n_in,
        "n_out": network.n_out,
        "input_shape": list(network.input_shape),
        "output_shape": list(network.output_shape),
        "n_parameters": network.n_parameters,
        "classes": network.classes.tolist() if network.classes is not None else None,
        "scaler": network.scaler is not None,
        "feature_names": None if network.feature_names is None else list(network.feature_names),
        "target_name": network.target_name,
        "loss": network.loss.get_config() if network.loss is not None else None,
        "optimizer": network.optimizer.get_config() if network.optimizer is not None else None,
        "history": history,
    }


def _read(path: Path) -> tuple[Network, dict[str, str]]:
    """``(network, metadata)`` of the model file at ``path``, every part of it checked."""
    # The header alone tells a foreign file apart, without reading its (maybe large) tensors.
    _check_format(path, st.read_metadata(path))
    arrays, metadata = st.load(path)
    _check_format(path, metadata)  # in case the file was replaced in between

    network = _build_network(path, _json_field(path, metadata, "config"), arrays)
    optimizer = None
    if "optimizer" in metadata:
        optimizer = _build_optimizer(path, network, _json_field(path, metadata, "optimizer"))
    expected = {name: (array.shape, array.dtype) for name, array in network.named_weights()}
    if _has_scaler(path, metadata):
        expected.update({name: ((network.n_in,), np.dtype(np.float64)) for name in _SCALER_NAMES})
    if optimizer is not None:
        state = optimizer.state_dict()
        expected.update(
            {f"optimizer.{name}": (array.shape, array.dtype) for name, array in state.items()}
        )
    _check_arrays(path, arrays, expected)

    try:
        network.set_weights({name: arrays[name] for name, _ in network.named_weights()})
    except ValueError as error:
        raise ModelFileError(f"{path}: invalid weights: {_reason(error)}") from None
    if "classes" in metadata or "classes_dtype" in metadata:
        network.classes = _load_classes(path, metadata, network.n_out)
    if _has_scaler(path, metadata):
        try:
            network.scaler = Standardizer(arrays["scaler.mean"], arrays["scaler.scale"])
        except ValueError as error:
            raise ModelFileError(f"{path}: invalid scaler: {_reason(error)}") from None
    network.feature_names, network.target_name = _load_names(path, metadata, network.n_in)
    network.loss = _load_loss(path, metadata)
    if optimizer is not None:
        _load_optimizer_state(path, optimizer, arrays)
        network.optimizer = optimizer
    if "random_state" in metadata:
        _load_random_states(path, network, _json_field(path, metadata, "random_state"))
    if "schedule" in metadata:
        if optimizer is None:
            raise ModelFileError(f"{path}: metadata has a 'schedule' but no 'optimizer'")
        optimizer.schedule = _load_schedule(path, _json_field(path, metadata, "schedule"))
    if "training_state" in metadata:
        data = _json_field(path, metadata, "training_state")
        try:
            network.training_state = TrainingState.from_dict(data)
        except ValueError as error:
            raise ModelFileError(f"{path}: metadata 'training_state': {_reason(error)}") from None
    if "history" in metadata:
        network.history = _load_history(
            path, _json_field(path, metadata, "history"), len(network.layers)
        )
    return network, metadata


# -- save helpers ----------------------------------------------------------------------------------

_SCALER = "Standardizer"
_SCALER_NAMES = ("scaler.mean", "scaler.scale")


def _config_json(network: Network) -> str:
    """The network's config as JSON, after checking that ``load`` can rebuild every layer."""
    config = network.get_config()
    for index, layer in enumerate(network.layers):
        what = f"cannot save layers[{index}] ({type(layer).__name__})"
        try:
            rebuilt = _layers.from_config(config["layers"][index])
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{what}: {error}. Only built-in layers and activations, found by their "
                "registered names, can be stored in a model file"
            ) from None
        # A subclass that reuses a built-in name would come back as the built-in: refuse it.
        activation = getattr(layer, "activation", None)
        rebuilt_activation = getattr(rebuilt, "activation", None)
        for part, original, copy in [
            ("layer", layer, rebuilt),
            ("activation", activation, rebuilt_activation),
        ]:
            if type(original) is not type(copy):
                raise ValueError(
                    f"{what}: its {part} {type(original).__name__} would load as "
                    f"{type(copy).__name__}; only built-in layers and activations can be saved"
                )
    try:
        return json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"cannot save: the network config is not JSON: {error}") from None


def _classes_json(network: Network) -> tuple[str, str]:
    """``(labels as a JSON list, their dtype)`` after checking ``load`` will accept them."""
    classes = np.asarray(network.classes)
    if classes.dtype.kind not in LABEL_KINDS or _too_wide(classes.dtype):
        raise ValueError(
            f"cannot save: network.classes has dtype {classes.dtype}; a model file holds "
            f"labels that are strings (up to {_MAX_LABEL_CHARS} characters), integers, floats "
            "or booleans"
        )
    problem = _classes_problem(classes, network.n_out)
    if problem:
        raise ValueError(f"cannot save: network.classes {problem}")
    return json.dumps(classes.tolist(), ensure_ascii=False, allow_nan=False), classes.dtype.str


def _scaler_arrays(network: Network) -> dict[str, np.ndarray]:
    scaler = network.scaler
    if not isinstance(scaler, Standardizer):
        raise ValueError(
            f"cannot save: network.scaler must be a glassnet Standardizer, got "
            f"{type(scaler).__name__}"
        )
    if scaler.mean is None:
        raise ValueError("cannot save: network.scaler is not fitted (its mean is None)")
    try:  # its arrays may have been replaced since it was made: check them as load will
        checked = Standardizer(scaler.mean, scaler.scale)
    except (TypeError, ValueError) as error:
        raise ValueError(f"cannot save: network.scaler: {error}") from None
    if checked.mean.shape != (network.n_in,):
        raise ValueError(
            f"cannot save: network.scaler has {len(checked.mean)} features, the network "
            f"takes {network.n_in}"
        )
    return {"scaler.mean": checked.mean, "scaler.scale": checked.scale}


def _names_metadata(network: Network) -> dict[str, str]:
    """The ``feature_names`` and ``target_name`` entries, for those that are set."""
    metadata = {}
    if network.feature_names is not None:
        problem = _feature_names_problem(network.feature_names, network.n_in)
        if problem:
            raise ValueError(f"cannot save: network.feature_names {problem}")
        metadata["feature_names"] = json.dumps(list(network.feature_names), ensure_ascii=False)
    if network.target_name is not None:
        if not isinstance(network.target_name, str):
            raise ValueError(
                f"cannot save: network.target_name must be a string, got {network.target_name!r}"
            )
        metadata["target_name"] = network.target_name
    return metadata


def _loss_json(network: Network) -> str | None:
    """The ``loss`` entry: the training loss's config when it is a built-in loss that loads back
    as itself, else None (a custom loss is not stored)."""
    loss = network.loss
    if loss is None:
        return None
    try:
        rebuilt = losses.get(loss.get_config())
    except (TypeError, ValueError):
        return None
    return json.dumps(loss.get_config()) if type(rebuilt) is type(loss) else None


def _optimizer_state(network: Network, optimizer) -> tuple[str, dict[str, np.ndarray]]:
    """``(config JSON, state arrays)``, checked to rebuild into the same optimizer on load."""
    config = optimizer.get_config()
    try:
        rebuilt = optimizers.get(config)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"cannot save the optimizer {type(optimizer).__name__}: {error}; only built-in "
            "optimizers can be stored (save with include_optimizer=False)"
        ) from None
    if type(rebuilt) is not type(optimizer):
        raise ValueError(
            f"cannot save the optimizer {type(optimizer).__name__}: it would load as "
            f"{type(rebuilt).__name__} (save with include_optimizer=False)"
        )
    rebuilt.bind(network.parameters())
    expected = {name: array.shape for name, array in rebuilt.state_dict().items()}
    state = {name: np.asarray(array) for name, array in optimizer.state_dict().items()}
    if {name: array.shape for name, array in state.items()} != expected:
        raise ValueError(
            "cannot save the optimizer: its state does not match this network's parameters "
            "(is it bound to them? train with network.fit first)"
        )
    for name, array in state.items():
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"cannot save: optimizer state {name} holds non-finite values")
    return json.dumps(config, allow_nan=False), state


def _schedule_json(schedule) -> str:
    """The ``schedule`` entry, checked to rebuild into the same schedule on load."""
    config = schedule.get_config()
    try:
        rebuilt = schedules.get(config)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"cannot save the schedule {type(schedule).__name__}: {error}; only built-in "
            "schedules can be stored (save with include_optimizer=False)"
        ) from None
    if type(rebuilt) is not type(schedule):
        raise ValueError(
            f"cannot save the schedule {type(schedule).__name__}: it would load as "
            f"{type(rebuilt).__name__} (save with include_optimizer=False)"
        )
    return json.dumps({"config": config, "state": schedule.get_state()}, allow_nan=False)


def _history_json(history, n_layers: int) -> str:
    if not isinstance(history, History):
        raise ValueError(
            f"cannot save: network.history must be a glassnet History, got {type(history).__name__}"
        )
    try:
        text = json.dumps(history.to_dict())
    except (TypeError, ValueError) as error:
        raise ValueError(f"cannot save: network.history is not JSON: {error}") from None
    problem = _history_problem(json.loads(text), n_layers)
    if problem:
        raise ValueError(f"cannot save: network.history {problem}")
    return text


# -- load helpers ----------------------------------------------------------------------------------


def _check_format(path: Path, metadata: dict[str, str]) -> int:
    """Check the format name and version; return the version."""
    name = metadata.get("format")
    if name != FORMAT:
        found = "no 'format' in its metadata" if name is None else f"its format is {name!r}"
        raise ModelFileError(f"{path}: not a glassnet model file ({found})")
    version = metadata.get("format_version")
    if version is None:
        raise ModelFileError(f"{path}: metadata has no 'format_version'")
    if not (version.isascii() and version.isdigit()) or int(version) < 1:
        raise ModelFileError(f"{path}: format_version must be a positive integer, got {version!r}")
    if int(version) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written by a newer glassnet (format {int(version)}); this version reads "
            f"format {FORMAT_VERSION}"
        )
    return int(version)


def _json_field(path: Path, metadata: dict[str, str], key: str):
    """The metadata entry ``key`` decoded from JSON; a missing or invalid one raises."""
    if key not in metadata:
        raise ModelFileError(f"{path}: metadata has no {key!r}")
    try:
        return _json.loads(metadata[key])
    except ValueError as error:
        raise ModelFileError(f"{path}: bad JSON in metadata {key!r}: {error}") from None


def _build_layers(path: Path, config) -> list:
    """The config's layers, without weights; an invalid config raises naming the layer."""
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ModelFileError(
            f"{path}: metadata 'config' must be a JSON object with a 'layers' list, "
            f"got {_brief(config)}"
        )
    if not config["layers"]:
        raise ModelFileError(f"{path}: metadata 'config' has no layers")
    if len(config["layers"]) > MAX_LAYERS:
        raise ModelFileError(
            f"{path}: metadata 'config' has {len(config['layers'])} layers, more than the "
            f"{MAX_LAYERS} a model file may hold"
        )
    seed = config.get("seed")
    if seed is not None and not (type(seed) is int and seed >= 0):
        raise ModelFileError(
            f"{path}: metadata 'config' seed must be null or an integer >= 0, got {_brief(seed)}"
        )
    layers = []
    for index, layer_config in enumerate(config["layers"]):
        try:
            layers.append(_layers.from_config(layer_config))
        except (TypeError, ValueError) as error:
            raise ModelFileError(f"{path}: config layers[{index}]: {_reason(error)}") from None
    return layers


def _input_shape(path: Path, config, layers) -> tuple[int, ...]:
    """The config's per-sample input shape (files before it was stored: the first layer's)."""
    shape = config.get("input_shape")
    if shape is None:
        shape = layers[0].default_input_shape
        if shape is None:
            raise ModelFileError(f"{path}: metadata 'config' has no 'input_shape'")
    valid = (
        isinstance(shape, (list, tuple))
        and 0 < len(shape) <= _MAX_AXES
        and all(type(size) is int and 0 < size <= _MAX_SIZE for size in shape)
    )
    if not valid:
        raise ModelFileError(
            f"{path}: config 'input_shape' must be a list of 1 to {_MAX_AXES} positive "
            f"integers, got {_brief(shape)}"
        )
    return tuple(shape)


def _build_network(path: Path, config, arrays: dict) -> Network:
    """The network of ``config``, with fresh weights that ``arrays`` will replace."""
    layers = _build_layers(path, config)
    n_parameters, _ = _count_parameters(path, layers, _input_shape(path, config, layers))
    # The arrays' sizes were checked against the file's size; a config that asks for more
    # parameters than the whole file holds would only make us allocate memory for nothing.
    n_stored = sum(array.size for array in arrays.values())
    if n_parameters > n_stored:
        raise ModelFileError(
            f"{path}: metadata 'config' describes {n_parameters} parameters, but the file "
            f"holds only {n_stored} values"
        )
    try:
        return Network.from_config(config)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{path}: config cannot be built: {_reason(error)}") from None


def _has_scaler(path: Path, metadata: dict[str, str]) -> bool:
    """Whether the metadata announces a stored scaler (of a kind this version knows)."""
    kind = metadata.get("scaler")
    if kind is not None and kind != _SCALER:
        raise ModelFileError(f"{path}: metadata 'scaler' is {kind!r}, expected {_SCALER!r}")
    return kind is not None


def _check_arrays(path: Path, arrays: dict, expected: dict[str, tuple]) -> None:
    """Check that ``arrays`` has exactly the ``expected`` names, shapes and dtypes."""
    for name, (shape, dtype) in expected.items():
        if name not in arrays:
            raise ModelFileError(
                f"{path}: missing array {name!r} (expected {dtype} of shape {shape})"
            )
        array = arrays[name]
        if array.shape != shape:
            raise ModelFileError(
                f"{path}: shape mismatch: array {name!r} has shape {array.shape}, expected {shape}"
            )
        if array.dtype != dtype:
            raise ModelFileError(
                f"{path}: dtype mismatch: array {name!r} is {array.dtype}, expected {dtype}"
            )
    unexpected = [name for name in arrays if name not in expected]
    if unexpected:
        raise ModelFileError(
            f"{path}: unexpected array {unexpected[0]!r}: it is not part of the network, "
            "scaler or optimizer the metadata describes"
        )


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


def _feature_names_problem(names, n_in: int) -> str | None:
    """Why ``names`` cannot name the inputs of a network with ``n_in`` inputs, or None."""
    if (
        not isinstance(names, Sequence)
        or isinstance(names, str)
        or not all(isinstance(name, str) for name in names)
    ):
        return f"must be a list of strings, got {_brief(_jsonable(names))}"
    if len(names) != n_in:
        return f"must hold {n_in} names, one per input, got {len(names)}: {_brief(list(names))}"
    if len(set(names)) != len(names):
        return f"must be distinct, got {_brief(list(names))}"
    return None


def _jsonable(value):
    """``value`` itself when JSON can write it, else its repr, for a message."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _too_wide(dtype: np.dtype) -> bool:
    return dtype.kind == "U" and dtype.itemsize > 4 * _MAX_LABEL_CHARS


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


def _classes_problem(classes: np.ndarray, n_out: int) -> str | None:
    """Why ``classes`` cannot label a network with ``n_out`` outputs, or None if it can.

    One sigmoid output tells exactly two classes apart, ``n_out`` outputs exactly ``n_out``
    (``tasks.classes_for_outputs``): an output without a class would make ``predict`` fail.
    """
    if classes.ndim != 1:
        return f"must be 1-D, got shape {classes.shape}"
    try:
        check_labels(classes, "labels")
    except (TypeError, ValueError) as error:
        return f"must be class labels: {_reason(error)}"
    if len(np.unique(classes)) != len(classes):
        return f"must be distinct, got {_brief(classes.tolist())}"
    problem = _count_problem(len(classes), n_out)
    if problem is None and classes.dtype.kind == "U":
        problem = _width_problem(len(classes), classes.dtype, sum(map(len, classes.tolist())))
    return problem


def _count_problem(n_classes: int, n_out: int) -> str | None:
    """Why ``n_classes`` labels cannot name the outputs of a network with ``n_out`` outputs:
    one sigmoid output tells exactly two classes apart, ``n_out`` outputs exactly ``n_out``
    (``tasks.classes_for_outputs``)."""
    wanted = classes_for_outputs(n_out)
    if n_classes != wanted:
        return (
            f"has {n_classes} label(s), but a network with {n_out} output(s) tells "
            f"exactly {wanted} classes apart"
        )
    return None


def _width_problem(n_labels: int, dtype: np.dtype, n_chars: int) -> str | None:
    """Why ``n_labels`` strings of ``n_chars`` characters in all are too few for an array of
    the fixed-width string ``dtype`` (``_LABEL_WIDTH_FACTOR``), or None."""
    width = dtype.itemsize // 4
    if n_labels * width > _LABEL_WIDTH_FACTOR * n_chars + _MAX_LABEL_CHARS:
        return (
            f"holds {n_labels} labels of {n_chars} characters in all, but its dtype "
            f"{dtype.str} makes each {width} characters wide: an array of more than "
            f"{_LABEL_WIDTH_FACTOR} times their characters (plus {_MAX_LABEL_CHARS}); use a "
            "dtype as wide as the longest label"
        )
    return None


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


_GRAD_NORM = "grad_norm."


def _history_problem(data, n_layers: int) -> str | None:
    """Why ``data`` is not the ``History.to_dict()`` of a network of ``n_layers`` layers, or None.

    Every value is a number that a float holds (not an integer of 400 digits; NaN and infinities
    are kept, as training may record them), every ``grad_norm.<i>`` names a layer and
    ``best_epoch`` is an epoch that was recorded.
    """
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict) or not all(isinstance(v, list) for v in metrics.values()):
        return (
            "must be a JSON object with 'metrics' (name -> list of numbers) and 'best_epoch' "
            f"(an integer or null), got {_brief(data)}"
        )
    layer_names = {f"{_GRAD_NORM}{index}" for index in range(n_layers)}
    for name, values in metrics.items():
        if not all(map(_float_number, values)):
            return f"metric {_brief(name)} must be a list of numbers a float holds, got " + _brief(
                values
            )
        if name.startswith(_GRAD_NORM) and name not in layer_names:
            return f"metric {_brief(name)} names no layer (the network has {n_layers})"
    n_epochs = max(map(len, metrics.values()), default=0)
    best_epoch = data.get("best_epoch")
    if best_epoch is not None and not (type(best_epoch) is int and 0 <= best_epoch < n_epochs):
        return (
            f"'best_epoch' (an integer or null) must be one of the {n_epochs} recorded epochs, "
            f"got {_brief(best_epoch)}"
        )
    return None


def _float_number(value) -> bool:
    """Whether a JSON value is a number that a Python float holds (NaN and infinities too)."""
    if isinstance(value, float):
        return True
    if type(value) is not int:
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _count_parameters(path: Path, layers, input_shape) -> tuple[int, tuple]:
    """``(number of parameters, output shape)`` of unbuilt ``layers``, from their config alone:
    each layer describes its parameters' shapes without making them."""
    total, shape = 0, tuple(input_shape)
    for index, layer in enumerate(layers):
        try:
            shape, param_shapes = layer.describe(shape)
        except (TypeError, ValueError) as error:
            raise ModelFileError(f"{path}: config layers[{index}]: {_reason(error)}") from None
        total += sum(math.prod(param_shape) for param_shape in param_shapes.values())
    return total, tuple(shape)


def _brief(value) -> str:
    """A JSON value from the file, shortened for a message."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _quoted(text: str) -> str:
    """``repr(text)`` of a string from the file, shortened for a message."""
    return repr(text) if len(text) <= 40 else repr(text[:37]) + "..."


def _reason(error: Exception) -> str:
    """An error's message, shortened: it may quote a value of any size from the file."""
    text = str(error)
    return text if len(text) <= 300 else text[:297] + "..."
