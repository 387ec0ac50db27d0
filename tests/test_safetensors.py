"""Tests for glassnet.safetensors: round trips, agreement with the reference package, atomic
saves, and a ModelFileError naming the path and the problem for every kind of broken file."""

from __future__ import annotations

import json
import os
import struct
import time

import numpy as np
import pytest
import safetensors
import safetensors.numpy

from glassnet import safetensors as st
from glassnet.safetensors import ModelFileError

DTYPES = ["?", "u1", "i1", "u2", "i2", "f2", "u4", "i4", "f4", "u8", "i8", "f8"]
SHAPES = [(), (0,), (1,), (5,), (2, 3), (3, 0, 2), (1, 2, 1, 3)]


def sample(dtype, shape, rng) -> np.ndarray:
    """Random values of ``dtype``, with NaN, infinities and -0.0 among floats' bit patterns."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.asarray(rng.integers(0, 2, size=shape)).astype(bool)
    if dtype.kind == "f":
        values = np.asarray(rng.standard_normal(size=shape)).astype(dtype)
        specials = np.array([np.nan, np.inf, -np.inf, -0.0], dtype=dtype)
        flat = values.reshape(-1)
        flat[: min(flat.size, 4)] = specials[: min(flat.size, 4)]
        return values
    info = np.iinfo(dtype)
    # Draw raw bytes so that the extremes of every integer type can appear.
    raw = rng.integers(0, 256, size=int(np.prod(shape)) * dtype.itemsize, dtype=np.uint8)
    values = raw.view(dtype).reshape(shape)
    if values.size >= 2:
        values.reshape(-1)[:2] = [info.min, info.max]
    return values


def sample_arrays(seed=0) -> dict[str, np.ndarray]:
    """Every supported dtype in every test shape, under names like 'f4.2x3'."""
    rng = np.random.default_rng(seed)
    return {
        f"{dtype}.{'x'.join(map(str, shape)) or 'scalar'}": sample(dtype, shape, rng)
        for dtype in DTYPES
        for shape in SHAPES
    }


def assert_same_bits(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal dtype (ignoring byte order), shape and every bit of every value."""
    assert actual.dtype.newbyteorder("=") == expected.dtype.newbyteorder("=")
    assert actual.shape == expected.shape
    native = expected.dtype.newbyteorder("=")
    assert actual.astype(native).tobytes() == expected.astype(native).tobytes()


def raw_file(header, buffer: bytes = b"", *, pad: bool = True) -> bytes:
    """A file's bytes from a header (a JSON-able object, or raw bytes used as is) and a buffer."""
    header_bytes = header if isinstance(header, bytes) else json.dumps(header).encode("utf-8")
    if pad:
        header_bytes += b" " * (-len(header_bytes) % 8)
    return struct.pack("<Q", len(header_bytes)) + header_bytes + buffer


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_round_trip_is_bit_for_bit(tmp_path, dtype, shape):
    array = sample(dtype, shape, np.random.default_rng(1))
    st.save(tmp_path / "model.gn", {"x": array})
    arrays, metadata = st.load(tmp_path / "model.gn")
    assert list(arrays) == ["x"] and metadata == {}
    assert arrays["x"].dtype == np.dtype(dtype)
    assert_same_bits(arrays["x"], array)


def test_round_trip_of_many_arrays_and_metadata(tmp_path):
    arrays = sample_arrays()
    metadata = {"config": json.dumps({"layers": [2, 3, 1]}), "epoch": "12", "note": "ünïcødé ✓"}
    st.save(tmp_path / "model.gn", arrays, metadata)
    loaded, loaded_metadata = st.load(tmp_path / "model.gn")
    assert sorted(loaded) == sorted(arrays)
    for name, array in arrays.items():
        assert_same_bits(loaded[name], array)
    assert loaded_metadata == metadata
    assert st.read_metadata(tmp_path / "model.gn") == metadata
    assert st.read_metadata(str(tmp_path / "model.gn")) == metadata


def test_loaded_arrays_are_native_writeable_and_own_their_memory(tmp_path):
    st.save(tmp_path / "model.gn", sample_arrays())
    for array in st.load(tmp_path / "model.gn")[0].values():
        assert array.dtype.isnative
        assert array.flags.writeable and array.flags.owndata and array.flags.c_contiguous
        array[...] = 0  # must not raise


