"""Convolution, pooling, reshaping and batch norm: exact gradients, PyTorch's numbers, shapes,
errors, model files."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    Reshape,
)
from glassnet.image_ops import chwn

# -- random small networks -------------------------------------------------------------------------

PADDINGS = st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 2))


@st.composite
def conv_networks(draw, dtype="float64"):
    """A random small CNN, its inputs and class labels: conv, an optional pool or batch norm,
    another conv or none, then Flatten or global average pooling and a softmax Dense."""
    n_samples = draw(st.integers(1, 4))
    channels = draw(st.integers(1, 3))
    height, width = draw(st.integers(5, 9)), draw(st.integers(5, 9))
    layers, shape = [], (channels, height, width)
    for _ in range(draw(st.integers(1, 2))):
        kernel = draw(st.integers(1, min(3, shape[1]))), draw(st.integers(1, min(3, shape[2])))
        stride = draw(st.integers(1, 2)), draw(st.integers(1, 2))
        conv = Conv2D(
            shape[0],
            draw(st.integers(1, 3)),
            kernel,
            stride=stride,
            padding=draw(PADDINGS),
            activation=draw(st.sampled_from(["tanh", "sigmoid", "identity", "softplus"])),
        )
        layers.append(conv)
        shape = conv.describe(shape)[0]
        extra = draw(st.sampled_from(["none", "max", "avg", "batchnorm"]))
        if extra in ("max", "avg") and min(shape[1:]) >= 2:
            size = draw(st.integers(1, 2))
            pool = (MaxPool2D if extra == "max" else AvgPool2D)(size, draw(st.integers(1, 2)))
            layers.append(pool)
            shape = pool.describe(shape)[0]
        elif extra == "batchnorm":
            layers.append(BatchNorm())
    head = draw(st.sampled_from(["flatten", "global"]))
    layers.append(Flatten() if head == "flatten" else GlobalAvgPool2D())
    n_features = shape[0] * shape[1] * shape[2] if head == "flatten" else shape[0]
    layers.append(Dense(n_features, 3, "softmax"))
    network = Network(layers, input_shape=(channels, height, width), seed=draw(st.integers(0, 99)), dtype=dtype)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    for layer in network.layers:  # running statistics that differ from a fresh layer's
        if isinstance(layer, BatchNorm):
            layer.state["running_mean"][...] = rng.normal(size=layer.state["running_mean"].shape)
            layer.state["running_var"][...] = rng.uniform(0.5, 2, layer.state["running_var"].shape)
            layer.params["gamma"][...] = rng.uniform(0.5, 1.5, layer.params["gamma"].shape)
    X = rng.normal(size=(n_samples, channels, height, width))
    y = rng.integers(0, 3, n_samples)
    return network, X, y


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(conv_networks())
def test_gradcheck_on_random_conv_networks(case):
    network, X, y = case
    result = glassnet.gradcheck(network, X, y, loss="cross_entropy", weight_decay=0.01)
    assert result.max_error < 1e-6, result.errors


# -- the same numbers as PyTorch -------------------------------------------------------------------


def torch_forward(torch, network, X, params):
    """The network's forward pass in PyTorch's functional API, on the tensors in ``params``
    (copies of glassnet's, one to one); batch norm in training mode."""
    functional = torch.nn.functional
    activation = {
        "relu": torch.relu,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "softplus": functional.softplus,
        "identity": lambda z: z,
        "softmax": lambda z: z,  # cross_entropy takes the logits
    }
    x = torch.tensor(X)
    for index, layer in enumerate(network.layers):
        weights = params[index]
        if isinstance(layer, Conv2D):
            (top, bottom), (left, right) = layer.window.padding
            x = functional.pad(x, (left, right, top, bottom))
            x = functional.conv2d(x, weights["W"], weights["b"], stride=layer.stride)
            x = activation[layer.activation.name](x)
        elif isinstance(layer, MaxPool2D):
            x = functional.max_pool2d(x, layer.size, layer.stride)
        elif isinstance(layer, AvgPool2D):
            x = functional.avg_pool2d(x, layer.size, layer.stride)
        elif isinstance(layer, GlobalAvgPool2D):
            x = x.mean(dim=(2, 3))
        elif isinstance(layer, Flatten):
            x = x.flatten(1)
        elif isinstance(layer, BatchNorm):
            running = {key: torch.tensor(value.copy()) for key, value in layer.state.items()}
            x = functional.batch_norm(
                x,
                running["running_mean"],
                running["running_var"],
                weights["gamma"],
                weights["beta"],
                training=True,
                momentum=layer.momentum,
                eps=layer.epsilon,
            )
            layer.torch_running = running
        elif isinstance(layer, Dense):
            x = activation[layer.activation.name](x @ weights["W"].T + weights["b"])
    return x


@SETTINGS
@given(conv_networks())
def test_loss_and_gradients_equal_pytorch_autograd(case):
    torch = pytest.importorskip("torch")
    network, X, y = case
    params = [
        {key: torch.tensor(value.copy(), requires_grad=True) for key, value in layer.params.items()}
        for layer in network.layers
    ]
    logits = torch_forward(torch, network, X, params)
    expected_loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y))
    expected_loss.backward()

    loss = glassnet.losses.get("cross_entropy")
    targets = network.check_targets(y, loss, len(X))
    result = network.loss_step(X, targets, loss, training=True)

    assert result.data_loss == pytest.approx(expected_loss.item(), rel=1e-7)
    for layer, tensors in zip(network.layers, params, strict=True):
        for key, tensor in tensors.items():
            np.testing.assert_allclose(layer.grads[key], tensor.grad.numpy(), rtol=1e-7, atol=1e-12)
        if isinstance(layer, BatchNorm):
            for key, value in layer.torch_running.items():
                np.testing.assert_allclose(layer.state[key], value.numpy(), rtol=1e-12)
