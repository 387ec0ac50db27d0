"""The shape of the training step's cost (never a wall time; speed lives in benchmarks/).

After the first epoch a step reuses its buffers and updates parameters in place: memory does
not grow from epoch to epoch, and no step allocates anything as large as a weight matrix or
the dataset.
"""

import tracemalloc

import numpy as np
import pytest

import glassnet
from glassnet import Dense, Network


class MemoryProbe(glassnet.Callback):
    """Record traced memory at each epoch's start, and the peak within the epoch."""

    def __init__(self):
        self.start, self.peak_above_start = [], []

    def on_epoch_begin(self, trainer, epoch):
        tracemalloc.reset_peak()
        self.start.append(tracemalloc.get_traced_memory()[0])

    def on_epoch_end(self, trainer, epoch, logs):
        self.peak_above_start.append(tracemalloc.get_traced_memory()[1] - self.start[-1])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_training_memory_is_flat_and_small(optimizer):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2048, 256), dtype=np.float32)
    y = rng.integers(0, 10, 2048)
    network = Network([Dense(256, 512, "relu"), Dense(512, 10, "softmax")], seed=0)
    weight_bytes = network.layers[0].W.nbytes  # 512 KiB
    probe = MemoryProbe()
    tracemalloc.start()
    try:
        network.fit(
            X, y, optimizer=optimizer, epochs=6, batch_size=32, metrics=(), callbacks=[probe]
        )
    finally:
        tracemalloc.stop()
    # No growth from epoch to epoch once buffers and optimizer state exist (history lists
    # grow by a few floats an epoch).
    assert max(probe.start[2:]) - min(probe.start[2:]) < 4096, probe.start
    # Within an epoch nothing as large as a weight matrix is allocated: batch-sized
    # temporaries only (a 32 x 512 float32 activation is 64 KiB).
    assert max(probe.peak_above_start[1:]) < weight_bytes / 2, probe.peak_above_start


def test_gathering_batches_never_copies_the_dataset():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20000, 64), dtype=np.float32)  # 5 MiB
    y = rng.integers(0, 2, 20000)
    network = Network([Dense(64, 8, "relu"), Dense(8, 2, "softmax")], seed=0)
    probe = MemoryProbe()
    tracemalloc.start()
    try:
        network.fit(X, y, epochs=3, batch_size=64, metrics=(), callbacks=[probe])
    finally:
        tracemalloc.stop()
    assert max(probe.peak_above_start) < X.nbytes / 20, probe.peak_above_start
