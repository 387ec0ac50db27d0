"""Loss and gradients of dense networks against PyTorch autograd, on the same weights and data.

Every activation and every loss, with and without the tutorial's weight decay, on random
networks in float64. PyTorch is a test dependency installed by ``.ci/run`` (CPU build), so these
run on every submission.
"""

import itertools
import zlib

import numpy as np
import pytest

from glassnet import Dense, Network, activations, losses

torch = pytest.importorskip("torch")

TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
    "softplus": torch.nn.functional.softplus,
    "identity": lambda z: z,
    "softmax": lambda z: torch.softmax(z, dim=1),
}


def torch_loss(name, output, logits, target):
    """PyTorch's own loss functions, in glassnet's conventions (means over samples)."""
    if name == "mse":
        return torch.nn.functional.mse_loss(output, target)
    if name == "squared_error":
        return 0.5 * ((output - target) ** 2).sum() / len(output)
    if name == "binary_cross_entropy":
        return torch.nn.functional.binary_cross_entropy(output, target)
    return torch.nn.functional.nll_loss(torch.log(output), target)  # cross_entropy on labels


def output_for(loss_name, hidden):
    return {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax"}.get(loss_name, hidden)


def test_every_activation_is_covered():
    assert set(TORCH_ACTIVATIONS) == set(activations.NAMES)


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
@pytest.mark.parametrize("loss_name", losses.NAMES)
@pytest.mark.parametrize("hidden", sorted(set(activations.NAMES) - {"softmax"}))
def test_loss_and_gradients_equal_torch_autograd(hidden, loss_name, weight_decay):
    rng = np.random.default_rng(zlib.crc32(f"{hidden} {loss_name}".encode()))
    output = output_for(loss_name, hidden)
    sizes = [4, 6, 5, 3]
    net = Network(
        [
            Dense(n_in, n_out, hidden if index < 2 else output, bias_init="normal")
            for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes))
        ],
        dtype="float64",
        seed=int(rng.integers(1000)),
    )
    X = rng.normal(size=(7, 4))
    Y = rng.integers(0, 3, size=7) if loss_name == "cross_entropy" else rng.uniform(size=(7, 3))
    target = torch.tensor(Y)
    value, grads = net.loss_and_gradients(X, Y, loss=loss_name, weight_decay=weight_decay)

    params = [
        {key: torch.tensor(layer.params[key], requires_grad=True) for key in ("W", "b")}
        for layer in net.layers
    ]
    a = torch.tensor(X)
    for layer, p in zip(net.layers, params, strict=True):
        z = a @ p["W"].T + p["b"]
        a = TORCH_ACTIVATIONS[layer.activation.name](z)
    objective = torch_loss(loss_name, a, z, target)
    objective = objective + weight_decay / 2 * sum((p["W"] ** 2).sum() for p in params)
    objective.backward()

    assert value == pytest.approx(objective.item(), rel=1e-7)
    for ours, theirs in zip(grads, params, strict=True):
        for key in ("W", "b"):
            np.testing.assert_allclose(
                ours[key], theirs[key].grad.numpy(), rtol=1e-7, atol=1e-12, err_msg=key
            )
