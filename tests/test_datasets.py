"""Tests for glassnet.datasets: the four people, the generators, CSV and MNIST IDX files."""

import gzip
import re
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from glassnet import datasets
from glassnet.datasets import (
    GENDER_SHIFT,
    GENDER_TABLE,
    GENERATORS,
    Dataset,
    TextCellError,
    blobs,
    circles,
    describe,
    gender,
    load,
    load_mnist,
    moons,
    multi_gaussian,
    plane,
    read_csv,
    read_idx,
    spirals,
    xor,
)

CLASSIFIERS = ["xor", "circles", "moons", "spirals", "blobs"]
GENERATED = [*CLASSIFIERS, "plane", "multi_gaussian"]


# --- the tutorial's four people ------------------------------------------------------------------


def test_gender_is_the_tutorial_table_after_its_shift():
    data = gender()
    # Tutorial section 4.1, "Weight (minus 135), Height (minus 66), Gender":
    #   Alice -2 -1 1 | Bob 25 6 0 | Charlie 17 4 0 | Diana -15 -6 1   (Male = 0, Female = 1)
    np.testing.assert_array_equal(data.X, [[-2, -1], [25, 6], [17, 4], [-15, -6]])
    np.testing.assert_array_equal(data.y, [1, 0, 0, 1])
    assert data.X.dtype == np.float64
    assert data.y.dtype == np.int64
    assert data.sample_names == ("Alice", "Bob", "Charlie", "Diana")
    assert data.feature_names == ("weight", "height")
    assert data.label_names == ("M", "F")
    assert data.task == "classification"


def test_gender_shift_undoes_to_the_raw_table():
    data = gender()
    assert GENDER_SHIFT == (135, 66)
    raw = np.array([[weight, height] for _, weight, height, _ in GENDER_TABLE])
    np.testing.assert_array_equal(data.X + np.array(GENDER_SHIFT), raw)
    assert [data.label_names[label] for label in data.y] == [row[3] for row in GENDER_TABLE]
    assert data.sample_names == tuple(row[0] for row in GENDER_TABLE)
    # the raw table itself, as printed in the tutorial
    assert GENDER_TABLE[0] == ("Alice", 133, 65, "F")
    assert GENDER_TABLE[1] == ("Bob", 160, 72, "M")


# --- generators: shapes, balance, determinism ----------------------------------------------------


@pytest.mark.parametrize("name", CLASSIFIERS)
@pytest.mark.parametrize("n_samples", [3, 7, 200, 201])
def test_classification_generators_have_shapes_dtypes_and_balanced_labels(name, n_samples):
    data = load(name, n_samples=n_samples, seed=0)
    assert data.X.shape == (n_samples, 2)
    assert data.y.shape == (n_samples,)
    assert data.X.dtype == np.float64
    assert data.y.dtype == np.int64
    assert np.isfinite(data.X).all()
    assert data.task == "classification"
    assert data.feature_names == ("x1", "x2")
    n_classes = 3 if name == "blobs" else 2
    counts = np.bincount(data.y, minlength=n_classes)
    assert len(counts) == n_classes
    assert counts.sum() == n_samples
    assert counts.max() - counts.min() <= 1


def test_blobs_balances_any_number_of_classes():
    data = blobs(n_samples=23, n_classes=5, seed=1)
    counts = np.bincount(data.y)
    assert counts.tolist() == [5, 5, 5, 4, 4]


def test_generated_rows_are_shuffled_not_grouped_by_class():
    y = moons(n_samples=200, seed=0).y
    # grouped labels would change class exactly once; shuffled ones change many times
    assert np.count_nonzero(np.diff(y)) > 20


def test_plane_is_a_regression_dataset():
    data = plane(n_samples=50, seed=0)
    assert data.X.shape == (50, 2)
    assert data.y.shape == (50,)
    assert data.y.dtype == np.float64
    assert data.task == "regression"
    assert data.label_names is None


@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_gives_identical_data_and_other_seeds_differ(name):
    first = load(name, n_samples=64, seed=7)
    again = load(name, n_samples=64, seed=7)
    other = load(name, n_samples=64, seed=8)
    assert first.X.tobytes() == again.X.tobytes()
    assert first.y.tobytes() == again.y.tobytes()
    assert not np.array_equal(first.X, other.X)


