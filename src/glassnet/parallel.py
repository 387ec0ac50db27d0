"""Data-parallel training steps: each batch split across threads, the gradients combined.

NumPy lets go of Python's global lock inside BLAS products and most element-wise loops, so two
threads can run the forward and backward passes of two halves of a batch at once, each on one
core. The objective of a batch is a weighted mean over its samples, so with shards ``k`` of
``m_k`` of the batch's ``m`` rows (or of its sample weights), the batch's loss and gradients
are the shards' own, weighted::

    J = sum_k (m_k / m) J_k        dJ/dW = sum_k (m_k / m) dJ_k/dW

The shards run on *replicas* of the network: copies that share its parameter arrays (so every
optimizer step reaches them) but keep their own gradients and working buffers. Dropout's masks
are drawn for the whole batch from the network's own generators, as one thread would draw
them, and each shard takes its rows: a sharded step draws the same random numbers as an
unsharded one, so seeded runs and resumed runs stay exact, and the results differ from one
thread's only by the rounding of the sums above.

A layer whose samples meet inside the batch (batch norm's batch statistics, a stateful
recurrent layer's carried rows: ``Layer.couples_samples``) keeps the whole batch on one thread.
"""

from __future__ import annotations

import copy
import itertools
import os
import threading

import numpy as np

from glassnet.layers import Dense, Dropout

#: Shards smaller than this (in multiply-adds, or in samples) lose more to the threads waiting
#: for each other than they gain: measured on 2 cores, the CNN of benchmarks/bench_cnn.py at
#: batch 64 (2 shards of 32) trains 1.15x faster, the row-by-row MNIST LSTM at batch 64 1.15x,
#: while an LSTM over 50 steps at batch 32 (shards of 16) ran 0.73x as fast.
MIN_SHARD_WORK = 20_000_000
MIN_SHARD_SAMPLES = 32


def usable_cores() -> int:
    """The number of CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def shard_count(network, batch_size: int, cores: int | None = None) -> int:
    """How many threads a training step of ``batch_size`` samples is split across: one per
    usable core, as long as each shard keeps ``MIN_SHARD_SAMPLES`` samples and
    ``MIN_SHARD_WORK`` multiply-adds.

    1 when a layer couples the samples of a batch, and for a network of dense layers: its step
    is a few large products, which BLAS's own threads split better (glassnet.threads), while
    convolutions, pools and recurrent steps add passes over memory that only a thread running
    its own shard can take over."""
    layers = network.layers
    if any(layer.couples_samples for layer in layers) or all(
        isinstance(layer, (Dense, Dropout)) for layer in layers
    ):
        return 1
    cores = usable_cores() if cores is None else cores
    work = batch_size * sum(layer.multiply_adds_per_sample() for layer in network.layers)
    return max(1, min(cores, batch_size // MIN_SHARD_SAMPLES, work // MIN_SHARD_WORK))


def replica(network):
    """A copy of ``network`` that shares its parameters and state arrays but has its own
    gradients, buffers and everything a forward pass keeps."""
    shared = {id(array): array for array in network.parameters()}
    shared.update((id(array), array) for _, array in network.named_state())
    for name in ("optimizer", "history", "loss", "scaler", "training_state", "classes"):
        value = getattr(network, name)
        shared[id(value)] = value
    return copy.deepcopy(network, shared)


class ShardedStep:
    """``Network.loss_step`` in training mode, with each batch split into ``n_shards`` runs of
    consecutive rows, the first on the calling thread, the others on worker threads.

    After a call the network's gradients hold the whole batch's (without the penalty, which the
    caller adds once), and ``outputs`` holds ``(a, rows)`` for each shard: the output layer's
    activations and the slice of the batch they belong to, for the training metrics.
    """

    def __init__(self, network, n_shards: int):
        self.network = network
        self.replicas = [network, *(replica(network) for _ in range(n_shards - 1))]
        # Each replica's gradient arrays: every backward refills them in place.
        self.gradients = [each.gradients() for each in self.replicas]
        self.workers = [Worker() for _ in range(n_shards - 1)]
        self.dropouts = [
            index
            for index, layer in enumerate(network.layers)
            if isinstance(layer, Dropout) and layer.rate > 0
        ]
        self.outputs: list[tuple[np.ndarray, slice]] = []

    def close(self) -> None:
        """Stop the worker threads."""
        for worker in self.workers:
            worker.stop()

    def __call__(self, X, Y, loss, sample_weight=None) -> float:
        """Run the batch ``(X, Y)`` and return its data loss ``J = sum_k (m_k / m) J_k``."""
        n_samples, n_shards = len(X), len(self.replicas)
        bounds = [round(k * n_samples / n_shards) for k in range(n_shards + 1)]
        shards = [slice(start, stop) for start, stop in itertools.pairwise(bounds)]
        if sample_weight is None:
            masses = [rows.stop - rows.start for rows in shards]
            weights = [None] * n_shards
        else:
            weights = [sample_weight[rows] for rows in shards]
            masses = [float(np.add.reduce(shard, axis=None)) for shard in weights]
        total = sum(masses)
        jobs = [
            (loss, network, gradients, X[rows], Y[rows], shard_weights, mass / total)
            for network, gradients, rows, shard_weights, mass in zip(
                self.replicas, self.gradients, shards, weights, masses, strict=True
            )
        ]
        self._hand_out_masks(shards)
        try:
            for worker, job in zip(self.workers, jobs[1:], strict=True):
                worker.start_job(_shard_step, job)
            data_loss = _shard_step(*jobs[0])
            for worker in self.workers:
                data_loss += worker.result()
        finally:  # a step cut short leaves no mask behind for a later forward
            for network in self.replicas:
                for index in self.dropouts:
                    network.layers[index].next_mask = None
        for position, grad in enumerate(self.gradients[0]):
            for gradients in self.gradients[1:]:
                grad += gradients[position]
        self.outputs = [
            (network.output_layer.a, rows)
            for network, rows in zip(self.replicas, shards, strict=True)
        ]
        return data_loss

    def _hand_out_masks(self, shards: list[slice]) -> None:
        """Draw each dropout layer's mask for the whole batch from the network's generator, as
        one thread would, and give each replica its shard's rows."""
        for index in self.dropouts:
            layer = self.network.layers[index]
            masks = layer.draw_mask((shards[-1].stop, *layer.input_shape))
            for network, rows in zip(self.replicas, shards, strict=True):
                network.layers[index].next_mask = masks[rows]


