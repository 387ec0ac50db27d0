"""Convolution, pooling, reshaping and batch norm: exact gradients, PyTorch's numbers, shapes,
errors, model files."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import glassnet
from glassnet import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Flatten,
    GlobalAvgPool2D,
    MaxPool2D,
    Network,
    Reshape,
)
from glassnet.image_ops import windows

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
    seed = draw(st.integers(0, 99))
    network = Network(layers, input_shape=(channels, height, width), seed=seed, dtype=dtype)
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


def smallest_max_pool_gap(network, X) -> float:
    """The smallest difference between the largest and the second largest value of any max
    pool window: central differences of step ``epsilon`` are exact only when it is larger."""
    gaps, activation = [np.inf], network.prepare_inputs(X)
    for layer in network.layers:
        if isinstance(layer, MaxPool2D) and layer.window.n_offsets > 1:
            image = np.ascontiguousarray(activation.transpose(1, 2, 3, 0))
            window = layer.window
            views = windows(image, window.kernel, window.stride, window.out_size)
            stack = np.sort([view for _, _, view in views], axis=0)
            gaps.append(float((stack[-1] - stack[-2]).min()))
        activation = layer.forward(activation)
    return min(gaps)


@SETTINGS
@given(conv_networks())
def test_gradcheck_on_random_conv_networks(case):
    network, X, y = case
    assume(smallest_max_pool_gap(network, X) > 1e-3)  # inputs without (near) ties
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
    # A first step on other, larger data leaves the reused buffers full of its values, so a
    # layer that reads a value it did not write this time gives a different answer.
    weights = network.get_weights()
    rng = np.random.default_rng(1)
    other = rng.normal(size=(len(X) + 2, *X.shape[1:]))
    other_targets = network.check_targets(rng.integers(0, 3, len(other)), loss, len(other))
    network.loss_step(other, other_targets, loss, training=True)
    network.set_weights(weights)  # the running statistics as they were
    result = network.loss_step(X, targets, loss, training=True)

    assert result.data_loss == pytest.approx(expected_loss.item(), rel=1e-7)
    for layer, tensors in zip(network.layers, params, strict=True):
        for key, tensor in tensors.items():
            np.testing.assert_allclose(layer.grads[key], tensor.grad.numpy(), rtol=1e-7, atol=1e-12)
        if isinstance(layer, BatchNorm):
            for key, value in layer.torch_running.items():
                np.testing.assert_allclose(layer.state[key], value.numpy(), rtol=1e-12)


# -- each layer against central differences, in both memory layouts ------------------------------


def distinct_values(rng, shape):
    """Values at least 0.01 apart, so that a pool's maximum never ties and no central
    difference moves a pixel past its neighbour."""
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.01 - 1


def as_chwn_view(x):
    """``x`` with the same values, laid out in memory as the image layers keep their arrays."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def input_gradient_error(layer, x, training, epsilon=1e-6):
    """``max |dJ/dx - central difference|`` for ``J = sum(G * layer(x))`` with random ``G``."""
    Network([layer], input_shape=x.shape[1:], dtype="float64", seed=0)
    upstream = np.random.default_rng(5).normal(size=(len(x), *layer.output_shape))
    layer.forward(x, training)
    analytic = np.array(layer.backward(upstream.copy()))
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        shifted = []
        for sign in (1, -1):
            moved = x.copy()
            moved[index] += sign * epsilon
            shifted.append(float(np.sum(upstream * layer.forward(moved, training))))
        numeric[index] = (shifted[0] - shifted[1]) / (2 * epsilon)
    return np.abs(analytic - numeric).max()


LAYERS = {
    "conv same stride 2": lambda: Conv2D(2, 3, 3, stride=2, padding="same", activation="tanh"),
    "conv valid": lambda: Conv2D(2, 3, (2, 3), padding="valid", activation="relu"),
    "conv padding 1": lambda: Conv2D(2, 2, 3, stride=(1, 2), padding=1, activation="softplus"),
    "max 2x2": lambda: MaxPool2D(2),
    "max 3 stride 2": lambda: MaxPool2D(3, 2),
    "max 2 stride 3": lambda: MaxPool2D(2, 3),
    "avg 2x2": lambda: AvgPool2D(2),
    "avg 3 stride 1": lambda: AvgPool2D(3, 1),
    "global avg": GlobalAvgPool2D,
    "flatten": Flatten,
    "reshape": lambda: Reshape((7, -1)),
    "batchnorm": BatchNorm,
}


