"""glassnet: a neural-network library on NumPy whose every number you can see.

The public face, following the tutorial: ``Neuron``; ``Dense`` layers (and ``Embedding``,
``SimpleRNN``, ``LSTM``, ``GRU`` for sequences, ``Conv2D`` and pooling for images) stacked into
a ``Network``; ``losses`` and ``activations`` by name; ``fit`` with ``optimizers``; ``explain``
for a step-by-step backward pass; ``gradcheck`` to prove the gradients; ``save`` and ``load``;
``set_num_threads`` for the matrix products; ``tasks`` for the rules that choose a task,
output layer and loss from the data.
"""

import importlib

from glassnet import (
    activations,
    initializers,
    losses,
    metrics,
    optimizers,
    preprocessing,
    schedules,
    tasks,
)
from glassnet.callbacks import Callback, EarlyStopping, History
from glassnet.gradcheck import gradcheck
from glassnet.layers import (
    GRU,
    LSTM,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAvgPool2D,
    MaxPool2D,
    Reshape,
    SimpleRNN,
)
from glassnet.network import Network
from glassnet.neuron import Neuron
from glassnet.specs import build
from glassnet.threads import get_num_threads, set_num_threads
from glassnet.training import TrainingDiverged, apply_gradients, evaluate, fit

__version__ = "0.1.0"


def save(network, path, **options) -> None:
    """Write ``network`` to a model file at ``path``; see ``glassnet.io.save``."""
    from glassnet.io import save as save_model

    save_model(network, path, **options)


def load(path) -> Network:
    """Read a model file written by ``save``; see ``glassnet.io.load``."""
    from glassnet.io import load as load_model

    return load_model(path)


# Modules that the engine does not need are imported on first use, so that ``import glassnet``
# costs little more than ``import numpy``.
_LAZY_MODULES = ("datasets", "io", "explain", "plots")


def __getattr__(name):
    if name in _LAZY_MODULES:
        return importlib.import_module(f"glassnet.{name}")
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")


__all__ = [
    "GRU",
    "LSTM",
    "AvgPool2D",
    "BatchNorm",
    "Callback",
    "Conv2D",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "Embedding",
    "Flatten",
    "GlobalAvgPool2D",
    "History",
    "MaxPool2D",
    "Network",
    "Neuron",
    "Reshape",
    "SimpleRNN",
    "TrainingDiverged",
    "activations",
    "apply_gradients",
    "build",
    "datasets",
    "evaluate",
    "fit",
    "get_num_threads",
    "gradcheck",
    "initializers",
    "load",
    "losses",
    "metrics",
    "optimizers",
    "preprocessing",
    "save",
    "schedules",
    "set_num_threads",
    "tasks",
]
