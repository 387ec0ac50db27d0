"""Safetensors files: named arrays plus string metadata, read and written without pickle.

A safetensors file is three parts::

    8 bytes    N, the header size, an unsigned little-endian integer
    N bytes    a UTF-8 JSON object:
                 {"__metadata__": {"epoch": "12", ...},               (optional, str -> str)
                  "layers.0.W": {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 24]},
                  ...}
    the rest   the tensor bytes, little-endian, C order; ``data_offsets`` are [begin, end)
               positions counted from the start of this buffer

The tensors tile the buffer exactly, without gaps, overlaps or trailing bytes. Nothing in the
file is code: loading it can only ever produce arrays and strings, which is why glassnet stores
weights this way rather than with pickle. ``load`` trusts nothing in the file and raises
``ModelFileError`` naming the path and the first problem it finds.

This module is NumPy and the standard library only; the ``safetensors`` package is used by the
tests as an independent check that the files agree with the reference implementation.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np

from glassnet import _json
from glassnet._files import atomic_write

__all__ = ["DTYPES", "MAX_HEADER_BYTES", "ModelFileError", "load", "read_metadata", "save"]

# Safetensors dtype codes and the little-endian NumPy dtype each one stores.
DTYPES = {
    "BOOL": np.dtype("?"),
    "U8": np.dtype("u1"),
    "I8": np.dtype("i1"),
    "U16": np.dtype("<u2"),
    "I16": np.dtype("<i2"),
    "F16": np.dtype("<f2"),
    "U32": np.dtype("<u4"),
    "I32": np.dtype("<i4"),
    "F32": np.dtype("<f4"),
    "U64": np.dtype("<u8"),
    "I64": np.dtype("<i8"),
    "F64": np.dtype("<f8"),
}

# Keyed by (kind, itemsize) so that an array of either byte order finds its code.
_CODES = {(dtype.kind, dtype.itemsize): code for code, dtype in DTYPES.items()}

# The reference implementation refuses larger headers too; without a cap a corrupted size
# field could make us allocate gigabytes before finding out the file is not ours.
MAX_HEADER_BYTES = 100_000_000

_FIELDS = ("dtype", "shape", "data_offsets")
# NumPy 2's limit on the number of dimensions of an array (NumPy 1 allows 32).
MAX_DIMS = 64


class ModelFileError(ValueError):
    """A file's content is not a valid safetensors file; the message starts with its path."""


class _Tensor(NamedTuple):
    """One header entry, checked: where a tensor's bytes are and how to read them."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int
    end: int


def save(path, arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None = None):
    """Write ``arrays`` and ``metadata`` to ``path`` as a safetensors file, atomically.

    Tensors are written sorted by name, little-endian and in C order whatever the input's byte
    order or strides; the header is padded with spaces so the tensor bytes start 8-byte aligned.
    The file is written to a temporary file beside ``path`` and renamed over it only once
    complete, so an interrupted save leaves any previous file untouched.

    Raises ``TypeError`` for a name that is not a string, a value that is not a NumPy array or
    has a dtype the format cannot hold, or metadata that is not str -> str; ``ValueError`` for
    an empty or reserved name; ``FileNotFoundError`` when the folder does not exist.
    """
    path = Path(path)
    tensors = _checked_arrays(arrays)
    metadata = _checked_metadata(metadata)

    header: dict[str, object] = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name, array, code in tensors:
        header[name] = {
            "dtype": code,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    header_bytes = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # Spaces are JSON whitespace, so padding keeps the header valid while aligning the buffer.
    header_bytes += b" " * (-len(header_bytes) % 8)

    with atomic_write(path) as handle:
        handle.write(struct.pack("<Q", len(header_bytes)))
        handle.write(header_bytes)
        for _, array, code in tensors:
            handle.write(array.astype(DTYPES[code], copy=False).tobytes(order="C"))


def load(path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read every tensor and the metadata of the safetensors file at ``path``.

    Returns ``(arrays, metadata)``: arrays in file order, each native-endian, writeable and
    owning its memory (nothing refers back to the file); metadata is ``{}`` when the file has
    none. Raises ``ModelFileError`` for any problem with the content, ``FileNotFoundError``
    when there is no file.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        tensors, metadata = _read_header(handle, path)
        # The header check proved the tensors tile the buffer in this order from byte 0, so
        # reading them one after another walks the file exactly once, straight into the arrays.
        arrays = {tensor.name: _read_tensor(handle, path, tensor) for tensor in tensors}
    return arrays, metadata


def read_metadata(path) -> dict[str, str]:
    """Return the metadata of the safetensors file at ``path`` without reading any tensor.

    The whole header is still validated, including its data offsets against the file's size,
    so a file that passes here fails ``load`` only if it changes in between.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        return _read_header(handle, path)[1]


