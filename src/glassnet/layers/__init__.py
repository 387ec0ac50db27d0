"""Layers: one module per family. ``from_config`` rebuilds any of them from ``get_config()``."""

from glassnet.layers.base import Layer
from glassnet.layers.conv import Conv2D
from glassnet.layers.dense import Dense
from glassnet.layers.dropout import Dropout
from glassnet.layers.embedding import Embedding
from glassnet.layers.normalization import BatchNorm
from glassnet.layers.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from glassnet.layers.recurrent import Recurrent
from glassnet.layers.recurrent_cells import GRU, LSTM, SimpleRNN
from glassnet.layers.shape import Flatten, Reshape

_BY_TYPE = {
    cls.__name__: cls
    for cls in (
        Dense,
        Dropout,
        Conv2D,
        MaxPool2D,
        AvgPool2D,
        GlobalAvgPool2D,
        Flatten,
        Reshape,
        BatchNorm,
        Embedding,
        SimpleRNN,
        LSTM,
        GRU,
    )
}


def from_config(config: dict) -> Layer:
    """Rebuild a layer (without weights) from its ``get_config()`` dict."""
    if not isinstance(config, dict) or "type" not in config:
        raise ValueError(f"a layer config must be a dict with a 'type', got {config!r}")
    config = dict(config)
    layer_type = config.pop("type")
    if layer_type not in _BY_TYPE:
        raise ValueError(f"unknown layer type {layer_type!r}; choose one of: {', '.join(_BY_TYPE)}")
    return _BY_TYPE[layer_type](**config)


__all__ = [
    "GRU",
    "LSTM",
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GlobalAvgPool2D",
    "Layer",
    "MaxPool2D",
    "Recurrent",
    "Reshape",
    "SimpleRNN",
    "from_config",
]
