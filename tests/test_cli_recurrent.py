"""The command line with recurrent networks: train on sequences, inspect, explain, plot states."""

import numpy as np
import pytest
from test_cli import assert_png, glassnet, onnx_outputs, succeeded, write_csv

import glassnet as library

N_STEPS, N_FEATURES = 6, 2


@pytest.fixture(scope="module")
def sequences(tmp_path_factory):
    """A CSV of 6-step sequences of 2 features, flattened step by step; the label says whether
    the first feature sums to more than zero over the steps."""
    folder = tmp_path_factory.mktemp("sequences")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, N_STEPS, N_FEATURES))
    labels = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    header = [f"x{t}_{k}" for t in range(N_STEPS) for k in range(N_FEATURES)] + ["label"]
    rows = [[*(f"{v:.5f}" for v in x.ravel()), label] for x, label in zip(X, labels, strict=True)]
    write_csv(folder / "seq.csv", header, rows)
    return folder


@pytest.mark.parametrize("item", ["rnn:8", "lstm:8", "gru:8"])
def test_train_a_recurrent_network_on_sequence_rows(sequences, item):
    cell = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}[item.split(":")[0]]
    model = f"{item.split(':')[0]}.st"
    result = succeeded(
        glassnet(
            "train", "seq.csv", "--target", "label", "--input-shape", "6,2", "--layers", item,
            "--epochs", "40", "--learning-rate", "0.02", "--out", model, cwd=sequences,
        )
    )  # fmt: skip
    assert f"6x2 {item},dense:1 network" in result.stderr
    validation = float(result.stdout.split("accuracy")[1].split()[3])
    assert validation >= 0.85
    inspected = succeeded(glassnet("inspect", model, cwd=sequences)).stdout
    assert cell in inspected and "(6, 2) → (8)" in inspected
    assert "Inputs read as samples of shape (6, 2)" in inspected


def test_explain_and_plot_the_states_of_a_recurrent_model(sequences):
    succeeded(
        glassnet(
            "train", "seq.csv", "--target", "label", "--input-shape", "6,2",
            "--layers", "gru:4:seq,lstm:3", "--epochs", "2", "--out", "stack.st", cwd=sequences,
        )
    )  # fmt: skip
    values = ",".join(str(v) for v in np.linspace(-1, 1, N_STEPS * N_FEATURES).round(3))
    trace = succeeded(glassnet("explain", "stack.st", "--input", values, cwd=sequences)).stdout
    assert "x = the sample as given = [[-1, -0.818]" in trace  # scaled once, by explain
    for line in (
        "r^(2)_1 = sigmoid(Wx_r^(1) x_1 + bx_r^(1) + Wh_r^(1) h^(2)_0 + bh_r^(1))",
        "c^(3)_6 = f^(3)_6 * c^(3)_5 + i^(3)_6 * g^(3)_6",
        "dL/dh^(3)_6 = W^(3)T delta^(4)",
        "dL/dWh^(2) from step 1 = delta^(3)_1 h^(3)_0T",
        "dL/dh^(2)_6 = (Wx^(2)T delta^(3))_6",
    ):
        assert line in trace
    succeeded(
        glassnet("plot", "stack.st", "--kind", "states", "--data", "seq.csv", "--input", "3",
                 cwd=sequences)
    )  # fmt: skip
    assert_png(sequences / "stack.states.png")


def test_export_a_stacked_lstm_to_onnx(sequences):
    pytest.importorskip("onnx")
    succeeded(
        glassnet(
            "train", "seq.csv", "--target", "label", "--input-shape", "6,2",
            "--layers", "lstm:5:seq,lstm:4", "--epochs", "3", "--out", "lstm.st", cwd=sequences,
        )
    )  # fmt: skip
    exported = succeeded(glassnet("export", "lstm.st", "--onnx", "lstm.onnx", cwd=sequences))
    assert "Its input X: float32 (n_samples, 6, 2)" in exported.stdout
    X = np.random.default_rng(1).normal(size=(50, N_STEPS, N_FEATURES)).astype(np.float32)
    outputs = onnx_outputs(sequences / "lstm.onnx", X)
    network = library.load(sequences / "lstm.st")
    np.testing.assert_array_almost_equal(outputs["probabilities"], network.predict_proba(X), 5)
    assert outputs["label"].tolist() == network.predict(X).tolist()


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["train", "seq.csv", "-t", "label", "--layers", "lstm:8", "-o", "x.st"], 2,
         "a recurrent layer reads sequences of shape (time, features), but receives samples "
         "of shape (12,)"),
        (["train", "seq.csv", "-t", "label", "--input-shape", "6,2", "--layers", "lstm:8:all",
          "-o", "x.st"], 2, "the last field must be 'seq' or nothing, got 'all'"),
        (["plot", "dense.st", "--kind", "states", "--data", "seq.csv", "--input", "1"], 1,
         "hidden_states draws recurrent networks; this one has no recurrent layer"),
        (["plot", "dense.st", "--kind", "states"], 2,
         "--kind states needs its sample: --data DATA.csv or --dataset NAME, and --input ROW"),
    ],
)  # fmt: skip
def test_recurrent_mistakes_are_one_line(sequences, args, status, message):
    if not (sequences / "dense.st").exists():
        succeeded(
            glassnet("train", "seq.csv", "-t", "label", "--epochs", "1", "-o", "dense.st",
                     cwd=sequences)
        )  # fmt: skip
    result = glassnet(*args, cwd=sequences)
    assert result.returncode == status
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glassnet: error: ") and message in lines[0]
    assert not (sequences / "x.st").exists()