@pytest.mark.parametrize("layout", ["nchw", "chwn"])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("name", LAYERS)
def test_input_gradient_matches_central_differences(name, training, layout):
    x = distinct_values(np.random.default_rng(2), (3, 2, 7, 6))
    if layout == "chwn":
        x = as_chwn_view(x)
    assert input_gradient_error(LAYERS[name](), x, training) < 1e-7


def test_batchnorm_on_feature_rows_matches_central_differences():
    x = np.random.default_rng(3).normal(size=(5, 4))
    for training in (True, False):
        assert input_gradient_error(BatchNorm(), x, training) < 1e-7


def test_batchnorm_parameter_gradients_in_training_mode():
    # gradcheck runs in inference mode; here the batch statistics are part of the function.
    rng = np.random.default_rng(4)
    network = Network(
        [
            Conv2D(2, 3, 3, activation="tanh"),
            BatchNorm(),
            Flatten(),
            Dense(3 * 4 * 4, 2, "softmax"),
        ],
        input_shape=(2, 6, 6),
        dtype="float64",
        seed=1,
    )
    X, y = rng.normal(size=(4, 2, 6, 6)), rng.integers(0, 2, 4)
    loss = glassnet.losses.get("cross_entropy")
    targets = network.check_targets(y, loss, len(X))

    def objective():
        return network.loss_step(X, targets, loss, training=True, backward=False).data_loss

    network.loss_step(X, targets, loss, training=True)
    for _, param, grad in network.named_parameters():
        analytic = grad.copy()
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            original = param[index]
            param[index] = original + 1e-6
            plus = objective()
            param[index] = original - 1e-6
            minus = objective()
            param[index] = original
            numeric[index] = (plus - minus) / 2e-6
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name", LAYERS)
def test_layout_and_a_smaller_batch_do_not_change_the_result(name):
    # Layers reuse their arrays while training; a smaller last batch and an input in the other
    # memory layout must give what a fresh layer gives.
    rng = np.random.default_rng(6)
    big, small = rng.normal(size=(5, 2, 7, 6)), rng.normal(size=(3, 2, 7, 6))
    reused, fresh = LAYERS[name](), LAYERS[name]()
    for layer in (reused, fresh):
        Network([layer], input_shape=(2, 7, 6), dtype="float64", seed=0)
    upstream = rng.normal(size=(3, *reused.output_shape))
    reused.forward(big, training=True)
    reused.backward(rng.normal(size=(5, *reused.output_shape)))
    output = reused.forward(as_chwn_view(small), training=True).copy()
    np.testing.assert_allclose(output, fresh.forward(small, training=True), rtol=1e-12)
    np.testing.assert_allclose(
        reused.backward(upstream.copy()), fresh.backward(upstream.copy()), rtol=1e-12, atol=1e-15
    )


# -- bad configurations fail when the network is built -------------------------------------------


@pytest.mark.parametrize(
    ("layers", "input_shape", "expected"),
    [
        (
            [Conv2D(1, 4, 5)],
            (1, 3, 3),
            "layers[0] (Conv2D): Conv2D's 5x5 window is larger than its input image 3x3: "
            "samples of shape (1, 3, 3)",
        ),
        (
            [Conv2D(1, 4, 3), Conv2D(3, 4, 3)],
            (1, 8, 8),
            "layers[1] (Conv2D): Conv2D expects in_channels=3 channels (axis 1 of NCHW), but "
            "receives samples of shape (4, 6, 6) with 4",
        ),
        (
            [Conv2D(1, 4, 3), Dense(144, 10)],
            (1, 8, 8),
            "layers[1] (Dense): Dense takes samples of shape (n_in,) or (time, n_in), but "
            "receives samples of shape (4, 6, 6); put a Flatten before it",
        ),
        (
            [Conv2D(1, 4, 3), MaxPool2D(2), MaxPool2D(4)],
            (1, 8, 8),
            "layers[2] (MaxPool2D): MaxPool2D's 4x4 window is larger than its input image 3x3",
        ),
        (
            [Conv2D(1, 4, 3)],
            (784,),
            "layers[0] (Conv2D): Conv2D expects images of shape (channels, height, width), but "
            "receives samples of shape (784,); give the network input_shape=(channels, height, "
            "width) or put a Reshape before it",
        ),
        (
            [Conv2D(1, 4, 3), Flatten(), Dense(100, 10)],
            (1, 8, 8),
            "layers[2] (Dense): Dense expects n_in=100 inputs on the last axis, but receives "
            "samples of shape (144,)",
        ),
        ([Reshape((5, 5))], (24,), "Reshape to (5, 5) needs 25 values per sample"),
    ],
)
def test_bad_configurations_fail_at_construction_naming_layer_and_shapes(
    layers, input_shape, expected
):
    with pytest.raises(ValueError) as error:
        Network(layers, input_shape=input_shape)
    assert expected in str(error.value)


