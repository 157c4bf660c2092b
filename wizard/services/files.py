"""Files that hold customer data: owner-only, written whole or not at all, hashed.

Every file the program makes goes through `atomic_output`: it is written under a temporary
name beside its final one (mode 0600 from the first byte), flushed and fsync'd, then renamed
over the final name. A crash or a Cancel leaves at most a `.tmp-*` file, never half a file
under the final name; `sweep_temporaries` removes those leftovers when a project opens.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from wizard.core.vocabulary import is_store_file
from wizard.errors import UsageError
from wizard.services.places import PRIVATE_DIR, PRIVATE_FILE, fsync_dir, restrict_fd, restrict_path

TEMP_PREFIX = ".tmp-"


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the owner only.

    A folder that already exists is left as it is: it may be the person's own (a report
    written with `--out ~/Desktop/...`, or /tmp), and its permissions are theirs to keep.
    """
    path = Path(path)
    if path.is_dir():
        return path
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    restrict_path(path, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


@contextlib.contextmanager
def atomic_output(final: Path, mode: str = "wb") -> Iterator[tuple[IO[bytes], Path]]:
    """Yield (file, temporary path); on success rename the temporary file to `final`.

    The temporary file is created 0600 by `mkstemp`. On any exception (Cancel included) it
    is removed and `final` is untouched.
    """
    final = _not_a_store(Path(final))
    private_dir(final.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX + final.name + ".", dir=final.parent)
    tmp = Path(tmp_name)
    try:
        restrict_fd(fd, PRIVATE_FILE)
        with os.fdopen(fd, mode) as handle:
            yield handle, tmp
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        fsync_dir(final.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path for a library that writes by name; rename it on success."""
    final = _not_a_store(Path(final))
    private_dir(final.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX + final.name + ".", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        restrict_path(tmp, PRIVATE_FILE)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        fsync_dir(final.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The file's SHA-256 as lowercase hex."""
    digest = hashlib.sha256()
    with open(_not_a_store(Path(path)), "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _not_a_store(path: Path) -> Path:
    """`path`, unless it is a project's database (or its -wal, -shm, -journal): those are
    read and written by SQLite alone (`vocabulary.is_store_file`), exit 2."""
    if is_store_file(path):
        raise UsageError(f"{path} is a conversion project's database: the program reads and "
                         "writes it through SQLite alone; choose another file")
    return path


def sweep_temporaries(folder: Path) -> list[Path]:
    """Remove temporary files a crashed write left behind under `folder`."""
    removed = []
    if folder.is_dir():
        for leftover in folder.rglob(TEMP_PREFIX + "*"):
            with contextlib.suppress(OSError):
                leftover.unlink()
                removed.append(leftover)
    return removed


def clear_folder(folder: Path) -> None:
    """Empty `folder` (a temporary folder of ours) without removing it; missing is fine."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()
