"""The built-in datasets: the tutorial's four people and generators in the style of TensorFlow
Playground, with the registry behind ``load`` and ``glassnet datasets``.

Every generator is ``(n_samples, noise, seed) -> Dataset`` with two features ``x1, x2`` in about
``[-1, 1]``; the same ``seed`` gives bit-identical data.
"""

from __future__ import annotations

import numpy as np

from glassnet._checks import non_negative_float, numeric_array, positive_int
from glassnet.datasets.base import Dataset

_GENERATED_FEATURES = ("x1", "x2")


# --- the tutorial's four people (section 4.1) ---------------------------------------------------

# name, weight (lb), height (in), gender: the tutorial's table before any shift.
GENDER_TABLE = (
    ("Alice", 133, 65, "F"),
    ("Bob", 160, 72, "M"),
    ("Charlie", 152, 70, "M"),
    ("Diana", 120, 60, "F"),
)
# The tutorial subtracts these (weight, height) amounts "to make the numbers look nice".
GENDER_SHIFT = (135, 66)
GENDER_LABELS = ("M", "F")  # Male = 0, Female = 1, as the tutorial encodes them


def gender() -> Dataset:
    """The tutorial's four people: predict gender from weight and height.

    The tutorial's table (``GENDER_TABLE``) shifted by ``GENDER_SHIFT``: weight - 135 and
    height - 66, so Alice (133, 65) becomes (-2, -1). Labels: Male = 0, Female = 1.

    Returns a Dataset with X ``(4, 2)`` = [[-2, -1], [25, 6], [17, 4], [-15, -6]] and
    y ``(4,)`` = [1, 0, 0, 1]; ``sample_names`` are Alice, Bob, Charlie and Diana.
    """
    raw = np.array([[weight, height] for _, weight, height, _ in GENDER_TABLE], dtype=np.float64)
    return Dataset(
        X=raw - np.array(GENDER_SHIFT, dtype=np.float64),
        y=np.array([GENDER_LABELS.index(sex) for *_, sex in GENDER_TABLE], dtype=np.int64),
        feature_names=("weight", "height"),
        target_name="gender",
        task="classification",
        label_names=GENDER_LABELS,
        sample_names=tuple(name for name, *_ in GENDER_TABLE),
    )


# --- generators in the style of TensorFlow Playground --------------------------------------------


def _rng(seed) -> np.random.Generator:
    """Return ``np.random.default_rng(seed)``, naming ``seed`` when numpy rejects it."""
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as error:
        raise type(error)(
            f"seed must be None, a non-negative integer or a numpy Generator, got {seed!r}"
        ) from error


def _n_samples(n_samples, n_classes: int) -> int:
    """Check ``n_samples`` is a positive integer large enough to give every class a sample."""
    n_samples = positive_int(n_samples, "n_samples")
    if n_samples < n_classes:
        raise ValueError(
            f"n_samples must be at least {n_classes} so that every class gets a sample, "
            f"got {n_samples}"
        )
    return n_samples


def _even_split(n_samples: int, n_parts: int) -> list[int]:
    """Split ``n_samples`` into ``n_parts`` counts that differ by at most one, larger first."""
    base, extra = divmod(n_samples, n_parts)
    return [base + (part < extra) for part in range(n_parts)]


def _unit_vectors(angle: np.ndarray) -> np.ndarray:
    """Return ``(cos angle, sin angle)`` as rows: ``(n_samples, 2)``."""
    return np.column_stack([np.cos(angle), np.sin(angle)])


def _noisy_shuffled(X: np.ndarray, y: np.ndarray, noise: float, rng) -> Dataset:
    """Add gaussian noise of standard deviation ``noise`` to X, shuffle the rows together."""
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return Dataset(
        X=X[order],
        y=y[order],
        feature_names=_GENERATED_FEATURES,
        target_name="label",
        task="classification",
    )