def test_big_endian_and_strided_inputs_are_stored_as_little_endian_c_order(tmp_path):
    values = np.arange(12, dtype=np.float64).reshape(3, 4)
    arrays = {
        "big": values.astype(">f8"),
        "transposed": values.T,
        "strided": values[::2, ::3],
        "big_int": np.array([1, -2, 70000], dtype=">i4"),
    }
    st.save(tmp_path / "model.gn", arrays)
    loaded, _ = st.load(tmp_path / "model.gn")
    for name, array in arrays.items():
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].dtype.isnative
    # The bytes on disk are little-endian whatever the machine: 1 as I32 is 01 00 00 00.
    raw = (tmp_path / "model.gn").read_bytes()
    assert struct.pack("<3i", 1, -2, 70000) in raw


def test_header_is_sorted_padded_and_aligned(tmp_path):
    st.save(tmp_path / "model.gn", {"b": np.zeros(3, np.float32), "a": np.ones(2)}, {"k": "v"})
    raw = (tmp_path / "model.gn").read_bytes()
    (header_size,) = struct.unpack("<Q", raw[:8])
    assert header_size % 8 == 0
    text = raw[8 : 8 + header_size].decode("utf-8")
    header = json.loads(text)
    assert set(text[len(text.rstrip()) :]) <= {" "}
    assert list(header) == ["__metadata__", "a", "b"]
    assert header["a"] == {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}
    assert header["b"] == {"dtype": "F32", "shape": [3], "data_offsets": [16, 28]}
    assert len(raw) == 8 + header_size + 28


def test_no_arrays_and_no_metadata(tmp_path):
    st.save(tmp_path / "empty.gn", {})
    assert st.load(tmp_path / "empty.gn") == ({}, {})
    # No metadata means no "__metadata__" key, as the reference writer does it.
    assert (tmp_path / "empty.gn").read_bytes().rstrip() == struct.pack("<Q", 8) + b"{}"
    st.save(tmp_path / "meta.gn", {}, {"only": "metadata"})
    assert st.load(tmp_path / "meta.gn") == ({}, {"only": "metadata"})


def test_save_overwrites_an_existing_file(tmp_path):
    st.save(tmp_path / "model.gn", {"x": np.zeros(100)})
    st.save(tmp_path / "model.gn", {"y": np.ones(2, np.int8)})
    loaded, _ = st.load(tmp_path / "model.gn")
    assert list(loaded) == ["y"]
    assert os.listdir(tmp_path) == ["model.gn"]


# --- agreement with the reference implementation -----------------------------------------------


def test_files_we_write_load_with_the_safetensors_package(tmp_path):
    arrays = sample_arrays(seed=2)
    metadata = {"format": "glassnet", "epoch": "3"}
    st.save(tmp_path / "ours.safetensors", arrays, metadata)
    theirs = safetensors.numpy.load_file(tmp_path / "ours.safetensors")
    assert sorted(theirs) == sorted(arrays)
    for name, array in arrays.items():
        assert_same_bits(theirs[name], array)
    with safetensors.safe_open(tmp_path / "ours.safetensors", framework="np") as handle:
        assert handle.metadata() == metadata


def test_files_the_safetensors_package_writes_load_with_ours(tmp_path):
    arrays = sample_arrays(seed=3)
    metadata = {"format": "np", "source": "reference"}
    safetensors.numpy.save_file(arrays, tmp_path / "theirs.safetensors", metadata=metadata)
    loaded, loaded_metadata = st.load(tmp_path / "theirs.safetensors")
    assert sorted(loaded) == sorted(arrays)
    for name, array in arrays.items():
        assert_same_bits(loaded[name], array)
    assert loaded_metadata == metadata
    assert st.read_metadata(tmp_path / "theirs.safetensors") == metadata


def test_safetensors_file_without_metadata_gives_empty_metadata(tmp_path):
    safetensors.numpy.save_file({"w": np.eye(2)}, tmp_path / "theirs.safetensors")
    loaded, metadata = st.load(tmp_path / "theirs.safetensors")
    np.testing.assert_array_equal(loaded["w"], np.eye(2))
    assert metadata == {}