@pytest.mark.parametrize("name", GENERATED)
def test_a_generator_is_accepted_as_seed(name):
    from_int = load(name, n_samples=20, seed=3)
    from_generator = load(name, n_samples=20, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(from_int.X, from_generator.X)
    np.testing.assert_array_equal(from_int.y, from_generator.y)


# --- generators: geometry without noise ----------------------------------------------------------


def test_xor_labels_follow_the_sign_rule():
    data = xor(n_samples=400, noise=0.0, seed=2)
    x1, x2 = data.X.T
    np.testing.assert_array_equal(data.y, (x1 * x2 > 0).astype(int))
    assert np.abs(data.X).max() <= 1.0
    assert np.all(data.X != 0.0)
    # all four quadrants are used, about equally
    quadrants = np.bincount(2 * (x1 < 0) + (x2 < 0), minlength=4)
    assert quadrants.tolist() == [100, 100, 100, 100]


def test_circles_inner_disc_lies_inside_the_outer_ring():
    data = circles(n_samples=500, noise=0.0, seed=3)
    radius = np.linalg.norm(data.X, axis=1)
    inner, outer = radius[data.y == 1], radius[data.y == 0]
    assert inner.max() <= 0.5
    assert outer.min() >= 0.7 - 1e-12
    assert outer.max() <= 1.0 + 1e-12
    assert inner.max() < outer.min()


def test_moons_lie_on_their_half_circles():
    data = moons(n_samples=300, noise=0.0, seed=4)
    upper, lower = data.X[data.y == 0], data.X[data.y == 1]
    np.testing.assert_allclose(np.linalg.norm(upper - [-0.5, -0.25], axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(lower - [0.5, 0.25], axis=1), 1.0)
    assert (upper[:, 1] >= -0.25 - 1e-12).all()
    assert (lower[:, 1] <= 0.25 + 1e-12).all()


def test_spirals_follow_their_angle_rule():
    data = spirals(n_samples=300, noise=0.0, seed=5)
    radius = np.linalg.norm(data.X, axis=1)
    assert radius.min() > 0.0
    assert radius.max() <= 1.0 + 1e-12
    # class k at radius r sits at angle 3.5 pi r + k pi
    angle = 3.5 * np.pi * radius + np.pi * data.y
    expected = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    np.testing.assert_allclose(data.X, expected, atol=1e-12)


def test_blobs_without_noise_sit_on_their_centres():
    data = blobs(n_samples=40, noise=0.0, n_classes=4, seed=6)
    # four centres evenly on the unit circle: angles 0, 90, 180 and 270 degrees
    centres = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    np.testing.assert_allclose(data.X, centres[data.y], atol=1e-12)


def test_blobs_noise_is_the_standard_deviation_of_each_cloud():
    data = blobs(n_samples=30_000, noise=0.3, n_classes=2, seed=7)
    centres = np.array([[1.0, 0.0], [-1.0, 0.0]])
    spread = data.X - centres[data.y]
    np.testing.assert_allclose(spread.std(axis=0), [0.3, 0.3], rtol=0.03)
    np.testing.assert_allclose(spread.mean(axis=0), [0.0, 0.0], atol=0.01)


def test_plane_without_noise_is_exactly_linear():
    data = plane(n_samples=100, noise=0.0, seed=8)
    np.testing.assert_allclose(data.y, 0.5 * data.X[:, 0] - 0.5 * data.X[:, 1] + 0.25)
    assert np.abs(data.X).max() <= 1.0
    custom = plane(n_samples=100, noise=0.0, seed=8, weights=(2.0, 3.0), bias=-1.0)
    np.testing.assert_allclose(custom.y, 2.0 * custom.X[:, 0] + 3.0 * custom.X[:, 1] - 1.0)


def test_plane_noise_moves_targets_off_the_plane():
    data = plane(n_samples=5_000, noise=0.2, seed=9)
    residual = data.y - (0.5 * data.X[:, 0] - 0.5 * data.X[:, 1] + 0.25)
    np.testing.assert_allclose(residual.std(), 0.2, rtol=0.05)


def test_multi_gaussian_without_noise_peaks_on_its_checkerboard_of_centres():
    data = multi_gaussian(n_samples=20_000, noise=0.0, seed=3)
    assert data.task == "regression"
    assert np.abs(data.X).max() <= 1.0
    # Within 0.05 of each centre (x1 in -2/3, 0, 2/3; x2 in 5/12, -5/12) y is that hill's
    # height, +1 at the top left, then alternating: exp(-0.05^2 / 0.08) = 0.969 at the rim, and
    # each of the (at most two) side neighbours' tails adds less than
    # exp(-(2/3 - 0.05)^2 / 0.08) = 0.009 of the opposite sign: within 0.05 of the height.
    centres = [(-2 / 3, 5 / 12), (0, 5 / 12), (2 / 3, 5 / 12)]
    centres += [(-2 / 3, -5 / 12), (0, -5 / 12), (2 / 3, -5 / 12)]
    for centre, height in zip(centres, [1, -1, 1, -1, 1, -1], strict=True):
        near = np.linalg.norm(data.X - centre, axis=1) < 0.05
        assert near.sum() > 10
        np.testing.assert_allclose(data.y[near], height, atol=0.05)
    # In the corners, at least 0.6 from every centre, y is within exp(-0.6^2 / 0.08) = 0.011
    # of 0 (the farther centres add less than 1e-4).
    far = (np.abs(data.X) > 0.95).all(axis=1)
    assert far.sum() > 10
    assert np.abs(data.y[far]).max() < 0.0112


def test_multi_gaussian_noise_is_added_to_the_targets():
    clean = multi_gaussian(n_samples=5_000, noise=0.0, seed=9)
    noisy = multi_gaussian(n_samples=5_000, noise=0.1, seed=9)
    np.testing.assert_array_equal(clean.X, noisy.X)
    np.testing.assert_allclose((noisy.y - clean.y).std(), 0.1, rtol=0.05)


def test_noise_blurs_the_moons():
    data = moons(n_samples=300, noise=0.1, seed=4)
    upper = data.X[data.y == 0]
    distance = np.linalg.norm(upper - [-0.5, -0.25], axis=1)
    assert np.abs(distance - 1.0).max() > 0.05


# --- generators: argument errors -----------------------------------------------------------------


@pytest.mark.parametrize("name", GENERATED)
@pytest.mark.parametrize("bad", [0, -5, 2.5, "10", True])
def test_bad_n_samples_is_named_with_its_value(name, bad):
    with pytest.raises(
        ValueError, match=re.escape(f"n_samples must be a positive integer, got {bad!r}")
    ):
        load(name, n_samples=bad)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_too_few_samples_for_every_class_is_an_error(name):
    with pytest.raises(
        ValueError, match=r"n_samples must be at least \d so that every class gets a sample, got 1"
    ):
        load(name, n_samples=1)


@pytest.mark.parametrize("name", GENERATED)
@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1"])
def test_bad_noise_is_named_with_its_value(name, bad):
    with pytest.raises(
        ValueError, match=re.escape(f"noise must be a non-negative number, got {bad!r}")
    ):
        load(name, noise=bad)


@pytest.mark.parametrize(
    ("seed", "error"), [(-1, ValueError), ("abc", TypeError), (1.5, TypeError)]
)
def test_bad_seed_is_named_with_its_value(seed, error):
    with pytest.raises(
        error,
        match=re.escape(
            f"seed must be None, a non-negative integer or a numpy Generator, got {seed!r}"
        ),
    ):
        moons(seed=seed)


def test_blobs_rejects_bad_class_counts():
    with pytest.raises(ValueError, match=r"n_classes must be an integer >= 2, got 1"):
        blobs(n_classes=1)
    with pytest.raises(ValueError, match=r"n_classes must be a positive integer, got 0"):
        blobs(n_classes=0)
    with pytest.raises(ValueError, match=r"n_samples must be at least 5 .* got 4"):
        blobs(n_samples=4, n_classes=5)


def test_plane_rejects_bad_weights_and_bias():
    with pytest.raises(
        ValueError, match=r"weights must hold 2 numbers, one per feature, got \[1\.0, 2\.0, 3\.0\]"
    ):
        plane(weights=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match=r"bias must contain only finite values, got nan"):
        plane(bias=float("nan"))


# --- registry ------------------------------------------------------------------------------------


def test_unknown_dataset_lists_the_choices():
    with pytest.raises(ValueError) as raised:
        load("foo")
    message = str(raised.value)
    assert message.startswith("unknown dataset 'foo'; choose one of: ")
    assert message.split(": ", 1)[1].split(", ") == list(GENERATORS)


def test_registry_holds_every_dataset_and_load_passes_arguments():
    assert set(GENERATORS) == {"gender", *GENERATED}
    np.testing.assert_array_equal(load("gender").X, gender().X)
    by_name = load("spirals", n_samples=30, noise=0.2, seed=11)
    direct = spirals(n_samples=30, noise=0.2, seed=11)
    np.testing.assert_array_equal(by_name.X, direct.X)
    np.testing.assert_array_equal(by_name.y, direct.y)


def test_describe_gives_one_line_per_dataset():
    listing = describe()
    assert [name for name, _ in listing] == list(GENERATORS)
    for name, text in listing:
        assert text and "\n" not in text
        assert text == GENERATORS[name].__doc__.splitlines()[0]
    assert dict(listing)["gender"].startswith("The tutorial's four people")


# --- Dataset checks ------------------------------------------------------------------------------


def test_dataset_converts_and_validates_its_fields():
    data = Dataset(
        X=[[1, 2], [3, 4]],
        y=[0.0, 1.0],
        feature_names=["a", "b"],
        target_name="t",
        task="classification",
    )
    assert data.X.dtype == np.float64
    assert data.y.dtype == np.int64
    assert data.feature_names == ("a", "b")
    with pytest.raises(ValueError, match=r"y must have one entry per row of X \(2\), got 3"):
        Dataset(
            X=[[1, 2], [3, 4]],
            y=[0, 1, 1],
            feature_names=("a", "b"),
            target_name="t",
            task="classification",
        )
    with pytest.raises(
        ValueError,
        match=r"y must hold class labels 0, 1, 2, \.\.\. for classification, "
        r"got 0\.5 at index 1",
    ):
        Dataset(
            X=[[1, 2], [3, 4]],
            y=[0, 0.5],
            feature_names=("a", "b"),
            target_name="t",
            task="classification",
        )
    with pytest.raises(
        ValueError, match=r"task must be one of 'classification', 'regression'; got 'cluster'"
    ):
        Dataset(X=[[1, 2]], y=[0], feature_names=("a", "b"), target_name="t", task="cluster")
    with pytest.raises(ValueError, match=r"feature_names must have 2 entries, got 1"):
        Dataset(X=[[1, 2]], y=[0], feature_names=("a",), target_name="t", task="classification")
    with pytest.raises(ValueError, match=r"label_names must name every class 0\.\.2, got 2 names"):
        Dataset(
            X=[[1, 2]],
            y=[2],
            feature_names=("a", "b"),
            target_name="t",
            task="classification",
            label_names=("x", "y"),
        )
    with pytest.raises(ValueError, match=r"label_names must be None for regression"):
        Dataset(
            X=[[1, 2]],
            y=[0.5],
            feature_names=("a", "b"),
            target_name="t",
            task="regression",
            label_names=("x",),
        )
    with pytest.raises(ValueError, match=r"sample_names must have 1 entries, got 2"):
        Dataset(
            X=[[1, 2]],
            y=[0],
            feature_names=("a", "b"),
            target_name="t",
            task="classification",
            sample_names=("p", "q"),
        )
    with pytest.raises(TypeError, match=r"feature_names must be a tuple or list of str, got 'ab'"):
        Dataset(X=[[1, 2]], y=[0], feature_names="ab", target_name="t", task="classification")


@pytest.mark.parametrize("label", [1e20, 2.0**53 + 2, np.iinfo(np.uint64).max])
def test_dataset_refuses_class_labels_that_int64_would_wrap(label):
    # Converted unchecked, 1e20 became -9223372036854775808 and another class's label.
    y = np.array([0, label], dtype=np.uint64 if isinstance(label, np.integer) else np.float64)
    with pytest.raises(ValueError, match=r"y must hold class labels 0, 1, 2, .* at index 1"):
        Dataset(X=[[1], [2]], y=y, feature_names=("a",), target_name="t", task="classification")


# --- CSV -----------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_read_csv_with_a_numeric_target(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,3.5\n4,-5e-1,6\n")
    table = read_csv(path, target="y")
    np.testing.assert_array_equal(table.features, [[1.0, 2.0], [4.0, -0.5]])
    assert table.features.dtype == np.float64
    assert table.feature_names == ("a", "b")
    np.testing.assert_array_equal(table.target, [3.5, 6.0])
    assert table.target.dtype == np.float64
    assert table.target_name == "y"
    assert table.path == path


def test_read_csv_with_a_text_target_in_the_middle(tmp_path):
    path = write(tmp_path, " x , label ,z\r\n 1 , cat ,2\r\n\r\n3,dog, 4 \r\n\n")
    table = read_csv(str(path), target="label")
    assert table.feature_names == ("x", "z")
    np.testing.assert_array_equal(table.features, [[1.0, 2.0], [3.0, 4.0]])
    assert table.target.dtype == object
    assert table.target.tolist() == ["cat", "dog"]


def test_read_csv_mixed_target_stays_text(tmp_path):
    table = read_csv(write(tmp_path, "a,t\n1,2\n3,x\n"), target="t")
    assert table.target.tolist() == ["2", "x"]


def test_read_csv_without_target_keeps_every_column(tmp_path):
    table = read_csv(write(tmp_path, "a,b\n1,2\n3,4\n5,6\n"))
    assert table.features.shape == (3, 2)
    assert table.feature_names == ("a", "b")
    assert table.target is None
    assert table.target_name is None


def test_read_csv_accepts_a_utf8_bom_and_quoted_cells(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b'\xef\xbb\xbfweight,"height"\n"133",65\n')
    table = read_csv(path)
    assert table.feature_names == ("weight", "height")
    np.testing.assert_array_equal(table.features, [[133.0, 65.0]])


def test_read_csv_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=re.escape(f"CSV file {path} does not exist")):
        read_csv(path)


def test_read_csv_directory_is_not_a_file(tmp_path):
    with pytest.raises(ValueError, match="is not a regular file"):
        read_csv(tmp_path)


@pytest.mark.parametrize("text", ["", "\n\n", "  \n"])
def test_read_csv_empty_file(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(
        ValueError, match=re.escape(f"{path}: the file is empty; expected a header row")
    ):
        read_csv(path)


def test_read_csv_header_only(tmp_path):
    path = write(tmp_path, "a,b,y\n")
    with pytest.raises(
        ValueError,
        match=re.escape(f"{path}: expected data rows after the header (line 1), got none"),
    ):
        read_csv(path, target="y")


def test_read_csv_missing_target_lists_columns(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,3\n")
    with pytest.raises(
        ValueError, match=re.escape(f"{path}: no target column 'label'; available columns: a, b, y")
    ):
        read_csv(path, target="label")


def test_read_csv_target_must_be_a_name(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(TypeError, match=r"target must be a column name \(str\) or None, got 1"):
        read_csv(path, target=1)


def test_read_csv_target_needs_feature_columns(tmp_path):
    path = write(tmp_path, "y\n1\n")
    with pytest.raises(
        ValueError, match=re.escape(f"{path}: expected feature columns besides the target 'y'")
    ):
        read_csv(path, target="y")


@pytest.mark.parametrize(("row", "count"), [("1,2,3", 3), ("1", 1)])
def test_read_csv_wrong_number_of_cells_names_the_line(tmp_path, row, count):
    path = write(tmp_path, f"a,b\n1,2\n\n{row}\n")
    # header is line 1, blank line 3 is skipped but still counted
    with pytest.raises(
        ValueError,
        match=re.escape(f"{path}, line 4: expected 2 cells, one per column, got {count}"),
    ):
        read_csv(path)


def test_read_csv_non_numeric_feature_names_line_column_and_cell(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,M\n3, abc ,F\n")
    with pytest.raises(
        TextCellError, match=re.escape(f"{path}, line 3, column 'b': expected a number, got 'abc'")
    ):
        read_csv(path, target="y")
    assert issubclass(TextCellError, ValueError)


@pytest.mark.parametrize("cell", ["", "NA", "nan", "NaN", "n/a", "null"])
@pytest.mark.parametrize("column", ["a", "y"])
def test_read_csv_missing_values_name_line_and_column(tmp_path, cell, column):
    cells = {"a": "1", "y": "2"} | {column: cell}
    path = write(tmp_path, f"a,y\n5,6\n7,8\n{cells['a']},{cells['y']}\n")
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"{path}, line 4, column '{column}': expected a value, got the missing value {cell!r}"
        ),
    ):
        read_csv(path, target="y")


@pytest.mark.parametrize("cell", ["inf", "-Infinity", "1e999"])
@pytest.mark.parametrize("column", ["a", "y"])
def test_read_csv_non_finite_numbers_name_line_and_column(tmp_path, cell, column):
    cells = {"a": "1", "y": "2"} | {column: cell}
    path = write(tmp_path, f"a,y\n{cells['a']},{cells['y']}\n")
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"{path}, line 2, column '{column}': expected a finite number, got {cell!r}"
        ),
    ):
        read_csv(path, target="y")


@pytest.mark.parametrize("cell", ["1e39", "-3.5e38", "1e308"])
@pytest.mark.parametrize("column", ["a", "c", "y"])
def test_read_csv_numbers_beyond_the_dtype_name_line_and_column(tmp_path, cell, column):
    cells = {"a": "1", "b": "2", "c": "3", "y": "4"} | {column: cell}
    rows = "\n".join(["a,y,b,c", "0,0,0,0", "", ",".join(cells[name] for name in "aybc")])
    path = write(tmp_path, rows + "\n")
    value = repr(float(cell))
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"{path}, line 4, column '{column}': {value} does not fit float32 (at most "
            "3.4028235e+38 in magnitude)"
        ),
    ):
        read_csv(path, target="y", columns=["c", "a", "b"], dtype="float32")
    # float64 holds them, and reading in float64 is the default
    table = read_csv(path, target="y", columns=["c", "a", "b"])
    assert float(cell) in table.features.tolist()[1] + table.target.tolist()


