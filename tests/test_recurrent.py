"""Recurrent layers and Embedding: exact gradients, PyTorch's numbers, padding, state, training."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_layers import central_difference

import glassnet
from glassnet import GRU, LSTM, Dense, Embedding, Network, SimpleRNN

CELLS = {"rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
TORCH_NAMES = {"Wx": "weight_ih", "Wh": "weight_hh", "bx": "bias_ih", "bh": "bias_hh"}


def _randomise(network, rng, scale=0.6):
    """Weights and biases drawn afresh, biases away from zero, so no test leans on zeros."""
    for layer in network.layers:
        for param in layer.params.values():
            param[...] = rng.normal(scale=scale, size=param.shape)


def _relative(a, b):
    return np.abs(np.asarray(a) - np.asarray(b)).max() / max(np.abs(np.asarray(b)).max(), 1e-300)


# -- gradients against central differences ---------------------------------------------------------


@st.composite
def recurrent_problems(draw):
    n_steps = draw(st.integers(1, 4))
    n_in = draw(st.integers(1, 3))
    cells = draw(st.lists(st.sampled_from(sorted(CELLS)), min_size=1, max_size=2))
    widths = [draw(st.integers(1, 3)) for _ in cells]
    many_to_many = draw(st.booleans())
    masked = draw(st.booleans())
    loss_name = draw(st.sampled_from(["mse", "cross_entropy"]))
    seed = draw(st.integers(0, 2**16))
    return n_steps, n_in, cells, widths, many_to_many, masked, loss_name, seed


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(recurrent_problems())
def test_random_recurrent_networks_match_finite_differences(problem):
    n_steps, n_in, cells, widths, many_to_many, masked, loss_name, seed = problem
    rng = np.random.default_rng(seed)
    layers, size = [], n_in
    for depth, (cell, width) in enumerate(zip(cells, widths, strict=True)):
        sequences = many_to_many or depth < len(cells) - 1
        mask_value = 0.0 if masked and depth == 0 else None
        layers.append(CELLS[cell](size, width, return_sequences=sequences, mask_value=mask_value))
        size = width
    n_out = 3 if loss_name == "cross_entropy" else 2
    layers.append(Dense(size, n_out, "softmax" if loss_name == "cross_entropy" else "identity"))
    network = Network(layers, input_shape=(n_steps, n_in), seed=seed, dtype="float64")
    _randomise(network, rng)
    X = rng.normal(size=(3, n_steps, n_in))
    if masked:  # padded steps anywhere, but every sequence keeps a real step
        padded = rng.random((3, n_steps)) < 0.4
        padded[:, 0] = False
        X[padded] = 0.0
    positions = (3, n_steps) if many_to_many else (3,)
    Y = (
        rng.integers(0, n_out, positions)
        if loss_name == "cross_entropy"
        else rng.normal(size=(*positions, n_out))
    )
    result = glassnet.gradcheck(network, X, Y, loss=loss_name)
    assert result.max_error < 1e-6, (cells, many_to_many, masked, result.errors)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("sequences", [False, True])
def test_input_and_initial_state_gradients_match_finite_differences(cell, sequences):
    rng = np.random.default_rng(3)
    layer = CELLS[cell](3, 4, return_sequences=sequences, mask_value=0.0)
    _randomise(Network([layer], input_shape=(5, 3), dtype="float64", seed=1), rng)
    x = rng.normal(size=(2, 5, 3))
    x[1, 3] = 0.0  # one padded step in the middle of the second sequence
    state = tuple(rng.normal(size=(2, 4)) for _ in layer.state_names)
    weights = rng.normal(size=(2, 5, 4) if sequences else (2, 4))

    def objective():
        layer.initial_state = state
        return float(np.sum(weights * layer.forward(x)))

    objective()
    dx = layer.backward(weights)
    numeric = central_difference(objective, x)
    real = np.ones((2, 5), bool)
    real[1, 3] = False  # a nudge would turn the padded step into data: no derivative there
    np.testing.assert_allclose(dx[real], numeric[real], rtol=1e-6, atol=1e-8)
    assert not dx[1, 3].any()  # by definition, padding receives no gradient
    for array, grad in zip(state, layer.initial_state_grad, strict=True):
        np.testing.assert_allclose(grad, central_difference(objective, array), rtol=1e-6)


# -- PyTorch's numbers ---------------------------------------------------------------------------


def _torch_twin(torch, cell, layers):
    """The torch module with the same weights as ``layers`` (one torch layer per glassnet one)."""
    module_type = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    module = module_type(
        layers[0].n_in, layers[0].n_hidden, num_layers=len(layers), batch_first=True
    ).double()
    with torch.no_grad():
        for depth, layer in enumerate(layers):
            for key, name in TORCH_NAMES.items():
                getattr(module, f"{name}_l{depth}").copy_(torch.from_numpy(layer.params[key]))
    return module


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("sequences", [False, True])
@pytest.mark.parametrize("depth", [1, 2])
def test_loss_and_gradients_equal_pytorch(cell, sequences, depth):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(depth * 10 + sequences)
    n_samples, n_steps, n_in, hidden, n_classes = 4, 6, 3, 5, 3
    recurrent = [
        CELLS[cell](n_in if k == 0 else hidden, hidden, return_sequences=sequences or k < depth - 1)
        for k in range(depth)
    ]
    head = Dense(hidden, n_classes, "softmax")
    network = Network([*recurrent, head], input_shape=(n_steps, n_in), dtype="float64", seed=0)
    _randomise(network, rng)
    X = rng.normal(size=(n_samples, n_steps, n_in))
    Y = rng.integers(0, n_classes, (n_samples, n_steps) if sequences else n_samples)
    states = [
        tuple(rng.normal(size=(n_samples, hidden)) for _ in layer.state_names)
        for layer in recurrent
    ]
    for layer, state in zip(recurrent, states, strict=True):
        layer.initial_state = state
    J, grads = network.loss_and_gradients(X, Y, loss="cross_entropy")

    module = _torch_twin(torch, cell, recurrent)
    linear = torch.nn.Linear(hidden, n_classes).double()
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(head.W))
        linear.bias.copy_(torch.from_numpy(head.b))
    start = [
        torch.tensor(np.stack([s[k] for s in states]), requires_grad=True)
        for k in range(len(states[0]))
    ]
    outputs, _ = module(torch.from_numpy(X), start[0] if len(start) == 1 else tuple(start))
    logits = linear(outputs if sequences else outputs[:, -1])
    target = torch.from_numpy(Y).long()
    torch_loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, n_classes), target.reshape(-1)
    )
    torch_loss.backward()

    assert abs(J - torch_loss.item()) <= 1e-7 * abs(torch_loss.item())
    for k, layer in enumerate(recurrent):
        for key, name in TORCH_NAMES.items():
            expected = getattr(module, f"{name}_l{k}").grad.numpy()
            assert _relative(grads[k][key], expected) < 1e-7, (k, key)
        for ours, theirs in zip(layer.initial_state_grad, start, strict=True):
            assert _relative(ours, theirs.grad.numpy()[k]) < 1e-7
    assert _relative(grads[-1]["W"], linear.weight.grad.numpy()) < 1e-7


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_padded_sequences_end_where_pytorchs_packed_sequences_end(cell):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    layer = CELLS[cell](2, 3, mask_value=0.0)
    Network([layer], input_shape=(5, 2), dtype="float64", seed=0)
    lengths = [5, 2, 4]
    X = rng.normal(size=(3, 5, 2))
    for row, length in enumerate(lengths):
        X[row, length:] = 0.0
    module = _torch_twin(torch, cell, [layer])
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        torch.from_numpy(X), lengths, batch_first=True, enforce_sorted=False
    )
    _, final = module(packed)
    final_h = final[0] if cell == "lstm" else final
    np.testing.assert_allclose(layer.forward(X), final_h[0].detach().numpy(), rtol=1e-12)


# -- padding ---------------------------------------------------------------------------------------


def _sentence_network(cell, n_steps, sequences, seed=0):
    layers = [
        Embedding(7, 3, padding_id=0),
        CELLS[cell](3, 4, return_sequences=sequences, mask_value=0.0),
        Dense(4, 2, "softmax"),
    ]
    return Network(layers, input_shape=(n_steps,), dtype="float64", seed=seed)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("sequences", [False, True])
def test_a_padded_batch_equals_its_sequences_one_by_one(cell, sequences):
    rng = np.random.default_rng(7)
    sentences = [rng.integers(1, 7, length) for length in (5, 2, 4, 1)]
    labels = [rng.integers(0, 2, len(s)) if sequences else rng.integers(0, 2) for s in sentences]
    padded = np.zeros((len(sentences), 6))
    targets = np.zeros((len(sentences), 6)) if sequences else np.array(labels)
    weights = np.zeros((len(sentences), 6))
    for row, (sentence, label) in enumerate(zip(sentences, labels, strict=True)):
        padded[row, : len(sentence)] = sentence
        weights[row, : len(sentence)] = 1
        if sequences:
            targets[row, : len(sentence)] = label
    network = _sentence_network(cell, 6, sequences)
    _randomise(network, rng)
    network.layers[0].params["W"][0] = 0  # the padding row stays zero
    J, grads = network.loss_and_gradients(
        padded, targets, loss="cross_entropy", sample_weight=weights if sequences else None
    )

    # one by one: each sequence's mean loss, weighted by its share of the scored positions
    total = sum(len(s) for s in sentences) if sequences else len(sentences)
    expected_J, expected = (
        0.0,
        [{key: np.zeros_like(g) for key, g in layer.items()} for layer in grads],
    )
    for sentence, label in zip(sentences, labels, strict=True):
        alone = _sentence_network(cell, len(sentence), sequences)
        alone.set_weights(network.get_weights())
        target = np.array([label])
        J_alone, grads_alone = alone.loss_and_gradients(
            sentence[None], target, loss="cross_entropy"
        )
        share = (len(sentence) if sequences else 1) / total
        expected_J += share * J_alone
        for layer, layer_alone in zip(expected, grads_alone, strict=True):
            for key in layer:
                layer[key] += share * layer_alone[key]
    assert pytest.approx(expected_J, rel=1e-12) == J
    for layer, layer_expected in zip(grads, expected, strict=True):
        for key in layer:
            np.testing.assert_allclose(layer[key], layer_expected[key], rtol=1e-10, atol=1e-14)
    assert not grads[0]["W"][0].any()  # the padding id's vector is never trained


def test_without_a_mask_value_zero_steps_are_read_as_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 4, 2))
    x[0, 2:] = 0.0
    plain, masked = LSTM(2, 3), LSTM(2, 3, mask_value=0.0)
    Network([plain], input_shape=(4, 2), seed=1)
    Network([masked], input_shape=(4, 2), seed=1)
    assert not np.allclose(plain.forward(x), masked.forward(x))
    np.testing.assert_array_equal(masked.padded, [[False, False, True, True]])
    np.testing.assert_array_equal(masked.forward(x), masked.hidden_states[:, 2])


# -- state: initial, final, stateful, truncated BPTT ----------------------------------------------


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_final_state_continues_a_sequence_cut_in_two(cell):
    rng = np.random.default_rng(1)
    layer = CELLS[cell](2, 3, return_sequences=True)
    Network([layer], input_shape=(6, 2), dtype="float64", seed=0)
    x = rng.normal(size=(2, 6, 2))
    whole = layer.forward(x)
    first = layer.forward(x[:, :4]).copy()
    layer.initial_state = layer.final_state
    second = layer.forward(x[:, 4:])
    layer.initial_state = None
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-13)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_truncated_bptt_equals_stateful_batches(cell):
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(3, 8, 2)), rng.normal(size=(3, 8, 2))
    mse = glassnet.losses.get("mse")

    def network(n_steps, **options):
        layers = [CELLS[cell](2, 3, return_sequences=True, **options), Dense(3, 2, "identity")]
        built = Network(layers, input_shape=(n_steps, 2), dtype="float64", seed=4)
        _randomise(built, np.random.default_rng(9))
        return built

    def gradients(built):
        return {name: grad.copy() for name, _, grad in built.named_parameters()}

    truncated = network(8, bptt=4)
    truncated.loss_step(X, Y, mse, training=True)
    # two consecutive batches of 4 steps, each one half of the positions of the mean
    stateful = network(4, stateful=True)
    halves = []
    for chunk in (slice(0, 4), slice(4, 8)):
        stateful.loss_step(X[:, chunk].copy(), Y[:, chunk].copy(), mse, training=True)
        halves.append(gradients(stateful))
    for name, grad in gradients(truncated).items():
        np.testing.assert_allclose(grad, (halves[0][name] + halves[1][name]) / 2, rtol=1e-12)
    whole = network(8)  # the full gradient differs: the cut really cuts
    whole.loss_step(X, Y, mse)
    assert _relative(gradients(whole)["layers.0.Wh"], gradients(truncated)["layers.0.Wh"]) > 1e-3


def test_a_stateful_layer_carries_its_state_in_training_only():
    rng = np.random.default_rng(3)
    layer = GRU(2, 3, stateful=True)
    Network([layer], input_shape=(4, 2), seed=0)
    x = rng.normal(size=(2, 4, 2)).astype(np.float32)
    first = layer.forward(x, training=True).copy()
    assert not np.allclose(layer.forward(x, training=True), first)  # started from the carry
    np.testing.assert_array_equal(layer.forward(x), first)  # inference starts from zeros
    layer.reset_states()
    np.testing.assert_array_equal(layer.forward(x, training=True), first)
    with pytest.raises(ValueError, match="carried state has 2 samples, the batch has 3"):
        layer.forward(rng.normal(size=(3, 4, 2)).astype(np.float32), training=True)


def test_initial_state_is_checked():
    layer = LSTM(2, 3)
    Network([layer], input_shape=(4, 2), seed=0)
    with pytest.raises(ValueError, match=r"initial_state must hold 2 arrays \(h, c\), got 1"):
        layer.initial_state = np.zeros((1, 3))
    with pytest.raises(ValueError, match=r"initial_state c must have shape \(n_samples, 3\)"):
        layer.initial_state = (np.zeros((1, 3)), np.zeros((1, 4)))
    layer.initial_state = (np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="initial_state has 2 samples, the batch has 1"):
        layer.forward(np.zeros((1, 4, 2), np.float32))
    with pytest.raises(ValueError, match="no final state before a forward pass"):
        _ = LSTM(2, 3).final_state


# -- configuration and bad input ---------------------------------------------------------------


def test_parameters_are_in_pytorchs_shapes_and_initialised_as_documented():
    layer = LSTM(5, 8)
    Network([layer], input_shape=(3, 5), seed=0)
    assert {key: p.shape for key, p in layer.params.items()} == {
        "Wx": (32, 5),
        "Wh": (32, 8),
        "bx": (32,),
        "bh": (32,),
    }
    for gate in range(4):  # each gate's block of Wh is orthogonal
        block = layer.params["Wh"][gate * 8 : (gate + 1) * 8].astype(np.float64)
        np.testing.assert_allclose(block @ block.T, np.eye(8), atol=1e-5)
    assert not layer.params["bx"].any() and not layer.params["bh"].any()
    assert LSTM.decay_keys == GRU.decay_keys == SimpleRNN.decay_keys == ("Wx", "Wh")


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_config_rebuilds_the_layer(cell):
    layer = CELLS[cell](3, 4, return_sequences=True, mask_value=-1.0, bptt=5, stateful=True)
    config = layer.get_config()
    rebuilt = glassnet.layers.from_config(config)
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == config


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="n_hidden must be a positive integer, got 0"):
        LSTM(3, 0)
    with pytest.raises(ValueError, match="bptt must be a positive integer, got -2"):
        GRU(3, 2, bptt=-2)
    with pytest.raises(ValueError, match="mask_value must be a finite number or None, got nan"):
        SimpleRNN(3, 2, mask_value=float("nan"))
    with pytest.raises(TypeError, match="return_sequences must be True or False, got 'yes'"):
        LSTM(3, 2, return_sequences="yes")
    with pytest.raises(ValueError, match="activation must be element-wise, got 'softmax'"):
        SimpleRNN(3, 2, activation="softmax")
    with pytest.raises(
        ValueError,
        match=r"layers\[0\] \(LSTM\): LSTM expects sequences of shape \(time, 3\), but receives "
        r"samples of shape \(4, 2\)",
    ):
        Network([LSTM(3, 2)], input_shape=(4, 2))
    with pytest.raises(ValueError, match="give input_shape: a GRU first layer"):
        Network([GRU(3, 2)])


# -- Embedding -------------------------------------------------------------------------------------


def test_embedding_looks_up_rows_and_sums_their_gradients():
    layer = Embedding(5, 3)
    Network([layer], input_shape=(4,), dtype="float64", seed=0)
    ids = np.array([[1, 4, 1, 0], [2, 2, 2, 3]])
    y = layer.forward(ids.astype(np.float64))
    np.testing.assert_array_equal(y, layer.params["W"][ids])
    grad = np.random.default_rng(0).normal(size=y.shape)
    dx = layer.backward(grad)
    # the table lookup is a Dense layer without bias on the one-hot codes: dJ/dW = onehot^T grad
    one_hot = np.eye(5)[ids.reshape(-1)]
    np.testing.assert_allclose(layer.grads["W"], one_hot.T @ grad.reshape(-1, 3), rtol=1e-14)
    assert dx.shape == ids.shape and not dx.any()


def test_embedding_checks_token_ids():
    network = Network([Embedding(5, 2)], input_shape=(3,), seed=0)
    with pytest.raises(ValueError, match=r"token ids must be whole numbers in \[0, 4\], got 5.0"):
        network.predict([[1, 2, 5]])
    with pytest.raises(ValueError, match=r"got 1.5 at index \(0, 1\)"):
        network.predict([[1, 1.5, 2]])
    with pytest.raises(ValueError, match=r"got -1.0 at index \(1, 0\)"):
        network.predict([[1, 1, 2], [-1, 0, 0]])
    with pytest.raises(ValueError, match=r"padding_id must be a token id in \[0, 4\], got 5"):
        Embedding(5, 2, padding_id=5)
    with pytest.raises(ValueError, match="dim must be a positive integer, got 0"):
        Embedding(5, 0)


# -- training, model files and the tools around them ---------------------------------------------


def _echo_task(rng, n_samples=200, n_steps=6):
    """Many-to-many: at each step, output the token seen one step earlier (0 at the start)."""
    X = rng.integers(1, 5, (n_samples, n_steps))
    Y = np.concatenate([np.zeros((n_samples, 1), int), X[:, :-1]], axis=1)
    return X, Y


def test_a_many_to_many_network_learns_to_echo_the_previous_token():
    rng = np.random.default_rng(0)
    X, Y = _echo_task(rng)
    network = Network(
        [Embedding(5, 8), GRU(8, 16, return_sequences=True), Dense(16, 5, "softmax")],
        input_shape=(6,),
        seed=0,
    )
    history = network.fit(
        X, Y, loss="cross_entropy", optimizer="adam", learning_rate=0.02, epochs=30, batch_size=20
    )
    assert history["accuracy"][-1] > 0.95
    X_test, Y_test = _echo_task(np.random.default_rng(1), 50)
    assert np.mean(network.predict(X_test) == Y_test) > 0.95


def test_a_label_per_step_from_one_sigmoid_unit_has_two_probability_columns_per_step():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(12, 4, 2)), rng.choice(["off", "on"], size=(12, 4))
    network = Network([GRU(2, 3, return_sequences=True), Dense(3, 1, "sigmoid")],
                      input_shape=(4, 2), seed=2)  # fmt: skip
    network.fit(X, y, loss="binary_cross_entropy", epochs=1)
    output, probabilities = network.predict_output(X), network.predict_proba(X)
    assert probabilities.shape == (12, 4, 2)
    np.testing.assert_array_equal(probabilities[..., 1:], output)
    np.testing.assert_array_equal(probabilities[..., :1], 1 - output)
    assert network.predict(X).tolist() == np.where(output[..., 0] >= 0.5, "on", "off").tolist()


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop", "adagrad", "adam", "adamw"])
def test_every_optimizer_trains_a_recurrent_network(optimizer):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 5, 2))
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)  # the sign of a running sum
    network = Network([LSTM(2, 8), Dense(8, 2, "softmax")], input_shape=(5, 2), seed=0)
    rate = {"sgd": 0.5, "adagrad": 0.1}.get(optimizer, 0.01)
    history = network.fit(X, y, optimizer=optimizer, learning_rate=rate, epochs=15, batch_size=16)
    assert history["loss"][-1] < 0.8 * history["loss"][0]


def test_gradient_clipping_bounds_every_update():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 5, 2)), rng.integers(0, 2, 32)
    network = Network([SimpleRNN(2, 6), Dense(6, 2, "softmax")], input_shape=(5, 2), seed=0)
    steps = []

    class Watch(glassnet.Callback):
        def on_batch_end(self, trainer, batch, loss):
            now = np.concatenate([p.ravel() for p in network.parameters()])
            steps.append(np.linalg.norm(now - self.before))
            self.before = now

        def on_train_begin(self, trainer):
            self.before = np.concatenate([p.ravel() for p in network.parameters()])

    network.fit(
        X,
        y,
        optimizer="sgd",
        learning_rate=1.0,
        clip_norm=1e-3,
        epochs=2,
        batch_size=8,
        callbacks=[Watch()],
    )
    assert len(steps) == 8 and max(steps) <= 1e-3 * (1 + 1e-4)  # float32
    assert min(steps) > 0.9e-3  # the raw gradients are larger: every step was clipped


def test_early_stopping_keeps_the_best_recurrent_weights(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4, 2)), rng.integers(0, 2, 60)  # noise: validation loss rises
    network = Network([GRU(2, 16), Dense(16, 2, "softmax")], input_shape=(4, 2), seed=0)
    snapshots = []

    class Snapshot(glassnet.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            snapshots.append(network.get_weights())

    history = network.fit(
        X,
        y,
        optimizer="adam",
        learning_rate=0.05,
        epochs=60,
        batch_size=10,
        validation_split=0.3,
        callbacks=[glassnet.EarlyStopping(patience=3), Snapshot()],
    )
    assert history.epochs < 60
    best = snapshots[history.best_epoch]
    for name, value in network.get_weights().items():
        np.testing.assert_array_equal(value, best[name])


def test_a_saved_recurrent_model_loads_bit_for_bit(tmp_path):
    rng = np.random.default_rng(0)
    X, Y = _echo_task(rng, 40)
    network = Network(
        [
            Embedding(5, 4, padding_id=0),
            LSTM(4, 6, return_sequences=True, mask_value=0.0),
            GRU(6, 5, return_sequences=True, bptt=3),
            SimpleRNN(5, 5, return_sequences=True, activation="relu"),
            Dense(5, 5, "softmax"),
        ],
        input_shape=(6,),
        seed=0,
    )
    network.fit(X, Y, optimizer="adam", learning_rate=0.01, epochs=2, batch_size=8)
    path = tmp_path / "rnn.safetensors"
    network.save(path, include_optimizer=True)
    loaded = glassnet.load(path)
    for name, value in network.get_weights().items():
        np.testing.assert_array_equal(loaded.get_weights()[name], value)
    np.testing.assert_array_equal(loaded.predict_output(X), network.predict_output(X))
    assert loaded.get_config() == network.get_config()
    summary = glassnet.io.inspect(path)
    assert summary["n_parameters"] == network.n_parameters
    assert summary["input_shape"] == [6] and summary["output_shape"] == [6, 5]
    # training continues exactly as if it had never stopped
    network.fit(X, Y, epochs=3, initial_epoch=2, batch_size=8, shuffle=False)
    loaded.fit(X, Y, epochs=3, initial_epoch=2, batch_size=8, shuffle=False)
    for name, value in network.get_weights().items():
        np.testing.assert_array_equal(loaded.get_weights()[name], value)


def test_summary_lists_recurrent_layers_with_their_shapes():
    network = Network(
        [Embedding(50, 8), LSTM(8, 16, return_sequences=True), GRU(16, 4), Dense(4, 2)],
        input_shape=(10,),
    )
    lines = network.summary().splitlines()
    assert "(10, 8)" in lines[2] and "400" in lines[2]
    assert lines[3].startswith("1: LSTM(n_in=8, n_hidden=16") and "(10, 16)" in lines[3]
    assert lines[3].rstrip().endswith(str(4 * 16 * (8 + 16 + 2)))
    assert "(4)" in lines[4] and lines[4].rstrip().endswith(str(3 * 4 * (16 + 4 + 2)))
    assert lines[-1].rstrip().endswith(str(network.n_parameters))
    assert "Network([Embedding, LSTM, GRU, Dense]" in repr(network)


def test_layer_specs_build_recurrent_networks():
    network = glassnet.build("gru:16:seq,rnn:8,dense:4", input_shape=(5, 3), n_out=2, seed=0)
    kinds = [type(layer).__name__ for layer in network.layers]
    assert kinds == ["GRU", "SimpleRNN", "Dense", "Dense"]
    assert network.layers[0].return_sequences and not network.layers[1].return_sequences
    assert glassnet.specs.spec_of(network) == "gru:16:seq,rnn:8,dense:4,dense:2"
    many = glassnet.build("lstm:6:seq", input_shape=(7, 3), n_out=4)
    assert many.output_shape == (7, 4)  # the output layer scores every step
    with pytest.raises(ValueError, match=r"item 2 'lstm:4': a recurrent layer reads sequences"):
        glassnet.build("lstm:8,lstm:4", input_shape=(5, 3), n_out=2)


def test_the_states_plot_shows_the_input_and_each_recurrent_layer(tmp_path):
    pytest.importorskip("matplotlib")
    network = Network(
        [LSTM(3, 70, return_sequences=True), GRU(70, 5), Dense(5, 2, "softmax")],
        input_shape=(9, 3),
        seed=0,
    )
    x = np.random.default_rng(0).normal(size=(9, 3))
    figure = glassnet.plots.hidden_states(network, x, tmp_path / "states.png")
    images = [ax.images[0].get_array() for ax in figure.axes if ax.images]
    assert [image.shape for image in images] == [(3, 9), (64, 9), (5, 9)]  # at most 64 units
    network.forward(x[None].astype(np.float32))
    np.testing.assert_allclose(images[2], network.layers[1].hidden_states[0, 1:].T, rtol=1e-6)
    assert (tmp_path / "states.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="this one has no recurrent layer"):
        glassnet.plots.hidden_states(Network([Dense(2, 2)]), [0.0, 1.0])


def test_fit_takes_one_weight_per_position_for_padded_sequences():
    rng = np.random.default_rng(4)
    X, Y = _echo_task(rng, 24)
    weights = np.ones(Y.shape)
    X[:12, 4:] = 0  # the first half of the sentences are 4 tokens long
    weights[:12, 4:] = 0
    network = Network(
        [
            Embedding(5, 4, padding_id=0),
            LSTM(4, 6, return_sequences=True, mask_value=0.0),
            Dense(6, 5, "softmax"),
        ],
        input_shape=(6,),
        seed=1,
    )
    expected, _ = network.loss_and_gradients(X, Y, loss="cross_entropy", sample_weight=weights)
    history = network.fit(
        X, Y, loss="cross_entropy", sample_weight=weights, epochs=1, batch_size=None,
        learning_rate=0.1,
    )  # fmt: skip
    assert history["loss"][0] == pytest.approx(expected, rel=1e-6)
    changed = Y.copy()
    changed[:12, 4:] = 3  # what padded positions are said to hold makes no difference
    again, _ = network.loss_and_gradients(X, changed, loss="cross_entropy", sample_weight=weights)
    before, _ = network.loss_and_gradients(X, Y, loss="cross_entropy", sample_weight=weights)
    assert again == pytest.approx(before, rel=1e-6)


# -- text ---------------------------------------------------------------------------------------


def test_a_vocabulary_turns_sentences_into_padded_token_ids():
    vocabulary = glassnet.preprocessing.Vocabulary().fit(["the cat sat", "The dog, the CAT!"])
    # 0 pads, 1 is unknown, then the words by frequency (ties alphabetically)
    assert vocabulary.words == ["<pad>", "<unknown>", "the", "cat", "dog", "sat"]
    ids = vocabulary.encode(["the cat", "a dog sat on the mat"], length=4)
    np.testing.assert_array_equal(ids, [[2, 3, 0, 0], [1, 4, 5, 1]])
    assert vocabulary.encode(["dog", "the cat sat"]).shape == (2, 3)
    assert vocabulary.decode(ids) == ["the cat", "<unknown> dog sat <unknown>"]
    assert vocabulary.tokens("Don't stop!") == ["don't", "stop"]
    with pytest.raises(TypeError, match="texts must be an iterable of strings, got a single"):
        vocabulary.encode("the cat")
    with pytest.raises(ValueError, match="length must be a positive integer, got 0"):
        vocabulary.encode(["the"], length=0)
    with pytest.raises(ValueError, match=r"ids must be token ids in \[0, 5\], got 0..6"):
        vocabulary.decode([[0, 6]])


def test_the_sentiment_sentences_are_balanced_and_their_words_are_known():
    train, test = glassnet.datasets.sentiment(), glassnet.datasets.sentiment("test")
    assert (len(train.texts), len(test.texts)) == (124, 58)
    assert train.label_names == ("negative", "positive")
    for split in (train, test):
        assert 0.4 < split.y.mean() < 0.6
    vocabulary = glassnet.preprocessing.Vocabulary().fit(train.texts)
    assert not (vocabulary.encode(test.texts) == vocabulary.UNKNOWN).any()
    assert not set(train.texts) & set(test.texts)
    # negation decides: "not" sentences carry the opposite label of their adjective's
    assert dict(zip(test.texts, test.y, strict=True))["the story was not dull"] == 1
    with pytest.raises(ValueError, match="split must be one of 'train', 'test'; got 'all'"):
        glassnet.datasets.sentiment("all")


def test_prediction_runs_in_chunks_that_count_the_steps_a_layer_keeps():
    network = Network([LSTM(8, 64), Dense(64, 3, "softmax")], input_shape=(40, 8), seed=0)
    # per sample the layer keeps 40 steps of inputs, 4 gates and its states, not just h_T
    assert network.layers[0].inference_values() == 64 + 40 * (9 + 4 * 64 + 5 * 64)
    chunks = network.inference_chunks(1500)
    assert len(chunks) > 1
    X = np.random.default_rng(0).normal(size=(1500, 40, 8))
    whole = network.predict_output(X)
    np.testing.assert_array_equal(whole[chunks[1]], network.predict_output(X[chunks[1]]))


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_reused_arrays_follow_any_mix_of_batch_sizes_and_lengths(cell):
    rng = np.random.default_rng(8)
    layer = CELLS[cell](3, 4, return_sequences=True)
    Network([layer], input_shape=(6, 3), dtype="float64", seed=2)
    for n_samples, n_steps in ((5, 6), (2, 6), (7, 3), (5, 6)):
        x = rng.normal(size=(n_samples, n_steps, 3))
        grad = rng.normal(size=(n_samples, n_steps, 4))
        output = layer.forward(x, training=True).copy()
        dx = layer.backward(grad).copy()
        expected = CELLS[cell](3, 4, return_sequences=True)  # the same weights, arrays unused
        Network([expected], input_shape=(n_steps, 3), dtype="float64", seed=2)
        np.testing.assert_array_equal(output, expected.forward(x, training=True))
        np.testing.assert_array_equal(dx, expected.backward(grad))
        for key, value in expected.grads.items():
            np.testing.assert_array_equal(layer.grads[key], value)