# --- atomic saves ------------------------------------------------------------------------------


def exploding_array(values, folder, error):
    """``values`` as an array that fails while its bytes are written, after the file is open.

    Returns the array and a list that, once it has failed, holds what the folder contained at
    that moment, so the test can see the temporary file.
    """
    seen_in_folder: list[str] = []

    class ExplodingArray(np.ndarray):
        def tobytes(self, order="C"):
            seen_in_folder.extend(sorted(os.listdir(folder)))
            raise error("boom while writing")

    return np.asarray(values).view(ExplodingArray), seen_in_folder


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_save_failing_midway_leaves_old_file_and_no_temporary(tmp_path, error):
    path = tmp_path / "model.gn"
    st.save(path, {"x": np.arange(4.0)}, {"version": "old"})
    before = path.read_bytes()

    exploding, seen_in_folder = exploding_array(np.ones(3), tmp_path, error)
    with pytest.raises(error, match="boom"):
        # "a" is written first (names are sorted), so the failure comes after real writes.
        st.save(path, {"a": np.zeros(2), "b": exploding}, {"version": "new"})

    # While writing, a temporary file sat beside the old one; afterwards only the old remains.
    assert len(seen_in_folder) == 2 and "model.gn" in seen_in_folder
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.gn"]
    assert st.read_metadata(path) == {"version": "old"}


def test_save_failing_at_rename_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.gn"
    st.save(path, {"x": np.arange(4.0)})
    before = path.read_bytes()

    def failing_replace(source, destination):
        raise OSError("disk vanished")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk vanished"):
        st.save(path, {"y": np.zeros(1000)})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.gn"]


def test_failed_first_save_leaves_no_file(tmp_path, monkeypatch):
    def failing_fsync(descriptor):
        raise OSError("no sync")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="no sync"):
        st.save(tmp_path / "model.gn", {"x": np.zeros(3)})
    assert os.listdir(tmp_path) == []


def test_save_into_missing_folder_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        st.save(tmp_path / "nowhere" / "model.gn", {"x": np.zeros(1)})
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("reader", [st.load, st.read_metadata], ids=["load", "read_metadata"])
def test_missing_file_names_the_path(tmp_path, reader):
    with pytest.raises(FileNotFoundError, match=r"missing\.gn"):
        reader(tmp_path / "missing.gn")


# --- what save refuses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrays", "metadata", "error", "message"),
    [
        ([np.zeros(2)], None, TypeError, "arrays must be a mapping"),
        ({3: np.zeros(2)}, None, TypeError, "array names must be strings, got 3"),
        ({"": np.zeros(2)}, None, ValueError, "non-empty"),
        ({"__metadata__": np.zeros(2)}, None, ValueError, "'__metadata__'"),
        ({"w": [1.0, 2.0]}, None, TypeError, r"arrays\['w'\] must be a NumPy array, got list"),
        ({"w": np.zeros(2, np.complex128)}, None, TypeError, r"arrays\['w'\] has dtype complex"),
        ({"w": np.array([None])}, None, TypeError, r"arrays\['w'\] has dtype object"),
        ({"w": np.array(["a"])}, None, TypeError, r"arrays\['w'\] has dtype <U1"),
        ({"w": np.zeros(2, "M8[s]")}, None, TypeError, r"arrays\['w'\] has dtype datetime64"),
        ({"w": np.zeros(2)}, [("k", "v")], TypeError, "metadata must be a mapping"),
        ({"w": np.zeros(2)}, {"epoch": 3}, TypeError, r"metadata\['epoch'\] must be a string"),
        ({"w": np.zeros(2)}, {1: "v"}, TypeError, "metadata keys must be strings"),
    ],
)
def test_save_refuses_bad_input_and_writes_nothing(tmp_path, arrays, metadata, error, message):
    with pytest.raises(error, match=message):
        st.save(tmp_path / "model.gn", arrays, metadata)
    assert os.listdir(tmp_path) == []


# --- corrupted and foreign files ---------------------------------------------------------------