def test_read_csv_keeps_the_largest_float32_and_refuses_bad_dtypes(tmp_path):
    largest = float(np.finfo(np.float32).max)
    path = write(tmp_path, f"a,y\n{largest!r},{-largest!r}\n")
    table = read_csv(path, target="y", dtype="float32")
    assert table.features.tolist() == [[largest]] and table.target.tolist() == [-largest]
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got 'int8'"):
        read_csv(path, target="y", dtype="int8")


def test_read_csv_duplicate_column_names(tmp_path):
    path = write(tmp_path, "a,b, a\n1,2,3\n")
    with pytest.raises(
        ValueError, match=re.escape(f"{path}, line 1: duplicate column name 'a' (columns 1 and 3)")
    ):
        read_csv(path)


def test_read_csv_empty_column_name(tmp_path):
    path = write(tmp_path, "a,,c\n1,2,3\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 1: column 2 has an empty name")):
        read_csv(path)


def test_read_csv_rejects_text_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b\n1,2\nh\u00e9,3\n".encode("latin-1"))
    with pytest.raises(ValueError, match=re.escape(f"{path}: expected UTF-8 text, got byte 0xE9")):
        read_csv(path)


# The tutorial's table as a CSV file, with its text name column first.
PEOPLE = (
    "name,weight,height,gender\nAlice,133,65,F\nBob,160,72,M\nCharlie,152,70,M\nDiana,120,60,F\n"
)


