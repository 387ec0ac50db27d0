"""Atomic writes: all or nothing, with the permissions a plain open() would give."""

import os
import re
import subprocess
import sys
import time

import pytest

from glassnet import _files
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


TEMPORARY = re.compile(r"\.model\.bin\.glassnet-[a-z0-9_]{8}\.tmp")


def test_the_temporary_file_is_named_as_glassnet_s_own(tmp_path):
    with atomic_write(tmp_path / "model.bin") as handle:
        handle.write(b"data")
        (temporary,) = [p.name for p in tmp_path.iterdir()]
    assert TEMPORARY.fullmatch(temporary), temporary


def _age(path, seconds):
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_the_next_write_removes_stale_temporaries_of_our_naming_only(tmp_path):
    names = {
        "stale": ".model.bin.glassnet-abc123_z.tmp",
        "stale, other target": ".notes.txt.glassnet-0000aaaa.tmp",
        "fresh": ".model.bin.glassnet-zzzzzzzz.tmp",  # maybe another process writing now
        "not hidden": "model.bin.glassnet-abc123_z.tmp",
        "someone else's": ".model.bin.abc123_z.tmp",
        "not our alphabet": ".model.bin.glassnet-ABCDEFGH.tmp",
    }
    for label, name in names.items():
        (tmp_path / name).write_bytes(b"half")
        if label != "fresh":
            _age(tmp_path / name, _files.STALE_SECONDS + 60)
    (tmp_path / ".folder.glassnet-abcdefgh.tmp").mkdir()
    _age(tmp_path / ".folder.glassnet-abcdefgh.tmp", _files.STALE_SECONDS + 60)

    with atomic_write(tmp_path / "other.csv", "w") as handle:
        handle.write("x")

    kept = {name for name, path in names.items() if (tmp_path / path).exists()}
    assert kept == {"fresh", "not hidden", "someone else's", "not our alphabet"}
    assert (tmp_path / ".folder.glassnet-abcdefgh.tmp").is_dir()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_litter_of_a_killed_write_is_cleaned_up_by_a_later_write(tmp_path):
    writer = (
        "import sys, time\n"
        "from glassnet._files import atomic_write\n"
        "with atomic_write(sys.argv[1]) as handle:\n"
        "    handle.write(b'half a model')\n"
        "    handle.flush()\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
    )
    path = tmp_path / "model.bin"
    process = subprocess.Popen(
        [sys.executable, "-c", writer, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline() == "writing\n"
    finally:
        process.kill()  # SIGKILL: no exception handler runs
        process.wait(timeout=30)
        process.stdout.close()
    (litter,) = list(tmp_path.iterdir())
    assert TEMPORARY.fullmatch(litter.name) and not path.exists()

    with atomic_write(path) as handle:  # soon after: the litter may be a write in progress
        handle.write(b"a model")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([litter.name, "model.bin"])

    _age(litter, _files.STALE_SECONDS + 1)  # ten minutes later
    with atomic_write(path) as handle:
        handle.write(b"another model")
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]
