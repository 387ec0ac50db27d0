"""The library's rules for tasks: inference, output layer and loss, targets, the split.

``fit``, ``evaluate`` and the command line all call ``glassnet.tasks``; these tests pin each
rule, and check that the places that use a rule agree with it.
"""

import numpy as np
import pytest

import glassnet
from glassnet import Dense, Network, datasets, io, tasks
from glassnet.training import evaluate

# -- infer_task ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [
        ["yes", "no", "yes"],
        np.array([True, False, True]),
        np.array(["a", 1, 2.5], dtype=object),
    ],
    ids=["str", "bool", "object"],
)
def test_text_booleans_and_objects_are_labels(labels):
    assert tasks.infer_task(labels) == "classification"
    # even when a loss for numbers is named: only an explicit task can say otherwise
    assert tasks.infer_task(labels, loss="mse") == "classification"


def test_fractions_and_non_finite_numbers_are_a_regression():
    assert tasks.infer_task([0.5, 1.0, 2.0]) == "regression"
    assert tasks.infer_task([0.0, 1.0, np.nan]) == "regression"
    assert tasks.infer_task([0.0, 1.0, np.inf]) == "regression"
    # a cross-entropy does not make fractions labels: that takes task="classification"
    assert tasks.infer_task([0.5, 1.5, 0.5], loss="cross_entropy") == "regression"


def test_whole_numbers_are_labels_up_to_max_classes_distinct_values():
    limit = tasks.MAX_CLASSES
    assert tasks.infer_task(np.arange(limit)) == "classification"
    assert tasks.infer_task(np.arange(limit + 1)) == "regression"
    assert tasks.infer_task(np.arange(limit, dtype=np.float64)) == "classification"
    assert tasks.infer_task(np.arange(limit + 1, dtype=np.float64)) == "regression"
    # each value counts once, however often it occurs
    assert tasks.infer_task(np.tile([1.0, 2.0, 3.0], 100)) == "classification"
    # a constant is not two classes
    assert tasks.infer_task(np.ones(10)) == "regression"


def test_a_named_loss_decides_what_whole_numbers_are():
    many = np.arange(25) % 25
    assert tasks.infer_task(many, loss="cross_entropy") == "classification"
    assert tasks.infer_task(many, loss="binary_cross_entropy") == "classification"
    ratings = np.arange(60) % 10 + 1
    assert tasks.infer_task(ratings) == "classification"
    assert tasks.infer_task(ratings, loss="mse") == "regression"
    assert tasks.infer_task(ratings, loss=glassnet.losses.squared_error) == "regression"


def test_several_target_columns_are_a_regression():
    assert tasks.infer_task(np.eye(3)) == "regression"
    assert tasks.infer_task(np.array([[0], [1], [1]])) == "classification"  # one column


def test_an_explicit_task_wins_and_is_checked():
    assert tasks.infer_task([0.5, 1.5, 0.5], "classification") == "classification"
    assert tasks.infer_task([0, 1, 1], "regression") == "regression"
    assert tasks.infer_task(np.arange(100), "classification") == "classification"
    with pytest.raises(ValueError, match="task must be one of 'classification', 'regression'"):
        tasks.infer_task([0, 1], "clustering")
    with pytest.raises(ValueError, match="task 'regression' needs numbers, got labels such as 'a'"):
        tasks.infer_task(["a", "b"], "regression")
    with pytest.raises(ValueError, match=r"one label per sample, got targets of shape \(3, 3\)"):
        tasks.infer_task(np.eye(3), "classification")


def test_complex_and_empty_targets_are_refused():
    with pytest.raises(TypeError, match="real numbers or labels, got complex"):
        tasks.infer_task(np.array([1 + 5j, 2j]))
    with pytest.raises(ValueError, match=r"non-empty 1-D or 2-D array, got shape \(0,\)"):
        tasks.infer_task([])


