"""examples/mnist_cnn.py, run as it is on small MNIST-format IDX files written here."""

import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mnist_cnn.py"


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file of unsigned bytes, as MNIST's (type code 0x08)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def digits_like(n_images: int, seed: int, size: int = 12):
    """Grey 0-255 images of ten classes, each a bright square at its own place, on noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n_images)
    images = rng.integers(0, 60, (n_images, size, size))
    for digit in range(10):
        row, column = divmod(digit, 4)
        top, left = 1 + 3 * row, 1 + 3 * column
        images[labels == digit, top : top + 2, left : left + 2] = 255
    return images, labels


@pytest.fixture
def mnist_folder(tmp_path):
    for prefix, n_images, seed in (("train", 500, 0), ("t10k", 100, 1)):
        images, labels = digits_like(n_images, seed)
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", images)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", labels)
    return tmp_path


def test_the_example_trains_a_cnn_on_idx_files(mnist_folder, capsys):
    spec = importlib.util.spec_from_file_location("mnist_cnn", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    accuracy = example.main(
        [
            str(mnist_folder),
            "--epochs",
            "4",
            "--learning-rate",
            "0.01",
            "--layers",
            "conv:8:3,maxpool:2,dense:32",
        ]
    )
    output = capsys.readouterr().out
    assert "500 training and 100 test digits of 12x12" in output
    assert "Conv2D" in output and "(10)" in output  # the summary, down to the 10 outputs
    assert f"test accuracy {accuracy:.4f}" in output
    assert accuracy > 0.9  # chance is 0.1
