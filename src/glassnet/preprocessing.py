"""Preprocessing that travels with a model: input standardisation, label encoding and the
vocabulary that turns text into token ids."""

from __future__ import annotations

import re

import numpy as np

from glassnet._checks import numeric_array, positive_int


class Standardizer:
    """Shift each feature by its mean and divide by its standard deviation.

    The tutorial shifts weight and height by hand (135 and 66) and notes "normally you'd shift
    by the mean"; this is that, with the scale too: ``x' = (x - mean) / scale``. A constant
    feature gets ``scale = 1`` so it maps to 0 rather than dividing by zero.

    For the pixels of images, ``fit(X, pooled=True)`` learns one mean and one standard deviation
    over all the values instead (stored for every column alike). Per-pixel statistics would
    blow up the pixels that are nearly always dark (the border of a digit) and give each pixel
    its own brightness scale; one shared pair keeps the picture as it is and makes 0-255 and
    0-1 pixels the same inputs.
    """

    def __init__(self, mean=None, scale=None):
        self.mean = None if mean is None else numeric_array(mean, "mean", dtype=np.float64, ndim=1)
        self.scale = (
            None if scale is None else numeric_array(scale, "scale", dtype=np.float64, ndim=1)
        )
        if self.mean is not None and (self.scale is None or self.scale.shape != self.mean.shape):
            raise ValueError("mean and scale must both be given, with the same shape")
        if self.scale is not None and np.any(self.scale <= 0):
            raise ValueError("scale must be positive everywhere")

    def fit(self, X, *, pooled: bool = False) -> Standardizer:
        """Learn the mean and standard deviation of each column of ``X (n_samples, n_features)``,
        or with ``pooled`` those of all its values, shared by every column."""
        X = numeric_array(X, "X", ndim=2)
        if pooled:
            self.mean = np.full(X.shape[1], X.mean(dtype=np.float64))
            scale = np.full(X.shape[1], X.std(dtype=np.float64))
        else:
            self.mean = X.mean(axis=0, dtype=np.float64)
            scale = X.std(axis=0, dtype=np.float64)
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

    ``classes`` holds the sorted distinct labels; label ``classes[i]`` is encoded as ``i``.
    """

    def __init__(self, classes=None):
        self.classes = None if classes is None else np.asarray(classes)

    def fit(self, y) -> LabelEncoder:
        """Learn the distinct labels of ``y (n_samples,)``."""
        y = _labels(y)
        self.classes = np.unique(y)
        return self

    def transform(self, y) -> np.ndarray:
        """Return the index of each label, shape ``(n_samples,)``; unknown labels raise."""
        if self.classes is None:
            raise ValueError("this LabelEncoder is not fitted yet: call fit(y) first")
        y = _labels(y)
        indices = np.searchsorted(self.classes, y)
        indices = np.clip(indices, 0, len(self.classes) - 1)
        unknown = self.classes[indices] != y
        if np.any(unknown):
            first = y[np.argmax(unknown)]
            raise ValueError(
                f"unknown label {first!r}; known labels: {', '.join(map(str, self.classes))}"
            )
        return indices

    def fit_transform(self, y) -> np.ndarray:
        """``fit(y)`` then ``transform(y)``."""
        return self.fit(y).transform(y)

    def inverse_transform(self, indices) -> np.ndarray:
        """Return the labels for class indices."""
        return self.classes[np.asarray(indices, dtype=np.intp)]


def one_hot(indices, n_classes: int, dtype=np.float64) -> np.ndarray:
    """Rows of zeros with a 1 at each index: ``(n_samples,) -> (n_samples, n_classes)``."""
    indices = np.asarray(indices, dtype=np.intp)
    if indices.ndim != 1 or (indices.size and (indices.min() < 0 or indices.max() >= n_classes)):
        raise ValueError(f"indices must be a 1-D array of integers in [0, {n_classes - 1}]")
    encoded = np.zeros((len(indices), n_classes), dtype=dtype)
    encoded[np.arange(len(indices)), indices] = 1
    return encoded


def _labels(y) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {y.shape}")
    if y.dtype == object:
        y = y.astype(str)
    if np.issubdtype(y.dtype, np.floating) and not np.isfinite(y).all():
        raise ValueError("labels must not contain NaN or infinite values")
    return y


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
