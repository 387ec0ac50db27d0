"""Atomic writes: all or nothing, with the permissions a plain open() would give."""

import os

import pytest

from glassnet._files import atomic_write


def test_new_file_appears_whole_with_default_permissions(tmp_path):
    path = tmp_path / "out.txt"
    with atomic_write(path, "w") as handle:
        handle.write("hello")
        assert not path.exists()  # nothing is visible until the write completes
    assert path.read_text() == "hello"
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_write(path) as handle:
        handle.write(b"half")
        raise KeyboardInterrupt
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]


def test_missing_folder_is_named(tmp_path):
    with (
        pytest.raises(FileNotFoundError, match=r"folder .*nowhere does not exist"),
        atomic_write(tmp_path / "nowhere" / "file.bin"),
    ):
        pass
