"""End-to-end tests of the ``glassnet`` command: the real program, run in a subprocess.

Every user mistake must give one line on stderr naming the problem, a non-zero exit status
(2 for the command line, 1 for data and model files), no traceback and no output file left.
"""

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from glassnet import safetensors
from glassnet.datasets import GENDER_TABLE

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Warnings are errors in the command too; a wide terminal keeps rich tables on one line each.
ENV = {**os.environ, "PYTHONWARNINGS": "error", "COLUMNS": "160", "NO_COLOR": "1"}


def glassnet(*args, cwd, timeout=120) -> subprocess.CompletedProcess:
    """Run ``python -m glassnet ARGS`` in ``cwd`` and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "glassnet", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )


def succeeded(result) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def write_csv(path, header, rows) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def onnx_outputs(path, X) -> dict:
    """The ONNX model at ``path`` run by onnxruntime on ``X``: its outputs by name."""
    onnxruntime = pytest.importorskip("onnxruntime")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, {"X": X}), strict=True))


def assert_png(path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 5_000


def leftovers(folder) -> list[str]:
    """Temporary files an atomic write would leave if it went wrong."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``pets.csv`` (two well separated classes, 'cat' and 'dog', features on different
    scales) and ``pets.safetensors`` trained on it by the command itself."""
    folder = tmp_path_factory.mktemp("pets")
    rng = np.random.default_rng(0)
    n_rows = 160
    is_dog = np.arange(n_rows) % 2 == 1
    weight = np.where(is_dog, 30.0, 4.0) + rng.normal(0, 3, n_rows)
    ears = np.where(is_dog, 1.0, -1.0) + rng.normal(0, 0.3, n_rows)
    rows = [
        [f"{w:.2f}", f"{e:.3f}", "dog" if d else "cat"]
        for w, e, d in zip(weight, ears, is_dog, strict=True)
    ]
    write_csv(folder / "pets.csv", ["weight", "ears", "species"], rows)
    result = succeeded(
        glassnet(
            "train",
            "pets.csv",
            "--target",
            "species",
            "--out",
            "pets.safetensors",
            "--epochs",
            "40",
            "--hidden",
            "8",
            "--learning-rate",
            "0.01",
            "--patience",
            "0",
            cwd=folder,
        )
    )
    return folder, result


# -- the happy path --------------------------------------------------------------------------------


def test_train_writes_the_model_and_its_loss_curve_and_prints_a_metrics_table(trained):
    folder, result = trained
    assert (folder / "pets.safetensors").stat().st_size > 0
    assert_png(folder / "pets.loss.png")
    assert "tell 2 classes apart (binary_cross_entropy)" in result.stderr
    assert "Epoch 0 loss" in result.stderr  # not a terminal: an epoch line every 10%
    table = result.stdout
    assert "training" in table and "validation" in table and "accuracy" in table
    assert "Saved the model to pets.safetensors" in table
    assert leftovers(folder) == []


def test_inspect_shows_architecture_preprocessing_and_training(trained):
    folder, _ = trained
    text = succeeded(glassnet("inspect", "pets.safetensors", cwd=folder)).stdout
    assert "network 2-8-1" in text
    assert "Dense" in text and "sigmoid" in text
    assert "33" in text  # 2*8+8 + 8*1+1 parameters
    assert "classifier, 2 classes: cat, dog" in text
    assert "standardised" in text
    assert "Training: 40 epochs with binary_cross_entropy" in text
    summary = json.loads(
        succeeded(glassnet("inspect", "pets.safetensors", "--json", cwd=folder)).stdout
    )
    assert summary["n_parameters"] == 33
    assert summary["classes"] == ["cat", "dog"]
    assert summary["feature_names"] == ["weight", "ears"]
    assert summary["target_name"] == "species"
    assert summary["loss"] == {"name": "binary_cross_entropy"}


def test_inspect_shows_the_column_names(trained):
    folder, _ = trained
    text = succeeded(glassnet("inspect", "pets.safetensors", cwd=folder)).stdout
    assert "Inputs: 2 columns, by name: weight, ears" in text
    assert "Target: column 'species'" in text
    # the standardisation table names its rows by column
    assert any(line.split()[:1] == ["weight"] for line in text.splitlines())
    assert "column 1" not in text


def shuffled_pets(folder, name):
    """``pets.csv`` with its columns reordered and an id column added: species, id, ears,
    weight."""
    with open(folder / "pets.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    write_csv(
        folder / name,
        ["species", "id", "ears", "weight"],
        [[row["species"], str(i), row["ears"], row["weight"]] for i, row in enumerate(rows)],
    )


def test_columns_are_matched_by_name_in_any_order(trained):
    folder, _ = trained
    shuffled_pets(folder, "shuffled.csv")
    for command, option in [("evaluate", "--json"), ("predict", "--proba")]:
        original = succeeded(
            glassnet(command, "pets.safetensors", "pets.csv", "-t", "species", option, cwd=folder)
        ).stdout
        # Without --target both take the column the model was trained to predict.
        shuffled = succeeded(
            glassnet(command, "pets.safetensors", "shuffled.csv", option, cwd=folder)
        ).stdout
        assert shuffled == original
        explicit = succeeded(
            glassnet(
                command, "pets.safetensors", "shuffled.csv", "-t", "species", option, cwd=folder
            )
        ).stdout
        assert explicit == original
        if command == "evaluate":
            assert json.loads(shuffled)["accuracy"] >= 0.95
    # A boundary plot takes its columns by name too, and its label column from the model.
    plot = ["plot", "pets.safetensors", "-k", "boundary", "--data", "shuffled.csv"]
    succeeded(glassnet(*plot, "-o", "shuffled.png", cwd=folder))
    assert_png(folder / "shuffled.png")


def test_evaluate_as_json_and_as_a_table(trained):
    folder, _ = trained
    result = succeeded(
        glassnet(
            "evaluate", "pets.safetensors", "pets.csv", "--target", "species", "--json", cwd=folder
        )
    )
    scores = json.loads(result.stdout)
    assert scores["task"] == "classification"
    assert scores["n_samples"] == 160
    assert scores["accuracy"] >= 0.95
    assert scores["classes"] == ["cat", "dog"]
    assert np.sum(scores["confusion_matrix"]) == 160
    table = succeeded(
        glassnet("evaluate", "pets.safetensors", "pets.csv", "--target", "species", cwd=folder)
    ).stdout
    assert "accuracy" in table and "Confusion matrix" in table


def test_predict_answers_in_the_users_labels(trained):
    folder, _ = trained
    result = succeeded(
        glassnet(
            "predict", "pets.safetensors", "pets.csv", "--target", "species", "--proba", cwd=folder
        )
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 160
    assert set(rows[0]) == {"prediction", "proba_cat", "proba_dog"}
    assert {row["prediction"] for row in rows} == {"cat", "dog"}
    for row in rows:
        assert float(row["proba_cat"]) + float(row["proba_dog"]) == pytest.approx(1, abs=1e-5)
    with open(folder / "pets.csv", newline="") as handle:
        truth = [row["species"] for row in csv.DictReader(handle)]
    agree = np.mean([row["prediction"] == true for row, true in zip(rows, truth, strict=True)])
    assert agree >= 0.95

    write_csv(folder / "new.csv", ["weight", "ears"], [["3.5", "-1.1"], ["33", "0.9"]])
    succeeded(glassnet("predict", "pets.safetensors", "new.csv", "--out", "out.csv", cwd=folder))
    assert (folder / "out.csv").read_text() == "prediction\ncat\ndog\n"


def test_explain_standardises_the_input_and_maps_the_label(trained):
    folder, _ = trained
    text = succeeded(
        glassnet("explain", "pets.safetensors", "--input", "4,-1", "--target", "dog", cwd=folder)
    ).stdout
    assert "standardises its inputs" in text
    assert "input x = [4, -1] (weight = 4, ears = -1)" in text
    assert "Target 'dog' is class index 1 of [cat, dog]" in text
    assert "Forward" in text and "Backward" in text and "dL/dW^(1)" in text
    text = succeeded(glassnet("explain", "pets.safetensors", "--input", "4,-1", cwd=folder)).stdout
    assert "No --target given: using the model's prediction 'cat' as the target" in text


@pytest.mark.parametrize("kind", ["loss", "boundary", "network", "gradients"])
def test_plot_writes_a_png_of_each_kind(trained, kind):
    folder, _ = trained
    out = folder / f"plot-{kind}.png"
    extra = ["--data", "pets.csv", "--target", "species"] if kind == "boundary" else []
    result = succeeded(
        glassnet("plot", "pets.safetensors", "--kind", kind, "--out", out.name, *extra, cwd=folder)
    )
    assert f"Saved the {kind} plot to {out.name}" in result.stdout
    assert_png(out)


def test_plot_draws_the_boundary_of_a_model_with_more_inputs_over_two_chosen_ones(tmp_path):
    rng = np.random.default_rng(0)
    rows = [
        [f"{a:.3f}", f"{b:.3f}", f"{c:.3f}", "big" if a + c > 0 else "small"]
        for a, b, c in rng.normal(size=(60, 3))
    ]
    write_csv(tmp_path / "three.csv", ["a", "b", "c", "size"], rows)
    train = ["train", "three.csv", "-t", "size", "-o", "three.st", "--epochs", "5", "--quiet"]
    succeeded(glassnet(*train, cwd=tmp_path))
    plot = ["plot", "three.st", "-k", "boundary", "--data", "three.csv", "--features", "c,a"]
    result = succeeded(glassnet(*plot, "-o", "b.png", cwd=tmp_path))
    assert "Saved the boundary plot to b.png" in result.stdout
    assert_png(tmp_path / "b.png")


def write_people(path, header) -> None:
    """The tutorial's four people (name, weight, height, gender) with the columns ``header``."""
    columns = ("name", "weight", "height", "gender")
    people = [dict(zip(columns, row, strict=True)) for row in GENDER_TABLE]
    write_csv(path, header, [[person[name] for name in header] for person in people])


