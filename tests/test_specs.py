"""Layer specs: glassnet.build reads one line of items into a Network."""

import numpy as np
import pytest

import glassnet
from glassnet import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    MaxPool2D,
    Network,
    specs,
)


def test_build_equals_the_network_written_out_layer_by_layer():
    built = glassnet.build(
        "conv:16:3,maxpool:2,conv:32:3,maxpool:2,dense:128",
        input_shape=(1, 28, 28),
        n_out=10,
        activation="relu",
        output="softmax",
        seed=3,
    )
    written = Network(
        [
            Conv2D(1, 16, 3, activation="relu"),
            MaxPool2D(2),
            Conv2D(16, 32, 3, activation="relu"),
            MaxPool2D(2),
            Flatten(),
            Dense(800, 128, "relu"),
            Dense(128, 10, "softmax"),
        ],
        input_shape=(1, 28, 28),
        seed=3,
    )
    assert built.get_config() == written.get_config()
    for name, value in written.get_weights().items():
        np.testing.assert_array_equal(built.get_weights()[name], value, err_msg=name)


def test_every_item_and_its_fields():
    network = glassnet.build(
        "conv:4:3:2:same,batchnorm,avgpool:2:1,conv:6:1:1:1,maxpool:2,dropout:0.25,"
        "globalavgpool,dense:5,flatten",
        input_shape=(3, 12, 10),
        activation="tanh",
    )
    kinds = [type(layer) for layer in network.layers]
    assert kinds == [
        Conv2D, BatchNorm, AvgPool2D, Conv2D, MaxPool2D, Dropout, GlobalAvgPool2D, Dense, Flatten
    ]  # fmt: skip
    first, _, pool, second = network.layers[:4]
    assert (first.in_channels, first.out_channels, first.stride, first.padding) == (
        3, 4, (2, 2), "same"
    )  # fmt: skip
    assert first.activation.name == "tanh" and first.output_shape == (4, 6, 5)
    assert (pool.size, pool.stride) == ((2, 2), (1, 1))
    assert second.padding == (1, 1) and second.output_shape == (6, 7, 6)
    assert network.layers[5].rate == 0.25 and network.output_shape == (5,)
    assert specs.spec_of(network) == (
        "conv:4:3:2:same,batchnorm,avgpool:2:1,conv:6:1:1:1,maxpool:2,dropout:0.25,"
        "globalavgpool,dense:5,flatten"
    )


def test_a_flatten_goes_before_the_first_dense_after_images_only():
    network = glassnet.build("conv:2:3,dense:4,dense:3", input_shape=(1, 5, 5), n_out=2)
    kinds = [type(layer).__name__ for layer in network.layers]
    assert kinds == ["Conv2D", "Flatten", "Dense", "Dense", "Dense"]
    rows = glassnet.build("dense:4,dropout:0.5", input_shape=6, n_out=1, output="sigmoid")
    assert [type(layer).__name__ for layer in rows.layers] == ["Dense", "Dropout", "Dense"]
    assert rows.input_shape == (6,) and rows.layers[-1].activation.name == "sigmoid"
    assert glassnet.build("", input_shape=3, n_out=2).layers[0].n_in == 3


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "conv:8",
            "layer spec item 1 'conv:8': expected conv:FILTERS:KERNEL[:STRIDE[:PADDING]], got 1",
        ),
        ("conv:8:3,pool:2", "layer spec item 2 'pool:2': unknown layer 'pool'; items are conv:"),
        ("conv:x:3", "layer spec item 1 'conv:x:3': FILTERS must be an integer, got 'x'"),
        ("conv:8:3:1:full", "PADDING must be an integer, got 'full'"),
        ("conv:8:0", "kernel_size must be a positive integer or a pair of them, got 0"),
        ("dropout:2", "layer spec item 1 'dropout:2': rate must be a number in [0, 1)"),
        ("conv:8:3,conv:8:13", "layer spec item 2 'conv:8:13': Conv2D's 13x13 window is larger"),
        ("maxpool:2,,dense:3", "layer spec item 2 '': unknown layer ''"),
        ("batchnorm:3", "expected batchnorm, got 1 field(s)"),
    ],
)
def test_bad_specs_name_the_item(spec, expected):
    with pytest.raises(ValueError) as error:
        glassnet.build(spec, input_shape=(1, 12, 12), n_out=2)
    assert expected in str(error.value)


def test_build_checks_its_other_arguments():
    with pytest.raises(ValueError, match="input_shape must be a positive integer or a tuple"):
        glassnet.build("dense:3", input_shape=(0, 4))
    with pytest.raises(ValueError, match="the network needs a layer"):
        glassnet.build("", input_shape=3)
    with pytest.raises(TypeError, match="spec must be a string"):
        glassnet.build(["dense:3"], input_shape=3)


def test_a_layer_family_adds_its_own_items(monkeypatch):
    monkeypatch.setattr(specs, "ITEMS", dict(specs.ITEMS))

    @specs.item("halve", range(0, 1))
    def _halve(item, context):
        return glassnet.layers.Reshape((context.shape[0] // 2, 2))

    network = glassnet.build("halve,dense:3", input_shape=8, n_out=2)
    assert [layer.output_shape for layer in network.layers] == [(4, 2), (4, 3), (4, 2)]