# -- output_spec and default_loss ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "count", "loss", "expected"),
    [
        ("classification", 2, None, (1, "sigmoid", "binary_cross_entropy")),
        ("classification", 3, None, (3, "softmax", "cross_entropy")),
        ("classification", 2, "cross_entropy", (2, "softmax", "cross_entropy")),
        ("classification", 2, "mse", (1, "sigmoid", "mse")),
        ("classification", 4, "mse", (4, "softmax", "mse")),
        ("regression", 1, None, (1, "identity", "mse")),
        ("regression", 3, None, (3, "identity", "mse")),
        ("regression", 1, "squared_error", (1, "identity", "squared_error")),
    ],
)
def test_output_spec(task, count, loss, expected):
    assert tasks.output_spec(task, count, loss) == tasks.OutputSpec(*expected)


def test_output_spec_refuses_a_loss_that_does_not_suit_the_task():
    with pytest.raises(ValueError, match="cross_entropy needs class labels"):
        tasks.output_spec("regression", 1, "cross_entropy")
    with pytest.raises(ValueError, match="binary_cross_entropy tells 2 classes apart, got 3"):
        tasks.output_spec("classification", 3, "binary_cross_entropy")
    with pytest.raises(ValueError, match="at least two classes, got 1"):
        tasks.output_spec("classification", 1)


def network_with(output: str, n_out: int = 1) -> Network:
    return Network([Dense(2, 3, "tanh"), Dense(3, n_out, output)], seed=0)


def test_default_loss():
    assert tasks.default_loss(network_with("softmax", 3)) == "cross_entropy"
    sigmoid = network_with("sigmoid")
    assert tasks.default_loss(sigmoid, "classification") == "binary_cross_entropy"
    assert tasks.default_loss(sigmoid, "regression") == "mse"
    assert tasks.default_loss(sigmoid) == "mse"  # no classes yet: it predicts a number
    sigmoid.classes = np.array(["no", "yes"])
    assert tasks.default_loss(sigmoid) == "binary_cross_entropy"  # a loaded classifier
    identity = network_with("identity")
    identity.classes = np.array([0, 1])
    assert tasks.default_loss(identity) == "mse"  # only a sigmoid unit is a probability
    assert tasks.default_loss(network_with("sigmoid", 3), "classification") == "mse"
    # fit: a sigmoid unit on fractions predicts a number in (0, 1)
    fractions = network_with("sigmoid")
    fractions.fit(np.ones((5, 2)), np.linspace(0.1, 0.9, 5), epochs=1)
    assert fractions.loss.name == "mse" and fractions.classes is None


def test_the_scoring_loss_is_the_training_loss_when_known():
    network = network_with("sigmoid")
    network.classes = np.array([0, 1])
    assert tasks.scoring_loss(network) == "binary_cross_entropy"
    network.loss = glassnet.losses.mse
    assert tasks.scoring_loss(network) is glassnet.losses.mse


# -- fit follows the rules -------------------------------------------------------------------------


def yes_no():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    labels = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    return X, labels


def test_a_sigmoid_unit_trains_on_text_labels():
    X, labels = yes_no()
    network = Network([Dense(2, 3, "tanh"), Dense(3, 1, "sigmoid")], seed=0)
    network.fit(X, labels, optimizer="adam", learning_rate=0.05, epochs=60, batch_size=16)
    assert list(network.classes) == ["no", "yes"]
    assert network.loss.name == "binary_cross_entropy"
    assert np.mean(network.predict(X) == labels) > 0.9
    # the tutorial's mse on the same labels: the unit is trained on the index 0 or 1
    network = Network([Dense(2, 3, "tanh"), Dense(3, 1, "sigmoid")], seed=0)
    network.fit(X, labels, loss="mse", optimizer="adam", learning_rate=0.05, epochs=60)
    assert list(network.classes) == ["no", "yes"]
    assert np.mean(network.predict(X) == labels) > 0.9


@pytest.mark.parametrize(
    ("output", "n_out", "y"),
    [
        ("sigmoid", 1, [0, 1] * 10),
        ("sigmoid", 1, ["F", "M"] * 10),
        ("softmax", 3, [0, 1, 2] * 7),
        ("softmax", 3, ["cat", "dog", "emu"] * 7),
        ("identity", 1, np.linspace(0, 1, 20)),
    ],
)
def test_fit_and_the_command_lines_rules_choose_the_same_loss(output, n_out, y):
    # What the command line builds for the targets, fit picks for that network by itself.
    task = tasks.infer_task(y)
    n = len(np.unique(y)) if task == "classification" else 1
    spec = tasks.output_spec(task, n)
    assert (spec.activation, spec.n_out) == (output, n_out)
    network = Network([Dense(2, n_out, output)], seed=0)
    network.fit(np.random.default_rng(0).normal(size=(len(y), 2)), y, epochs=1)
    assert network.loss.name == spec.loss
    assert (network.classes is not None) == (task == "classification")


