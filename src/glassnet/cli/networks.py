"""The network ``glassnet train`` builds from its options: ``--hidden`` sizes as dense layers
(with dropout), or a layer spec (``--layers``, ``--input-shape``) through ``glassnet.build``,
and the output layer of the task; a network too large for the machine's memory is refused
before it is built.
"""

from __future__ import annotations

import itertools
import math
import os

import click
import numpy as np

import glassnet
from glassnet.cli.common import Failure
from glassnet.layers import Dense, Dropout
from glassnet.network import Network

#: Training keeps about this many copies of every parameter (the weights, their gradients, the
#: optimizer's state, the initial draw in float64): the memory a network needs, roughly.
PARAMETER_COPIES = 6


def build_network(
    n_features: int, hidden, activation: str, dropout: float, spec, options
) -> Network:
    """The hidden layers (with ``dropout`` after each, and ``--input-dropout`` before the
    first) and the output layer of ``spec``; refuses a network too large for this machine's
    memory before it is built. With --layers or --input-shape, the layers of a layer spec
    (``glassnet.build``) instead."""
    if options["layer_spec"] is not None or options["input_shape"] is not None:
        return _network_from_spec(n_features, hidden, activation, dropout, spec, options)
    sizes = [n_features, *hidden, spec.n_out]
    n_parameters = sum((n_in + 1) * n_out for n_in, n_out in itertools.pairwise(sizes))
    _check_memory(n_parameters, f"a {'-'.join(map(str, sizes))} network", "--hidden sizes", options)
    layers = [Dropout(options["input_dropout"])] if options["input_dropout"] else []
    for n_in, n_out in zip(sizes[:-2], hidden, strict=True):
        layers.append(Dense(n_in, n_out, activation))
        if dropout:
            layers.append(Dropout(dropout))
    layers.append(Dense(sizes[-2], spec.n_out, spec.activation))
    return Network(layers, input_shape=n_features, seed=options["seed"], dtype=options["dtype"])


def _network_from_spec(
    n_features: int, hidden, activation: str, dropout: float, spec, options
) -> Network:
    """The network of ``--layers`` (or of ``--hidden`` sizes as dense items) on samples of
    ``--input-shape``, with the output layer of ``spec``."""
    shape = options["input_shape"]
    if shape is not None and math.prod(shape) != n_features:
        raise click.BadParameter(
            f"{'x'.join(map(str, shape))} = {math.prod(shape)} values per image, "
            f"but the data has {n_features} feature columns",
            param_hint="'--input-shape'",
        )
    try:
        network = glassnet.build(
            _layer_spec(hidden, options, dropout),
            input_shape=shape or n_features,
            n_out=spec.n_out,
            activation=activation,
            output=spec.activation,
            seed=options["seed"],
            dtype=options["dtype"],
        )
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--layers'") from None
    _check_memory(network.n_parameters, "the network", "--layers", options)
    return network


def _check_memory(n_parameters: int, what: str, smaller: str, options) -> None:
    """Refuse a network of ``n_parameters`` that needs more memory to train than the machine
    has, naming ``what`` it is and the option to make ``smaller``."""
    needed = n_parameters * PARAMETER_COPIES * np.dtype(options["dtype"]).itemsize
    available = _memory_bytes()
    if available is not None and needed > available:
        raise Failure(
            f"{what} has {n_parameters:,} parameters and needs about {needed / 2**30:,.1f} GiB "
            f"to train, more than this machine's {available / 2**30:,.1f} GiB; choose smaller "
            f"{smaller}"
        )


def _layer_spec(hidden: tuple[int, ...], options, dropout: float) -> str:
    """The hidden layers as a spec line: ``--layers`` as given, else ``--hidden`` sizes as dense
    items, each followed by a ``--dropout`` item (and an ``--input-dropout`` item first)."""
    context = click.get_current_context()
    if options["layer_spec"] is None:
        rate = [f"dropout:{dropout!r}"] if dropout else []
        items = [item for size in hidden for item in [f"dense:{size}", *rate]]
        if options["input_dropout"]:
            items.insert(0, f"dropout:{options['input_dropout']!r}")
        return ",".join(items)
    for name in ("hidden", "dropout", "input_dropout"):
        if context.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT:
            raise click.UsageError(
                f"give --layers or --{name.replace('_', '-')}, not both (a dropout:RATE item "
                "goes in --layers)"
            )
    return options["layer_spec"]


def _memory_bytes() -> int | None:
    """This machine's physical memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None
