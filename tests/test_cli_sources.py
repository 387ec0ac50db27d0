"""End-to-end tests of where the ``glassnet`` command reads rows from and what it writes:
built-in datasets everywhere, other CSV delimiters, standard input, an id column, the examples
in every ``--help``, the task override, and errors that are the machine's or glassnet's own.
"""

import csv
import io
import json
import os
import re
import shlex
import stat
import subprocess
import sys

import numpy as np
import pytest
from test_cli import ENV, glassnet, succeeded, write_csv

import glassnet as library

# -- built-in datasets -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xor_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xor")
    train = ["train", "--dataset", "xor", "-o", "xor.st", "--epochs", "30"]
    succeeded(glassnet(*train, "--learning-rate", "0.01", "--quiet", cwd=folder))
    return folder


def test_a_model_trained_on_a_dataset_is_evaluated_predicted_and_plotted_on_it(xor_model):
    folder = xor_model
    scores = json.loads(
        succeeded(glassnet("evaluate", "xor.st", "--dataset", "xor", "--json", cwd=folder)).stdout
    )
    assert scores["n_samples"] == 200 and scores["accuracy"] > 0.8
    # The exported file holds the same rows: the same scores, the same predictions.
    succeeded(glassnet("datasets", "--export", "xor", "xor.csv", cwd=folder))
    with open(folder / "xor.csv", newline="") as handle:
        exported = list(csv.reader(handle))
    assert exported[0] == ["x1", "x2", "label"] and len(exported) == 201
    from_file = succeeded(glassnet("evaluate", "xor.st", "xor.csv", "--json", cwd=folder)).stdout
    assert json.loads(from_file) == scores
    predicted = succeeded(glassnet("predict", "xor.st", "--dataset", "xor", cwd=folder)).stdout
    assert predicted == succeeded(glassnet("predict", "xor.st", "xor.csv", cwd=folder)).stdout
    # Another seed draws other rows.
    other = glassnet("evaluate", "xor.st", "--dataset", "xor", "--seed", "1", "--json", cwd=folder)
    assert json.loads(succeeded(other).stdout)["loss"] != scores["loss"]
    plot = ["plot", "xor.st", "-k", "boundary", "--dataset", "xor", "-o", "b.png"]
    succeeded(glassnet(*plot, cwd=folder))
    assert (folder / "b.png").read_bytes()[:4] == b"\x89PNG"


def test_the_exported_people_keep_their_names_and_the_tutorials_shift(tmp_path):
    succeeded(glassnet("datasets", "--export", "gender", "people.csv", cwd=tmp_path))
    assert (tmp_path / "people.csv").read_text() == (
        "name,weight,height,gender\nAlice,-2,-1,F\nBob,25,6,M\nCharlie,17,4,M\nDiana,-15,-6,F\n"
    )


# -- delimiters, standard input, ids ---------------------------------------------------------------


def separated(path, delimiter, n_rows=60):
    """Two classes apart on the first feature, with a name column, cells split by
    ``delimiter``."""
    rng = np.random.default_rng(0)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["id", "size", "noise", "kind"])
        for i in range(n_rows):
            kind = "big" if i % 2 else "small"
            size = (5.0 if i % 2 else -5.0) + rng.normal()
            writer.writerow([f"row-{i:03d}", f"{size:.3f}", f"{rng.normal():.3f}", kind])


@pytest.mark.parametrize("delimiter", [";", "\t", "|"], ids=["semicolon", "tab", "bar"])
def test_the_delimiter_is_found_from_the_header(tmp_path, delimiter):
    separated(tmp_path / "data.csv", delimiter)
    train = ["train", "data.csv", "-t", "kind", "--ignore", "id", "-o", "m.st", "--epochs", "40"]
    succeeded(glassnet(*train, "--learning-rate", "0.05", "--quiet", cwd=tmp_path))
    scores = json.loads(
        succeeded(glassnet("evaluate", "m.st", "data.csv", "--json", cwd=tmp_path)).stdout
    )
    assert scores["accuracy"] > 0.9
    named = "tab" if delimiter == "\t" else delimiter
    explicit = ["evaluate", "m.st", "data.csv", "--json", "--delimiter", named]
    assert json.loads(succeeded(glassnet(*explicit, cwd=tmp_path)).stdout) == scores


