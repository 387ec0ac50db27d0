"""The NumPy floor: the benchmark's MLP work as the shortest plain NumPy program.

The same network (ReLU hidden layers, a softmax output with cross-entropy), the same plain SGD,
the same shuffled mini-batches and per-batch loss as glassnet's ``fit``, written without
checks, classes, callbacks or history: every buffer is made once, every product writes into
it, and the weights are column-major so that the large products run untransposed in BLAS.

It is a peer in the benchmark, not a library: glassnet's time over the floor's is what
glassnet's structure costs, and the floor's time over torch's is the best that NumPy and its
BLAS allow on the machine.
"""

from __future__ import annotations

import itertools

import numpy as np


class NumpyMLP:
    """An MLP of the given layer ``sizes``, He-initialised, float32."""

    def __init__(self, sizes, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.weights = [
            np.asfortranarray(
                rng.standard_normal((n_out, n_in), dtype=np.float32) * np.float32(np.sqrt(2 / n_in))
            )
            for n_in, n_out in itertools.pairwise(sizes)
        ]
        self.biases = [np.zeros(n_out, dtype=np.float32) for n_out in sizes[1:]]
        self.sizes = tuple(sizes)

    def train_epoch(self, X, Y, batch_size: int, learning_rate: float, rng) -> float:
        """One epoch of SGD over ``X (n, n_in)`` and one-hot ``Y (n, n_classes)`` in a fresh
        random order; returns the mean training loss."""
        n_samples, sizes = len(X), self.sizes
        x_batch = np.empty((batch_size, sizes[0]), dtype=np.float32)
        y_batch = np.empty((batch_size, sizes[-1]), dtype=np.float32)
        outputs = [np.empty((batch_size, n), dtype=np.float32) for n in sizes[1:]]
        residuals = [np.empty((batch_size, n), dtype=np.float32) for n in sizes[1:-1]]
        weight_grads = [np.empty_like(w) for w in self.weights]  # column-major, as the weights
        bias_grads = [np.empty_like(b) for b in self.biases]
        params = [*self.weights, *self.biases]
        grads = [*weight_grads, *bias_grads]
        last = len(self.weights) - 1
        order = rng.permutation(n_samples)
        total_loss = 0.0
        for start in range(0, n_samples, batch_size):
            indices = order[start : start + batch_size]
            m = len(indices)
            x = X.take(indices, axis=0, out=x_batch[:m], mode="clip")
            y = Y.take(indices, axis=0, out=y_batch[:m], mode="clip")
            # forward: a = relu(a W^T + b), the last layer's logits kept as they are
            inputs = [x]
            for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
                z = np.matmul(inputs[-1], w.T, out=outputs[layer][:m])
                z += b
                if layer < last:
                    np.maximum(z, 0, out=z)
                inputs.append(z)
            # softmax and cross-entropy: J = 1/m sum_i (log s_i - (z_iy - max_i))
            z = inputs.pop()
            z -= np.ascontiguousarray(z.T).max(axis=0)[:, None]
            picked = np.vdot(y, z)
            np.exp(z, out=z)
            sums = np.ascontiguousarray(z.T).sum(axis=0)
            total_loss += float(np.log(sums).sum() - picked)
            z /= sums[:, None]
            delta = np.subtract(z, y, out=z)
            delta *= 1 / m
            # backward and the SGD update
            for layer in range(last, -1, -1):
                a = inputs[layer]
                np.matmul(a.T, delta, out=weight_grads[layer].T)
                np.add.reduce(delta, axis=0, out=bias_grads[layer])
                if layer > 0:
                    delta = np.matmul(delta, self.weights[layer], out=residuals[layer - 1][:m])
                    np.multiply(delta, a > 0, out=delta)
            for param, grad in zip(params, grads, strict=True):
                grad *= learning_rate
                param -= grad
        return total_loss / n_samples

    def predict(self, X) -> np.ndarray:
        """The class index of each row of ``X``: the argmax of the logits."""
        a = X
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            a = np.matmul(a, w.T)
            a += b
            if layer < len(self.weights) - 1:
                np.maximum(a, 0, out=a)
        return np.ascontiguousarray(a.T).argmax(axis=0)