def test_train_ignores_a_text_column_and_later_commands_never_read_it(tmp_path):
    write_people(tmp_path / "people.csv", ["name", "weight", "height", "gender"])
    train = ["train", "people.csv", "-t", "gender", "--ignore", "name", "-o", "people.st"]
    succeeded(glassnet(*train, "--hidden", "2", "--epochs", "20", "--quiet", cwd=tmp_path))
    summary = json.loads(succeeded(glassnet("inspect", "people.st", "--json", cwd=tmp_path)).stdout)
    assert summary["feature_names"] == ["weight", "height"]
    assert summary["target_name"] == "gender"
    # The same people without the name column, and with it among columns in another order.
    write_people(tmp_path / "numbers.csv", ["weight", "height", "gender"])
    write_people(tmp_path / "shuffled.csv", ["gender", "height", "name", "weight"])
    outputs = {}
    for command, option in [("predict", "--proba"), ("evaluate", "--json")]:
        for data in ["numbers.csv", "shuffled.csv"]:
            result = succeeded(glassnet(command, "people.st", data, option, cwd=tmp_path))
            outputs[command, data] = result.stdout
        assert outputs[command, "shuffled.csv"] == outputs[command, "numbers.csv"]
    assert len(outputs["predict", "numbers.csv"].splitlines()) == 5
    assert json.loads(outputs["evaluate", "numbers.csv"])["n_samples"] == 4
    plot = ["plot", "people.st", "-k", "boundary", "--data", "shuffled.csv", "-o", "b.png"]
    succeeded(glassnet(*plot, cwd=tmp_path))
    assert_png(tmp_path / "b.png")