def _shard_step(loss, network, gradients, X, Y, sample_weight, share) -> float:
    """One shard's loss step, its gradients and loss weighted by ``share = m_k / m`` (a shard's
    J_k and gradients are means over its own rows; so weighted they add up to the batch's). A
    shard without weight only runs forward, for the metrics, and adds zero gradients."""
    with np.errstate(over="ignore", invalid="ignore"):  # NumPy's state is per thread
        if not share:
            network.forward(X, training=True)
            for grad in gradients:
                grad[...] = 0
            return 0.0
        result = network.loss_step(X, Y, loss, training=True, sample_weight=sample_weight)
        for grad in gradients:
            grad *= share
        return result.data_loss * share


class Worker:
    """A thread that runs one job at a time, handed over through two locks (a hand-over costs
    a few microseconds, where an executor's futures cost tens)."""

    def __init__(self):
        self._job_ready, self._job_done = threading.Lock(), threading.Lock()
        self._job_ready.acquire()
        self._job_done.acquire()
        self._job = self._result = None
        self._busy = False
        self._thread = threading.Thread(target=self._serve, name="glassnet-shard", daemon=True)
        self._thread.start()

    def start_job(self, function, args) -> None:
        """Start ``function(*args)`` on the thread."""
        self._job, self._busy = (function, args), True
        self._job_ready.release()

    def result(self):
        """Wait for the job and return its result (or raise its exception)."""
        self._job_done.acquire()
        result, self._result, self._busy = self._result, None, False
        if isinstance(result, BaseException):
            raise result
        return result

    def stop(self) -> None:
        """End the thread, after the job it runs (whose result nobody reads any more, as when
        the caller was interrupted)."""
        if self._busy:
            self._job_done.acquire()
        self._job = None
        self._job_ready.release()
        self._thread.join()

    def _serve(self) -> None:
        while True:
            self._job_ready.acquire()
            if self._job is None:
                return
            function, args = self._job
            try:
                self._result = function(*args)
            except BaseException as error:  # handed to the waiting thread, which raises it
                self._result = error
            self._job_done.release()
