"""The scikit-learn estimators: every estimator check, the model-selection tools, drop-in use."""

import inspect
import pickle
import tracemalloc

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits, make_classification, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import glassnet  # noqa: E402
from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor  # noqa: E402


@parametrize_with_checks([GlassnetClassifier(), GlassnetRegressor()])
def test_every_scikit_learn_estimator_check_passes(estimator, check):
    check(estimator)


# -- drop-in for MLPClassifier and MLPRegressor ----------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"), [(GlassnetClassifier, MLPClassifier), (GlassnetRegressor, MLPRegressor)]
)
def test_mlps_parameters_keep_their_names_and_defaults(ours, theirs):
    their_defaults = theirs().get_params()
    our_defaults = ours().get_params()
    not_available = {"max_fun", "power_t"}  # lbfgs's budget; invscaling's exponent
    for name, value in their_defaults.items():
        if name in not_available:
            continue
        assert name in our_defaults, name
        if name != "solver":
            assert our_defaults[name] == value, name
    assert our_defaults["solver"] == "adam"
    for name in ("optimizer", "weight_decay", "dropout", "standardize", "dtype"):
        assert name in our_defaults

    # The same arguments may be given by position, the rest only by keyword.
    def positional(cls):
        parameters = inspect.signature(cls).parameters.values()
        return [p.name for p in parameters if p.kind is not inspect.Parameter.KEYWORD_ONLY]

    assert positional(ours) == positional(theirs)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # MLP's, at max_iter
def test_replacing_mlpclassifier_is_one_word():
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    options = {"hidden_layer_sizes": (64,), "max_iter": 60, "random_state": 0, "alpha": 1e-4}
    theirs = make_pipeline(StandardScaler(), MLPClassifier(**options)).fit(X_train, y_train)
    ours = make_pipeline(StandardScaler(), GlassnetClassifier(**options)).fit(X_train, y_train)
    assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test) - 0.02
    assert ours.score(X_test, y_test) >= 0.95


def test_a_regressor_learns_several_outputs():
    X, Y = make_regression(300, 5, n_targets=2, noise=1.0, random_state=0)
    model = GlassnetRegressor(
        hidden_layer_sizes=(32,), max_iter=300, learning_rate_init=0.01, random_state=0
    )
    model.fit(X, Y / 100)
    assert model.predict(X).shape == (300, 2)
    assert model.n_outputs_ == 2
    assert model.score(X, Y / 100) > 0.95


def test_labels_of_any_type_come_back_in_predict_proba_order():
    X, y = make_classification(200, 4, n_informative=3, n_redundant=0, n_classes=3,
                               random_state=0)  # fmt: skip
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = GlassnetClassifier((16,), max_iter=100, learning_rate_init=0.01, random_state=0)
    model.fit(X, names)
    assert model.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    proba = model.predict_proba(X)
    assert proba.shape == (200, 3)
    assert model.predict(X).tolist() == model.classes_[proba.argmax(axis=1)].tolist()
    assert model.network_.classes.tolist() == model.classes_.tolist()
    assert model.score(X, names) > 0.8


