"""Tests for glassnet.parallel: a batch split across threads gives the loss and gradients of
the whole batch, for every layer family, with sample weights, padding masks and dropout; fit
splits only where it pays and where the samples of a batch are independent."""

import threading

import numpy as np
import pytest

import glassnet
from glassnet import (
    GRU,
    LSTM,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    MaxPool2D,
    Network,
    losses,
    parallel,
)


def images(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 1, 8, 8)), rng.integers(0, 3, n)


def cnn(seed=0, dropout=0.0):
    layers = [Conv2D(1, 3, 3, activation="relu"), MaxPool2D(2), Flatten(), Dense(27, 5, "tanh")]
    layers += [Dropout(dropout)] if dropout else []
    return Network(
        [*layers, Dense(5, 3, "softmax")], input_shape=(1, 8, 8), seed=seed, dtype="float64"
    )


def lstm(seed=0):
    return Network(
        [LSTM(4, 6, return_sequences=True), GRU(6, 5), Dense(5, 3, "softmax")],
        input_shape=(7, 4),
        seed=seed,
        dtype="float64",
    )


def one_hot(labels, n=3):
    return np.eye(n)[labels]


def grads_of(network):
    return [grad.copy() for grad in network.gradients()]


def assert_sharded_matches_serial(make_network, X, Y, n_shards, weights=None):
    """A sharded step on one network against the loss step on an identical one: the same data
    loss and gradients; returns the sharded step's per-shard outputs and the serial network."""
    loss = losses.get("cross_entropy")
    serial = make_network()
    expected = serial.loss_step(X, Y, loss, training=True, sample_weight=weights).data_loss
    network = make_network()
    sharded = parallel.ShardedStep(network, n_shards)
    try:
        assert sharded(X, Y, loss, weights) == pytest.approx(expected, rel=1e-12)
    finally:
        sharded.close()
    for got, want in zip(grads_of(network), grads_of(serial), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    return sharded.outputs, serial


@pytest.mark.parametrize("n_shards", [2, 3, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_sharded_step_gives_the_whole_batch_loss_and_gradients(n_shards, weighted):
    X, labels = images()
    weights = np.random.default_rng(1).uniform(0.2, 3.0, len(X)) if weighted else None
    outputs, serial = assert_sharded_matches_serial(cnn, X, one_hot(labels), n_shards, weights)
    outputs = np.concatenate([a for a, _ in outputs])
    np.testing.assert_allclose(outputs, serial.output_layer.a, rtol=1e-12)


def test_a_shard_without_weight_adds_nothing_and_still_gives_its_outputs():
    X, labels = images()
    for zero in (slice(6, None), slice(None, 6)):  # the worker's shard, then the caller's
        weights = np.ones(len(X))
        weights[zero] = 0
        outputs, _ = assert_sharded_matches_serial(cnn, X, one_hot(labels), 2, weights)
        assert sum(len(a) for a, _ in outputs) == len(X)


def test_recurrent_shards_with_a_padding_mask_match_the_whole_batch():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(10, 7, 4))
    assert_sharded_matches_serial(lstm, X, one_hot(rng.integers(0, 3, 10)), 2)

    # many-to-many with one weight per position: zeros at padded steps
    tokens = rng.integers(1, 9, size=(10, 6))
    mask = (np.arange(6) < rng.integers(2, 7, 10)[:, None]).astype(float)
    targets = one_hot(rng.integers(0, 3, (10, 6)))

    def tagger():
        layers = [Embedding(9, 4), LSTM(4, 5, return_sequences=True), Dense(5, 3, "softmax")]
        return Network(layers, input_shape=(6,), seed=0, dtype="float64")

    assert_sharded_matches_serial(tagger, tokens, targets, 3, mask)


def test_replicas_share_the_parameters_and_keep_their_own_gradients():
    network = cnn()
    copy = parallel.replica(network)
    for (name, param, grad), (_, param_copy, grad_copy) in zip(
        network.named_parameters(), copy.named_parameters(), strict=True
    ):
        assert param_copy is param, name
        assert grad_copy is not grad and not np.shares_memory(grad_copy, grad), name


@pytest.fixture
def split_everything(monkeypatch):
    """Make fit split every batch in two, whatever the machine and the work (and whatever
    thread count an earlier test chose)."""
    monkeypatch.setattr(glassnet.threads, "_chosen", None)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    monkeypatch.setattr(parallel, "MIN_SHARD_WORK", 1)
    monkeypatch.setattr(parallel, "MIN_SHARD_SAMPLES", 1)


def fitted(network, X, y, **options):
    network.fit(X, y, optimizer="adam", epochs=3, batch_size=6, seed=0, **options)
    return network


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_fit_with_split_batches_trains_as_one_thread_does(split_everything, monkeypatch, dropout):
    # Dropout's masks are drawn for the whole batch, as one thread draws them, so the runs
    # differ only by the rounding of the shards' sums.
    X, y = images(24)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 1)
    serial = fitted(cnn(dropout=dropout), X, y, validation_split=0.25)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    threads_before = threading.active_count()
    network = cnn(dropout=dropout)
    assert glassnet.threads.training_shards(network, 6) == 2
    fitted(network, X, y, validation_split=0.25)
    assert threading.active_count() == threads_before  # the worker threads are gone
    for (name, got), want in zip(
        network.get_weights().items(), serial.get_weights().values(), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=name)
    for key in ("loss", "accuracy", "val_loss"):
        np.testing.assert_allclose(network.history[key], serial.history[key], rtol=1e-9)
    if dropout:  # the generators drew the same numbers
        assert network.layers[4].get_random_state() == serial.layers[4].get_random_state()


def test_a_split_run_is_repeatable_bit_for_bit(split_everything):
    X, y = images(24)
    first, second = fitted(cnn(dropout=0.3), X, y), fitted(cnn(dropout=0.3), X, y)
    for (name, a), b in zip(
        first.get_weights().items(), second.get_weights().values(), strict=True
    ):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_weight_decay_is_added_once_to_split_gradients(split_everything, monkeypatch):
    X, y = images(24)
    split = fitted(cnn(), X, y, weight_decay=0.05)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 1)
    serial = fitted(cnn(), X, y, weight_decay=0.05)
    for (name, got), want in zip(
        split.get_weights().items(), serial.get_weights().values(), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(split.history["penalty"], serial.history["penalty"], rtol=1e-9)


def test_layers_whose_samples_meet_keep_the_batch_whole(split_everything):
    with_norm = Network(
        [Dense(4, 8, "relu"), BatchNorm(), Dense(8, 2, "softmax")], input_shape=(4,), seed=0
    )
    assert parallel.shard_count(with_norm, 64) == 1
    stateful = Network([LSTM(3, 4, stateful=True), Dense(4, 1)], input_shape=(5, 3), seed=0)
    assert parallel.shard_count(stateful, 64) == 1
    with_state = Network([LSTM(3, 4), Dense(4, 1)], input_shape=(5, 3), seed=0)
    assert parallel.shard_count(with_state, 64) == 2
    with_state.layers[0].initial_state = (np.zeros((64, 4)), np.zeros((64, 4)))
    assert parallel.shard_count(with_state, 64) == 1


def test_shards_are_sized_by_work_and_cores(monkeypatch):
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    tutorial = Network([Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")], seed=0)
    assert parallel.shard_count(tutorial, 32) == 1  # far too little work to hand over
    dense = Network([Dense(784, 256, "relu"), Dropout(0.2), Dense(256, 10, "softmax")])
    assert parallel.shard_count(dense, 4096) == 1  # BLAS's own threads split its products
    convolutional = glassnet.build(
        "conv:16:3,maxpool:2,conv:32:3,maxpool:2,dense:128", input_shape=(1, 28, 28), n_out=10
    )
    assert parallel.shard_count(convolutional, 64) == 2
    assert parallel.shard_count(convolutional, 64, cores=1) == 1
    assert parallel.shard_count(convolutional, 2 * parallel.MIN_SHARD_SAMPLES - 1) == 1
    # a user's own thread count means one thread runs the steps
    monkeypatch.setattr(glassnet.threads, "_chosen", 1)
    assert glassnet.threads.training_shards(convolutional, 64) == 1


def test_an_error_in_a_worker_reaches_the_caller():
    worker = parallel.Worker()
    try:
        worker.start_job(lambda: 1 / 0, ())
        with pytest.raises(ZeroDivisionError):
            worker.result()
        worker.start_job(lambda a, b: a + b, (2, 3))
        assert worker.result() == 5
    finally:
        worker.stop()


def test_a_worker_stopped_before_its_result_is_read_ends_cleanly():
    # As when the caller is interrupted mid-step: the job runs out, then the thread ends.
    worker = parallel.Worker()
    started = threading.Event()
    worker.start_job(lambda: started.wait(1) and 7, ())
    started.set()
    worker.stop()
    assert not worker._thread.is_alive()


@pytest.mark.parametrize("failing", ["worker", "caller"])
def test_an_error_in_a_shard_reaches_fit_and_the_threads_end(
    split_everything, monkeypatch, failing
):
    step = Network.loss_step

    def failing_step(self, *args, **kwargs):
        on_main = threading.current_thread() is threading.main_thread()
        if on_main == (failing == "caller"):
            raise RuntimeError("the shard failed")
        return step(self, *args, **kwargs)

    monkeypatch.setattr(Network, "loss_step", failing_step)
    X, y = images(24)
    threads_before = threading.active_count()
    network = cnn(dropout=0.3)
    with pytest.raises(RuntimeError, match="the shard failed"):
        fitted(network, X, y)
    assert threading.active_count() == threads_before
    assert network.layers[4].next_mask is None  # no mask left for a later forward