def xor(n_samples=200, noise=0.05, seed=None) -> Dataset:
    """XOR: label 1 where x1 and x2 have the same sign, 0 where they differ.

    Points are uniform in the four quadrants of [-1, 1]^2, one quarter each, labelled
    ``y = 1 if x1 * x2 > 0 else 0``; then gaussian noise of standard deviation ``noise`` is added
    to X. No straight line separates the classes: a network needs a hidden layer.

    Returns a Dataset with X ``(n_samples, 2)`` and balanced y ``(n_samples,)`` in {0, 1}.
    """
    n_samples = _n_samples(n_samples, 2)
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    # Quadrants I, II, III, IV have labels 1, 0, 1, 0, so an even split over the quadrants is an
    # even split over the labels too.
    signs = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    quadrant = np.repeat(np.arange(4), _even_split(n_samples, 4))
    magnitude = 1.0 - rng.random((n_samples, 2))  # in (0, 1]: never exactly on an axis
    return _noisy_shuffled(
        signs[quadrant] * magnitude, (quadrant % 2 == 0).astype(np.int64), noise, rng
    )


def circles(n_samples=200, noise=0.05, seed=None) -> Dataset:
    """Circles: an inner disc (label 1) inside an outer ring (label 0).

    Points are uniform over the areas ``r <= 0.5`` (label 1) and ``0.7 <= r <= 1`` (label 0);
    then gaussian noise of standard deviation ``noise`` is added to X.

    Returns a Dataset with X ``(n_samples, 2)`` and balanced y ``(n_samples,)`` in {0, 1}.
    """
    n_samples = _n_samples(n_samples, 2)
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    n_outer, n_inner = _even_split(n_samples, 2)
    # sqrt of a uniform square radius spreads the points evenly over the area, not the radius
    radius = np.concatenate(
        [np.sqrt(rng.uniform(0.7**2, 1.0, n_outer)), 0.5 * np.sqrt(rng.random(n_inner))]
    )
    X = radius[:, np.newaxis] * _unit_vectors(rng.uniform(0.0, 2.0 * np.pi, n_samples))
    return _noisy_shuffled(X, np.repeat([0, 1], [n_outer, n_inner]), noise, rng)


def moons(n_samples=200, noise=0.1, seed=None) -> Dataset:
    """Moons: two interleaving half circles.

    Label 0 is the upper half of the unit circle around (-0.5, -0.25); label 1 is the lower half
    of the unit circle around (0.5, 0.25). Angles are uniform; then gaussian noise of standard
    deviation ``noise`` is added to X.

    Returns a Dataset with X ``(n_samples, 2)`` and balanced y ``(n_samples,)`` in {0, 1}.
    """
    n_samples = _n_samples(n_samples, 2)
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    y = np.repeat([0, 1], _even_split(n_samples, 2))
    centre = np.where(y[:, np.newaxis] == 0, [-0.5, -0.25], [0.5, 0.25])
    upper_half = _unit_vectors(rng.uniform(0.0, np.pi, n_samples))
    X = centre + np.where(y[:, np.newaxis] == 0, upper_half, -upper_half)
    return _noisy_shuffled(X, y, noise, rng)


def spirals(n_samples=200, noise=0.03, seed=None) -> Dataset:
    """Spirals: two interleaved spirals, the hardest of the playground sets.

    A point of class ``k`` at radius ``r`` (uniform in (0, 1]) sits at angle
    ``theta = 3.5 pi r + k pi`` (1.75 turns), so spiral 1 is spiral 0 turned by half a turn;
    then gaussian noise of standard deviation ``noise`` is added to X.

    Returns a Dataset with X ``(n_samples, 2)`` and balanced y ``(n_samples,)`` in {0, 1}.
    """
    n_samples = _n_samples(n_samples, 2)
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    y = np.repeat([0, 1], _even_split(n_samples, 2))
    radius = 1.0 - rng.random(n_samples)
    X = radius[:, np.newaxis] * _unit_vectors(3.5 * np.pi * radius + np.pi * y)
    return _noisy_shuffled(X, y, noise, rng)


def blobs(n_samples=200, noise=0.2, seed=None, *, n_classes=3) -> Dataset:
    """Blobs: one gaussian cloud per class around centres spread evenly on the unit circle.

    Class ``k`` is centred at ``(cos 2 pi k / n_classes, sin 2 pi k / n_classes)``; ``noise`` is
    the standard deviation of each cloud (0 puts every point on its centre).

    Returns a Dataset with X ``(n_samples, 2)`` and balanced y ``(n_samples,)`` in
    {0, ..., n_classes - 1}.
    """
    n_classes = positive_int(n_classes, "n_classes")
    if n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    n_samples = _n_samples(n_samples, n_classes)
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    y = np.repeat(np.arange(n_classes), _even_split(n_samples, n_classes))
    centres = _unit_vectors(2.0 * np.pi * np.arange(n_classes) / n_classes)
    return _noisy_shuffled(centres[y], y, noise, rng)