ONE_TENSOR = {"layers.0.W": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
VALID = raw_file(ONE_TENSOR, bytes(24))


def entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


CORRUPTIONS = {
    "empty file": (b"", "empty file"),
    "three bytes": (b"abc", "too short to be a safetensors file (3 bytes"),
    "truncated buffer": (VALID[:-4], "truncated: header says 24 bytes of tensor data, file has 20"),
    "truncated header": (VALID[:20], "truncated: header size is"),
    "huge header size": (
        struct.pack("<Q", 8245357398) + b"{}" + bytes(110),
        "not a safetensors file (header size 8245357398 exceeds file size 120)",
    ),
    "png": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40),
        "not a safetensors file (header size",
    ),
    "text": (b"weights: 0.5, 0.25, 0.125\n" * 3, "not a safetensors file (header size"),
    "invalid json": (
        raw_file(b'{"a": 1 "b": 2}'),
        "corrupted header: invalid JSON at line 1 column 9 (Expecting ',' delimiter)",
    ),
    "not utf-8": (raw_file(b'{"\xff": 1}'), "corrupted header: not UTF-8"),
    "json list": (raw_file([1, 2, 3]), "corrupted header: expected a JSON object, got an array"),
    "json string": (raw_file("hello"), "expected a JSON object, got a string"),
    "deep nesting": (raw_file(b"[" * 200_000), "corrupted header: JSON nested too deeply"),
    "duplicate name": (
        raw_file(b'{"w": {"dtype": "U8", "shape": [], "data_offsets": [0, 1]}, "w": {}}', b"x"),
        "key 'w' appears twice",
    ),
    "bad dtype": (
        raw_file({"layers.0.W": entry(dtype="F99")}, bytes(8)),
        "tensor 'layers.0.W' has dtype 'F99', expected one of BOOL, U8, I8",
    ),
    "bfloat16": (raw_file({"w": entry(dtype="BF16")}, bytes(8)), "has dtype 'BF16'"),
    "dtype not a string": (raw_file({"w": entry(dtype=["F32"])}, bytes(8)), "has dtype ['F32']"),
    "shape vs offsets": (
        raw_file({"layers.0.W": entry(shape=(2, 3), offsets=(0, 20))}, bytes(20)),
        "tensor 'layers.0.W': shape [2, 3] of F32 needs 24 bytes, offsets give 20",
    ),
    "negative shape": (raw_file({"w": entry(shape=(-2,))}, bytes(8)), "has shape [-2]"),
    "float shape": (raw_file({"w": entry(shape=(2.0,))}, bytes(8)), "has shape [2.0]"),
    "boolean shape": (raw_file({"w": entry(shape=(True,))}, bytes(4)), "has shape [True]"),
    "shape not a list": (raw_file({"w": {**entry(), "shape": 2}}, bytes(8)), "has shape 2"),
    "three offsets": (
        raw_file({"w": entry(offsets=(0, 8, 16))}, bytes(8)),
        "has data_offsets [0, 8, 16], expected [begin, end]",
    ),
    "negative offset": (raw_file({"w": entry(offsets=(-8, 0))}, bytes(8)), "data_offsets [-8, 0]"),
    "offsets backwards": (raw_file({"w": entry(offsets=(8, 0))}, bytes(8)), "data_offsets [8, 0]"),
    "missing field": (
        raw_file({"w": {"dtype": "F32", "data_offsets": [0, 8]}}, bytes(8)),
        "tensor 'w' is missing 'shape'",
    ),
    "unexpected field": (
        raw_file({"w": {**entry(), "stride": [1]}}, bytes(8)),
        "tensor 'w' has unexpected field(s) 'stride'",
    ),
    "entry not an object": (raw_file({"w": [0, 8]}), "tensor 'w' must be a JSON object"),
    "overlapping offsets": (
        raw_file({"a": entry(offsets=(0, 8)), "b": entry(offsets=(4, 12))}, bytes(12)),
        "data_offsets overlap: tensor 'b' begins at byte 4, inside tensor 'a'",
    ),
    "gap": (
        raw_file({"a": entry(offsets=(0, 8)), "b": entry(offsets=(12, 20))}, bytes(20)),
        "data_offsets leave a gap: tensor 'a' ends at byte 8 but tensor 'b' begins at byte 12",
    ),
    "gap at the start": (
        raw_file({"a": entry(offsets=(4, 12))}, bytes(12)),
        "data_offsets leave a gap: the buffer starts at byte 0",
    ),
    "out of bounds": (
        raw_file({"w": entry(shape=(10**6,), offsets=(0, 4 * 10**6))}, bytes(8)),
        "truncated: header says 4000000 bytes of tensor data, file has 8",
    ),
    "trailing bytes": (
        VALID + b"extra",
        "5 trailing bytes: header says 24 bytes of tensor data, file has 29",
    ),
    "metadata value not a string": (
        raw_file({"__metadata__": {"epoch": 3}}),
        "metadata 'epoch' must be a string, got a number 3",
    ),
    "metadata not an object": (
        raw_file({"__metadata__": ["epoch", "3"]}),
        "__metadata__ must be a JSON object, got an array",
    ),
    "too many dimensions": (
        raw_file({"w": entry(shape=(1,) * 65, offsets=(0, 4))}, bytes(4)),
        "tensor 'w' has shape [1, 1, 1,",
    ),
    "sizes past 2**63": (
        raw_file({"w": entry(shape=(0, 2**63), offsets=(0, 0))}),
        "tensor 'w' has shape [0, 9223372036854775808], expected a list of at most 64 integers",
    ),
    "offsets past 2**63": (
        raw_file({"w": entry(shape=(0,), offsets=(2**64, 2**64))}),
        "has data_offsets [18446744073709551616, 18446744073709551616], expected",
    ),
    "lone surrogate in a name": (
        raw_file(b'{"w\\udc80": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}', b"x"),
        "corrupted header: string 'w\\udc80' holds a lone surrogate (\\udc80)",
    ),
    "lone surrogate in metadata": (
        raw_file(b'{"__metadata__": {"target_name": "\\ud800"}}'),
        "corrupted header: string '\\ud800' holds a lone surrogate",
    ),
    "integer of too many digits": (
        raw_file(
            b'{"w": {"dtype": "U8", "shape": [' + b"9" * 5000 + b'], "data_offsets": [0, 1]}}'
        ),
        "corrupted header: Exceeds the limit",
    ),
}


