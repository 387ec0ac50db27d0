"""Preprocessing that travels with a model: input standardisation, label encoding and the
vocabulary that turns text into token ids."""

from __future__ import annotations

import numbers
import re

import numpy as np

from glassnet._checks import check_sample_weight, numeric_array, positive_int


class Standardizer:
    """Shift each feature by its mean and divide by its standard deviation.

    The tutorial shifts weight and height by hand (135 and 66) and notes "normally you'd shift
    by the mean"; this is that, with the scale too: ``x' = (x - mean) / scale``. A constant
    feature gets ``scale = 1`` so it maps to 0 rather than dividing by zero.
    """

    def __init__(self, mean=None, scale=None):
        self.weight_sum, self._var = 0.0, None
        self.mean = None if mean is None else numeric_array(mean, "mean", dtype=np.float64, ndim=1)
        self.scale = (
            None if scale is None else numeric_array(scale, "scale", dtype=np.float64, ndim=1)
        )
        if self.mean is not None and (self.scale is None or self.scale.shape != self.mean.shape):
            raise ValueError("mean and scale must both be given, with the same shape")
        if self.scale is not None and np.any(self.scale <= 0):
            raise ValueError("scale must be positive everywhere")

    def fit(
        self, X, sample_weight=None, keep_unit_interval: bool = False, *, pooled: bool = False
    ) -> Standardizer:
        """Learn the mean and standard deviation of each column of ``X (n_samples, n_features)``,
        weighted by ``sample_weight (n_samples,)`` when given (a weight of 2 counts a row twice,
        0 leaves it out). A column whose mean or standard deviation overflows float64 (values
        near ``1e308``) raises rather than scaling every input to NaN.

        With ``keep_unit_interval``, a column whose values all lie in [0, 1] (pixels,
        proportions, yes/no indicators) is kept as it is (mean 0, scale 1): it is on a unit
        scale already, and dividing a nearly constant one, such as an image's border pixel, by
        its tiny deviation would turn a rare stroke into an input of 50 or 100. Such a
        Standardizer takes no ``partial_fit`` after it.

        With ``pooled``, one mean and one standard deviation over all the values of ``X``,
        shared by every column: for the pixels of images, or the steps of sequences."""
        self.mean = self.scale = None
        if pooled:
            X = numeric_array(X, "X", ndim=2)
            n_features = X.shape[1]
            if sample_weight is not None:
                sample_weight = np.repeat(
                    check_sample_weight(sample_weight, len(X), np.float64), n_features
                )
            self.partial_fit(X.reshape(-1, 1), sample_weight)
            self.mean, self.scale, self._var = (
                np.repeat(values, n_features) for values in (self.mean, self.scale, self._var)
            )
            return self
        self.partial_fit(X, sample_weight)
        if keep_unit_interval:
            X = np.asarray(X)
            unit = (X.min(axis=0) >= 0) & (X.max(axis=0) <= 1)
            self.mean[unit], self.scale[unit] = 0.0, 1.0
            self._var = None  # the running statistics no longer describe mean and scale
        return self

    def partial_fit(self, X, sample_weight=None) -> Standardizer:
        """Update the mean and scale with another block of rows, so that data read in blocks
        gives what one ``fit`` on all of it would (up to rounding).

        With block statistics ``(W_b, mean_b, var_b)`` (total weight, weighted mean and variance)
        merged into the running ``(W_a, mean_a, var_a)``, Chan et al.'s update::

            W = W_a + W_b        delta = mean_b - mean_a
            mean = mean_a + delta W_b / W
            var = (W_a var_a + W_b var_b + delta^2 W_a W_b / W) / W
        """
        X = numeric_array(X, "X", ndim=2)
        with np.errstate(over="ignore", invalid="ignore"):
            if sample_weight is None:
                weight = float(len(X))
                mean = X.mean(axis=0, dtype=np.float64)
                var = X.var(axis=0, dtype=np.float64)
            else:
                sample_weight = check_sample_weight(sample_weight, len(X), np.float64)
                weight = float(np.sum(sample_weight))
                mean = np.average(X, axis=0, weights=sample_weight)
                var = np.average(np.square(X - mean), axis=0, weights=sample_weight)
        overflowed = ~(np.isfinite(mean) & np.isfinite(var))
        if overflowed.any():
            column = int(np.argmax(overflowed))
            raise ValueError(
                f"X column {column} cannot be standardised: its mean or standard deviation "
                f"overflows float64 (its values reach {np.abs(X[:, column]).max():.6g})"
            )
        if self.mean is not None and self._var is None:
            raise ValueError(
                "this Standardizer was given its mean and scale; partial_fit updates only one "
                "that learned them from data"
            )
        if self.mean is None:
            self.weight_sum, self.mean, self._var = weight, mean, var
        else:
            if self.mean.shape != mean.shape:
                raise ValueError(
                    f"X must have {len(self.mean)} features (columns), got shape {X.shape}"
                )
            total = self.weight_sum + weight
            delta = mean - self.mean
            self.mean = self.mean + delta * (weight / total)
            self._var = (
                self.weight_sum * self._var
                + weight * var
                + delta**2 * (self.weight_sum * weight / total)
            ) / total
            self.weight_sum = total
        scale = np.sqrt(self._var)
        self.scale = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, X) -> np.ndarray:
        """Return ``(X - mean) / scale``, in ``X``'s floating dtype."""
        if self.mean is None:
            raise ValueError("this Standardizer is not fitted yet: call fit(X) first")
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != len(self.mean):
            raise ValueError(
                f"X must have {len(self.mean)} features (columns), got shape {X.shape}"
            )
        dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64
        scaled = np.subtract(X, self.mean.astype(dtype), dtype=dtype)
        scaled /= self.scale.astype(dtype)
        return scaled

    def fit_transform(self, X) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def get_arrays(self) -> dict[str, np.ndarray]:
        """The learned arrays, for model files."""
        return {"mean": self.mean, "scale": self.scale}