def _checked_arrays(arrays) -> list[tuple[str, np.ndarray, str]]:
    """Return ``(name, array, code)`` for each entry of ``arrays``, sorted by name."""
    if not isinstance(arrays, Mapping):
        raise TypeError(f"arrays must be a mapping of name -> array, got {type(arrays).__name__}")
    checked = []
    for name, array in arrays.items():
        if not isinstance(name, str):
            raise TypeError(f"array names must be strings, got {name!r}")
        if not name or name == "__metadata__":
            raise ValueError(f"array name must be non-empty and not '__metadata__', got {name!r}")
        if not isinstance(array, np.ndarray):
            raise TypeError(f"arrays[{name!r}] must be a NumPy array, got {type(array).__name__}")
        code = _CODES.get((array.dtype.kind, array.dtype.itemsize))
        if code is None:
            supported = ", ".join(str(dtype.newbyteorder("=")) for dtype in DTYPES.values())
            raise TypeError(
                f"arrays[{name!r}] has dtype {array.dtype}, which safetensors cannot store; "
                f"supported: {supported}"
            )
        checked.append((name, array, code))
    return sorted(checked, key=lambda entry: entry[0])


def _checked_metadata(metadata) -> dict[str, str]:
    """Return ``metadata`` as a plain dict after checking it maps strings to strings."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping of str -> str, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise TypeError(f"metadata keys must be strings, got {key!r}")
        if not isinstance(value, str):
            raise TypeError(
                f"metadata[{key!r}] must be a string, got {type(value).__name__} {value!r}"
            )
    return dict(metadata)


def _read_header(handle, path: Path) -> tuple[list[_Tensor], dict[str, str]]:
    """Read and check the size field and header; return the tensors in offset order.

    Leaves ``handle`` at the first byte of the tensor buffer.
    """
    file_size = os.fstat(handle.fileno()).st_size
    if file_size == 0:
        raise ModelFileError(f"{path}: empty file (a safetensors file starts with 8 size bytes)")
    if file_size < 8:
        raise ModelFileError(
            f"{path}: too short to be a safetensors file ({file_size} bytes, the size field "
            "alone is 8)"
        )
    (header_size,) = struct.unpack("<Q", handle.read(8))
    after_size = file_size - 8
    if header_size > after_size:
        # A huge size is the first 8 bytes of some other kind of file read as a number; a
        # plausible one that merely runs past the end is a header cut short.
        if header_size > MAX_HEADER_BYTES:
            raise ModelFileError(
                f"{path}: not a safetensors file (header size {header_size} exceeds file "
                f"size {file_size})"
            )
        raise ModelFileError(
            f"{path}: truncated: header size is {header_size} bytes, file has only "
            f"{after_size} after the size field"
        )
    if header_size > MAX_HEADER_BYTES:
        raise ModelFileError(
            f"{path}: header size {header_size} exceeds the limit of {MAX_HEADER_BYTES} bytes"
        )
    header = _parse_json(handle.read(header_size), path)

    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict):
        raise ModelFileError(
            f"{path}: __metadata__ must be a JSON object, got {_json_type(metadata)}"
        )
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise ModelFileError(
                f"{path}: metadata {_brief(key)} must be a string, got {_json_type(value)} "
                f"{_brief(value)}"
            )

    tensors = sorted(
        (_checked_entry(path, name, entry) for name, entry in header.items()),
        key=lambda tensor: (tensor.begin, tensor.end),
    )
    _check_layout(path, tensors, buffer_size=after_size - header_size)
    return tensors, metadata


def _parse_json(raw: bytes, path: Path) -> dict:
    """Decode the header bytes into a JSON object of plain data (see ``glassnet._json``): a
    name that appears twice would silently keep only one tensor, so it is refused too."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ModelFileError(
            f"{path}: corrupted header: not UTF-8 (bad byte at position {error.start})"
        ) from None
    try:
        header = _json.loads(text)
    except ValueError as error:
        raise ModelFileError(f"{path}: corrupted header: {error}") from None
    if not isinstance(header, dict):
        raise ModelFileError(
            f"{path}: corrupted header: expected a JSON object, got {_json_type(header)}"
        )
    return header


