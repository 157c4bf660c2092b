"""One writer at a time: the project's lock file and, beside it, who holds it.

Work that writes runs inside `project.writing(command)`, which holds an exclusive lock on the
project's lock file through `filelock` (`flock` on Linux and macOS, `msvcrt.locking` on
Windows): a second process gets a clear exit 4 instead of interleaving writes, and a lock
left by a killed process vanishes with it (both systems drop the locks of dead processes),
so a stale lock is never a problem. Who holds it (pid and command) is written beside it,
in a separate file, since Windows forbids reading a locked byte range.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import filelock

from wizard.errors import NotReady, UsageError
from wizard.services import room
from wizard.services.places import restrict_fd

LOCK_NAME = ".convwiz.lock"
HOLDER_NAME = ".convwiz.lock.holder"
NOBODY = "a process that has not said who it is"


class ProjectLock:
    """A project folder's write lock, re-entrant within this process (any thread)."""

    def __init__(self, folder: Path, own_places: tuple[str, ...]) -> None:
        self.folder = folder
        # what the program writes under the folder: refused, before anything is written,
        # when one of them has become a link (a closed room: services/room.py)
        self.own_places = own_places
        self._lock: filelock.BaseFileLock | None = None
        self._depth = 0
        self._guard = threading.RLock()

    @property
    def held(self) -> bool:
        """Whether this process holds the lock now."""
        return self._depth > 0

    def acquire(self, command: str = "convwiz",
                on_taken: Callable[[], None] | None = None) -> None:
        """Take the lock, naming `command` in the holder file; NotReady (exit 4) naming the
        holder while another process has it. `on_taken` runs once the lock is newly taken
        (not when re-entered), before any other thread of this process may enter."""
        with self._guard:
            if self._depth:
                self._depth += 1
                return
            problem = room.closed_room_problem(self.folder, self.own_places)
            if problem:  # refused before the lock file or anything else is written
                raise UsageError(problem)
            lock = filelock.FileLock(self.folder / LOCK_NAME, mode=0o600, is_singleton=False,
                                     thread_local=False)
            try:
                lock.acquire(timeout=0)
            except filelock.Timeout:
                raise NotReady(
                    f"another process is working on {self.folder} ({read_holder(self.folder)}); "
                    "wait for it to finish or close it, then try again"
                ) from None
            write_holder(self.folder, f"pid {os.getpid()}: {command}\n")
            self._lock = lock
            self._depth = 1
            if on_taken is not None:
                on_taken()

    def release(self) -> None:
        """Let go once; the lock is free (and the holder file empty) at the last release."""
        with self._guard:
            if not self._depth:
                return
            self._depth -= 1
            if self._depth == 0 and self._lock is not None:
                write_holder(self.folder, "")
                self._lock.release()
                self._lock = None


def write_holder(folder: Path, text: str) -> None:
    """Say who holds the lock (owner-only file); a failure to say it never stops the work."""
    with contextlib.suppress(OSError):
        fd = os.open(folder / HOLDER_NAME, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        restrict_fd(fd)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)


def holder_text(folder: Path) -> str:
    """What the holder file says ("pid 4242: send"), its first 200 characters; "" when there
    is none or it cannot be read."""
    try:
        text = (folder / HOLDER_NAME).read_text(encoding="utf-8", errors="replace")[:200]
    except OSError:
        text = ""
    return text.strip()


def read_holder(folder: Path) -> str:
    """Who holds the lock, as the holder file says ("pid 4242: send"), for a message."""
    return holder_text(folder) or NOBODY