def test_the_tutorials_mse_on_numbers_stays_a_regression():
    people = datasets.gender()
    network = Network([Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")], seed=0)
    network.fit(people.X, people.y, loss="mse", epochs=2)
    assert network.classes is None
    assert network.predict(people.X).dtype == network.dtype  # outputs, not labels
    network.fit(people.X, people.y, loss="mse", epochs=2, task="classification")
    assert list(network.classes) == [0, 1]
    assert network.predict(people.X).dtype.kind == "i"
    # fitted on numbers again, it forgets the classes
    network.fit(people.X, people.y.astype(float), loss="mse", epochs=1)
    assert network.classes is None


def test_a_task_override_reaches_fit():
    X = np.random.default_rng(0).normal(size=(30, 2))
    counts = np.arange(30) % 3  # three whole numbers: classes by default
    network = Network([Dense(2, 1, "identity")], seed=0)
    network.fit(X, counts, epochs=1, task="regression")
    assert network.classes is None and network.loss.name == "mse"
    network = Network([Dense(2, 3, "softmax")], seed=0)
    network.fit(X, counts * 0.5, epochs=1, task="classification")
    assert list(network.classes) == [0.0, 0.5, 1.0]


def test_fewer_classes_than_outputs_are_refused_at_fit():
    X, labels = yes_no()
    network = Network([Dense(2, 3, "softmax")], seed=0)
    with pytest.raises(ValueError, match=r"Y has 2 classes but the network's output can tell 3"):
        network.fit(X, labels, epochs=1)
    assert network.classes is None
    with pytest.raises(ValueError, match=r"give the last layer 1 unit \(sigmoid\) or 2"):
        network.fit(X, labels, epochs=1)
    # so every output stands for a class: predict answers for inputs far from the data
    network = Network([Dense(2, 2, "softmax")], seed=0)
    network.fit(X, labels, epochs=1)
    far = np.array([[1e6, -1e6], [-1e6, 1e6], [0.0, 1e6]])
    assert set(network.predict(far)) <= {"no", "yes"}


def test_a_model_file_with_fewer_classes_than_outputs_is_refused(tmp_path):
    from glassnet import safetensors

    X, _ = yes_no()
    network = Network([Dense(2, 3, "softmax")], seed=0)
    network.fit(X, np.arange(80) % 3, epochs=1)
    path = tmp_path / "model.safetensors"
    io.save(network, path)
    arrays, metadata = safetensors.load(path)
    metadata["classes"] = "[0, 1]"
    safetensors.save(path, arrays, metadata)
    with pytest.raises(io.ModelFileError, match=r"has 2 label.*tells exactly 3 classes apart"):
        io.load(path)


# -- encode_targets --------------------------------------------------------------------------------


def test_labels_become_the_outputs_targets():
    softmax = network_with("softmax", 3)
    targets = tasks.encode_targets(softmax, ["b", "c", "a", "b"], "mse", 4, task="classification")
    np.testing.assert_array_equal(targets, np.eye(3)[[1, 2, 0, 1]])
    assert list(softmax.classes) == ["a", "b", "c"]
    sigmoid = network_with("sigmoid")
    with pytest.raises(TypeError, match="Y must be numeric"):
        # no task and no classes: the targets must be numbers...
        tasks.encode_targets(sigmoid, ["y", "n", "y"], "binary_cross_entropy", 3)
    targets = tasks.encode_targets(
        sigmoid, ["y", "n", "y"], "binary_cross_entropy", 3, task="classification"
    )
    np.testing.assert_array_equal(targets, [[1.0], [0.0], [1.0]])
    # ...and once the network has classes, labels are encoded with them, not refitted
    targets = tasks.encode_targets(sigmoid, ["n", "n"], "binary_cross_entropy", 2, refit=False)
    np.testing.assert_array_equal(targets, [[0.0], [0.0]])
    assert list(sigmoid.classes) == ["n", "y"]


def test_target_errors_name_the_problem():
    network = network_with("softmax", 2)
    with pytest.raises(ValueError, match=r"Y must have 4 rows, one per sample of X, got 3"):
        tasks.encode_targets(network, ["a", "b", "a"], "cross_entropy", 4, task="classification")
    with pytest.raises(ValueError, match=r"Y has a single class \('a'\)"):
        tasks.encode_targets(network, ["a", "a"], "cross_entropy", 2, task="classification")
    network.classes = np.array(["a", "b"])
    with pytest.raises(ValueError, match=r"unknown label .*'c'"):
        tasks.encode_targets(network, ["a", "c"], "cross_entropy", 2, refit=False)


def test_evaluate_encodes_labels_with_the_networks_classes():
    X, labels = yes_no()
    network = Network([Dense(2, 1, "sigmoid")], seed=0)
    network.fit(X, labels, loss="mse", optimizer="adam", learning_rate=0.1, epochs=30)
    scores = evaluate(network, X, labels)
    assert scores["accuracy"] == np.mean(network.predict(X) == labels)
    expected = np.mean((network.predict_output(X)[:, 0] - (labels == "yes")) ** 2)
    assert scores["loss"] == pytest.approx(expected, rel=1e-5)  # the loss it was trained with


# -- stratified_split ------------------------------------------------------------------------------


def test_each_class_is_split_alike_and_keeps_a_training_row():
    labels = np.array([0] * 90 + [1] * 10 + [2] * 1)
    train, validation = tasks.stratified_split(101, 0.2, np.random.default_rng(0), labels)
    assert np.bincount(labels[validation], minlength=3).tolist() == [18, 2, 0]
    assert np.bincount(labels[train], minlength=3).tolist() == [72, 8, 1]
    assert np.array_equal(np.sort(np.concatenate([train, validation])), np.arange(101))
    assert np.all(np.diff(validation) > 0) and np.all(np.diff(train) > 0)
    again = tasks.stratified_split(101, 0.2, np.random.default_rng(0), labels)
    assert np.array_equal(again[1], validation)


def test_without_labels_the_rows_are_drawn_from_all_alike():
    train, validation = tasks.stratified_split(10, 0.3, np.random.default_rng(1))
    assert len(validation) == 3 and len(train) == 7
    expected = np.sort(np.random.default_rng(1).permutation(10)[:3])
    np.testing.assert_array_equal(validation, expected)


def test_fits_validation_split_is_stratified_for_a_classifier():
    # 5 of 50 samples are class 1: a plain draw of 10 often misses them or takes too many.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 2))
    y = np.array([0] * 45 + [1] * 5)
    network = Network([Dense(2, 2, "softmax")], seed=0)
    history = network.fit(X, y, epochs=1, validation_split=0.2, seed=4)
    _, validation = tasks.stratified_split(50, 0.2, np.random.default_rng(4), y)
    assert np.bincount(y[validation]).tolist() == [9, 1]
    expected = evaluate(network, X[validation], y[validation])
    assert history["val_loss"][-1] == pytest.approx(expected["loss"], rel=1e-5)
    with pytest.raises(ValueError, match=r"validation_split=0\.01 leaves 0 of 50 samples"):
        Network([Dense(2, 2, "softmax")], seed=0).fit(X, y, epochs=1, validation_split=0.01)


# -- as_class_labels -------------------------------------------------------------------------------


def test_class_labels_keep_what_the_user_wrote():
    labels = tasks.as_class_labels(np.array([1.0, 2.0, 1.0]))
    assert labels.dtype == np.int64 and labels.tolist() == [1, 2, 1]
    huge = tasks.as_class_labels(np.array([1e20, 2e20, 0.0]))
    assert huge.dtype == np.float64 and len(np.unique(huge)) == 3  # no wrap-around merging
    assert tasks.as_class_labels(np.array(["a", "b"], dtype=object)).tolist() == ["a", "b"]
    assert tasks.as_class_labels(np.array([0.5, 1.5])).tolist() == [0.5, 1.5]