def test_only_train_hints_at_ignore_for_a_text_cell(workspace):
    for args in [["predict", "model.st", "text.csv"], ["evaluate", "model.st", "text.csv"]]:
        result = glassnet(*args, cwd=workspace)
        assert result.returncode == 1, result.stderr
        assert result.stderr.strip().endswith("column 'ears': expected a number, got 'oops'")


def test_train_on_the_builtin_xor_dataset_stops_early_and_trains_again_on_every_row(tmp_path):
    train = ["train", "--dataset", "xor", "--out", "xor.safetensors", "--epochs", "60"]
    result = succeeded(glassnet(*train, "--learning-rate", "0.01", "--patience", "5", cwd=tmp_path))
    kept = re.search(r"kept the weights of epoch (\d+)", result.stdout)
    chosen = int(kept.group(1)) + 1
    assert f"Training again on all 200 rows for the {chosen} epochs chosen" in result.stderr
    assert "all rows" in result.stdout and "validation" in result.stdout
    summary = json.loads(
        succeeded(glassnet("inspect", "xor.safetensors", "--json", cwd=tmp_path)).stdout
    )
    assert summary["classes"] == [0, 1]
    assert summary["history"]["epochs"] == chosen  # the model trained on every row
    assert summary["history"]["final"]["accuracy"] >= 0.85
    scores = json.loads(
        succeeded(glassnet("evaluate", "xor.safetensors", "--dataset", "xor", "--json",
                           cwd=tmp_path)).stdout
    )  # fmt: skip
    assert scores["accuracy"] >= 0.85
    # --no-refit keeps the model of the first run, with its validation history
    succeeded(glassnet(*train, "--patience", "5", "--no-refit", "-o", "first.st", cwd=tmp_path))
    first = json.loads(succeeded(glassnet("inspect", "first.st", "--json", cwd=tmp_path)).stdout)
    assert "val_accuracy" in first["history"]["final"]


def test_a_regression_target_trains_evaluates_and_predicts_numbers(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (80, 2))
    price = 3 * X[:, 0] - X[:, 1] + 10
    rows = [[f"{a:.4f}", f"{b:.4f}", f"{p:.4f}"] for (a, b), p in zip(X, price, strict=True)]
    write_csv(tmp_path / "house.csv", ["size", "age", "price"], rows)
    result = succeeded(
        glassnet(
            "train",
            "house.csv",
            "--target",
            "price",
            "--out",
            "house.st",
            "--epochs",
            "80",
            "--learning-rate",
            "0.02",
            cwd=tmp_path,
        )
    )
    assert "predict numbers (mse)" in result.stderr
    scores = json.loads(
        succeeded(
            glassnet(
                "evaluate", "house.st", "house.csv", "--target", "price", "--json", cwd=tmp_path
            )
        ).stdout
    )
    assert scores["task"] == "regression"
    assert scores["r2"] > 0.9
    assert set(scores) >= {"mse", "mae", "r2"}
    rows = succeeded(
        glassnet("predict", "house.st", "house.csv", "--target", "price", cwd=tmp_path)
    ).stdout.splitlines()
    assert rows[0] == "prediction" and len(rows) == 81
    float(rows[1])


