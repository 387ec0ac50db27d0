"""The parts of a model file that ``save`` writes, each checked to load back as it was: the
config, classes, scaler, names, loss, optimizer state, schedule and history.
"""

from __future__ import annotations

import json

import numpy as np

from glassnet import layers as _layers
from glassnet import losses, optimizers, schedules
from glassnet.callbacks import History
from glassnet.io.checks import (
    _MAX_LABEL_CHARS,
    _classes_problem,
    _feature_names_problem,
    _history_problem,
    _too_wide,
)
from glassnet.network import Network
from glassnet.preprocessing import LABEL_KINDS, Standardizer


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
    rebuilt = _rebuilt("optimizer", optimizer, config, optimizers.get)
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
    _rebuilt("schedule", schedule, config, schedules.get)
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


def _rebuilt(kind: str, thing, config: dict, get):
    """``get(config)``: the built-in ``kind`` (optimizer, schedule) that ``thing`` loads back
    as, or a ``ValueError`` saying why it cannot be stored."""
    name = type(thing).__name__
    try:
        rebuilt = get(config)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"cannot save the {kind} {name}: {error}; only built-in {kind}s can be stored (save "
            "with include_optimizer=False)"
        ) from None
    if type(rebuilt) is not type(thing):
        raise ValueError(
            f"cannot save the {kind} {name}: it would load as {type(rebuilt).__name__} (save "
            "with include_optimizer=False)"
        )
    return rebuilt