def test_the_network_is_there_to_explain_save_and_export(tmp_path):
    pytest.importorskip("onnx")
    X, y = make_classification(100, 3, n_informative=2, n_redundant=0, random_state=1)
    model = GlassnetClassifier((5,), max_iter=20, random_state=0).fit(X, y)
    network = model.network_
    assert isinstance(network, glassnet.Network)
    assert network.scaler is not None  # standardize=True keeps the scaling with the network
    assert len(model.coefs_) == 2 and model.coefs_[0].shape == (3, 5)
    assert np.shares_memory(model.coefs_[0], network.layers[0].W)
    trace = network.explain(X[0], [y[0]], loss=network.loss)  # raw inputs, as predict's
    assert trace.loss.value > 0
    network.save(tmp_path / "model.safetensors")
    loaded = glassnet.load(tmp_path / "model.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    network.to_onnx(tmp_path / "model.onnx")
    assert (tmp_path / "model.onnx").stat().st_size > 0


def test_feature_names_come_from_a_dataframe_and_travel_with_the_network():
    pandas = pytest.importorskip("pandas")
    X, y = make_regression(80, 3, random_state=0)
    frame = pandas.DataFrame(X, columns=["height", "weight", "age"])
    model = GlassnetRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(frame, y)
    assert model.feature_names_in_.tolist() == ["height", "weight", "age"]
    assert model.network_.feature_names == ("height", "weight", "age")
    renamed = frame.rename(columns={"age": "years"})
    with pytest.raises(ValueError, match="feature names"):
        model.predict(renamed)


# -- model selection and joblib ------------------------------------------------------------------


def small_classification():
    return make_classification(
        120, 5, n_informative=3, n_redundant=0, class_sep=2.0, random_state=0
    )


def test_grid_search_with_two_jobs_and_cross_val_score():
    X, y = small_classification()
    classifier = GlassnetClassifier(max_iter=30, learning_rate_init=0.01, random_state=0)
    model = make_pipeline(StandardScaler(), classifier)
    grid = {"glassnetclassifier__hidden_layer_sizes": [(4,), (16,)],
            "glassnetclassifier__alpha": [1e-4, 1e-1]}  # fmt: skip
    search = GridSearchCV(model, grid, cv=3, n_jobs=2).fit(X, y)
    serial = GridSearchCV(model, grid, cv=3, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    assert search.best_score_ > 0.7
    scores = cross_val_score(clone(classifier).set_params(hidden_layer_sizes=(8,)), X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.6


def test_clone_and_pickle_keep_everything():
    X, y = small_classification()
    model = GlassnetClassifier((6,), max_iter=10, random_state=3, dropout=0.1)
    fresh = clone(model)
    assert fresh.get_params() == model.get_params()
    model.fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert restored.loss_curve_ == model.loss_curve_


# -- incremental and warm-started training ---------------------------------------------------------


def test_partial_fit_needs_the_classes_first_then_continues_the_optimizer():
    X, y = small_classification()
    model = GlassnetClassifier((8,), random_state=0, batch_size=30)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    model.partial_fit(X[:60], y[:60], classes=[0, 1])
    optimizer = model._optimizer
    assert optimizer.iterations == 2  # 60 samples, batches of 30
    model.partial_fit(X[60:], y[60:])
    assert model._optimizer is optimizer and optimizer.iterations == 4
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    with pytest.raises(ValueError, match="differs from the classes_"):
        model.partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_takes_one_pass_like_fit_with_one_epoch():
    X, y = small_classification()
    options = {"hidden_layer_sizes": (8,), "random_state": 0, "shuffle": False, "max_iter": 1,
               "n_iter_no_change": None}  # fmt: skip
    by_fit = GlassnetClassifier(**options).fit(X, y)
    by_partial_fit = GlassnetClassifier(**options).partial_fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(by_fit.predict_proba(X), by_partial_fit.predict_proba(X))


def test_warm_start_continues_from_the_weights():
    X, y = small_classification()
    model = GlassnetClassifier((8,), max_iter=5, random_state=0, warm_start=True)
    model.fit(X, y)
    weights = model.network_.get_weights()
    network = model.network_
    model.fit(X, y)
    assert model.network_ is network
    assert not np.array_equal(network.get_weights()["layers.0.W"], weights["layers.0.W"])
    cold = GlassnetClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(cold.network_.get_weights()["layers.0.W"], weights["layers.0.W"])


# -- data larger than memory -----------------------------------------------------------------------


@pytest.fixture
def npy_files(tmp_path):
    """A classification problem saved as .npy files: 100,000 rows of 20 float32 features."""
    X, y = make_classification(100_000, 20, n_informative=10, random_state=0)
    np.save(tmp_path / "X.npy", (3 * X + 5).astype(np.float32))
    np.save(tmp_path / "y.npy", y)
    return tmp_path / "X.npy", tmp_path / "y.npy"


STREAMED = {"hidden_layer_sizes": (16,), "max_iter": 3, "batch_size": 100, "random_state": 0,
            "shuffle": False, "n_iter_no_change": None}  # fmt: skip


def peak_memory(function):
    """``(result, peak bytes allocated while it ran)``, as tracemalloc sees NumPy's arrays."""
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_memory_mapped_x_is_read_in_blocks(npy_files, monkeypatch):
    monkeypatch.setattr(glassnet.sklearn, "STREAM_BLOCK_BYTES", 80_000)  # 1,000 rows a block
    X = np.load(npy_files[0], mmap_mode="r")
    y = np.load(npy_files[1], mmap_mode="r")
    options = {**STREAMED, "max_iter": 2}
    GlassnetClassifier(**options).fit(X[:2000], y[:2000])  # the first fit's one-off costs
    streamed, streamed_peak = peak_memory(lambda: GlassnetClassifier(**options).fit(X, y))
    in_memory, in_memory_peak = peak_memory(
        lambda: GlassnetClassifier(**options).fit(np.array(X), np.array(y))
    )
    assert streamed_peak < 0.25 * X.nbytes < X.nbytes < in_memory_peak
    # Without shuffling, blocks of whole batches give the in-memory fit's batches in order.
    np.testing.assert_allclose(streamed.loss_curve_, in_memory.loss_curve_, rtol=1e-6)
    X_test = np.asarray(X[:2000])
    np.testing.assert_allclose(
        streamed.predict_proba(X_test), in_memory.predict_proba(X_test), atol=1e-5
    )
    assert streamed.score(X_test, y[:2000]) > 0.85


class NpyChunks:
    """Chunks of .npy files, each read from disk only when iterated to: a re-iterable stream."""

    def __init__(self, X_path, y_path, rows):
        self.X_path, self.y_path, self.rows = X_path, y_path, rows
        self.opened = 0

    def __iter__(self):
        self.opened += 1
        X = np.load(self.X_path, mmap_mode="r")
        y = np.load(self.y_path, mmap_mode="r")
        for start in range(0, len(X), self.rows):
            yield np.array(X[start : start + self.rows]), np.array(y[start : start + self.rows])


def test_fit_reads_chunks_once_to_learn_the_scaling_then_once_an_epoch(npy_files):
    chunks = NpyChunks(*npy_files, rows=5000)
    streamed = GlassnetClassifier(**STREAMED).fit(chunks)
    assert chunks.opened == 1 + STREAMED["max_iter"]
    X, y = np.load(npy_files[0]), np.load(npy_files[1])
    in_memory = GlassnetClassifier(**STREAMED).fit(X, y)
    np.testing.assert_allclose(streamed.network_.scaler.mean, in_memory.network_.scaler.mean)
    np.testing.assert_allclose(streamed.network_.scaler.scale, in_memory.network_.scaler.scale)
    np.testing.assert_allclose(streamed.predict_proba(X[:500]), in_memory.predict_proba(X[:500]),
                               atol=1e-5)  # fmt: skip


def test_partial_fit_takes_one_pass_over_a_one_shot_stream_and_fit_refuses_it(npy_files):
    X, y = np.load(npy_files[0]), np.load(npy_files[1])
    one_shot = ((X[i : i + 4000], y[i : i + 4000]) for i in range(0, 20_000, 4000))
    with pytest.raises(TypeError, match="one-shot iterator"):
        GlassnetClassifier().fit(one_shot)
    model = GlassnetRegressor(hidden_layer_sizes=(8,), batch_size=500, random_state=0)
    weighted = (
        (X[i : i + 4000], y[i : i + 4000], np.full(4000, 2.0)) for i in range(0, 20_000, 4000)
    )
    model.partial_fit(weighted)
    assert model._optimizer.iterations == 40  # 5 chunks of 8 batches, one pass
    assert model.n_iter_ == 1 and model.t_ == 20_000
    with pytest.raises(ValueError, match=r"chunk 0 must be a pair \(X, y\).*got ndarray"):
        model.partial_fit(chunk for chunk in [X[:10]])