def _checked_entry(path: Path, name: str, entry) -> _Tensor:
    """Check one tensor's header entry on its own: fields, dtype, shape, offsets, byte count."""
    where = f"{path}: tensor {_brief(name)}"
    if not isinstance(entry, dict):
        raise ModelFileError(f"{where} must be a JSON object, got {_json_type(entry)}")
    missing = [field for field in _FIELDS if field not in entry]
    if missing:
        raise ModelFileError(f"{where} is missing {', '.join(map(repr, missing))}")
    unexpected = [field for field in entry if field not in _FIELDS]
    if unexpected:
        raise ModelFileError(f"{where} has unexpected field(s) {', '.join(map(repr, unexpected))}")

    code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(code, str) or code not in DTYPES:
        raise ModelFileError(
            f"{where} has dtype {_brief(code)}, expected one of {', '.join(DTYPES)}"
        )
    # Bounded before multiplying: the product of many huge integers costs quadratic time.
    if not isinstance(shape, list) or not all(map(_is_count, shape)) or len(shape) > MAX_DIMS:
        raise ModelFileError(
            f"{where} has shape {_brief(shape)}, expected a list of at most {MAX_DIMS} integers "
            f"from 0 to 2**63 - 1"
        )
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(map(_is_count, offsets))
        or offsets[0] > offsets[1]
    ):
        raise ModelFileError(
            f"{where} has data_offsets {_brief(offsets)}, expected [begin, end] with "
            "0 <= begin <= end < 2**63"
        )
    begin, end = offsets
    needed = math.prod(shape) * DTYPES[code].itemsize
    if end - begin != needed:
        raise ModelFileError(
            f"{where}: shape {shape} of {code} needs {needed} bytes, offsets give {end - begin}"
        )
    return _Tensor(name, DTYPES[code], tuple(shape), begin, end)


def _check_layout(path: Path, tensors: list[_Tensor], buffer_size: int) -> None:
    """Check that ``tensors`` (sorted by offset) tile the buffer exactly, from 0 to its end."""
    previous_end, previous_name = 0, None
    for tensor in tensors:
        if tensor.begin > previous_end:
            after = f"tensor {_brief(previous_name)} ends" if previous_name else "the buffer starts"
            raise ModelFileError(
                f"{path}: data_offsets leave a gap: {after} at byte {previous_end} but tensor "
                f"{_brief(tensor.name)} begins at byte {tensor.begin}"
            )
        if tensor.begin < previous_end:
            raise ModelFileError(
                f"{path}: data_offsets overlap: tensor {_brief(tensor.name)} begins at byte "
                f"{tensor.begin}, inside tensor {_brief(previous_name)} which ends at byte "
                f"{previous_end}"
            )
        previous_end, previous_name = tensor.end, tensor.name
    if previous_end > buffer_size:
        raise ModelFileError(
            f"{path}: truncated: header says {previous_end} bytes of tensor data, file has "
            f"{buffer_size}"
        )
    if previous_end < buffer_size:
        raise ModelFileError(
            f"{path}: {buffer_size - previous_end} trailing bytes: header says {previous_end} "
            f"bytes of tensor data, file has {buffer_size}"
        )


def _read_tensor(handle, path: Path, tensor: _Tensor) -> np.ndarray:
    """Read one tensor's bytes from ``handle`` into a new native-endian array."""
    try:
        array = np.empty(tensor.shape, dtype=tensor.dtype)
    except ValueError as error:
        # e.g. more dimensions than NumPy allows, or a zero-size shape whose other sides overflow
        raise ModelFileError(f"{path}: tensor {_brief(tensor.name)}: {error}") from None
    # Reading straight into the array's memory avoids holding the file's bytes a second time.
    if handle.readinto(array.reshape(-1).view(np.uint8)) != array.nbytes:
        raise ModelFileError(
            f"{path}: truncated: the file ended inside tensor {_brief(tensor.name)} (did it change "
            "while being read?)"
        )
    return array.astype(tensor.dtype.newbyteorder("="), copy=False)


def _is_count(value) -> bool:
    """True for a JSON integer from 0 to 2**63 - 1, the sizes a file can have (JSON ``true``
    arrives as a Python bool, an int subclass)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _brief(value) -> str:
    """``repr(value)`` of a value from the file, shortened for a message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _json_type(value) -> str:
    """Name ``value``'s type as JSON does, for messages about a file's content."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")