def test_a_conv_first_layer_needs_an_input_shape():
    with pytest.raises(ValueError, match="give input_shape: a Conv2D first layer"):
        Network([Conv2D(1, 4, 3)])


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: Conv2D(0, 4, 3), "in_channels must be a positive integer, got 0"),
        (lambda: Conv2D(1, 4, 0), "kernel_size must be a positive integer or a pair"),
        (lambda: Conv2D(1, 4, (3, 3, 3)), "kernel_size must be a positive integer or a pair"),
        (lambda: Conv2D(1, 4, 3, stride=0), "stride must be a positive integer or a pair"),
        (lambda: Conv2D(1, 4, 3, padding="full"), "padding must be a non-negative integer"),
        (lambda: Conv2D(1, 4, 3, padding=-1), "got -1"),
        (lambda: Conv2D(1, 4, 3, activation="softmax"), "element-wise activation"),
        (lambda: MaxPool2D(0), "size must be a positive integer or a pair of them, got 0"),
        (lambda: AvgPool2D(2, stride=(1, 0)), "stride must be a positive integer or a pair"),
        (lambda: Reshape((-1, -1)), "at most one -1"),
        (lambda: Reshape((0, 4)), "shape must be positive integers"),
        (lambda: BatchNorm(momentum=1.5), "momentum"),
        (lambda: BatchNorm(epsilon=0), "epsilon"),
    ],
)
def test_bad_layer_arguments_raise_naming_the_argument(make, expected):
    with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        make()


# -- training, regularisation, model files -------------------------------------------------------


