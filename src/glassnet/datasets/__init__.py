"""Datasets: the tutorial's four people, TensorFlow-Playground generators, CSV files, MNIST IDX
and short sentences for recurrent networks.

Every generator is ``(n_samples, noise, seed) -> Dataset`` with two features ``x1, x2`` in about
``[-1, 1]``; the same ``seed`` gives bit-identical data. ``load(name, **kwargs)`` finds one by
name. ``read_csv`` and ``read_idx`` read local files only: nothing is ever downloaded.
"""

from glassnet.datasets.base import Dataset, PixelNames
from glassnet.datasets.csv_files import (
    DELIMITERS,
    CsvTable,
    TextCellError,
    delimiter_hint,
    read_csv,
    read_csv_column,
    read_csv_header,
    sniff_delimiter,
)
from glassnet.datasets.generators import (
    GENDER_LABELS,
    GENDER_SHIFT,
    GENDER_TABLE,
    GENERATORS,
    blobs,
    circles,
    describe,
    gender,
    load,
    moons,
    multi_gaussian,
    plane,
    spirals,
    xor,
)
from glassnet.datasets.idx import load_mnist, read_idx
from glassnet.datasets.text import Texts, sentiment

__all__ = [
    "DELIMITERS",
    "GENDER_LABELS",
    "GENDER_SHIFT",
    "GENDER_TABLE",
    "GENERATORS",
    "CsvTable",
    "Dataset",
    "PixelNames",
    "TextCellError",
    "Texts",
    "blobs",
    "circles",
    "delimiter_hint",
    "describe",
    "gender",
    "load",
    "load_mnist",
    "moons",
    "multi_gaussian",
    "plane",
    "read_csv",
    "read_csv_column",
    "read_csv_header",
    "read_idx",
    "sentiment",
    "sniff_delimiter",
    "spirals",
    "xor",
]
