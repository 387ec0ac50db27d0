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

The package, one purpose a module: ``writing`` (the parts ``save`` writes, each checked to load
back), ``reading`` (the format, the JSON fields, the network and its arrays), ``restoring``
(classes, names, loss, optimizer, schedule, random generators and history, read back),
``checks`` (the rules on classes, feature names and history that saving and loading share) and
``text`` (values from a file, shortened for messages).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import glassnet
from glassnet import safetensors as st
from glassnet.io.reading import (
    _SCALER,
    _SCALER_NAMES,
    FORMAT,
    FORMAT_VERSION,
    _build_network,
    _check_arrays,
    _check_format,
    _has_scaler,
    _json_field,
)
from glassnet.io.reading import MAX_LAYERS as MAX_LAYERS
from glassnet.io.restoring import (
    _build_optimizer,
    _load_classes,
    _load_history,
    _load_loss,
    _load_names,
    _load_optimizer_state,
    _load_random_states,
    _load_schedule,
    _random_layers,
)
from glassnet.io.text import _reason
from glassnet.io.writing import (
    _classes_json,
    _config_json,
    _history_json,
    _loss_json,
    _names_metadata,
    _optimizer_state,
    _scaler_arrays,
    _schedule_json,
)
from glassnet.network import Network
from glassnet.preprocessing import Standardizer
from glassnet.safetensors import ModelFileError
from glassnet.training import TrainingState

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "inspect", "load", "save"]


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
