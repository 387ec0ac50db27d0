"""The finite-value check that every public function's input goes through: it must find a NaN or
an inf wherever it sits, in any shape, memory order and float type, and accept large finite
values whose sum overflows."""

import itertools

import numpy as np
import pytest

from glassnet._checks import numeric_array
from glassnet.ops import MASK_LIMIT

SHAPES = [(7,), (3, 5), (2, 3, 4)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_value_is_found_at_every_position(shape, order, dtype, bad):
    for index in itertools.product(*(range(n) for n in shape)):
        array = np.ones(shape, dtype=dtype, order=order)
        array[index] = bad
        where = ", ".join(map(str, index))
        with pytest.raises(ValueError, match=rf"^a must contain only finite .* \({where}\)$"):
            numeric_array(array, "a")


@pytest.mark.parametrize("shape", [(3, 5), (MASK_LIMIT // 400 + 1, 400), (9, MASK_LIMIT // 8)])
def test_large_finite_values_pass_although_their_sum_overflows(shape):
    # The last two shapes are past MASK_LIMIT: the quick sum overflows and the values must
    # then be looked at one by one, without an overflow warning (warnings are errors here).
    array = np.full(shape, np.finfo(np.float32).max, dtype=np.float32)
    assert numeric_array(array, "a") is array


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_value_is_found_in_an_array_past_the_mask_limit(order, bad):
    array = np.ones((MASK_LIMIT // 300 + 1, 300), dtype=np.float32, order=order)
    for index in [(0, 0), (123, 45), (array.shape[0] - 1, 299)]:
        array[index] = bad
        with pytest.raises(ValueError, match=rf"at index \({index[0]}, {index[1]}\)$"):
            numeric_array(array, "a")
        array[index] = 1


def test_a_strided_view_and_a_scalar_are_checked_too():
    array = np.ones((6, 4))
    array[4, 2] = np.nan
    with pytest.raises(ValueError, match=r"at index \(2, 1\)$"):
        numeric_array(array[::2, ::2], "a")
    with pytest.raises(ValueError, match=r"got inf at index \(\)$"):
        numeric_array(np.inf, "a")
    assert numeric_array(2.5, "a") == 2.5