class LabelEncoder:
    """Map the user's class labels (strings or numbers) to indices 0..k-1 and back.

    ``classes`` holds the distinct labels (sorted by ``fit``); label ``classes[i]`` is encoded
    as ``i``. Labels keep their type: strings stay strings, integers integers (see
    ``check_labels`` for what a label may be).
    """

    def __init__(self, classes=None):
        self.classes = None
        self._order = None
        if classes is not None:
            classes = check_labels(classes, "classes")
            order = np.argsort(classes, kind="stable")
            if np.any(classes[order][1:] == classes[order][:-1]):
                raise ValueError(f"classes must be distinct, got {_shown(classes)}")
            self.classes, self._order = classes, order

    def fit(self, y) -> LabelEncoder:
        """Learn the distinct labels of ``y (n_samples,)``."""
        self.classes = np.unique(check_labels(y))
        self._order = np.arange(len(self.classes))
        return self

    def transform(self, y) -> np.ndarray:
        """Return the index of each label, shape ``(n_samples,)``; unknown labels raise."""
        if self.classes is None:
            raise ValueError("this LabelEncoder is not fitted yet: call fit(y) first")
        y = check_labels(y)
        if (y.dtype.kind == "U") != (self.classes.dtype.kind == "U"):
            unknown = np.ones(len(y), dtype=bool)  # text is never one of numeric classes
        else:
            positions = np.searchsorted(self.classes, y, sorter=self._order)
            indices = self._order[np.clip(positions, 0, len(self.classes) - 1)]
            unknown = self.classes[indices] != y
        if np.any(unknown):
            first = y[np.argmax(unknown)].item()
            raise ValueError(f"unknown label {first!r}; known labels: {_shown(self.classes)}")
        return indices

    def fit_transform(self, y) -> np.ndarray:
        """``fit(y)`` then ``transform(y)``."""
        return self.fit(y).transform(y)

    def inverse_transform(self, indices) -> np.ndarray:
        """Return the labels for class indices."""
        return self.classes[_class_indices(indices, len(self.classes))]