def test_read_csv_columns_choose_and_order_the_features(tmp_path):
    path = write(tmp_path, "a,b,c,y\n1,2,3,4\n5,6,7,8\n")
    table = read_csv(path, target="y", columns=["c", "a"])
    assert table.feature_names == ("c", "a")
    np.testing.assert_array_equal(table.features, [[3.0, 1.0], [7.0, 5.0]])
    np.testing.assert_array_equal(table.target, [4.0, 8.0])
    table = read_csv(path, columns=("b",))
    assert table.feature_names == ("b",)
    np.testing.assert_array_equal(table.features, [[2.0], [6.0]])
    assert table.target is None


def test_read_csv_columns_skip_a_text_column_without_parsing_it(tmp_path):
    path = write(tmp_path, PEOPLE)
    table = read_csv(path, target="gender", columns=["height", "weight"])
    assert table.feature_names == ("height", "weight")
    np.testing.assert_array_equal(table.features, [[65, 133], [72, 160], [70, 152], [60, 120]])
    assert table.target.tolist() == ["F", "M", "M", "F"]
    # A left-out column is not read at all: not even a missing value in it is an error.
    holes = write(tmp_path, "id,a,y\nNA,1,2\n,3,4\n", name="holes.csv")
    np.testing.assert_array_equal(read_csv(holes, "y", columns=["a"]).features, [[1.0], [3.0]])
    # Without columns, the name column is a feature and its text is an error.
    with pytest.raises(TextCellError, match=re.escape("line 2, column 'name'")):
        read_csv(path, target="gender")