def plane(n_samples=200, noise=0.05, seed=None, *, weights=(0.5, -0.5), bias=0.25) -> Dataset:
    """Plane: regression on a tilted plane, y = a · x + b plus gaussian noise.

    X is uniform in [-1, 1]^2; ``y = weights · x + bias + noise * N(0, 1)``, so a single linear
    neuron can fit it exactly when ``noise`` is 0.

    Returns a Dataset with X ``(n_samples, 2)`` and float y ``(n_samples,)``.
    """
    n_samples = positive_int(n_samples, "n_samples")
    noise = non_negative_float(noise, "noise")
    weights = numeric_array(weights, "weights", dtype=np.float64, ndim=1)
    if weights.shape != (2,):
        raise ValueError(f"weights must hold 2 numbers, one per feature, got {weights.tolist()!r}")
    bias = float(numeric_array(bias, "bias", dtype=np.float64, ndim=0))
    rng = _rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = X @ weights + bias + noise * rng.standard_normal(n_samples)
    return Dataset(X=X, y=y, feature_names=_GENERATED_FEATURES, target_name="y", task="regression")


# multi_gaussian's hills: a 3 x 2 grid of centres whose heights alternate like a checkerboard,
# the layout of TensorFlow Playground's multi-gaussian regression set.
_HILL_CENTRES = (
    (-2 / 3, 5 / 12),
    (0.0, 5 / 12),
    (2 / 3, 5 / 12),
    (-2 / 3, -5 / 12),
    (0.0, -5 / 12),
    (2 / 3, -5 / 12),
)
_HILL_HEIGHTS = (1.0, -1.0, 1.0, -1.0, 1.0, -1.0)
_HILL_WIDTH = 0.2


def multi_gaussian(n_samples=200, noise=0.05, seed=None) -> Dataset:
    """Multi-gaussian: regression on six gaussian hills and valleys in a 3 x 2 grid.

    X is uniform in [-1, 1]^2 and::

        y = sum_k h_k exp(-||x - c_k||^2 / (2 s^2)) + noise * N(0, 1)

    with centres ``c_k`` at x1 in {-2/3, 0, 2/3} and x2 in {5/12, -5/12}, heights ``h_k = +1``
    or ``-1`` alternating like a checkerboard (+1 at the top left) and width ``s = 0.2``, so y
    is about ``h_k`` on a centre and about 0 far from every centre. No single neuron fits it.

    Returns a Dataset with X ``(n_samples, 2)`` and float y ``(n_samples,)``.
    """
    n_samples = positive_int(n_samples, "n_samples")
    noise = non_negative_float(noise, "noise")
    rng = _rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    squared_distances = ((X[:, np.newaxis, :] - np.array(_HILL_CENTRES)) ** 2).sum(axis=2)
    hills = np.exp(-squared_distances / (2.0 * _HILL_WIDTH**2)) @ np.array(_HILL_HEIGHTS)
    y = hills + noise * rng.standard_normal(n_samples)
    return Dataset(X=X, y=y, feature_names=_GENERATED_FEATURES, target_name="y", task="regression")


# --- the registry behind load() and `glassnet datasets` ------------------------------------------

GENERATORS = {
    "gender": gender,
    "xor": xor,
    "circles": circles,
    "moons": moons,
    "spirals": spirals,
    "blobs": blobs,
    "plane": plane,
    "multi_gaussian": multi_gaussian,
}


def load(name: str, **kwargs) -> Dataset:
    """Build the dataset called ``name`` (a key of ``GENERATORS``) with ``kwargs``.

    ``load("moons", n_samples=100, seed=0)`` is ``moons(n_samples=100, seed=0)``.
    """
    if not isinstance(name, str) or name not in GENERATORS:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(GENERATORS)}")
    return GENERATORS[name](**kwargs)


def describe() -> list[tuple[str, str]]:
    """List ``(name, one-line description)`` for every dataset in ``GENERATORS``, in order."""
    return [
        (name, function.__doc__.strip().splitlines()[0]) for name, function in GENERATORS.items()
    ]
