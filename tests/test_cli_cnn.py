"""The command line with images: train a CNN from a layer spec, inspect, explain, evaluate and
draw it, and the mistakes it reports."""

import json

import numpy as np
import pytest
from test_cli import ENV, assert_png, glassnet, onnx_outputs, succeeded, write_csv

import glassnet as library

SPEC = "conv:4:3:1:same,maxpool:2,batchnorm,conv:6:3,dense:12"


def bars_rows(n_rows, seed, scale):
    """Rows of 64 pixels (8x8 images of a horizontal or vertical bar) and a label column."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n_rows)
    images = rng.uniform(0, 0.3, (n_rows, 8, 8))
    where = rng.integers(1, 7, n_rows)
    for image, label, place in zip(images, labels, where, strict=True):
        if label == 0:
            image[place, :] = 1
        else:
            image[:, place] = 1
    pixels = np.round(images * scale, 3).reshape(n_rows, 64)
    return [
        [*map(str, row), "horizontal" if label == 0 else "vertical"]
        for row, label in zip(pixels.tolist(), labels, strict=True)
    ]


def train_cnn(folder, data, out, *options):
    """Train the CNN of ``SPEC`` on the bar images of ``data`` with the command."""
    return glassnet(
        *("train", data, "--target", "shape", "--input-shape", "1,8,8", "--layers", SPEC),
        *("--optimizer", "adam", "--learning-rate", "0.01", "--epochs", "8", "--seed", "0"),
        *options,
        *("--out", out),
        cwd=folder,
    )


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """``bars.csv`` (0-255 pixels), ``bars01.csv`` (the same images in 0-1) and a CNN
    trained on the first by the command itself."""
    folder = tmp_path_factory.mktemp("bars")
    header = [f"pixel{i}" for i in range(64)] + ["shape"]
    write_csv(folder / "bars.csv", header, bars_rows(240, 0, 255))
    write_csv(folder / "bars01.csv", header, bars_rows(240, 0, 1))
    succeeded(train_cnn(folder, "bars.csv", "bars.st"))
    return folder


def test_train_builds_the_cnn_of_the_spec_and_inspect_shows_its_layers(images):
    text = succeeded(glassnet("inspect", "bars.st", cwd=images)).stdout
    assert "network 1x8x8 conv:4:3:1:same,maxpool:2,batchnorm,conv:6:3,flatten,dense:12," in text
    for expected in (
        "Conv2D",
        "(1, 8, 8) → (4, 8, 8)",
        "MaxPool2D",
        "(4, 8, 8) → (4, 4, 4)",
        "BatchNorm",
        "(6, 2, 2) → (24)",
        "24 → 12",
        "kernel_size 3, stride 1, padding same, relu",
        "Inputs read as samples of shape (1, 8, 8)",
        "Preprocessing: inputs standardised by one mean and scale",
    ):
        assert expected in text
    summary = json.loads(succeeded(glassnet("inspect", "bars.st", "--json", cwd=images)).stdout)
    assert summary["input_shape"] == [1, 8, 8]
    types = [layer["type"] for layer in summary["config"]["layers"]]
    assert types == ["Conv2D", "MaxPool2D", "BatchNorm", "Conv2D", "Flatten", "Dense", "Dense"]


@pytest.mark.parametrize("data", ["bars.csv", "bars01.csv"])
def test_pixels_in_0_255_or_0_1_train_alike(images, data):
    out = f"{data}.st"
    succeeded(train_cnn(images, data, out, "--quiet"))
    result = json.loads(succeeded(glassnet("evaluate", out, data, "--json", cwd=images)).stdout)
    assert result["accuracy"] > 0.95


def test_explain_and_predict_read_image_rows(images):
    row = (images / "bars.csv").read_text().splitlines()[1].split(",")
    text = succeeded(
        glassnet("explain", "bars.st", "--input", ",".join(row[:64]), cwd=images)
    ).stdout
    assert "a^(2) = relu(W^(1) conv a^(1) + b^(1)), 4 filters of 3x3" in text
    assert "<4x8x8 values" in text and "dL/dW^(1)" in text and "dL/dgamma^(3)" in text
    predictions = succeeded(glassnet("predict", "bars.st", "bars.csv", cwd=images)).stdout
    assert len(predictions.splitlines()) == 241


def test_export_a_cnn_to_onnx_that_reads_images_of_the_input_shape(images):
    pytest.importorskip("onnx")
    exported = succeeded(glassnet("export", "bars.st", "--onnx", "bars.onnx", cwd=images))
    assert "Its input X: float32 (n_samples, 1, 8, 8)" in exported.stdout
    lines = (images / "bars.csv").read_text().splitlines()[1:]
    rows = np.array([line.split(",")[:64] for line in lines], dtype=np.float32)
    outputs = onnx_outputs(images / "bars.onnx", rows.reshape(-1, 1, 8, 8))
    network = library.load(images / "bars.st")  # predict reads the rows as they are
    np.testing.assert_array_almost_equal(
        outputs["probabilities"], network.predict_proba(rows), decimal=5
    )
    assert outputs["label"].tolist() == network.predict(rows).tolist()
    assert set(outputs["label"].tolist()) == {"horizontal", "vertical"}


def test_plot_filters_and_feature_maps(images):
    succeeded(glassnet("plot", "bars.st", "--kind", "filters", cwd=images))
    assert_png(images / "bars.filters.png")
    succeeded(
        glassnet(
            "plot",
            "bars.st",
            "--kind",
            "activations",
            "--data",
            "bars.csv",
            "--input",
            "5",
            "--out",
            "maps.png",
            cwd=images,
        )
    )
    assert_png(images / "maps.png")


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (
            ["--input-shape", "1,8,9", "--layers", SPEC],
            2,
            "'--input-shape': 1x8x9 = 72 values per image, but the data has 64 feature columns",
        ),
        (["--input-shape", "1,x,8"], 2, "expected sizes separated by commas"),
        (
            ["--input-shape", "1,8,8", "--layers", "conv:4:9"],
            2,
            "layer spec item 1 'conv:4:9': Conv2D's 9x9 window is larger than its input image",
        ),
        (
            ["--input-shape", "1,8,8", "--layers", "conv:4"],
            2,
            "expected conv:FILTERS:KERNEL[:STRIDE[:PADDING]], got 1 field(s)",
        ),
        (["--layers", "conv:4:3"], 2, "Conv2D expects images of shape (channels, height, "),
        (
            ["--input-shape", "1,8,8", "--layers", "dense:4", "--hidden", "4"],
            2,
            "give --layers or --hidden, not both",
        ),
    ],
)
def test_mistakes_with_images_give_one_line(images, args, status, message):
    result = glassnet(
        "train",
        "bars.csv",
        "--target",
        "shape",
        "--epochs",
        "1",
        *args,
        "--out",
        "no.st",
        cwd=images,
    )
    assert result.returncode == status, result.stderr
    assert result.stderr.startswith("glassnet: error: ") and len(result.stderr.splitlines()) == 1
    assert message in result.stderr
    assert not (images / "no.st").exists()


def test_plots_of_a_cnn_need_a_cnn(images, tmp_path):
    write_csv(tmp_path / "xy.csv", ["a", "b", "y"], [[i, i % 3, i % 2] for i in range(30)])
    succeeded(
        glassnet(
            "train", "xy.csv", "-t", "y", "--epochs", "2", "--quiet", "--out", "xy.st", cwd=tmp_path
        )
    )
    result = glassnet("plot", "xy.st", "--kind", "filters", cwd=tmp_path)
    assert result.returncode == 1
    assert "the network has no Conv2D layer to draw" in result.stderr
    assert ENV["COLUMNS"] == "160"  # the tables above were read on one line each


def test_plot_activations_needs_a_row_of_the_data(images):
    result = glassnet("plot", "bars.st", "--kind", "activations", "--data", "bars.csv",
                      "--input", "241", cwd=images)  # fmt: skip
    assert result.returncode == 2
    assert "'--input': bars.csv has 240 rows, got row 241" in result.stderr
    result = glassnet("plot", "bars.st", "--kind", "activations", cwd=images)
    assert result.returncode == 2
    assert "--kind activations needs its sample: --data DATA.csv or --dataset NAME" in result.stderr
