"""Networks written as one line: a layer spec such as ``"conv:16:3,maxpool:2,dense:128"``.

A spec is comma-separated items ``NAME[:FIELD...]``; ``ITEMS`` maps each name to its parser,
so a new layer family adds its items with the ``item`` decorator. Each parser sees the item's
fields and the shape of the samples its layer receives, and returns the layer:

=========================================  =====================================================
``conv:FILTERS:KERNEL[:STRIDE[:PADDING]]``  ``Conv2D``; PADDING is ``same``, ``valid`` or a number
``maxpool:SIZE[:STRIDE]``                   ``MaxPool2D``
``avgpool:SIZE[:STRIDE]``                   ``AvgPool2D``
``globalavgpool``                           ``GlobalAvgPool2D``
``dense:UNITS``                             ``Dense``; a ``Flatten`` goes before it after images
``dropout:RATE``                            ``Dropout``
``batchnorm``                               ``BatchNorm``
``flatten``                                 ``Flatten``
``rnn:UNITS[:seq]``                         ``SimpleRNN`` (tanh) over sequences ``(time, features)``
``lstm:UNITS[:seq]``                        ``LSTM``
``gru:UNITS[:seq]``                         ``GRU``
=========================================  =====================================================

A recurrent item outputs its last state; with ``:seq`` it outputs every step's state, for a
recurrent layer stacked on it (``lstm:64:seq,lstm:64``) or a Dense layer applied at every step.

Hidden layers take the spec's activation; ``build`` adds the output layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from glassnet.layers import (
    GRU,
    LSTM,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    Layer,
    MaxPool2D,
    Recurrent,
    SimpleRNN,
)
from glassnet.network import Network, check_input_shape


@dataclass(frozen=True)
class Item:
    """One item of a spec: its ``text`` (``"conv:16:3"``), ``name`` and ``fields``."""

    text: str
    name: str
    fields: tuple[str, ...]

    def number(self, index: int, kind=int, what: str = "a number"):
        """Field ``index`` as ``kind`` (int or float), or a ``ValueError`` that names it."""
        text = self.fields[index]
        try:
            return kind(text)
        except ValueError:
            raise ValueError(f"{what} must be {_KIND_NAMES[kind]}, got {text!r}") from None


_KIND_NAMES = {int: "an integer", float: "a number"}


@dataclass(frozen=True)
class Context:
    """What a parser knows besides its item: the sample ``shape`` its layer receives and the
    hidden ``activation``."""

    shape: tuple[int, ...]
    activation: str


@dataclass(frozen=True)
class ItemParser:
    """How to read one kind of item: ``usage`` (``"dense:UNITS"``), the number of fields it
    takes (``n_fields``, a range), whether its layer takes flat rows (then a ``Flatten`` goes
    before it when it receives images) and ``make(item, context) -> Layer``."""

    usage: str
    n_fields: range
    make: Callable[[Item, Context], Layer]
    takes_rows: bool = False


ITEMS: dict[str, ItemParser] = {}


def item(usage: str, n_fields: range, *, takes_rows: bool = False):
    """Register the decorated ``make(item, context) -> Layer`` under the name of ``usage``."""

    def register(make):
        name = usage.split(":")[0].split("[")[0]
        ITEMS[name] = ItemParser(usage, n_fields, make, takes_rows)
        return make

    return register


@item("conv:FILTERS:KERNEL[:STRIDE[:PADDING]]", range(2, 5))
def _conv(item: Item, context: Context) -> Layer:
    stride = item.number(2, what="STRIDE") if len(item.fields) > 2 else 1
    padding = item.fields[3] if len(item.fields) > 3 else 0
    if padding not in (0, "same", "valid"):
        padding = item.number(3, what="PADDING")
    return Conv2D(
        context.shape[0],
        item.number(0, what="FILTERS"),
        item.number(1, what="KERNEL"),
        stride=stride,
        padding=padding,
        activation=context.activation,
    )


@item("maxpool:SIZE[:STRIDE]", range(1, 3))
def _maxpool(item: Item, context: Context) -> Layer:
    return MaxPool2D(*_pool_fields(item))


@item("avgpool:SIZE[:STRIDE]", range(1, 3))
def _avgpool(item: Item, context: Context) -> Layer:
    return AvgPool2D(*_pool_fields(item))


def _pool_fields(item: Item) -> tuple[int, int | None]:
    stride = item.number(1, what="STRIDE") if len(item.fields) > 1 else None
    return item.number(0, what="SIZE"), stride


@item("globalavgpool", range(0, 1))
def _global_avg_pool(item: Item, context: Context) -> Layer:
    return GlobalAvgPool2D()


@item("dense:UNITS", range(1, 2), takes_rows=True)
def _dense(item: Item, context: Context) -> Layer:
    return Dense(context.shape[-1], item.number(0, what="UNITS"), context.activation)


@item("dropout:RATE", range(1, 2))
def _dropout(item: Item, context: Context) -> Layer:
    return Dropout(item.number(0, float, what="RATE"))


@item("batchnorm", range(0, 1))
def _batchnorm(item: Item, context: Context) -> Layer:
    return BatchNorm()


@item("flatten", range(0, 1))
def _flatten(item: Item, context: Context) -> Layer:
    return Flatten()


@item("rnn:UNITS[:seq]", range(1, 3))
def _rnn(item: Item, context: Context) -> Layer:
    return _recurrent(SimpleRNN, item, context)


@item("lstm:UNITS[:seq]", range(1, 3))
def _lstm(item: Item, context: Context) -> Layer:
    return _recurrent(LSTM, item, context)


@item("gru:UNITS[:seq]", range(1, 3))
def _gru(item: Item, context: Context) -> Layer:
    return _recurrent(GRU, item, context)


def _recurrent(layer_type: type[Recurrent], item: Item, context: Context) -> Layer:
    if len(context.shape) != 2:
        raise ValueError(
            f"a recurrent layer reads sequences of shape (time, features), but receives samples "
            f"of shape {context.shape} (give --input-shape TIME,FEATURES, or ':seq' to the "
            "recurrent layer before it)"
        )
    if len(item.fields) > 1 and item.fields[1] != "seq":
        raise ValueError(f"the last field must be 'seq' or nothing, got {item.fields[1]!r}")
    units = item.number(0, what="UNITS")
    return layer_type(context.shape[1], units, return_sequences=len(item.fields) > 1)


def parse(spec: str) -> list[Item]:
    """The items of ``spec``, each checked against its parser's number of fields."""
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a string of comma-separated items, got {spec!r}")
    items = []
    for number, text in enumerate(spec.split(","), start=1):
        text = text.strip()
        name, *fields = text.split(":") if text else [""]
        parser = ITEMS.get(name.lower())
        if parser is None:
            raise ValueError(
                f"layer spec item {number} {text!r}: unknown layer {name!r}; items are "
                f"{', '.join(parser.usage for parser in ITEMS.values())}"
            )
        if len(fields) not in parser.n_fields:
            raise ValueError(
                f"layer spec item {number} {text!r}: expected {parser.usage}, got "
                f"{len(fields)} field(s)"
            )
        items.append(Item(text, name.lower(), tuple(field.strip().lower() for field in fields)))
    return items


