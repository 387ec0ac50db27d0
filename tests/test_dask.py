"""Fan-out to a cluster through Dask: searches, streamed arrays and data-parallel training.

One Dask ``LocalCluster`` of two worker processes serves every test here; the tests start and
stop it themselves.
"""

import sys

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")
dask_array = pytest.importorskip("dask.array")
pytest.importorskip("sklearn")

import cloudpickle  # noqa: E402  (installed with distributed)
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

import glassnet  # noqa: E402
from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor  # noqa: E402

# The workers are other processes: they receive this module's classes by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


# -- hyper-parameter search through joblib ---------------------------------------------------------


def test_grid_search_on_the_cluster_gives_the_local_results(client):
    X, y = make_classification(150, 5, n_informative=3, n_redundant=0, class_sep=2.0,
                               random_state=0)  # fmt: skip
    model = GlassnetClassifier(max_iter=30, learning_rate_init=0.01, random_state=0)
    grid = {"hidden_layer_sizes": [(4,), (16,)], "alpha": [1e-4, 1e-1], "dropout": [0.0, 0.2]}
    local = GridSearchCV(model, grid, cv=3).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        on_cluster = GridSearchCV(model, grid, cv=3, n_jobs=-1).fit(X, y)
    assert set(client.scheduler_info()["workers"]) and len(client.scheduler_info()["workers"]) == 2
    for key, value in local.cv_results_.items():
        if key.endswith("_time"):
            continue
        if key == "params":
            assert on_cluster.cv_results_[key] == value
        else:
            np.testing.assert_array_equal(on_cluster.cv_results_[key], value, err_msg=key)
    assert on_cluster.best_params_ == local.best_params_
    assert on_cluster.best_score_ > 0.8


# -- a Dask array streamed through partial_fit -----------------------------------------------------


def test_incremental_streams_a_dask_array_to_the_accuracy_of_an_in_memory_fit(client):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = make_classification(6000, 20, n_informative=10, random_state=1)
    X = 3 * X + 2
    X_train, y_train, X_test, y_test = X[:5000], y[:5000], X[5000:], y[5000:]
    options = {"hidden_layer_sizes": (32,), "batch_size": 50, "shuffle": False,
               "learning_rate_init": 0.003, "random_state": 0}  # fmt: skip
    epochs = 5
    in_memory = GlassnetClassifier(**options, max_iter=epochs, n_iter_no_change=None)
    in_memory.fit(X_train, y_train)
    # Blocks of whole batches, visited in order: the in-memory fit's batches, block by block.
    X_blocks = dask_array.from_array(X_train, chunks=(1000, 20))
    y_blocks = dask_array.from_array(y_train, chunks=1000)
    streamed = wrappers.Incremental(GlassnetClassifier(**options), shuffle_blocks=False)
    for _ in range(epochs):
        streamed.partial_fit(X_blocks, y_blocks, classes=[0, 1])
    assert streamed.estimator_.n_iter_ == epochs * 5  # one per block, as MLPClassifier counts
    streamed_accuracy = streamed.score(X_test, y_test)
    in_memory_accuracy = in_memory.score(X_test, y_test)
    # The one difference: the streamed scaler is learned from the first block alone.
    assert abs(streamed_accuracy - in_memory_accuracy) <= 0.005
    assert in_memory_accuracy > 0.9


# -- data-parallel training: gradients out, averaged gradients in, step ----------------------------


class Replica:
    """One worker's copy of the network, its optimizer and the shard it computes on."""

    def __init__(self, config, weights, X, Y, optimizer):
        self.network = glassnet.Network.from_config(config)
        self.network.set_weights(weights)
        self.optimizer = glassnet.optimizers.get(optimizer)
        self.X, self.Y = X, Y

    def gradients(self, loss):
        """``(n_samples, grads)`` of this shard."""
        _, grads = self.network.loss_and_gradients(self.X, self.Y, loss=loss)
        return len(self.X), grads

    def step(self, grads):
        self.optimizer = glassnet.apply_gradients(self.network, grads, self.optimizer)

    def weights(self):
        return self.network.get_weights()


def all_reduce(results):
    """The full batch's gradients from each shard's ``(n_samples, grads)``: the mean weighted
    by shard size (each shard's gradient is the mean over its own samples)."""
    total = sum(n_samples for n_samples, _ in results)
    return [
        {name: sum(n * grads[layer][name] for n, grads in results) / total for name in layer_grads}
        for layer, layer_grads in enumerate(results[0][1])
    ]


def test_one_data_parallel_step_on_two_workers_is_the_full_batch_step(client):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(101, 4)), rng.normal(size=(101, 2))
    layers = [glassnet.Dense(4, 8, "tanh"), glassnet.Dense(8, 2, "identity")]
    network = glassnet.Network(layers, seed=0, dtype="float64")
    adam = {"name": "adam", "learning_rate": 0.05}
    shards = [(X[:60], Y[:60]), (X[60:], Y[60:])]  # unequal on purpose
    workers = list(client.scheduler_info()["workers"])
    replicas = [
        client.submit(
            Replica, network.get_config(), network.get_weights(), X_shard, Y_shard, adam,
            actor=True, workers=[worker],
        ).result()
        for (X_shard, Y_shard), worker in zip(shards, workers, strict=True)
    ]  # fmt: skip
    single = glassnet.Network.from_config(network.get_config())
    single.set_weights(network.get_weights())
    optimizer = glassnet.optimizers.get(adam)
    for _ in range(3):
        averaged = all_reduce([replica.gradients("mse").result() for replica in replicas])
        for replica in replicas:
            replica.step(averaged).result()
        _, grads = single.loss_and_gradients(X, Y, loss="mse")
        optimizer = glassnet.apply_gradients(single, grads, optimizer)
        expected = single.get_weights()
        for replica in replicas:
            for name, weight in replica.weights().result().items():
                np.testing.assert_allclose(weight, expected[name], rtol=0, atol=1e-6)
    moved = np.abs(single.get_weights()["layers.0.W"] - network.get_weights()["layers.0.W"])
    assert moved.max() > 1e-3  # three steps did change the weights


def test_a_regressor_pickles_to_the_workers_and_back(client):
    X = np.random.default_rng(1).normal(size=(80, 3))
    y = X @ [1.0, -2.0, 0.5]
    fitted = client.submit(
        lambda: GlassnetRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0).fit(X, y)
    ).result()
    local = GlassnetRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0).fit(X, y)
    np.testing.assert_array_equal(fitted.predict(X), local.predict(X))
