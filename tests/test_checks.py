"""The finite-value check that every public function's input goes through: it must find a NaN or
an inf wherever it sits, in any shape, memory order and float type, and accept large finite
values whose sum overflows."""

import itertools
import tracemalloc

import numpy as np
import pytest

from glassnet._checks import (
    float_dtype,
    fraction,
    non_negative_float,
    numeric_array,
    positive_float,
)
from glassnet.ops import MASK_LIMIT

SHAPES = [(7,), (3, 5), (2, 3, 4)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
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


@pytest.mark.parametrize(
    "shape",
    [(3, 5), (MASK_LIMIT // 400 + 1, 400), (9, MASK_LIMIT // 8), (2, MASK_LIMIT + 1)],
)
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


@pytest.mark.parametrize("shape", [(MASK_LIMIT + 3,), (2, MASK_LIMIT + 3)])
def test_long_rows_are_checked_without_a_ones_vector_as_long_as_them(shape):
    array = np.ones(shape)
    index = (*(n - 1 for n in shape[:-1]), 12345)
    array[index] = np.nan
    with pytest.raises(ValueError, match=rf"at index \({', '.join(map(str, index))}\)$"):
        numeric_array(array, "a")
    array[index] = 1
    tracemalloc.start()
    try:
        assert numeric_array(array, "a") is array
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < array.nbytes // 4, peak


def test_a_strided_view_and_a_scalar_are_checked_too():
    array = np.ones((6, 4))
    array[4, 2] = np.nan
    with pytest.raises(ValueError, match=r"at index \(2, 1\)$"):
        numeric_array(array[::2, ::2], "a")
    with pytest.raises(ValueError, match=r"got inf at index \(\)$"):
        numeric_array(np.inf, "a")
    assert numeric_array(2.5, "a") == 2.5


@pytest.mark.parametrize("value", [[[1 + 5j, 2j]], np.array([1, 2], dtype=np.complex64), 3j])
def test_complex_numbers_are_refused_rather_than_losing_their_imaginary_part(value):
    for dtype in (None, np.float64):
        with pytest.raises(TypeError, match=r"^a must hold real numbers, got complex values"):
            numeric_array(value, "a", dtype=dtype)


@pytest.mark.parametrize("big", [1e39, -3.5e38, np.finfo(np.float64).max])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (MASK_LIMIT // 300 + 1, 300)])
def test_a_finite_value_beyond_the_dtype_is_refused_where_it_is(shape, big):
    array = np.ones(shape)
    index = tuple(n // 2 for n in shape)
    array[index] = big
    where = ", ".join(map(str, index))
    pattern = rf"^a must hold values that fit float32 .* got {float(big)!r} at index \({where}\)$"
    with pytest.raises(ValueError, match=pattern.replace("+", r"\+")):
        numeric_array(array, "a", dtype=np.float32)
    # float64 holds it: no error, and the values come back exactly
    assert numeric_array(array, "a", dtype=np.float64)[index] == big


def test_the_largest_float32_and_integers_fit_float32():
    largest = np.finfo(np.float32).max
    values = np.array([float(largest), -float(largest), 0.0])
    assert numeric_array(values, "a", dtype=np.float32).tolist() == [largest, -largest, 0.0]
    integers = np.array([np.iinfo(np.int64).max, np.iinfo(np.int64).min])
    assert numeric_array(integers, "a", dtype=np.float32).dtype == np.float32


def test_text_and_objects_are_parsed_in_float64_before_the_range_check():
    assert numeric_array(["1.5", "2"], "a", dtype=np.float32).tolist() == [1.5, 2.0]
    with pytest.raises(ValueError, match=r"got 1e\+39 at index \(1\)$"):
        numeric_array(["1", "1e39"], "a", dtype=np.float32)


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (positive_float, 10**400),
        (non_negative_float, -(10**400)),
        (fraction, 10**400),
    ],
)
def test_integers_too_large_for_a_float_are_refused_by_the_number_checks(check, value):
    with pytest.raises(ValueError, match=r"^x must be"):
        check(value, "x")


@pytest.mark.parametrize(
    "dtype",
    [
        [["a", "<f4", [10**20]]],
        {"names": ["a"], "formats": ["f4"]},
        "f4,f4",
        "f4,(2",  # NumPy's own parser raised SyntaxError
        ",3",
        "<U9",
        ">f4",
        None,
        7,
    ],
)
def test_float_dtype_refuses_structured_odd_and_huge_dtypes(dtype):
    with pytest.raises(ValueError, match=r"^dtype must be float32 or float64, got "):
        float_dtype(dtype)


def test_float_dtype_accepts_names_types_and_dtypes():
    for dtype in ("float32", np.float32, np.dtype("<f4")):
        assert float_dtype(dtype) == np.float32
    assert float_dtype(float) == np.float64
