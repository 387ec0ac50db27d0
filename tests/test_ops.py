"""Array helpers of ``glassnet.ops`` that the layers' reused arrays rely on."""

import numpy as np
import pytest

from glassnet import LSTM, Dense, Network
from glassnet.ops import CACHE_LINE, aligned_empty


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
@pytest.mark.parametrize("shape", [(0,), (1,), (3, 5), (50, 32, 128), (4, 0, 7)])
def test_aligned_empty_starts_on_a_cache_line(shape, dtype):
    arrays = [aligned_empty(shape, dtype) for _ in range(8)]
    for array in arrays:
        assert array.shape == shape
        assert array.dtype == np.dtype(dtype)
        assert array.flags.c_contiguous and array.flags.writeable
        assert array.size == 0 or array.ctypes.data % CACHE_LINE == 0  # no data, no line
    # each array owns its bytes: writing one leaves the others as they were
    for index, array in enumerate(arrays):
        array[...] = index % 2
    for index, array in enumerate(arrays):
        assert np.all(array == index % 2)


def test_a_layers_reused_arrays_start_on_cache_lines():
    rng = np.random.default_rng(0)
    lstm = LSTM(5, 7, return_sequences=False)
    network = Network([lstm, Dense(7, 3)], input_shape=(6, 5), seed=0)
    x = rng.standard_normal((9, 6, 5))
    network.forward(x, training=True)
    network.backward(np.ones((9, 3)))
    assert lstm._buffers
    for name, array in lstm._buffers.items():
        assert array.ctypes.data % CACHE_LINE == 0, name
    # an inference pass's new arrays too: the Dense output is the array the layer made
    for _ in range(4):
        assert network.forward(x).ctypes.data % CACHE_LINE == 0
