"""The input features: what the network sees of a point ``(x1, x2)``.

TensorFlow Playground's seven features, x1, x2, x1², x2², x1·x2, sin x1 and sin x2, and also
cos x1 and cos x2. Each is written once, as a NumPy expression in the columns ``x1`` and ``x2``;
the playground evaluates that text and the exported training script contains it verbatim, so
the script computes exactly the inputs the playground trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Feature:
    """One input feature: a key for messages and URLs, a label and its NumPy expression."""

    key: str  # as in messages, the URL and data-testid="feature-<key>"
    label: str  # as shown, with {x1} and {x2} standing for the two columns' names
    expression: str  # NumPy code in the arrays x1 and x2 (and np)


FEATURES = (
    Feature("x1", "{x1}", "x1"),
    Feature("x2", "{x2}", "x2"),
    Feature("x1sq", "{x1}²", "x1**2"),
    Feature("x2sq", "{x2}²", "x2**2"),
    Feature("x1x2", "{x1}·{x2}", "x1 * x2"),
    Feature("sinx1", "sin({x1})", "np.sin(x1)"),
    Feature("sinx2", "sin({x2})", "np.sin(x2)"),
    Feature("cosx1", "cos({x1})", "np.cos(x1)"),
    Feature("cosx2", "cos({x2})", "np.cos(x2)"),
)
BY_KEY = {feature.key: feature for feature in FEATURES}
DEFAULT = ("x1", "x2")

# The expressions are constants of this module, compiled once; nothing from a message is ever
# evaluated (keys are checked against BY_KEY first).
_COMPILED = {feature.key: compile(feature.expression, feature.key, "eval") for feature in FEATURES}


def compute(keys, points: np.ndarray) -> np.ndarray:
    """The features ``keys`` of ``points (n_points, 2)``: ``(n_points, len(keys))`` float64."""
    namespace = {"np": np, "x1": points[:, 0], "x2": points[:, 1]}
    columns = [eval(_COMPILED[key], {"__builtins__": {}}, namespace) for key in keys]
    return np.column_stack(columns).astype(np.float64, copy=False)


def names(keys, column_names: tuple[str, str]) -> tuple[str, ...]:
    """The labels of ``keys`` with the two columns called ``column_names`` (e.g. x1, x2)."""
    x1, x2 = column_names
    return tuple(BY_KEY[key].label.format(x1=x1, x2=x2) for key in keys)