def test_whole_number_labels_beyond_int64_stay_apart(tmp_path):
    # 1e20 and 2e20 are whole numbers that int64 cannot hold: converted, both wrapped around to
    # the same label and the classifier learnt two classes instead of three.
    rng = np.random.default_rng(0)
    labels = ["0", "1e20", "2e20"]
    rows = [
        [f"{3 * k + rng.normal(0, 0.2):.3f}", f"{rng.normal(0, 0.2):.3f}", labels[k]]
        for k in np.arange(60) % 3
    ]
    write_csv(tmp_path / "big.csv", ["x1", "x2", "y"], rows)
    succeeded(
        glassnet(
            "train", "big.csv", "-t", "y", "-o", "big.st", "--epochs", "200", "--hidden", "8",
            "--learning-rate", "0.05", cwd=tmp_path,
        )
    )  # fmt: skip
    summary = json.loads(succeeded(glassnet("inspect", "big.st", "--json", cwd=tmp_path)).stdout)
    assert summary["classes"] == [0.0, 1e20, 2e20]
    predicted = succeeded(glassnet("predict", "big.st", "big.csv", cwd=tmp_path)).stdout.split()
    expected = ["0", "100000000000000000000", "200000000000000000000"]
    assert predicted[0] == "prediction"
    hits = zip(predicted[1:], np.arange(60) % 3, strict=True)
    assert sum(p == expected[k] for p, k in hits) >= 57


def test_explain_a_tutorial_shaped_network_spells_out_the_chain_rule(tmp_path):
    succeeded(
        glassnet(
            "train",
            "--dataset",
            "gender",
            "--out",
            "people.st",
            "--hidden",
            "2",
            "--activation",
            "sigmoid",
            "--epochs",
            "5",
            "--quiet",
            cwd=tmp_path,
        )
    )
    text = succeeded(
        glassnet("explain", "people.st", "--input", "-2,-1", "--target", "F", cwd=tmp_path)
    ).stdout
    assert "Chain rule, weight by weight" in text
    assert "dL/dw1 = dL/dy_pred * dy_pred/dh1 * dh1/dw1" in text


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_classifier_trained_with_mse_is_evaluated_and_explained_with_mse(tmp_path, n_classes):
    # The tutorial trains its classifier with mse; the model file records that loss, so the
    # later commands report mse rather than the cross-entropy its output layer would suggest.
    rng = np.random.default_rng(0)
    labels = np.array(["ant", "bee", "cow"][:n_classes])[np.arange(60) % n_classes]
    rows = [[f"{x:.3f}", label] for x, label in zip(rng.normal(size=60), labels, strict=True)]
    write_csv(tmp_path / "bugs.csv", ["x", "kind"], rows)
    train = ["train", "bugs.csv", "-t", "kind", "-o", "bugs.st", "--loss", "mse", "--epochs", "3"]
    succeeded(glassnet(*train, "--quiet", cwd=tmp_path))

    scores = json.loads(
        succeeded(glassnet("evaluate", "bugs.st", "bugs.csv", "--json", cwd=tmp_path)).stdout
    )
    text = succeeded(
        glassnet("explain", "bugs.st", "--input", "0.5", "--target", "bee", cwd=tmp_path)
    ).stdout

    assert scores["loss_name"] == "mse" and 0 <= scores["accuracy"] <= 1
    assert 0 < scores["loss"] < 1  # mse of probabilities against 0/1 targets
    assert "Loss: mse" in text


def test_demo_prints_the_tutorial_and_says_where_its_loss_curve_is(tmp_path):
    (tmp_path / "pictures").mkdir()
    result = succeeded(glassnet("demo", "--out-dir", "pictures", cwd=tmp_path))
    text = result.stdout
    for expected in ["0.999", "0.7216", "0.5", "0.0214", "Epoch 0 loss", "Emily", "Frank"]:
        assert expected in text, expected
    assert "Epoch 900 loss" in text and "Epoch 990 loss" not in text  # every 100 epochs
    picture = (tmp_path / "pictures" / "glassnet-demo-loss.png").resolve()
    assert_png(picture)
    assert text.rstrip().endswith(f"to {picture}")  # the full path, wherever it was run