def test_read_csv_columns_the_file_lacks_are_named_with_the_available_ones(tmp_path):
    path = write(tmp_path, PEOPLE)
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"{path}: no columns 'age', 'shoe'; available columns: name, weight, height, gender"
        ),
    ):
        read_csv(path, target="gender", columns=["age", "weight", "shoe"])
    with pytest.raises(ValueError, match=re.escape(f"{path}: no column 'age'; available")):
        read_csv(path, columns=["age"])


@pytest.mark.parametrize(
    ("columns", "error", "message"),
    [
        ([], ValueError, "columns must name at least one feature column, got ()"),
        (["a", "b", "a"], ValueError, "columns must name each column once, got 'a' more than"),
        (["a", "y"], ValueError, "columns must not include the target column 'y'"),
        ("ab", TypeError, "columns must be a tuple or list of str, got 'ab'"),
        ([1], TypeError, "columns must be a tuple or list of str, got [1]"),
    ],
)
def test_read_csv_rejects_bad_columns(tmp_path, columns, error, message):
    path = write(tmp_path, "a,b,y\n1,2,3\n")
    with pytest.raises(error, match=re.escape(message)):
        read_csv(path, target="y", columns=columns)


def test_read_csv_with_columns_still_checks_the_cell_count_of_every_row(tmp_path):
    path = write(tmp_path, "name,a,y\nAlice,1,2\nBob,3\n")
    with pytest.raises(
        ValueError, match=re.escape(f"{path}, line 3: expected 3 cells, one per column, got 2")
    ):
        read_csv(path, target="y", columns=["a"])