def one_hot(indices, n_classes: int, dtype=np.float64) -> np.ndarray:
    """Rows of zeros with a 1 at each index: ``(n_samples,) -> (n_samples, n_classes)``."""
    indices = _class_indices(indices, n_classes)
    encoded = np.zeros((len(indices), n_classes), dtype=dtype)
    encoded[np.arange(len(indices)), indices] = 1
    return encoded


def _class_indices(indices, n_classes: int) -> np.ndarray:
    """``indices`` as ``intp`` after checking they are whole numbers in ``[0, n_classes)``,
    so that no value wraps around when converted."""
    values = np.asarray(indices)
    valid = values.ndim == 1 and values.dtype.kind in "biuf"
    if valid and values.size:
        valid = values.min() >= 0 and values.max() < n_classes
        if valid and values.dtype.kind == "f":
            valid = bool(np.all(np.mod(values, 1) == 0))
    if not valid:
        raise ValueError(f"indices must be a 1-D array of integers in [0, {n_classes - 1}]")
    return values.astype(np.intp, copy=False)


# NumPy kinds a label may have: bool, signed and unsigned integers, floats, unicode strings.
LABEL_KINDS = "biufU"


def label_array(values) -> np.ndarray:
    """``values`` as an array without losing what tells its labels apart.

    NumPy turns a list holding text into fixed-width strings: ``[1, "a"]`` into ``['1', 'a']``
    and ``"a\x00"`` into ``'a'`` (trailing NULs are dropped). A list or other sequence holding
    text therefore becomes an array of objects, which ``check_labels`` then checks value by
    value; a NumPy array is taken as it is.
    """
    array = np.asarray(values)
    if array.dtype.kind in "OSU" and not isinstance(values, np.ndarray):
        array = np.asarray(values, dtype=object)
    return array