def test_without_matplotlib_training_still_saves_the_model_and_says_why_no_plot(tmp_path):
    blocker = tmp_path / "blocker" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('matplotlib is blocked here')\n")
    env = {**ENV, "PYTHONPATH": str(blocker.parent)}
    command = [sys.executable, "-m", "glassnet"]
    train = [*command, "train", "--dataset", "xor", "--out", "xor.st", "--epochs", "2"]
    result = subprocess.run(
        train, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Did not draw its loss curve: glassnet plots need matplotlib" in result.stderr
    assert (tmp_path / "xor.st").exists() and not (tmp_path / "xor.loss.png").exists()
    plot = [*command, "plot", "xor.st", "--kind", "network"]
    result = subprocess.run(
        plot, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("glassnet: error: glassnet plots need matplotlib")
    assert 'pip install "glassnet[plots]"' in result.stderr
    assert not (tmp_path / "xor.network.png").exists()


def test_threads_change_the_speed_not_the_predictions(trained, tmp_path):
    folder, _ = trained
    train = ["train", folder / "pets.csv", "-t", "species", "-o", "one.st", "--epochs", "3"]
    succeeded(glassnet(*train, "--hidden", "4", "--quiet", "--threads", "1", cwd=tmp_path))
    assert (tmp_path / "one.st").stat().st_size > 0
    predict = ["predict", folder / "pets.safetensors", folder / "pets.csv", "--proba"]
    succeeded(glassnet(*predict, "-o", "default.csv", cwd=tmp_path))
    succeeded(glassnet(*predict, "-o", "two.csv", "--threads", "2", cwd=tmp_path))
    default = (tmp_path / "default.csv").read_text()
    assert len(default.splitlines()) == 161
    assert (tmp_path / "two.csv").read_text() == default
    evaluate = ["evaluate", folder / "pets.safetensors", folder / "pets.csv", "--json"]
    scores = succeeded(glassnet(*evaluate, "--threads", "1", cwd=tmp_path)).stdout
    assert scores == succeeded(glassnet(*evaluate, cwd=tmp_path)).stdout


def test_threads_without_a_blas_thread_pool_give_one_line_and_no_output(trained, tmp_path):
    # A stand-in threadpoolctl that finds no thread pool, as on a BLAS it does not know.
    fake = tmp_path / "fake" / "threadpoolctl.py"
    fake.parent.mkdir()
    fake.write_text(
        "class ThreadpoolController:\n"
        "    lib_controllers = []\n"
        "    def select(self, **kwargs):\n"
        "        return self\n"
    )
    folder, _ = trained
    command = [sys.executable, "-m", "glassnet", "predict", "pets.safetensors", "pets.csv"]
    result = subprocess.run(
        [*command, "--threads", "2"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**ENV, "PYTHONPATH": str(fake.parent)},
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("glassnet: error: no BLAS thread pool found")
    assert "OPENBLAS_NUM_THREADS" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_help_and_version(tmp_path):
    for command in [
        "demo",
        "train",
        "evaluate",
        "predict",
        "explain",
        "inspect",
        "plot",
        "datasets",
    ]:
        text = succeeded(glassnet(command, "--help", cwd=tmp_path)).stdout
        assert "Example" in text, command
    assert succeeded(glassnet("--version", cwd=tmp_path)).stdout.strip() == "glassnet 0.1.0"
    listing = succeeded(glassnet("datasets", cwd=tmp_path)).stdout
    assert "xor" in listing and "moons" in listing and "gender" in listing


# -- mistakes --------------------------------------------------------------------------------------


@pytest.fixture
def workspace(trained, tmp_path):
    """A folder with a good model and data beside broken files of every kind."""
    folder, _ = trained
    model = (folder / "pets.safetensors").read_bytes()
    (tmp_path / "model.st").write_bytes(model)
    # A model written before files recorded column names: it takes columns by position.
    arrays, metadata = safetensors.load(folder / "pets.safetensors")
    del metadata["feature_names"], metadata["target_name"]
    safetensors.save(tmp_path / "legacy.st", arrays, metadata)
    # Crafted values: a history number no float holds, a target name that is no text.
    metadata["history"] = json.dumps({"metrics": {"loss": [0.5, 10**400]}, "best_epoch": None})
    safetensors.save(tmp_path / "history.st", arrays, metadata)
    metadata["target_name"] = "XXXXXX"
    safetensors.save(tmp_path / "surrogate.st", arrays, metadata)
    crafted = (tmp_path / "surrogate.st").read_bytes().replace(b"XXXXXX", b"\\udc80")
    (tmp_path / "surrogate.st").write_bytes(crafted)
    (tmp_path / "truncated.st").write_bytes(model[: len(model) // 2])
    (tmp_path / "corrupted.st").write_bytes(model[:8] + b"[" + model[9:])
    safetensors.save(tmp_path / "foreign.st", {"w": np.zeros(3, dtype=np.float32)})
    (tmp_path / "pets.csv").write_bytes((folder / "pets.csv").read_bytes())
    (tmp_path / "empty.csv").write_text("")
    write_csv(
        tmp_path / "text.csv",
        ["weight", "ears", "species"],
        [["4", "-1", "cat"], ["30", "oops", "dog"]],
    )
    write_csv(
        tmp_path / "holes.csv",
        ["weight", "ears", "species"],
        [["4", "-1", "cat"], ["30", "", "dog"]],
    )
    write_csv(
        tmp_path / "one.csv",
        ["weight", "ears", "species"],
        [["4", "-1", "cat"], ["5", "-1", "cat"]],
    )
    write_csv(
        tmp_path / "wide.csv",
        ["weight", "ears", "tail", "species"],
        [["4", "-1", "2", "cat"], ["30", "1", "9", "dog"]],
    )
    write_csv(
        tmp_path / "no-ears.csv",
        ["id", "species", "weight"],
        [["a", "cat", "4"], ["b", "dog", "30"]],
    )
    write_people(tmp_path / "people.csv", ["name", "weight", "height", "gender"])
    write_csv(  # a finite float64 that float32, the model's number type, cannot hold
        tmp_path / "huge.csv",
        ["weight", "ears", "species"],
        [["4", "-1", "cat"], ["1e308", "1", "dog"], ["5", "-1", "cat"], ["29", "1", "dog"]],
    )
    (tmp_path / "nul.csv").write_bytes(b"weight,ears,species\n4,-1,a\x00\n30,1,a\n5,-1,b\n")
    with open(tmp_path / "semicolons.csv", "w") as handle:
        handle.write((folder / "pets.csv").read_text().replace(",", ";"))
    write_csv(
        tmp_path / "numbers.csv",
        ["x1", "x2", "y"],
        [[str(i), str(i % 7), str(i * 1.37)] for i in range(40)],
    )
    return tmp_path


TRAIN = ["train", "pets.csv", "--target", "species", "--out", "out.st", "--epochs", "2"]


def mistake(name, args, status, message, output=None):
    """A case: the arguments, the exit status, what the error line says, the file not written."""
    return pytest.param(args, status, message, output, id=name)


MISTAKES = [
    mistake("missing data file", ["train", "nope.csv", "-t", "species", "-o", "out.st"], 1,
            "nope.csv does not exist", "out.st"),
    mistake("empty data file", ["train", "empty.csv", "-t", "species", "-o", "out.st"], 1,
            "empty.csv: the file is empty", "out.st"),
    mistake("missing target column", ["train", "pets.csv", "-t", "breed", "-o", "out.st"], 1,
            "no target column 'breed'", "out.st"),
    mistake("text in a feature", ["train", "text.csv", "-t", "species", "-o", "out.st"], 1,
            "text.csv, line 3, column 'ears': expected a number, got 'oops' "
            "(leave a column out with --ignore NAME)", "out.st"),
    mistake("a name column not ignored", ["train", "people.csv", "-t", "gender", "-o", "out.st"],
            1, "people.csv, line 2, column 'name': expected a number, got 'Alice' "
            "(leave a column out with --ignore NAME)", "out.st"),
    mistake("ignoring columns the file lacks",
            ["train", "people.csv", "-t", "gender", "--ignore", "name,age,id", "-o", "out.st"], 1,
            "people.csv: no columns 'age', 'id' to ignore; available columns: name, weight, "
            "height, gender", "out.st"),
    mistake("ignoring every feature",
            ["train", "people.csv", "-t", "gender", "--ignore", "height,name,weight",
             "-o", "out.st"], 1,
            "people.csv: --ignore leaves no feature column; the columns besides the target "
            "'gender' are name, weight, height", "out.st"),
    mistake("ignoring the target",
            ["train", "people.csv", "-t", "gender", "--ignore", "name,gender", "-o", "out.st"], 2,
            "--ignore cannot leave out the target column 'gender'", "out.st"),
    mistake("ignoring columns of a dataset",
            ["train", "--dataset", "gender", "--ignore", "name", "-o", "out.st"], 2,
            "--ignore leaves out columns of DATA.csv; --dataset has none", "out.st"),
    mistake("an empty name to ignore",
            ["train", "people.csv", "-t", "gender", "--ignore", "name,", "-o", "out.st"], 2,
            "'--ignore': expected column names separated by commas", "out.st"),
    mistake("missing value", ["train", "holes.csv", "-t", "species", "-o", "out.st"], 1,
            "holes.csv, line 3, column 'ears': expected a value", "out.st"),
    mistake("single class", ["train", "one.csv", "-t", "species", "-o", "out.st"], 1,
            "single class ('cat')", "out.st"),
    mistake("a number too large for float32 to train on",
            ["train", "huge.csv", "-t", "species", "-o", "out.st"], 1,
            "huge.csv, line 3, column 'weight': 1e+308 does not fit float32", "out.st"),
    mistake("a number too large for float32 to predict from",
            ["predict", "model.st", "huge.csv", "-o", "p.csv"], 1,
            "huge.csv, line 3, column 'weight': 1e+308 does not fit float32", "p.csv"),
    mistake("a number too large for float32 to evaluate on", ["evaluate", "model.st", "huge.csv"],
            1, "huge.csv, line 3, column 'weight': 1e+308 does not fit float32"),
    mistake("an input too large for float32 to explain",
            ["explain", "model.st", "--input", "1e39,0"], 1, "must hold values that fit float32"),
    mistake("labels that differ only by a NUL character",
            ["train", "nul.csv", "-t", "species", "-o", "out.st"], 1,
            "column 'species' must not contain the NUL character, got 'a\\x00'", "out.st"),
    mistake("missing model file", ["inspect", "nope.st"], 1, "nope.st: no such file"),
    mistake("truncated model", ["evaluate", "truncated.st", "pets.csv", "-t", "species"], 1,
            "truncated.st: truncated"),
    mistake("corrupted model",
            ["predict", "corrupted.st", "pets.csv", "-t", "species", "-o", "p.csv"], 1,
            "corrupted.st: corrupted header", "p.csv"),
    mistake("not a glassnet model", ["plot", "foreign.st", "-k", "network", "-o", "n.png"], 1,
            "foreign.st: not a glassnet model file", "n.png"),
    mistake("a CSV file as the model", ["inspect", "pets.csv"], 1,
            "pets.csv: not a safetensors file"),
    mistake("a history number too large for a float", ["inspect", "history.st"], 1,
            "history.st: metadata 'history' metric \"loss\" must be a list of numbers"),
    mistake("a history number too large for a float to plot",
            ["plot", "history.st", "-k", "loss", "-o", "l.png"], 1,
            "history.st: metadata 'history' metric", "l.png"),
    mistake("a lone surrogate in the target name", ["inspect", "surrogate.st"], 1,
            "surrogate.st: corrupted header: string '\\udc80' holds a lone surrogate"),
    mistake("a lone surrogate in the target name to predict with",
            ["predict", "surrogate.st", "pets.csv", "-o", "p.csv"], 1,
            "surrogate.st: corrupted header", "p.csv"),
    mistake("columns do not match an unnamed model",
            ["predict", "legacy.st", "wide.csv", "-t", "species", "-o", "p.csv"], 1,
            "the model takes 2 feature columns, the file has 3", "p.csv"),
    mistake("the target left among an unnamed model's inputs",
            ["predict", "legacy.st", "pets.csv", "-o", "p.csv"], 1,
            "leave the target column out with --target COLUMN", "p.csv"),
    mistake("a feature column missing for predict",
            ["predict", "model.st", "no-ears.csv", "-o", "p.csv"], 1,
            "no-ears.csv: missing feature column 'ears'", "p.csv"),
    mistake("a feature column missing for evaluate", ["evaluate", "model.st", "no-ears.csv"], 1,
            "no-ears.csv: missing feature column 'ears'"),
    mistake("a feature column missing for a boundary plot",
            ["plot", "model.st", "-k", "boundary", "--data", "no-ears.csv", "-o", "b.png"], 1,
            "no-ears.csv: missing feature column 'ears'", "b.png"),
    mistake("an unknown feature for a boundary plot",
            ["plot", "model.st", "-k", "boundary", "--data", "pets.csv", "--features",
             "weight,tail", "-o", "b.png"], 1,
            "unknown feature 'tail'; the inputs are: weight, ears", "b.png"),
    mistake("features for a plot that is not a boundary",
            ["plot", "model.st", "-k", "network", "--features", "weight,ears", "-o", "n.png"], 2,
            "--features chooses the inputs of --kind boundary", "n.png"),
    mistake("no target for an unnamed model", ["evaluate", "legacy.st", "pets.csv"], 2,
            "--target COLUMN is required: legacy.st does not record the column it predicts"),
    mistake("a label the model does not know",
            ["evaluate", "legacy.st", "numbers.csv", "-t", "y"], 1, "is not a class of the model"),
    mistake("model in a missing folder", ["train", "pets.csv", "-t", "species", "-o", "no/m.st"],
            2, "folder 'no' does not exist", "no"),
    mistake("predictions in a missing folder",
            ["predict", "model.st", "pets.csv", "-t", "species", "-o", "no/p.csv"], 2,
            "folder 'no' does not exist", "no"),
    mistake("plot in a missing folder", ["plot", "model.st", "-k", "network", "-o", "no/n.png"],
            2, "folder 'no' does not exist", "no"),
    mistake("unknown activation", [*TRAIN, "--activation", "relu6"], 2,
            "'--activation': 'relu6' is not one of", "out.st"),
    mistake("unknown loss", [*TRAIN, "--loss", "hinge"], 2, "'--loss': 'hinge' is not one of",
            "out.st"),
    mistake("unknown optimizer", [*TRAIN, "--optimizer", "lbfgs"], 2,
            "'--optimizer': 'lbfgs' is not one of", "out.st"),
    mistake("unknown dataset", ["train", "--dataset", "mnist", "-o", "out.st"], 2,
            "'--dataset': 'mnist' is not one of", "out.st"),
    mistake("unknown plot kind", ["plot", "model.st", "--kind", "pie"], 2,
            "'pie' is not one of", "model.pie.png"),
    mistake("zero threads", [*TRAIN, "--threads", "0"], 2,
            "'--threads': 0 is not in the range 1<=x<=4096", "out.st"),
    mistake("threads not a number",
            ["predict", "model.st", "pets.csv", "-o", "p.csv", "--threads", "two"], 2,
            "'--threads': 'two' is not a valid integer", "p.csv"),
    mistake("bad hidden sizes", [*TRAIN, "--hidden", "8,x"], 2,
            "'--hidden': expected layer sizes", "out.st"),
    mistake("a class loss for numbers",
            ["train", "numbers.csv", "-t", "y", "-o", "out.st", "--loss", "cross_entropy"], 2,
            "cross_entropy needs class labels", "out.st"),
    mistake("both a file and a dataset", [*TRAIN, "--dataset", "xor"], 2,
            "give either DATA.csv with --target COLUMN, or --dataset NAME", "out.st"),
    mistake("no data at all", ["train", "-o", "out.st"], 2,
            "give DATA.csv with --target COLUMN, or --dataset NAME", "out.st"),
    mistake("wrong number of inputs to explain", ["explain", "model.st", "--input", "1,2,3"], 2,
            "model.st takes 2 features, got 3"),
    mistake("an unknown label to explain",
            ["explain", "model.st", "--input", "1,2", "--target", "fox"], 2,
            "'fox' is not a class"),
    mistake("a network too large for the memory", [*TRAIN, "--hidden", "10000000000"], 1,
            "a 2-10000000000-1 network has 40,000,000,001 parameters and needs about", "out.st"),
    mistake("threads beyond any machine", [*TRAIN, "--threads", "100000000000000000000"], 2,
            "'--threads': 100000000000000000000 is not in the range 1<=x<=4096", "out.st"),
    mistake("an output name too long", ["train", "pets.csv", "-t", "species", "-o", "m" * 300],
            2, "cannot write " + "m" * 300 + ": file name too long"),
    mistake("text as a regression target", [*TRAIN, "--task", "regression"], 2,
            "pets.csv, column 'species': task 'regression' needs numbers, got labels such as "
            "'cat'", "out.st"),
    mistake("a delimiter the file does not use",
            ["train", "semicolons.csv", "-t", "species", "--delimiter", ",", "-o", "out.st"], 1,
            "available columns: weight;ears;species (the header looks separated by ';')",
            "out.st"),
    mistake("a bad delimiter", [*TRAIN, "--delimiter", "ab"], 2,
            "'--delimiter': expected one character", "out.st"),
    mistake("an id column the file lacks", ["predict", "model.st", "pets.csv", "--id", "nope"],
            1, "pets.csv: no id column 'nope'; available columns: weight, ears, species"),
    mistake("both a file and a dataset to evaluate",
            ["evaluate", "model.st", "pets.csv", "--dataset", "xor"], 2,
            "give either DATA.csv (or - for standard input) or --dataset NAME"),
    mistake("a dataset with other columns than the model's",
            ["evaluate", "model.st", "--dataset", "xor"], 1,
            "model.st takes the columns weight, ears; dataset 'xor' has x1, x2"),
    mistake("exporting a dataset to no file", ["datasets", "--export", "xor"], 2,
            "--export xor needs the file to write"),
    mistake("training diverges",
            ["train", "numbers.csv", "-t", "y", "-o", "out.st", "--optimizer", "sgd",
             "--learning-rate", "1e12", "--epochs", "5", "--hidden", "4"], 1,
            "training diverged at epoch", "out.st"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "status", "message", "output"), MISTAKES)
def test_a_mistake_gives_one_line_and_leaves_nothing_behind(
    workspace, args, status, message, output
):
    before = sorted(p.name for p in workspace.iterdir())
    result = glassnet(*args, cwd=workspace)
    assert result.returncode == status, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("glassnet:")]
    assert len(error_lines) == 1, result.stderr
    assert error_lines[0].startswith("glassnet: error: ")
    assert message in error_lines[0]
    if output is not None:
        assert not (workspace / output).exists()
    assert sorted(p.name for p in workspace.iterdir()) == before  # nothing new, no temp files
    if "diverged" not in message:  # training prints its progress before it diverges
        assert result.stderr.strip() == error_lines[0]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
def test_ctrl_c_during_training_stops_cleanly_and_saves_nothing(tmp_path):
    log = tmp_path / "stderr.txt"
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "glassnet",
                "train",
                "--dataset",
                "spirals",
                "--out",
                "model.st",
                "--epochs",
                "1000000",
            ],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=ENV,
        )
        try:
            deadline = time.monotonic() + 60
            while "Epoch 0 loss" not in log.read_text() and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                time.sleep(0.05)
            process.send_signal(signal.SIGINT)
            status = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    text = log.read_text()
    assert status == 130, text
    assert "Traceback" not in text
    last = text.strip().splitlines()[-1]
    assert last.startswith("glassnet: training interrupted after ")
    assert last.endswith("of 1000000 epochs; nothing was saved")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stderr.txt"]