def test_a_wrong_delimiter_is_named_in_the_error(tmp_path):
    separated(tmp_path / "data.csv", ";")
    result = glassnet(
        "train", "data.csv", "-t", "kind", "--delimiter", ",", "-o", "m.st", cwd=tmp_path
    )
    assert result.returncode == 1
    assert result.stderr == (
        "glassnet: error: data.csv: no target column 'kind'; available columns: "
        "id;size;noise;kind (the header looks separated by ';')\n"
    )


def test_predict_reads_standard_input_and_carries_an_id_column(tmp_path):
    separated(tmp_path / "data.csv", ",")
    train = ["train", "data.csv", "-t", "kind", "--ignore", "id", "-o", "m.st", "--epochs", "40"]
    succeeded(glassnet(*train, "--learning-rate", "0.05", "--quiet", cwd=tmp_path))
    from_file = succeeded(glassnet("predict", "m.st", "data.csv", "--id", "id", cwd=tmp_path))
    rows = list(csv.DictReader(io.StringIO(from_file.stdout)))
    assert list(rows[0]) == ["id", "prediction"]
    assert [row["id"] for row in rows] == [f"row-{i:03d}" for i in range(60)]  # as written
    piped = subprocess.run(
        [sys.executable, "-m", "glassnet", "predict", "m.st", "-", "--id", "id"],
        input=(tmp_path / "data.csv").read_text(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert succeeded(piped).stdout == from_file.stdout
    # A mistake in piped rows names standard input, never a temporary file.
    broken = subprocess.run(
        [sys.executable, "-m", "glassnet", "predict", "m.st", "-"],
        input="id,size,noise\nrow-1,oops,1\n",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert broken.returncode == 1
    assert broken.stderr == (
        "glassnet: error: <stdin>, line 2, column 'size': expected a number, got 'oops'\n"
    )


# -- the task --------------------------------------------------------------------------------------


def test_task_overrides_what_the_target_is_taken_for(tmp_path):
    rng = np.random.default_rng(0)
    ratings = np.arange(100) % 10 + 1  # ten whole numbers: classes unless told otherwise
    x = ratings + rng.normal(0, 0.1, 100)
    rows = [[f"{a:.3f}", str(b)] for a, b in zip(x, ratings, strict=True)]
    write_csv(tmp_path / "r.csv", ["x", "rating"], rows)
    base = ["train", "r.csv", "-t", "rating", "--epochs", "2", "--hidden", "4"]
    result = succeeded(glassnet(*base, "-o", "c.st", cwd=tmp_path))
    assert "tell 10 classes apart" in result.stderr
    assert "(its 10 whole-number values as classes: --task regression if not)" in result.stderr
    result = succeeded(glassnet(*base, "-o", "r.st", "--task", "regression", cwd=tmp_path))
    assert "predict numbers (mse)" in result.stderr
    assert (
        json.loads(succeeded(glassnet("inspect", "r.st", "--json", cwd=tmp_path)).stdout)["classes"]
        is None
    )
    # naming mse says numbers too, as fit does for the same targets
    result = succeeded(glassnet(*base, "-o", "m.st", "--loss", "mse", cwd=tmp_path))
    assert "predict numbers (mse)" in result.stderr
    # 25 whole numbers are numbers by default, classes when asked for
    write_csv(tmp_path / "n.csv", ["x", "n"], [[str(i), str(i % 25)] for i in range(100)])
    n = ["train", "n.csv", "-t", "n", "--epochs", "1", "--hidden", "4", "-o", "n.st"]
    assert "predict numbers" in succeeded(glassnet(*n, cwd=tmp_path)).stderr
    told = succeeded(glassnet(*n, "--task", "classification", cwd=tmp_path)).stderr
    assert "tell 25 classes apart (cross_entropy)" in told


# -- the help's examples ---------------------------------------------------------------------------

COMMANDS = [
    "datasets",
    "train",
    "evaluate",
    "predict",
    "explain",
    "inspect",
    "plot",
    "export",
    "demo",
]


def help_examples(command: str | None, cwd) -> list[str]:
    text = succeeded(glassnet(*([command] if command else []), "--help", cwd=cwd)).stdout
    block = text.split("Example", 1)[1].split("Options:", 1)[0]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()[1:]]
    return [line for line in lines if re.search(r"(^|\| )glassnet ", line)]


def test_every_help_example_runs_and_the_people_examples_are_right(tmp_path):
    shim = tmp_path / "bin" / "glassnet"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m glassnet "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {**ENV, "PATH": f"{shim.parent}{os.pathsep}{ENV['PATH']}"}
    work = tmp_path / "work"
    work.mkdir()
    examples = [line for command in COMMANDS for line in help_examples(command, work)]
    examples += help_examples(None, work)  # the overview repeats commands from above
    assert len(examples) >= 16
    outputs = {}
    for line in examples:
        result = subprocess.run(
            ["sh", "-c", line], cwd=work, capture_output=True, text=True, env=env, timeout=300
        )
        assert result.returncode == 0, (line, result.stderr)
        assert "Traceback" not in result.stderr, line
        outputs[line] = result.stdout
    # Alice (-2, -1 after the tutorial's shift) is F, as are Diana and Emily; Bob is M.
    explained = outputs["glassnet explain people.safetensors --input -2,-1"]
    assert "using the model's prediction 'F'" in explained
    rows = list(csv.DictReader(io.StringIO(outputs[next(k for k in outputs if "--id name" in k)])))
    assert [(row["name"], row["prediction"]) for row in rows] == [
        ("Alice", "F"),
        ("Bob", "M"),
        ("Charlie", "M"),
        ("Diana", "F"),
    ]
    piped = outputs[next(line for line in outputs if line.startswith("printf"))]
    assert piped.splitlines()[1:] == ["F"]


# -- errors of the machine and of glassnet itself --------------------------------------------------


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nothing can be written to, even by root (made immutable when root ignores the
    permissions); skipped where neither works."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    try:
        probe = folder / "probe"
        try:
            probe.touch()
        except PermissionError:
            pass
        else:
            probe.unlink()
            immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
            immutable = immutable.returncode == 0
            if not immutable:
                pytest.skip("cannot make a read-only folder here")
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_a_read_only_output_folder_is_found_before_training(tmp_path, read_only_folder):
    result = glassnet("train", "--dataset", "xor", "-o", "locked/model.st", cwd=tmp_path)
    assert result.returncode == 2
    # one line, before any training, naming the user's path and not a temporary file
    assert re.fullmatch(
        "glassnet: error: Invalid value for '--out' / '-o': cannot write locked/model.st: "
        r"(permission denied|operation not permitted) \(see 'glassnet train --help'\)\n",
        result.stderr,
    ), result.stderr
    assert list(read_only_folder.iterdir()) == []


def fake_threadpoolctl(tmp_path) -> dict:
    """An environment whose threadpoolctl fails as a bug in glassnet would: ``--threads``
    then raises an exception no command expects."""
    fake = tmp_path / "fake" / "threadpoolctl.py"
    fake.parent.mkdir()
    fake.write_text(
        "class ThreadpoolController:\n"
        "    def __init__(self):\n"
        "        raise ZeroDivisionError('boom')\n"
    )
    return {**ENV, "PYTHONPATH": os.pathsep.join([str(fake.parent), ENV.get("PYTHONPATH", "")])}


@pytest.mark.parametrize("debug", ["", "--debug", "GLASSNET_DEBUG=1"])
def test_an_unexpected_exception_is_reported_as_a_bug(tmp_path, debug):
    env = fake_threadpoolctl(tmp_path)
    command = [sys.executable, "-m", "glassnet"]
    if debug == "--debug":
        command.append("--debug")
    elif debug:
        env[debug.split("=")[0]] = "1"
    # --threads belongs to the commands that compute; train is one.
    result = subprocess.run(
        [*command, "train", "--dataset", "xor", "-o", "m.st", "--threads", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 70, result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("glassnet: error: internal error, a bug in glassnet 0.1.0: ")
    assert "ZeroDivisionError: boom" in last and last.endswith("please report it")
    if debug:
        assert "Traceback (most recent call last)" in result.stderr
        assert "raise ZeroDivisionError('boom')" in result.stderr
    else:
        assert result.stderr == last + "\n"
        assert "run with --debug or GLASSNET_DEBUG=1 to see where" in last
    assert not (tmp_path / "m.st").exists()


# -- the data loss and the weight-decay penalty, apart ---------------------------------------------


def test_the_penalty_is_reported_apart_from_the_data_losses(tmp_path):
    train = ["train", "--dataset", "moons", "-o", "m.st", "--epochs", "3", "--hidden", "8"]
    result = succeeded(glassnet(*train, "--weight-decay", "0.01", cwd=tmp_path))
    line = next(line for line in result.stdout.splitlines() if "penalty" in line)
    penalty = float(re.search(r"Σ\|\|W\|\|² = ([0-9.e-]+)", line).group(1))
    network = library.load(tmp_path / "m.st")
    assert penalty == pytest.approx(network.penalty(0.01), rel=1e-3)
    assert "not in the losses above" in line
    # A history that records the penalty under its own key shows it in inspect, by name.
    network.history.metrics["penalty"] = [penalty] * network.history.epochs
    library.save(network, tmp_path / "p.st")
    text = succeeded(glassnet("inspect", "p.st", cwd=tmp_path)).stdout
    assert f"penalty {penalty:.4g}" in text


# -- the defaults ----------------------------------------------------------------------------------


def test_the_defaults_follow_the_data(tmp_path):
    rng = np.random.default_rng(0)
    share = rng.uniform(0, 1, 60)  # already on a unit scale: kept as it is
    income = rng.normal(50_000, 10_000, 60)  # standardised
    rows = [[f"{s:.4f}", f"{i:.0f}", "yes" if s > 0.5 else "no", f"{2 * s + 1:.4f}"]
            for s, i in zip(share, income, strict=True)]  # fmt: skip
    write_csv(tmp_path / "d.csv", ["share", "income", "bought", "spent"], rows)
    common = ["--epochs", "3", "--hidden", "4", "--quiet"]
    succeeded(glassnet("train", "d.csv", "-t", "bought", "--ignore", "spent", "-o", "c.st",
                       *common, cwd=tmp_path))  # fmt: skip
    succeeded(glassnet("train", "d.csv", "-t", "spent", "--ignore", "bought", "-o", "r.st",
                       *common, cwd=tmp_path))  # fmt: skip
    classifier, regression = library.load(tmp_path / "c.st"), library.load(tmp_path / "r.st")
    assert [type(layer).__name__ for layer in classifier.layers] == ["Dense", "Dropout", "Dense"]
    assert classifier.layers[1].rate == 0.2
    assert [type(layer).__name__ for layer in regression.layers] == ["Dense", "Dense"]
    for network in (classifier, regression):
        assert network.scaler.mean[0] == 0.0 and network.scaler.scale[0] == 1.0
        assert network.scaler.mean[1] == pytest.approx(income.mean(), rel=0.05)
    # Four rows, the tutorial's people: no rows to hold out, so the plain network, no refit.
    result = succeeded(glassnet("train", "--dataset", "gender", "-o", "g.st", "--epochs", "2",
                                "--hidden", "2", cwd=tmp_path))  # fmt: skip
    assert "Training again" not in result.stderr
    assert [type(layer).__name__ for layer in library.load(tmp_path / "g.st").layers] == [
        "Dense",
        "Dense",
    ]


def test_a_classifier_on_wide_inputs_drops_inputs_too(tmp_path):
    # 120 pixel-like columns: 0.2 of the inputs and 0.3 after each hidden layer; an explicit
    # rate wins, and a layer spec keeps its own dropout items.
    rng = np.random.default_rng(1)
    pixels = rng.uniform(0, 1, (40, 120))
    rows = [[*(f"{value:.3f}" for value in row), str(int(row[:60].sum() > row[60:].sum()))]
            for row in pixels]  # fmt: skip
    write_csv(tmp_path / "wide.csv", [*(f"p{i}" for i in range(120)), "label"], rows)
    common = ["train", "wide.csv", "-t", "label", "--epochs", "2", "--quiet"]
    succeeded(glassnet(*common, "--hidden", "8", "-o", "w.st", cwd=tmp_path))
    layers = library.load(tmp_path / "w.st").layers
    assert [type(layer).__name__ for layer in layers] == ["Dropout", "Dense", "Dropout", "Dense"]
    assert (layers[0].rate, layers[2].rate) == (0.2, 0.3)
    succeeded(glassnet(*common, "--hidden", "8", "-o", "n.st", "--input-dropout", "0",
                       "--dropout", "0.1", cwd=tmp_path))  # fmt: skip
    layers = library.load(tmp_path / "n.st").layers
    assert [type(layer).__name__ for layer in layers] == ["Dense", "Dropout", "Dense"]
    assert layers[1].rate == 0.1
    result = glassnet(*common, "-o", "s.st", "--layers", "dense:8", "--input-dropout", "0.1",
                      cwd=tmp_path)  # fmt: skip
    assert result.returncode != 0
    assert "give --layers or --input-dropout, not both" in result.stderr


@pytest.mark.parametrize(
    ("epochs", "held_out", "expected"),
    [(200, True, 50), (20, True, 10), (41, True, 10), (200, False, 0)],
)
def test_patience_is_a_quarter_of_the_epochs_and_at_least_ten(epochs, held_out, expected):
    from glassnet.cli.train import default_patience

    assert default_patience(epochs, held_out) == expected