# --- IDX -----------------------------------------------------------------------------------------

# Independent of the library's table: IDX type code -> big-endian dtype, and sample values that
# reach each type's extremes.
IDX_SAMPLES = {
    0x08: (">u1", [0, 1, 127, 128, 254, 255]),
    0x09: (">i1", [-128, -1, 0, 1, 100, 127]),
    0x0B: (">i2", [-32768, -2, 0, 258, 1000, 32767]),
    0x0C: (">i4", [-(2**31), -70000, 0, 1, 65536, 2**31 - 1]),
    0x0D: (">f4", [-1.5, 0.0, 0.1, 2.25, 3.0e38, -1.0e-30]),
    0x0E: (">f8", [np.pi, -1.0e300, 0.0, 5e-324, -2.5, 1.0 / 3.0]),
}


def write_idx(path: Path, array: np.ndarray, code: int, compress: bool = False) -> Path:
    big_endian = np.dtype(IDX_SAMPLES[code][0])
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=big_endian).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


@pytest.mark.parametrize("code", sorted(IDX_SAMPLES))
@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("shape", [(6,), (2, 3), (3, 1, 2)])
def test_read_idx_round_trips_every_type(tmp_path, code, compress, shape):
    dtype, values = IDX_SAMPLES[code]
    array = np.array(values, dtype=dtype).reshape(shape)
    path = write_idx(tmp_path / ("data.idx.gz" if compress else "data.idx"), array, code, compress)
    result = read_idx(path)
    assert result.shape == shape
    assert result.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(result, array)
    result[...] = 0  # a writable copy, not a view into the file's bytes


def test_read_idx_reads_big_endian_bytes_written_by_hand(tmp_path):
    # magic 00 00, type 0x0B (short), 1 dimension of size 2, then 0x0102 = 258 and 0xFFFE = -2
    path = tmp_path / "by_hand"
    path.write_bytes(bytes.fromhex("00 00 0B 01 00 00 00 02 01 02 FF FE"))
    np.testing.assert_array_equal(read_idx(path), [258, -2])


def test_read_idx_detects_gzip_by_magic_bytes_not_suffix(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gzipped = write_idx(tmp_path / "images-idx3-ubyte", array, 0x08, compress=True)
    assert gzipped.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(gzipped), array)
    plain = write_idx(tmp_path / "misnamed.gz", array, 0x08, compress=False)
    np.testing.assert_array_equal(read_idx(plain), array)


def test_read_idx_missing_file(tmp_path):
    path = tmp_path / "missing-idx1-ubyte"
    with pytest.raises(FileNotFoundError, match=re.escape(f"IDX file {path} does not exist")):
        read_idx(path)


@pytest.mark.parametrize(
    ("data", "shown"),
    [(b"PK\x03\x04rest", "50 4b 03 04"), (b"\x00\x00", "00 00"), (b"", "an empty file")],
)
def test_read_idx_bad_magic(tmp_path, data, shown):
    path = tmp_path / "bad"
    path.write_bytes(data)
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"{path}: not an IDX file; expected magic bytes 00 00 <type> <dims>, got {shown}"
        ),
    ):
        read_idx(path)


def test_read_idx_unknown_type_code(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(bytes([0, 0, 0x0A, 1, 0, 0, 0, 1, 7]))
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"{path}: unknown IDX type code 0x0A; "
            "expected one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E"
        ),
    ):
        read_idx(path)


