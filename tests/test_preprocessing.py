"""Label encoding and standardisation: labels keep their type and identity, and whatever cannot
be a label (missing values, complex numbers, text mixed with numbers, NUL characters) is refused
rather than turned into a class of its own."""

import numpy as np
import pytest

from glassnet import Dense, Network
from glassnet.preprocessing import LabelEncoder, Standardizer, check_labels, one_hot


@pytest.mark.parametrize(
    ("labels", "classes", "dtype_kind"),
    [
        ([3, 1, 2, 1], [1, 2, 3], "i"),
        (np.array([3, 1, 2], dtype=object), [1, 2, 3], "i"),
        (["b", "a", "b"], ["a", "b"], "U"),
        (np.array(["b", "a"], dtype=object), ["a", "b"], "U"),
        ([0.5, 1.5, 0.5], [0.5, 1.5], "f"),
        ([True, False], [False, True], "b"),
        ([1, 2.5], [1.0, 2.5], "f"),  # integers and floats mix as numbers
    ],
)
def test_labels_keep_their_type(labels, classes, dtype_kind):
    encoder = LabelEncoder().fit(labels)
    assert encoder.classes.dtype.kind == dtype_kind
    assert encoder.classes.tolist() == classes
    assert [type(c) for c in encoder.classes.tolist()] == [type(c) for c in classes]
    indices = encoder.transform(labels)
    assert encoder.inverse_transform(indices).tolist() == list(np.asarray(labels).tolist())


@pytest.mark.parametrize(
    ("labels", "error", "fragment"),
    [
        ([1, "a"], TypeError, "labels must be all text or all numbers, got 1 at index 0 and 'a'"),
        (np.array(["a", 2.5], dtype=object), TypeError, "all text or all numbers"),
        ([np.nan, "a"], ValueError, "labels must not hold missing values, got nan at index 0"),
        (["a", None], ValueError, "labels must not hold missing values, got None at index 1"),
        ([1.0, np.nan], ValueError, "labels must not hold a missing value (NaN), got nan"),
        ([1.0, np.inf], ValueError, "labels must not hold an infinite value, got inf"),
        (["a\x00", "a"], ValueError, "must not contain the NUL character, got 'a\\x00' at index 0"),
        (np.array(["a\x00b", "c"]), ValueError, "NUL character, got 'a\\x00b' at index 0"),
        ([1 + 1j, 2], TypeError, "labels must be strings, integers, floats or booleans"),
        (np.array([1j, 2], dtype=object), TypeError, "got complex 1j at index 0"),
        ([2**70, 1], ValueError, "labels must be integers that fit int64"),
        ([b"a", b"b"], TypeError, "got bytes b'a' at index 0"),
        ([[1, 2], [3, 4]], ValueError, "must be a non-empty 1-D array, got shape (2, 2)"),
    ],
)
def test_what_cannot_be_a_label_is_refused(labels, error, fragment):
    with pytest.raises(error) as caught:
        LabelEncoder().fit(labels)
    assert fragment in str(caught.value)


def test_a_trailing_nul_does_not_merge_two_labels():
    # NumPy's fixed-width strings store "a\x00" as "a": the two would become one class.
    with pytest.raises(ValueError, match="NUL"):
        check_labels(["a\x00", "a"])
    assert check_labels(["a", "ab"]).tolist() == ["a", "ab"]


def test_mixed_labels_are_never_turned_into_strings_by_fit():
    network = Network([Dense(2, 2, "softmax")], seed=0)
    X = np.zeros((4, 2))
    with pytest.raises(TypeError, match="all text or all numbers"):
        network.fit(X, [1, "a", 1, "a"], epochs=1, loss="cross_entropy")
    with pytest.raises(ValueError, match="missing values"):
        network.fit(X, ["a", None, "b", "a"], epochs=1, loss="cross_entropy")
    network.fit(X, [1, 2, 1, 2], epochs=1, loss="cross_entropy")
    assert network.classes.tolist() == [1, 2] and network.classes.dtype.kind == "i"


def test_text_is_an_unknown_label_for_numeric_classes_and_numbers_for_text_classes():
    with pytest.raises(ValueError, match=r"unknown label 'a'; known labels: 1, 2"):
        LabelEncoder([1, 2]).transform(["a"])
    with pytest.raises(ValueError, match=r"unknown label 1; known labels: 'a', 'b'"):
        LabelEncoder(["a", "b"]).transform([1])
    with pytest.raises(ValueError, match=r"unknown label 1.5"):
        LabelEncoder([1, 2]).transform([1.5])


def test_classes_given_in_any_order_encode_by_their_position():
    encoder = LabelEncoder(["cow", "ant", "bee"])
    assert encoder.transform(["ant", "bee", "cow"]).tolist() == [1, 2, 0]
    assert encoder.inverse_transform([0, 2]).tolist() == ["cow", "bee"]
    with pytest.raises(ValueError, match="classes must be distinct"):
        LabelEncoder(["a", "b", "a"])


@pytest.mark.parametrize("indices", [[0, 3], [-1, 0], [0.5], [1e20], [2.0**64]])
def test_one_hot_range_checks_before_converting_to_integers(indices):
    with pytest.raises(ValueError, match=r"indices must be a 1-D array of integers in \[0, 2\]"):
        one_hot(indices, 3)
    with pytest.raises(ValueError, match="indices must be"):
        LabelEncoder(["a", "b", "c"]).inverse_transform(indices)


def test_one_hot_takes_whole_floats():
    np.testing.assert_array_equal(one_hot([2.0, 0.0], 3), [[0, 0, 1], [1, 0, 0]])


def test_standardizer_refuses_columns_whose_statistics_overflow():
    X = np.array([[1.0, 1e308], [2.0, -1e308], [3.0, 1e308]])
    with pytest.raises(ValueError, match=r"X column 1 cannot be standardised: .* 1e\+308"):
        Standardizer().fit(X)
    fitted = Standardizer().fit(X[:, :1])
    np.testing.assert_allclose(fitted.mean, [2.0])
