"""Preprocessing that travels with a model: input standardisation and label encoding."""

from __future__ import annotations

import numpy as np

from glassnet._checks import check_sample_weight, numeric_array


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

    def fit(self, X, sample_weight=None) -> Standardizer:
        """Learn the mean and standard deviation of each column of ``X (n_samples, n_features)``,
        weighted by ``sample_weight (n_samples,)`` when given (a weight of 2 counts a row twice,
        0 leaves it out)."""
        self.mean = self.scale = None
        return self.partial_fit(X, sample_weight)

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
        if sample_weight is None:
            weight = float(len(X))
            mean = X.mean(axis=0, dtype=np.float64)
            var = X.var(axis=0, dtype=np.float64)
        else:
            sample_weight = check_sample_weight(sample_weight, len(X), np.float64)
            weight = float(np.sum(sample_weight))
            mean = np.average(X, axis=0, weights=sample_weight)
            var = np.average(np.square(X - mean), axis=0, weights=sample_weight)
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
