"""How many threads NumPy's BLAS, the library that runs the matrix products, may use.

A training step at small batches is a chain of small products and element-wise passes: a
second BLAS thread splits each product but leaves half of every result in the other core's
cache, so the element-wise work that follows runs slower, and on a busy machine the threads
wait for each other (see docs/benchmarks.md). So unless the user has chosen a number with
``set_num_threads``, ``fit`` runs its steps on one BLAS thread for batches of up to
``SMALL_BATCH`` samples (``for_training``), or when it splits each batch across threads of
its own (``glassnet.parallel``: convolutional and recurrent networks); inference and larger
batches use every thread. threadpoolctl is imported on first call, so ``import glassnet``
does not load it.
"""

from __future__ import annotations

from contextlib import nullcontext

from glassnet._checks import positive_int

#: Up to this many samples a batch, training steps run fastest on one BLAS thread (784-128-10:
#: 0.95x as fast on two at batch 128, 1.12x at 256).
SMALL_BATCH = 128

#: More threads than this is never a real request (and overflows BLAS's own counters).
MAX_THREADS = 4096

# The count the user chose with set_num_threads, or None while glassnet decides.
_chosen: int | None = None


def set_num_threads(n: int) -> None:
    """Limit NumPy's BLAS to ``n`` threads from now on, in this process, training included.

    ``n`` must be a positive integer up to ``MAX_THREADS``. Raises ``RuntimeError`` when no
    BLAS thread pool is found.
    """
    global _chosen
    n = positive_int(n, "n")
    if n > MAX_THREADS:
        raise ValueError(f"n must be at most {MAX_THREADS} threads, got {n}")
    _blas_pools().limit(limits=n)
    _chosen = n


def training_shards(network, batch_size: int) -> int:
    """How many threads ``fit`` splits each batch across (``glassnet.parallel``): as many as
    pay, unless the user chose a thread count with ``set_num_threads`` (then 1, and BLAS runs
    on that many threads)."""
    from glassnet.parallel import shard_count

    return 1 if _chosen is not None else shard_count(network, batch_size)


def for_training(batch_size: int, n_shards: int = 1):
    """The context ``fit`` runs its steps in: one BLAS thread when batches are split across
    threads (each thread then runs its own products) or hold at most ``SMALL_BATCH`` samples,
    unless the user chose a count with ``set_num_threads``; the previous count comes back
    afterwards."""
    if _chosen is not None or (n_shards == 1 and batch_size > SMALL_BATCH):
        return nullcontext()
    try:
        return _blas_pools().limit(limits=1)
    except RuntimeError:  # a BLAS that threadpoolctl does not know: leave it as it is
        return nullcontext()


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses now (the largest, if several BLAS are loaded).

    Raises ``RuntimeError`` when no BLAS thread pool is found.
    """
    return max(pool.num_threads for pool in _blas_pools().lib_controllers)


def _blas_pools():
    """The BLAS thread pools loaded in this process, as a ``ThreadpoolController``."""
    from threadpoolctl import ThreadpoolController

    pools = ThreadpoolController().select(user_api="blas")
    if not pools.lib_controllers:
        raise RuntimeError(
            "no BLAS thread pool found: threadpoolctl does not know the BLAS that NumPy uses here; "
            "set OPENBLAS_NUM_THREADS or OMP_NUM_THREADS before starting Python instead"
        )
    return pools
