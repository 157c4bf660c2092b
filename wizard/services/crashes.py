"""A crash leaves a trace: the Python stack of every thread in the log, and a notice at the
next start of the window.

- `trace_to(log)`: `faulthandler` writes to the log file itself (the project's
  `convwiz.log`, or the user's log before a project is open), not only to standard error,
  which a window started from the desktop has nowhere. The file object is kept open here for
  the life of the process: faulthandler holds only its descriptor, and a closed file would
  leave it writing nowhere. Works the same on Windows (faulthandler catches its access
  violations) and macOS.
- `WindowMarker`: while a window is open, a marker file in the user's state folder names the
  log its crash would go to, and the window holds a `filelock` on it (dropped by the system
  when the process dies, on every system). A clean exit removes it. At the next start a
  marker whose lock is free belonged to a window that did not close cleanly: the new window
  says so and where that log is. Two windows open at once each have their own marker.
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import sys
import uuid
from pathlib import Path
from typing import IO

import filelock

from wizard.services.places import restrict_fd, user_state_dir
from wizard.services.room import is_link

_trace: IO[bytes] | None = None  # the file faulthandler writes to: kept open, see above
MARKER_GLOB = "window-*.json"


def trace_to(log: Path) -> None:
    """Send a fatal error's stack (all threads) to `log` from now on."""
    global _trace
    if is_link(log):
        return  # never followed out of the project (a step refuses it: services/room.py)
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(log, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        restrict_fd(fd)
        opened = os.fdopen(fd, "ab", buffering=0)
    except OSError:
        return  # no log to write: standard error keeps it (faulthandler's default)
    faulthandler.enable(file=opened, all_threads=True)
    if _trace is not None:
        _trace.close()
    _trace = opened


def stop_tracing() -> None:
    """Back to standard error (a clean exit)."""
    global _trace
    if _trace is not None:
        faulthandler.enable(file=sys.stderr, all_threads=True)
        _trace.close()
        _trace = None


class WindowMarker:
    """The marker of one open window (see the module's docstring)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or user_state_dir()
        self.path = self.folder / f"window-{uuid.uuid4().hex}.json"
        self._lock: filelock.BaseFileLock | None = None

    def start(self, log: Path) -> list[Path]:
        """Write this window's marker; the logs of earlier windows that did not close."""
        left = self.unclosed()
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = filelock.FileLock(self.path.with_suffix(".lock"), is_singleton=False)
            lock.acquire(timeout=0)
            self._lock = lock
            self.update(log)
        return left

    def update(self, log: Path) -> None:
        """The log a crash now goes to (a project was opened)."""
        if self._lock is None:
            return
        with contextlib.suppress(OSError):
            self.path.write_text(json.dumps({"log": str(log)}), encoding="utf-8")

    def stop(self) -> None:
        """A clean exit: no marker is left."""
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.release()
            with contextlib.suppress(OSError):
                Path(self._lock.lock_file).unlink(missing_ok=True)
            self._lock = None

    def unclosed(self) -> list[Path]:
        """The logs named by markers no running window holds; those markers are removed."""
        logs: list[Path] = []
        for marker in sorted(self.folder.glob(MARKER_GLOB)):
            if marker == self.path:
                continue
            lock = filelock.FileLock(marker.with_suffix(".lock"), is_singleton=False)
            try:
                lock.acquire(timeout=0)
            except (filelock.Timeout, OSError):
                continue  # another window is open now
            try:
                with contextlib.suppress(OSError, ValueError, TypeError):
                    logs.append(Path(json.loads(marker.read_text(encoding="utf-8"))["log"]))
                with contextlib.suppress(OSError):
                    marker.unlink()
            finally:
                lock.release()
                with contextlib.suppress(OSError):
                    Path(lock.lock_file).unlink(missing_ok=True)
        return logs
