"""Reading a model file's frame: its format and version, its JSON fields, the network its config
describes (bounded before anything is built) and the names, shapes and dtypes of its arrays.
"""

from __future__ import annotations

import math
from pathlib import Path

from glassnet import _json
from glassnet import layers as _layers
from glassnet.io.text import _brief, _reason
from glassnet.network import Network
from glassnet.safetensors import ModelFileError

FORMAT = "glassnet"
FORMAT_VERSION = 1


# A sample has at most this many axes, each of at most this size (a file cannot ask for more).
_MAX_AXES, _MAX_SIZE = 8, 2**31 - 1
# Far more layers than any network glassnet trains; a config of a million Dropout layers would
# take minutes to build before anything else could be checked.
MAX_LAYERS = 10_000


_SCALER = "Standardizer"
_SCALER_NAMES = ("scaler.mean", "scaler.scale")


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