def test_read_idx_truncated_header(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(bytes([0, 0, 0x08, 3, 0, 0, 0, 5]))
    with pytest.raises(
        ValueError,
        match=re.escape(f"{path}: truncated IDX header; expected 16 bytes for 3 sizes, got 8"),
    ):
        read_idx(path)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_truncated_data(tmp_path, compress):
    full = write_idx(tmp_path / "full", np.arange(6, dtype=">i2").reshape(2, 3), 0x0B).read_bytes()
    path = tmp_path / "short"
    path.write_bytes(gzip.compress(full[:-3]) if compress else full[:-3])
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"{path}: truncated IDX data; expected 12 bytes of int16 for shape (2, 3), got 9"
        ),
    ):
        read_idx(path)


def test_read_idx_trailing_bytes(tmp_path):
    path = write_idx(tmp_path / "long", np.arange(4, dtype=np.uint8), 0x08)
    path.write_bytes(path.read_bytes() + b"\x00\x01")
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"{path}: trailing bytes after IDX data; "
            "expected 4 bytes of uint8 for shape (4,), got 6"
        ),
    ):
        read_idx(path)


def test_read_idx_corrupt_gzip(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")[:12])
    with pytest.raises(ValueError, match=re.escape(f"{path}: corrupt gzip data")):
        read_idx(path)


def idx_header(code: int, shape) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def peak_memory(function, *args):
    """``(result or the exception raised, peak bytes traced while calling function(*args))``."""
    tracemalloc.start()
    try:
        try:
            result = function(*args)
        except ValueError as error:
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_gzip_bomb_after_a_small_header_is_not_decompressed(tmp_path):
    # 784 declared bytes, then 40 MB of zeros that compress to about 40 KB: reading stops one
    # byte past the declared size instead of decompressing everything first.
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(idx_header(0x08, (1, 28, 28)) + bytes(784))
        for _ in range(40):
            handle.write(bytes(1 << 20))
    error, peak = peak_memory(read_idx, path)
    assert "trailing bytes after IDX data; expected 784 bytes" in str(error)
    assert peak < 50 * path.stat().st_size + (2 << 20), peak


def test_a_header_declaring_more_than_gzip_can_hold_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "liar.gz"
    path.write_bytes(gzip.compress(idx_header(0x08, (60000, 784, 784)) + bytes(100)))
    error, peak = peak_memory(read_idx, path)
    assert "the header declares more data than the file can hold" in str(error)
    assert peak < 1 << 20, peak


def test_a_header_declaring_more_than_a_35_kb_gzip_holds_costs_what_the_file_holds(tmp_path):
    # 30 MB declared, under gzip's 1032-fold limit for a 35 KB file, but only 35 KB there: the
    # reader finds out piece by piece, without allocating the declared size.
    noise = np.random.default_rng(0).integers(0, 256, 35_000, dtype=np.uint8).tobytes()
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(idx_header(0x08, (1, 5000, 6000)) + noise))
    assert path.stat().st_size < 36_000
    error, peak = peak_memory(read_idx, path)
    assert str(error).endswith(
        "truncated IDX data; expected 30000000 bytes of uint8 for shape (1, 5000, 6000), "
        f"got {len(noise)}"
    )
    assert peak < 50 * path.stat().st_size + (1 << 20), peak


def test_a_plain_file_whose_header_does_not_match_its_size_is_refused_unread(tmp_path):
    path = tmp_path / "liar"
    path.write_bytes(idx_header(0x0E, (2**31, 2**31, 255)) + bytes(16))
    error, peak = peak_memory(read_idx, path)
    assert f"truncated IDX data; expected {8 * 2**62 * 255} bytes of float64" in str(error)
    assert "got 16" in str(error)
    assert peak < 1 << 20, peak


def test_load_mnist_makes_no_string_per_pixel(tmp_path):
    # Two large all-black images compress to a few kilobytes; naming each of their four million
    # pixels with a string of its own cost about 300 MB.
    images = np.zeros((2, 2000, 2000), dtype=np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, 0x08, compress=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([3, 7], dtype=np.uint8), 0x08)
    data, peak = peak_memory(load_mnist, tmp_path)
    assert data.X.shape == (2, 4_000_000)
    # what the pixels really are: one byte each read, eight as float64
    assert peak < 10 * images.nbytes + (8 << 20), peak
    names = data.feature_names
    assert len(names) == 4_000_000
    assert names[0] == "pixel_0_0" and names[2001] == "pixel_1_1" and names[-1] == "pixel_1999_1999"
    assert names[1:3] == ("pixel_0_1", "pixel_0_2")
    with pytest.raises(IndexError):
        names[4_000_000]


def test_pixel_names_read_like_the_tuple_they_stand_for():
    names = datasets.PixelNames(2, 3)
    expected = ("pixel_0_0", "pixel_0_1", "pixel_0_2", "pixel_1_0", "pixel_1_1", "pixel_1_2")
    assert tuple(names) == expected and names == expected and names == list(expected)
    assert names == datasets.PixelNames(2, 3) and names != datasets.PixelNames(3, 2)
    assert "pixel_1_2" in names and names.index("pixel_1_0") == 3
    assert names[::-2] == expected[::-2]