def build(
    spec: str,
    *,
    input_shape,
    n_out: int | None = None,
    activation: str = "relu",
    output: str = "softmax",
    seed: int | None = None,
    dtype="float32",
) -> Network:
    """A ``Network`` from a layer spec, e.g. the CNN of the benchmarks::

        build("conv:16:3,maxpool:2,conv:32:3,maxpool:2,dense:128",
              input_shape=(1, 28, 28), n_out=10)

    Args:
        spec: comma-separated items (see the module's table); hidden layers use
            ``activation``, and a ``Flatten`` goes before the first ``dense`` that receives
            images.
        input_shape: the shape of one sample: ``(channels, height, width)`` for images,
            ``(time, features)`` for sequences, ``(n_features,)`` (or an int) for feature rows.
        n_out: units of an output ``Dense`` layer with the ``output`` activation, added after
            the spec's layers; None adds none (the spec's last layer is the output).
        seed, dtype: as for ``Network``.

    Raises ``ValueError`` naming the item when one is unknown, malformed, or does not fit the
    shape it receives.
    """
    layers = spec_layers(
        spec, input_shape=input_shape, n_out=n_out, activation=activation, output=output
    )
    return Network(layers, input_shape=input_shape, seed=seed, dtype=dtype)


def spec_layers(
    spec: str, *, input_shape, n_out: int | None = None, activation="relu", output="softmax"
) -> list[Layer]:
    """The layers of ``build``, each checked against the shape it receives, not yet built
    (``count_parameters`` tells their size before any weight is drawn)."""
    shape = check_input_shape(input_shape)
    layers = []

    def add(layer: Layer, where: str) -> None:
        nonlocal shape
        try:
            shape = tuple(layer.describe(shape)[0])
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        layers.append(layer)

    items = parse(spec) if not isinstance(spec, str) or spec.strip() else []
    for number, current in enumerate(items, start=1):
        parser = ITEMS[current.name]
        where = f"layer spec item {number} {current.text!r}"
        if parser.takes_rows and len(shape) > 2:
            add(Flatten(), where)
        try:
            layer = parser.make(current, Context(shape, activation))
        except ValueError as error:
            raise ValueError(f"{where}: {error}; expected {parser.usage}") from None
        add(layer, where)
    if n_out is not None:
        if len(shape) > 2:
            add(Flatten(), "the output layer")
        add(Dense(shape[-1], n_out, output), "the output layer")
    if not layers:
        raise ValueError("the network needs a layer: give a spec item or n_out")
    return layers


