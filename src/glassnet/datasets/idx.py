"""MNIST's IDX files, plain or gzip-compressed, read with memory bounded by what the file holds;
``load_mnist`` reads a folder of them into a ``Dataset``. Nothing is ever downloaded.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from glassnet._checks import one_of
from glassnet.datasets.base import Dataset, PixelNames, _existing_file

_GZIP_MAGIC = b"\x1f\x8b"
# IDX type code -> the big-endian dtype of the stored values.
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


# Deflate, gzip's compression, expands data at most 1032-fold: a gzip file's header that declares
# more values than that is not telling the truth, and is refused before anything is decompressed.
_MAX_DEFLATE_RATIO = 1032
# Decompressed data is read in pieces of this size, so memory follows what the file really holds.
_CHUNK_BYTES = 1 << 18


def read_idx(path) -> np.ndarray:
    """Read one IDX file (the MNIST format), plain or gzip-compressed.

    The layout is: magic bytes ``00 00 <type code> <n_dims>``, then ``n_dims`` big-endian uint32
    sizes, then the values in C order, big-endian. Gzip is detected by its magic bytes ``1f 8b``,
    whatever the file's suffix.

    The header is checked before the data are read: a plain file must hold exactly the bytes
    its sizes declare, a gzip file at most 1032 times its own size (deflate's limit). Gzip data
    are decompressed piece by piece and never past the declared size (plus one byte, to find
    trailing data), so memory follows what the file holds, not what its header claims.

    Returns an array of the stored shape, e.g. ``(n_images, 28, 28)`` uint8, in native byte order.
    """
    path = _existing_file(path, "IDX file")
    file_size = path.stat().st_size
    with path.open("rb") as handle:
        compressed = handle.read(2) == _GZIP_MAGIC
        handle.seek(0)
        if not compressed:
            return _read_idx_stream(handle, path, file_size, compressed=False)
        try:
            with gzip.GzipFile(fileobj=handle, mode="rb") as stream:
                return _read_idx_stream(stream, path, _MAX_DEFLATE_RATIO * file_size, True)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{path}: corrupt gzip data ({error})") from error


def _read_idx_stream(stream, path: Path, most_bytes: int, compressed: bool) -> np.ndarray:
    """``read_idx`` on an open (maybe decompressing) ``stream`` that holds ``most_bytes`` at
    most, exactly that many when not ``compressed``."""
    head = _read_bytes(stream, 4)
    if len(head) < 4 or head[:2] != b"\x00\x00":
        raise ValueError(
            f"{path}: not an IDX file; expected magic bytes 00 00 <type> <dims>, "
            f"got {head.hex(' ') or 'an empty file'}"
        )
    code, n_dims = head[2], head[3]
    if code not in _IDX_TYPES:
        known = ", ".join(f"0x{known:02X}" for known in _IDX_TYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X}; expected one of {known}")
    header_size = 4 + 4 * n_dims
    sizes = _read_bytes(stream, 4 * n_dims)
    if len(sizes) < 4 * n_dims:
        raise ValueError(
            f"{path}: truncated IDX header; expected {header_size} bytes for {n_dims} sizes, "
            f"got {4 + len(sizes)}"
        )
    shape = struct.unpack(f">{n_dims}I", sizes)
    dtype = _IDX_TYPES[code]
    count = math.prod(shape)  # at most 255 factors below 2**32: cheap
    expected, available = count * dtype.itemsize, most_bytes - header_size

    def size_error(problem: str, received) -> ValueError:
        return ValueError(
            f"{path}: {problem}; expected {expected} bytes of {dtype.name} for shape {shape}, "
            f"got {received}"
        )

    if not compressed and expected != available:
        problem = "truncated IDX data" if available < expected else "trailing bytes after IDX data"
        raise size_error(problem, available)
    if expected > available:
        raise size_error(
            "the header declares more data than the file can hold (gzip expands at most "
            f"{_MAX_DEFLATE_RATIO}-fold)",
            f"a file of {most_bytes // _MAX_DEFLATE_RATIO} bytes",
        )
    data = _read_bytes(stream, expected)
    if len(data) < expected:
        raise size_error("truncated IDX data", len(data))
    if _read_bytes(stream, 1):
        raise size_error("trailing bytes after IDX data", "more")
    values = np.frombuffer(data, dtype=dtype, count=count)
    return values.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _read_bytes(stream, size: int) -> bytearray:
    """Up to ``size`` bytes of ``stream``, fewer only where it ends, read in pieces: a size
    that the data do not back allocates nothing."""
    data = bytearray()
    while len(data) < size:
        piece = stream.read(min(_CHUNK_BYTES, size - len(data)))
        if not piece:
            break
        data += piece
    return data


def _find_idx(folder: Path, stem: str) -> Path:
    """Return ``folder/stem`` or ``folder/stem.gz``, whichever exists, or raise naming both."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"MNIST folder {folder} has no {stem} or {stem}.gz; nothing is downloaded, "
        "so put the file there first"
    )


def load_mnist(folder, kind: str = "train") -> Dataset:
    """Load MNIST from IDX files already in ``folder``; nothing is downloaded.

    ``kind="train"`` reads ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte``;
    ``kind="test"`` reads the ``t10k-`` pair. Either may be gzip-compressed with a ``.gz`` suffix.
    Pixels are scaled from 0..255 to [0, 1].

    Returns a Dataset with X ``(n_images, 784)`` float64 and y ``(n_images,)`` digits 0..9.
    """
    one_of(kind, "kind", ("train", "test"))
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be a str or os.PathLike, got {folder!r}")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"MNIST folder {folder} does not exist or is not a folder")
    prefix = "train" if kind == "train" else "t10k"
    images_path = _find_idx(folder, f"{prefix}-images-idx3-ubyte")
    labels_path = _find_idx(folder, f"{prefix}-labels-idx1-ubyte")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(
            f"{images_path}: expected uint8 images of shape (n_images, rows, columns), "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{labels_path}: expected uint8 labels of shape (n_images,), "
            f"got {labels.dtype} of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; expected the same count"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: expected digit labels 0..9, got {labels.max()}")
    n_images, n_rows, n_columns = images.shape
    X = images.reshape(n_images, n_rows * n_columns).astype(np.float64)
    X /= 255.0
    return Dataset(
        X=X,
        y=labels.astype(np.int64),
        feature_names=PixelNames(n_rows, n_columns),
        target_name="digit",
        task="classification",
        label_names=tuple(str(digit) for digit in range(10)),
    )