def check_labels(y, name: str = "labels") -> np.ndarray:
    """Return ``y (n_samples,)`` (or ``(n_samples, 1)``) as a 1-D array of class labels.

    A label is a string, an integer, a float or a bool, and all of one kind (integers and
    floats mix as numbers). Refused: missing values (None, NaN), infinities, complex numbers,
    text mixed with numbers, strings holding the NUL character (NumPy strings cannot keep a
    trailing one) and other objects. Python objects are converted to a typed array: integers
    to int64, strings to unicode.
    """
    y = label_array(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {y.shape}")
    if y.dtype == object:
        y = _typed_labels(y, name)
    if y.dtype.kind not in LABEL_KINDS:
        raise TypeError(
            f"{name} must be strings, integers, floats or booleans, got an array of dtype {y.dtype}"
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        index = int(np.argmax(~np.isfinite(y)))
        what = "a missing value (NaN)" if np.isnan(y[index]) else "an infinite value"
        raise ValueError(f"{name} must not hold {what}, got {y[index]} at index {index}")
    if y.dtype.kind == "U" and y.itemsize:
        # A label holds a NUL where it has fewer non-NUL characters than its length, which
        # counts up to its last non-NUL one (trailing NULs are not stored at all).
        codes = y.view(np.uint32).reshape(len(y), -1)
        with_nul = np.count_nonzero(codes, axis=1) < np.char.str_len(y)
        if with_nul.any():
            index = int(np.argmax(with_nul))
            raise _nul_error(name, y[index].item(), index)
    return y


def _typed_labels(objects: np.ndarray, name: str) -> np.ndarray:
    """An array of Python objects as a typed array of labels, refusing what cannot be one."""
    first_text = first_number = None
    for index, value in enumerate(objects.tolist()):
        if value is None or (isinstance(value, float) and value != value):
            raise ValueError(f"{name} must not hold missing values, got {value!r} at index {index}")
        if isinstance(value, str):
            if "\x00" in value:
                raise _nul_error(name, value, index)
            first_text = first_text or (index, value)
        elif isinstance(value, numbers.Real) and not isinstance(value, complex):
            first_number = first_number or (index, value)
        else:
            raise TypeError(
                f"{name} must be strings, integers, floats or booleans, got "
                f"{type(value).__name__} {value!r} at index {index}"
            )
        if first_text and first_number:
            (i, number), (j, text) = first_number, first_text
            raise TypeError(
                f"{name} must be all text or all numbers, got {number!r} at index {i} and "
                f"{text!r} at index {j}"
            )
    try:
        typed = np.array(objects.tolist())
    except OverflowError:
        typed = objects
    if typed.dtype == object:
        raise ValueError(f"{name} must be integers that fit int64, got {_shown(objects)}")
    return typed


def _nul_error(name: str, label: str, index: int) -> ValueError:
    return ValueError(f"{name} must not contain the NUL character, got {label!r} at index {index}")


def _shown(labels) -> str:
    """Labels listed for a message, at most ten of them."""
    values = labels.tolist()
    text = ", ".join(map(repr, values[:10]))
    return text + (f", ... ({len(values) - 10} more)" if len(values) > 10 else "")


class Vocabulary:
    """Words to token ids, for an ``Embedding``: id 0 pads, id 1 is any word never seen, and
    ``fit`` gives ids 2, 3, ... to the words of its texts, most frequent first.

    A text is lower-cased and split into words of letters and apostrophes (``"Don't stop!"``
    -> ``["don't", "stop"]``). ``encode`` pads short texts with 0 at the end, so an
    ``Embedding(len(vocabulary), dim, padding_id=0)`` followed by a recurrent layer with
    ``mask_value=0.0`` reads each text for exactly its own length.
    """

    PADDING, UNKNOWN = 0, 1

    def __init__(self, words=()):
        self.words: list[str] = ["<pad>", "<unknown>", *words]
        self.ids = {word: index for index, word in enumerate(self.words)}

    def fit(self, texts) -> Vocabulary:
        """Learn the words of ``texts`` (an iterable of strings); returns self."""
        counts: dict[str, int] = {}
        for text in _texts(texts):
            for word in self.tokens(text):
                counts[word] = counts.get(word, 0) + 1
        ranked = sorted(counts, key=lambda word: (-counts[word], word))
        self.__init__(ranked)
        return self

    @staticmethod
    def tokens(text: str) -> list[str]:
        """The words of ``text``: lower-cased runs of letters and apostrophes."""
        return re.findall(r"[a-z']+", text.lower())

    def encode(self, texts, length: int | None = None) -> np.ndarray:
        """Token ids ``(n_texts, length)``, int64: each text's words, cut to ``length`` and
        padded with 0 at the end (default length: the longest text's)."""
        rows = [
            [self.ids.get(word, self.UNKNOWN) for word in self.tokens(text)]
            for text in _texts(texts)
        ]
        if length is None:
            length = max((len(row) for row in rows), default=0)
        length = positive_int(length, "length")
        ids = np.zeros((len(rows), length), dtype=np.int64)
        for index, row in enumerate(rows):
            ids[index, : min(len(row), length)] = row[:length]
        return ids

    def decode(self, ids) -> list[str]:
        """The texts of rows of token ids, padding left out."""
        ids = np.atleast_2d(np.asarray(ids, dtype=np.int64))
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(
                f"ids must be token ids in [0, {len(self) - 1}], got {ids.min()}..{ids.max()}"
            )
        return [" ".join(self.words[i] for i in row if i != self.PADDING) for row in ids]

    def __len__(self) -> int:
        return len(self.words)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens)"


def _texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be an iterable of strings, got a single string")
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}] must be a string, got {text!r}")
    return texts
