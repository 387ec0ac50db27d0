"""What every picture shares: a new figure, its PNG written atomically, the matplotlib check,
and class labels as the user wrote them.
"""

from __future__ import annotations

import numpy as np

from glassnet._files import atomic_write

_DPI = 100


def require_matplotlib() -> None:
    """Raise an ImportError that says how to install matplotlib when it is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError(
            'glassnet plots need matplotlib, which is not installed: pip install "glassnet[plots]"'
        ) from error


def label_text(label) -> str:
    """A class label as the user wrote it, for legends and tables: ``1`` rather than ``1.0``."""
    if isinstance(label, (float, np.floating)) and float(label).is_integer():
        return str(int(label))
    return str(label.item() if isinstance(label, np.generic) else label)


def _new_figure(width: float, height: float):
    """A matplotlib ``Figure`` of ``width`` x ``height`` inches, drawn by the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _finish(figure, path):
    """Write ``figure`` to ``path`` as a PNG, atomically, when a path is given; return it."""
    if path is not None:
        with atomic_write(path) as handle:
            figure.savefig(handle, format="png", dpi=_DPI)
    return figure