# --- MNIST ---------------------------------------------------------------------------------------


def fake_mnist(
    folder: Path, prefix: str, n_images: int, n_labels: int | None = None, seed: int = 0
):
    """Write a tiny MNIST pair: images gzip-compressed, labels plain, like a partial unpack."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n_images, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 27, 27] = 0, 255
    labels = (np.arange(n_labels if n_labels is not None else n_images) * 3 % 10).astype(np.uint8)
    write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images, 0x08, compress=True)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels, 0x08)
    return images, labels


def test_load_mnist_reads_a_tiny_fake_folder(tmp_path):
    images, labels = fake_mnist(tmp_path, "train", 5)
    fake_mnist(tmp_path, "t10k", 3, seed=1)
    data = load_mnist(tmp_path)
    assert data.X.shape == (5, 784)
    assert data.X.dtype == np.float64
    assert data.X.min() == 0.0
    assert data.X.max() == 1.0
    # pixel (row 2, column 5) of image 4 is feature 2 * 28 + 5
    assert data.X[4, 2 * 28 + 5] == images[4, 2, 5] / 255.0
    np.testing.assert_allclose(data.X * 255.0, images.reshape(5, 784))
    np.testing.assert_array_equal(data.y, [0, 3, 6, 9, 2])
    np.testing.assert_array_equal(data.y, labels)
    assert data.y.dtype == np.int64
    assert data.task == "classification"
    assert data.label_names == tuple("0123456789")
    assert len(data.feature_names) == 784
    assert data.feature_names[2 * 28 + 5] == "pixel_2_5"


def test_load_mnist_test_kind_reads_the_t10k_files(tmp_path):
    fake_mnist(tmp_path, "train", 5)
    images, labels = fake_mnist(tmp_path, "t10k", 3, seed=1)
    data = load_mnist(str(tmp_path), kind="test")
    assert data.X.shape == (3, 784)
    np.testing.assert_allclose(data.X * 255.0, images.reshape(3, 784))
    np.testing.assert_array_equal(data.y, labels)


def test_load_mnist_names_the_missing_file_and_folder(tmp_path):
    fake_mnist(tmp_path, "train", 5)
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(
        FileNotFoundError,
        match=re.escape(
            f"MNIST folder {tmp_path} has no train-labels-idx1-ubyte or train-labels-idx1-ubyte.gz"
        ),
    ):
        load_mnist(tmp_path)
    with pytest.raises(
        FileNotFoundError, match=re.escape(f"MNIST folder {tmp_path} has no t10k-images-idx3-ubyte")
    ):
        load_mnist(tmp_path, kind="test")


def test_load_mnist_missing_folder(tmp_path):
    folder = tmp_path / "mnist"
    with pytest.raises(FileNotFoundError, match=re.escape(f"MNIST folder {folder} does not exist")):
        load_mnist(folder)


def test_load_mnist_counts_must_match(tmp_path):
    fake_mnist(tmp_path, "train", 5, n_labels=4)
    with pytest.raises(
        ValueError, match=r"holds 5 images but .*train-labels-idx1-ubyte holds 4 labels"
    ):
        load_mnist(tmp_path)


def test_load_mnist_rejects_bad_kind_and_bad_contents(tmp_path):
    with pytest.raises(ValueError, match=r"kind must be one of 'train', 'test'; got 'valid'"):
        load_mnist(tmp_path, kind="valid")
    fake_mnist(tmp_path, "train", 2)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 12], dtype=np.uint8), 0x08)
    with pytest.raises(ValueError, match=r"expected digit labels 0\.\.9, got 12"):
        load_mnist(tmp_path)
    write_idx(
        tmp_path / "train-images-idx3-ubyte.gz",
        np.zeros((2, 28, 28), dtype=np.float32),
        0x0D,
        compress=True,
    )
    with pytest.raises(
        ValueError, match=r"expected uint8 images of shape \(n_images, rows, columns\), got float32"
    ):
        load_mnist(tmp_path)


def test_package_imports_nothing_above_numpy():
    modules = sorted(Path(datasets.__file__).parent.glob("*.py"))
    assert {module.stem for module in modules} >= {
        "__init__",
        "base",
        "generators",
        "csv_files",
        "idx",
        "text",
    }
    imports = {
        line.split()[1]
        for module in modules
        for line in module.read_text(encoding="utf-8").splitlines()
        if line.startswith(("import ", "from "))
    }
    assert {name for name in imports if not name.startswith("glassnet.datasets.")} <= {
        "__future__",
        "collections.abc",
        "csv",
        "gzip",
        "math",
        "operator",
        "os",
        "struct",
        "zlib",
        "dataclasses",
        "pathlib",
        "numpy",
        "glassnet._checks",
    }


def test_read_csv_header_reads_the_names_as_read_csv_does(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("\ufeff\n weight , height,gender\n133,65,F\nnot,even,read\n", encoding="utf-8")
    assert datasets.read_csv_header(path) == ["weight", "height", "gender"]
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="the file is empty"):
        datasets.read_csv_header(empty)
