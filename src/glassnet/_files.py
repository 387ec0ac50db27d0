"""Atomic file writing: a reader sees the old file or the whole new one, never half of it.

The new content goes to a temporary file beside the target, named ``.{name}.glassnet-XXXXXXXX.tmp``
(eight random characters), which is renamed over the target once complete. An exception removes
it; a process killed outright (``kill -9``, a power cut) cannot, and leaves it behind. Such
litter is cleaned up by the next ``atomic_write`` into the same folder: it removes every file of
that naming whose last change is older than ``STALE_SECONDS``. A write in progress changes its
temporary file with every write, so only an abandoned one gets that old; files of any other
naming are never touched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import time
from pathlib import Path

# Ten minutes without a change: no write of glassnet's pauses that long between two writes.
STALE_SECONDS = 600
_TEMPORARY_MARK = ".glassnet-"
# What mkstemp names: the prefix, eight characters of its alphabet, the suffix.
_TEMPORARY_NAME = re.compile(r"\..*\.glassnet-[a-z0-9_]{8}\.tmp", re.DOTALL)
#: The longest file name most file systems take, in bytes, when the folder does not say.
_NAME_MAX = 255
#: Of the target's name, at most this many bytes go into the temporary file's name.
_PREFIX_BYTES = 64


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb"):
    """Open a temporary file beside ``path``; on success, fsync it and rename it over ``path``.

    On any exception (``KeyboardInterrupt`` included) the temporary file is removed and ``path``
    is left as it was. Stale temporary files of earlier, killed writes into the same folder are
    removed first (see the module's docstring). Raises ``FileNotFoundError`` naming the folder
    when it does not exist, and ``OSError`` naming ``path`` (never the temporary file) when it
    cannot be written.
    """
    path = Path(path)
    remove_stale_temporaries(_folder(path))
    descriptor, temporary = _temporary_file(path)
    try:
        encoding = None if "b" in mode else "utf-8"
        newline = None if "b" in mode else ""
        with os.fdopen(descriptor, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it the permissions open() would have.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def remove_stale_temporaries(folder) -> None:
    """Remove the temporary files that killed writes left in ``folder``: those named as
    ``atomic_write`` names them and unchanged for ``STALE_SECONDS``.

    A file that cannot be removed (gone already, or not ours to remove) is left alone.
    """
    cutoff = time.time() - STALE_SECONDS
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if _TEMPORARY_MARK not in entry.name or not _TEMPORARY_NAME.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                stat = entry.stat(follow_symlinks=False)
                if entry.is_file(follow_symlinks=False) and stat.st_mtime < cutoff:
                    os.unlink(entry.path)


def check_writable(path) -> None:
    """Raise ``OSError`` naming ``path`` when ``atomic_write`` could not write it: the folder is
    missing or not writable, or the name is too long; ``IsADirectoryError`` when it is a folder.

    Checks by creating and removing the temporary file ``atomic_write`` would use, so a
    command can find a read-only folder before it spends time on work it could not save.
    """
    path = Path(path)
    folder = _folder(path)
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = _NAME_MAX
    if len(os.fsencode(path.name)) > name_max:
        raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), str(path))
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    descriptor, temporary = _temporary_file(path)
    os.close(descriptor)
    os.unlink(temporary)


def _temporary_file(path: Path) -> tuple[int, str]:
    """``tempfile.mkstemp`` beside ``path``, named after it; an error names ``path``."""
    folder = _folder(path)
    # A long name is shortened so that the temporary name stays within the file system's limit.
    prefix = os.fsdecode(os.fsencode(path.name)[:_PREFIX_BYTES])
    try:
        return tempfile.mkstemp(prefix=f".{prefix}{_TEMPORARY_MARK}", suffix=".tmp", dir=folder)
    except OSError as error:
        raise type(error)(error.errno, error.strerror, str(path)) from None


def _folder(path: Path) -> Path:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
