"""Tests for glassnet.threads: the BLAS thread count set and read back, every validation
message, and the same predictions with one thread and two (tests/test_plots.py checks that
``import glassnet`` leaves threadpoolctl unloaded)."""

import re
from types import SimpleNamespace

import numpy as np
import pytest
import threadpoolctl

import glassnet
from glassnet import Dense, Network


@pytest.fixture(autouse=True)
def restore_threads():
    """The thread count is process-wide: put back what each test found."""
    original = glassnet.get_num_threads()
    yield
    glassnet.set_num_threads(original)


@pytest.mark.parametrize("n", [1, 2])
def test_set_then_get(n):
    glassnet.set_num_threads(n)
    assert glassnet.get_num_threads() == n
    pools = [pool for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]
    assert pools and {pool["num_threads"] for pool in pools} == {n}


@pytest.mark.parametrize("n", [0, -1, 1.5, True, "2"])
def test_a_bad_count_raises_naming_n_and_changes_nothing(n):
    before = glassnet.get_num_threads()
    message = f"n must be a positive integer, got {n!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        glassnet.set_num_threads(n)
    assert glassnet.get_num_threads() == before


def test_without_a_blas_thread_pool_the_error_says_what_to_do_instead(monkeypatch):
    monkeypatch.setattr(
        threadpoolctl.ThreadpoolController,
        "select",
        lambda self, **kwargs: SimpleNamespace(lib_controllers=[]),
    )
    for call in (lambda: glassnet.set_num_threads(1), glassnet.get_num_threads):
        with pytest.raises(RuntimeError, match=r"^no BLAS thread pool found") as error:
            call()
        assert "OPENBLAS_NUM_THREADS or OMP_NUM_THREADS before starting Python" in str(error.value)


def test_one_thread_and_two_give_the_same_predictions():
    # 2000 x 300 @ 300 x 64 is large enough for OpenBLAS to split the product between threads.
    network = Network([Dense(300, 64, "relu"), Dense(64, 3, "softmax")], seed=0)
    X = np.random.default_rng(0).normal(size=(2000, 300)).astype(np.float32)
    glassnet.set_num_threads(1)
    one = network.predict(X)
    glassnet.set_num_threads(2)
    two = network.predict(X)
    assert one.shape == (2000, 3)
    np.testing.assert_allclose(two, one, rtol=1e-5)


class ThreadsSeen(glassnet.Callback):
    """Records the BLAS thread count during training."""

    def on_batch_end(self, trainer, batch, loss):
        self.seen = glassnet.get_num_threads()


@pytest.fixture
def undecided(monkeypatch):
    """As in a fresh process: the user has not chosen a thread count."""
    monkeypatch.setattr(glassnet.threads, "_chosen", None)


@pytest.mark.parametrize(("batch_size", "expected"), [(64, 1), (128, 1), (256, 2)])
def test_fit_trains_small_batches_on_one_thread_and_restores_the_count(
    undecided, batch_size, expected
):
    threadpoolctl.threadpool_limits(2, user_api="blas")  # what BLAS starts with here: 2 cores
    X, y = np.random.default_rng(0).normal(size=(600, 3)), np.arange(600) % 2
    seen = ThreadsSeen()
    net = Network([Dense(3, 4, "tanh"), Dense(4, 1, "sigmoid")])
    net.fit(X, y, epochs=1, batch_size=batch_size, callbacks=[seen])
    assert seen.seen == expected
    assert glassnet.get_num_threads() == 2


def test_a_count_the_user_chose_holds_in_training(undecided):
    glassnet.set_num_threads(2)
    seen = ThreadsSeen()
    net = Network([Dense(3, 1, "sigmoid")])
    net.fit(np.zeros((8, 3)), np.arange(8) % 2, epochs=1, batch_size=4, callbacks=[seen])
    assert seen.seen == 2


def test_an_absurd_count_is_refused():
    with pytest.raises(
        ValueError, match="n must be at most 4096 threads, got 100000000000000000000"
    ):
        glassnet.set_num_threads(10**20)
