"""How many threads NumPy's BLAS, the library that runs the matrix products, may use.

On a 2-core machine one thread is fastest for training at small batches (32 to 128), and two
make inference on large batches about 1.6 times faster; see docs/benchmarks.md.
threadpoolctl is imported on first call, so ``import glassnet`` does not load it.
"""

from __future__ import annotations

from glassnet._checks import positive_int

#: More threads than this is surely a mistake (BLAS libraries cap their pools far below it),
#: and a much larger number would overflow the C integer the BLAS takes.
MAX_THREADS = 4096


def set_num_threads(n: int) -> None:
    """Limit NumPy's BLAS to ``n`` threads from now on, in this process.

    ``n`` must be a positive integer up to ``MAX_THREADS``. Raises ``RuntimeError`` when no BLAS
    thread pool is found.
    """
    n = positive_int(n, "n")
    if n > MAX_THREADS:
        raise ValueError(f"n must be at most {MAX_THREADS} threads, got {n}")
    _blas_pools().limit(limits=n)


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