def bars(n_samples, seed=0, size=8):
    """Grey images ``(n, 1, size, size)`` of a horizontal (label 0) or vertical (label 1) bar
    at a random place, with noise: a task a small CNN learns in a few epochs."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n_samples)
    images = rng.normal(0, 0.3, (n_samples, 1, size, size))
    where = rng.integers(1, size - 1, n_samples)
    images[labels == 0, 0, where[labels == 0], :] += 2
    images[labels == 1, 0, :, where[labels == 1]] += 2
    return images, labels


def small_cnn(seed=0, dtype="float32", batchnorm=True):
    layers = [Conv2D(1, 4, 3, padding="same"), MaxPool2D(2)]
    layers += [BatchNorm()] if batchnorm else []
    layers += [Conv2D(4, 6, 3), Flatten(), Dense(6 * 2 * 2, 2, "softmax")]
    return Network(layers, input_shape=(1, 8, 8), seed=seed, dtype=dtype)


@pytest.mark.parametrize(
    "optimizer",
    [
        glassnet.optimizers.SGD(0.1),
        glassnet.optimizers.SGD(0.05, momentum=0.9),
        glassnet.optimizers.get("adagrad", 0.05),
        glassnet.optimizers.get("rmsprop", 0.003),
        glassnet.optimizers.get("adam", 0.01),
        glassnet.optimizers.get("adamw", 0.01),
    ],
    ids=repr,
)
def test_a_small_cnn_learns_with_every_optimizer(optimizer):
    X, y = bars(200)
    network = small_cnn()
    history = network.fit(X, y, loss="cross_entropy", optimizer=optimizer, epochs=8)
    assert history.metrics["loss"][-1] < 0.5 * history.metrics["loss"][0]
    X_test, y_test = bars(100, seed=1)
    assert np.mean(network.predict(X_test) == y_test) > 0.9


def test_early_stopping_restores_weights_and_running_statistics():
    X, y = bars(120)
    network = small_cnn()
    snapshots = []

    class Snapshot(glassnet.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            snapshots.append(network.get_weights())

    stopper = glassnet.EarlyStopping(monitor="val_loss", patience=2)
    history = network.fit(
        X,
        y,
        loss="cross_entropy",
        optimizer="adam",
        learning_rate=0.05,
        epochs=12,
        validation_split=0.3,
        callbacks=[stopper, Snapshot()],
    )
    assert "layers.2.running_mean" in snapshots[0]
    best = snapshots[history.best_epoch]
    for name, value in network.get_weights().items():
        np.testing.assert_array_equal(value, best[name], err_msg=name)


def test_weight_decay_acts_on_kernels_only():
    network = small_cnn(dtype="float64")
    X, y = bars(6)
    decay = 0.3
    _, plain = network.loss_and_gradients(X, y, loss="cross_entropy")
    _, decayed = network.loss_and_gradients(X, y, loss="cross_entropy", weight_decay=decay)
    for layer, before, after in zip(network.layers, plain, decayed, strict=True):
        for key in before:
            expected = before[key] + (decay * layer.params[key] if key == "W" else 0)
            np.testing.assert_allclose(after[key], expected, rtol=1e-12, err_msg=key)
    assert set(network.layers[0].decay_keys) == {"W"} and not network.layers[2].decay_keys


def test_he_initialisation_counts_the_receptive_field():
    layer = Conv2D(64, 128, 3)
    Network([layer], input_shape=(64, 5, 5), seed=0)
    assert layer.params["W"].shape == (128, 64, 3, 3)
    assert np.std(layer.params["W"]) == pytest.approx(np.sqrt(2 / (64 * 9)), rel=0.02)
    glorot = Conv2D(64, 128, 3, activation="tanh")
    Network([glorot], input_shape=(64, 5, 5), seed=0)
    limit = np.sqrt(6 / (64 * 9 + 128 * 9))
    assert np.abs(glorot.params["W"]).max() == pytest.approx(limit, rel=0.01)


def test_summary_shows_output_shapes():
    summary = small_cnn().summary()
    for shape in ["(1, 8, 8)", "(4, 8, 8)", "(4, 4, 4)", "(6, 2, 2)", "(24)", "(2)"]:
        assert shape in summary
    assert summary.splitlines()[-1].split()[-1] == str(small_cnn().n_parameters)


def test_saved_cnn_reloads_and_predicts_bit_for_bit(tmp_path):
    X, y = bars(64)
    network = small_cnn()
    network.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=2)
    path = tmp_path / "cnn.safetensors"
    network.save(path)
    loaded = glassnet.load(path)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in network.layers]
    assert loaded.input_shape == (1, 8, 8)
    for name, value in network.get_weights().items():
        np.testing.assert_array_equal(loaded.get_weights()[name], value, err_msg=name)
    running = network.layers[2].state["running_var"]
    assert not np.allclose(running, 1)  # training moved the running statistics
    np.testing.assert_array_equal(loaded.predict_proba(X), network.predict_proba(X))
    summary = glassnet.io.inspect(path)
    assert summary["input_shape"] == [1, 8, 8] and summary["n_parameters"] == network.n_parameters


def test_a_model_file_with_a_negative_running_variance_is_refused(tmp_path):
    network = small_cnn()
    path = tmp_path / "cnn.safetensors"
    network.save(path)
    arrays, metadata = glassnet.safetensors.load(path)
    arrays["layers.2.running_var"] = -arrays["layers.2.running_var"]
    glassnet.safetensors.save(path, arrays, metadata)
    with pytest.raises(glassnet.io.ModelFileError, match="running_var must be non-negative"):
        glassnet.load(path)


def test_training_reuses_its_arrays_from_epoch_to_epoch():
    X, y = bars(100)
    network = small_cnn()
    seen = []

    class Arrays(glassnet.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            seen.append(
                {
                    (i, name): id(a)
                    for i, layer in enumerate(network.layers)
                    for name, a in layer._buffers.items()
                }
            )

    network.fit(X, y, loss="cross_entropy", epochs=3, batch_size=32, callbacks=[Arrays()])
    assert seen[0] and seen[0] == seen[1] == seen[2]


def test_inference_in_chunks_equals_one_pass(monkeypatch):
    X, y = bars(50)
    Y = glassnet.preprocessing.one_hot(y, 2)
    network = small_cnn()
    whole = network.predict_output(X)
    whole_loss = glassnet.evaluate(network, X, Y, loss="cross_entropy")["loss"]
    monkeypatch.setattr(glassnet.network, "INFERENCE_VALUES", 3000)
    assert len(network.inference_chunks(len(X))) > 5
    np.testing.assert_allclose(network.predict_output(X), whole, rtol=1e-6)
    chunked_loss = glassnet.evaluate(network, X, Y, loss="cross_entropy")["loss"]
    assert chunked_loss == pytest.approx(whole_loss, rel=1e-6)


def test_conv_weights_copy_one_to_one_from_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.BatchNorm2d(4),
        torch.nn.Conv2d(4, 6, 3),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(24, 2),
    ).double()
    X, _ = bars(32)
    model.train()
    model(torch.tensor(X))  # moves the running statistics away from 0 and 1
    model.eval()
    network = small_cnn(dtype="float64")
    names = {0: "0", 2: "3", 3: "4", 5: "7"}
    torch_params = dict(model.state_dict())
    rename = {"gamma": "weight", "beta": "bias", "W": "weight", "b": "bias"}
    weights = {}
    for name, _ in network.named_weights():
        _, index, key = name.split(".")
        weights[name] = torch_params[f"{names[int(index)]}.{rename.get(key, key)}"].numpy()
    network.set_weights(weights)
    with torch.no_grad():
        logits = model(torch.tensor(X)).numpy()
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(network.predict_output(X), probabilities, rtol=1e-10)


def test_images_are_standardised_by_one_mean_and_scale():
    X, y = bars(80)
    X = X - X.min()
    runs = []
    for scale in (1.0, 255.0 / X.max()):  # pixels in their own range, and stretched to 0-255
        network = small_cnn(dtype="float64")
        network.fit(X * scale, y, loss="cross_entropy", epochs=2, standardize=True)
        mean, spread = network.scaler.mean, network.scaler.scale
        assert np.all(mean == mean[0]) and np.all(spread == spread[0])
        assert mean[0] == pytest.approx(np.mean(X * scale)) and spread[0] == pytest.approx(
            np.std(X * scale)
        )
        runs.append(network.predict_proba(X * scale))
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-6)
    rows = glassnet.preprocessing.Standardizer().fit(X.reshape(80, -1))
    assert not np.all(rows.mean == rows.mean[0])  # feature rows keep a mean per column


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("pool", [(2, 2), (3, 2), (2, 1)])
def test_a_conv_and_its_max_pool_run_as_one_stage_with_the_same_numbers(activation, pool):
    # The network pools z and then applies f; the layers on their own apply f and then pool.
    # Bit for bit, except that where windows overlap, f' multiplies each window's share before
    # they are added instead of after (a c + b c against (a + b) c).
    network = Network(
        [
            Conv2D(2, 3, 3, padding=1, activation=activation),
            MaxPool2D(*pool),
            Flatten(),
            Dense(3 * 3 * 3 if pool != (2, 1) else 3 * 6 * 6, 2, "softmax"),
        ],
        input_shape=(2, 7, 7),
        dtype="float64",
        seed=0,
    )
    assert type(network._stages[0][0]).__name__ == "ConvMaxPool"
    X = np.random.default_rng(7).normal(size=(4, 2, 7, 7))
    Y = np.eye(2)[[0, 1, 1, 0]]
    loss = glassnet.losses.get("cross_entropy")
    for training in (True, False):
        result = network.loss_step(X, Y, loss, training=training)
        fused = [grad.copy() for grad in network.gradients()]
        activation_values = X
        for layer in network.layers:
            activation_values = layer.forward(activation_values, training)
        data_loss, delta = loss.residual(Y, network.head.z, network.head.a, network.head.activation)
        grad = network.layers[-1].backward_residual(delta)
        for layer in reversed(network.layers[:-1]):
            grad = layer.backward(grad)
        assert data_loss == result.data_loss
        for together, apart in zip(fused, network.gradients(), strict=True):
            if pool[1] >= pool[0]:
                np.testing.assert_array_equal(together, apart)
            else:
                np.testing.assert_allclose(together, apart, rtol=1e-13, atol=1e-16)