def count_parameters(layers: list[Layer], input_shape) -> int:
    """Number of parameters of unbuilt ``layers`` on samples of ``input_shape``, from the shapes
    each layer describes (nothing is allocated)."""
    total, shape = 0, check_input_shape(input_shape)
    for layer in layers:
        shape, param_shapes = layer.describe(shape)
        total += sum(math.prod(param_shape) for param_shape in param_shapes.values())
    return total


def _conv_text(layer: Conv2D) -> str:
    fields = [f"conv:{layer.out_channels}", _pair_text(layer.kernel_size)]
    padded = layer.padding not in ("valid", (0, 0))
    if layer.stride != (1, 1) or padded:
        fields.append(_pair_text(layer.stride))
    if padded:
        padding = layer.padding
        fields.append(padding if isinstance(padding, str) else _pair_text(padding))
    return ":".join(fields)


def _pool_text(name: str, layer) -> str:
    text = f"{name}:{_pair_text(layer.size)}"
    return text if layer.stride == layer.size else f"{text}:{_pair_text(layer.stride)}"


def _pair_text(pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def _recurrent_text(name: str, layer: Recurrent) -> str:
    return f"{name}:{layer.n_hidden}{':seq' if layer.return_sequences else ''}"


#: How ``spec_of`` writes each kind of layer back as an item.
_ITEM_TEXT = {
    Conv2D: _conv_text,
    MaxPool2D: lambda layer: _pool_text("maxpool", layer),
    AvgPool2D: lambda layer: _pool_text("avgpool", layer),
    GlobalAvgPool2D: lambda layer: "globalavgpool",
    Dense: lambda layer: f"dense:{layer.n_out}",
    Dropout: lambda layer: f"dropout:{layer.rate:g}",
    BatchNorm: lambda layer: "batchnorm",
    Flatten: lambda layer: "flatten",
    SimpleRNN: lambda layer: _recurrent_text("rnn", layer),
    LSTM: lambda layer: _recurrent_text("lstm", layer),
    GRU: lambda layer: _recurrent_text("gru", layer),
}


def spec_of(network: Network) -> str:
    """The network's layers as a spec line, for messages: ``"conv:16:3,maxpool:2,...,dense:10"``
    (a layer without an item is named by its type)."""
    return spec_text(network.layers)


def spec_text(layers: list[Layer]) -> str:
    """``layers`` (built or not) as a spec line; see ``spec_of``."""
    texts = []
    for layer in layers:
        write = _ITEM_TEXT.get(type(layer))
        texts.append(write(layer) if write is not None else type(layer).__name__.lower())
    return ",".join(texts)