@pytest.mark.parametrize(("content", "problem"), CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_corrupted_file_raises_model_file_error_naming_path_and_problem(tmp_path, content, problem):
    path = tmp_path / "model.gn"
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as caught:
        st.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(("content", "problem"), CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_read_metadata_validates_the_whole_header(tmp_path, content, problem):
    path = tmp_path / "model.gn"
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as caught:
        st.read_metadata(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


def test_header_size_over_the_cap_is_refused_before_reading_it(tmp_path, monkeypatch):
    monkeypatch.setattr(st, "MAX_HEADER_BYTES", 16)
    path = tmp_path / "model.gn"
    path.write_bytes(raw_file({"__metadata__": {"a long key": "a long value"}}))
    with pytest.raises(ModelFileError, match="exceeds the limit of 16 bytes"):
        st.load(path)


def test_unpadded_header_and_zero_size_tensors_between_others_are_accepted(tmp_path):
    # Writers need not pad, and an empty tensor may sit at any boundary of the buffer.
    header = {
        "a": entry(dtype="U8", shape=(3,), offsets=(0, 3)),
        "empty": entry(dtype="F64", shape=(0, 5), offsets=(3, 3)),
        "b": entry(dtype="I16", shape=(), offsets=(3, 5)),
    }
    path = tmp_path / "model.gn"
    path.write_bytes(raw_file(header, b"\x01\x02\x03" + struct.pack("<h", -7), pad=False))
    arrays, _ = st.load(path)
    np.testing.assert_array_equal(arrays["a"], [1, 2, 3])
    assert arrays["empty"].shape == (0, 5) and arrays["empty"].dtype == np.float64
    assert arrays["b"].shape == () and arrays["b"] == -7


def test_a_shape_of_many_huge_integers_is_refused_before_any_arithmetic(tmp_path):
    # Multiplying out 2,000 sizes of 1,000 digits each used to take seconds before the
    # product was found not to match the offsets.
    shape = [10**999 + i for i in range(2000)]
    path = tmp_path / "model.gn"
    path.write_bytes(raw_file({"w": entry(shape=shape, offsets=(0, 4))}, bytes(4)))
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match=r"tensor 'w' has shape \[1000000000000000000000"):
        st.read_metadata(path)
    assert time.perf_counter() - start < 0.5
