"""Files that hold customer data: owner-only, written whole or not at all, hashed.

Every file the program makes goes through `atomic_output`: it is written under a temporary
name beside its final one (mode 0600 from the first byte), flushed and fsync'd, then renamed
over the final name. A crash or a Cancel leaves at most a `.tmp-*` file, never half a file
under the final name; `sweep_temporaries` removes those leftovers when a project opens.

Every write, rename and delete here is checked against the project it lies in
(`services/room.py`): never through a link out of the project. A local disk that is full or
over quota is said as such, naming the project's disk and its free space (`disk_full`), never
blamed on the file or the server.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from wizard.core.visible import shown
from wizard.core.vocabulary import is_store_file
from wizard.errors import UsageError
from wizard.services.places import PRIVATE_DIR, PRIVATE_FILE, fsync_dir, restrict_fd, restrict_path
from wizard.services.room import check_inside, is_link, room_of

TEMP_PREFIX = ".tmp-"
# a local disk with no room left: full, or the person's quota used up (not on Windows)
DISK_FULL = frozenset(getattr(errno, name) for name in ("ENOSPC", "EDQUOT")
                      if hasattr(errno, name))


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the owner only.

    A folder that already exists is left as it is: it may be the person's own (a report
    written with `--out ~/Desktop/...`, or /tmp), and its permissions are theirs to keep.
    """
    path = Path(path)
    check_inside(path, folder=True)
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
    check_inside(final)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX + final.name + ".", dir=final.parent)
    tmp = Path(tmp_name)
    try:
        restrict_fd(fd, PRIVATE_FILE)
        with _open_output(fd, mode) as handle:
            yield handle, tmp
            handle.flush()
            os.fsync(handle.fileno())
        replace(tmp, final)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            raise disk_full(final) from None
        raise


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path for a library that writes by name; rename it on success."""
    final = _not_a_store(Path(final))
    private_dir(final.parent)
    check_inside(final)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX + final.name + ".", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        restrict_path(tmp, PRIVATE_FILE)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        replace(tmp, final)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            raise disk_full(final) from None
        raise


def _open_output(fd: int, mode: str) -> IO[bytes]:
    """The temporary file's handle: the one seam every write of `atomic_output` goes through
    (a test makes it fail as a full disk would)."""
    return os.fdopen(fd, mode)


def replace(tmp: Path, final: Path) -> None:
    """Rename a finished temporary file onto its final name, inside the project's room."""
    check_inside(tmp)
    check_inside(final)
    os.replace(tmp, final)
    fsync_dir(Path(final).parent)


def remove(path: Path) -> None:
    """Delete a file of ours (a link is removed, never followed); missing is fine."""
    check_inside(path)
    Path(path).unlink(missing_ok=True)


def disk_full(path: Path, project: Path | None = None) -> UsageError:
    """A write to `path` found no room on the local disk (full, or over quota): exit 2 naming
    the disk by the project it holds (or the folder written to) and its free space."""
    where = project or room_of(path) or Path(path).parent
    probe = Path(where)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = f"{shutil.disk_usage(probe).free // (1024 * 1024)} MB free"
    except OSError:
        free = "free space unknown"
    return UsageError(shown(
        f"the disk holding {where} is full ({free}): {Path(path).name} could not be written. "
        "Free some space on it (or move the project to a larger disk), then run the step "
        "again. Nothing was changed"))


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
    removed: list[Path] = []
    if is_link(folder) or not folder.is_dir():
        return removed  # a link is never followed: what it points at is not ours
    for here, folders, files in os.walk(folder):  # os.walk never enters a link
        folders[:] = [f for f in folders if not is_link(Path(here) / f)]
        for name in files:
            leftover = Path(here) / name
            if name.startswith(TEMP_PREFIX) and not is_link(leftover):
                with contextlib.suppress(OSError, UsageError):
                    remove(leftover)
                    removed.append(leftover)
    return removed


def clear_folder(folder: Path) -> None:
    """Empty `folder` (a temporary folder of ours) without removing it; missing is fine."""
    if is_link(folder) or not folder.is_dir():
        return  # a link is never followed: what it points at is not ours
    for entry in folder.iterdir():
        with contextlib.suppress(OSError):
            if is_link(entry):
                _unlink_link(entry)
            elif entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)  # never follows links inside
            else:
                entry.unlink()


def _unlink_link(path: Path) -> None:
    """Remove a link itself (a junction on Windows is removed as a folder, not emptied)."""
    if path.is_dir() and os.name == "nt":
        os.rmdir(path)
    else:
        path.unlink()
