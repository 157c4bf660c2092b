"""Progress and cancellation for long work, with no GUI in sight.

Long work is a plain function taking a `Progress`: it calls `report(done, total, message)`
now and then and stops (raising `Cancelled`) once `cancelled` turns true. The command line
passes a `TextProgress` (stderr), tests a `NullProgress`, the GUI a `TaskState` whose
callback it marshals to the GUI thread (after Orange's `concurrent.TaskState`).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Protocol, TextIO

from wizard.core.redaction import redact  # a message may name a file, or data
from wizard.core.visible import shown  # ... or a name from a server: never obeyed
from wizard.errors import Cancelled


class Progress(Protocol):
    """What long work may call."""

    def report(self, done: int, total: int, message: str = "") -> None: ...

    @property
    def cancelled(self) -> bool: ...


class NullProgress:
    """Progress that nobody watches and nobody cancels."""

    def report(self, done: int, total: int, message: str = "") -> None:
        return None

    @property
    def cancelled(self) -> bool:
        return False


class TaskState:
    """Thread-safe progress: the worker reports, the owner cancels and listens."""

    def __init__(self, callback: Callable[[int, int, str], None] | None = None) -> None:
        self._cancel = threading.Event()
        self._callback = callback
        self.done = 0
        self.total = 0
        self.message = ""

    def report(self, done: int, total: int, message: str = "") -> None:
        self.done, self.total = done, total
        if message:
            self.message = message
        if self._callback is not None:
            self._callback(done, total, self.message)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class TextProgress:
    """Progress on a terminal: one line, rewritten at most a few times a second."""

    def __init__(self, stream: TextIO | None = None, interval: float = 0.5) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._interval = interval
        self._last = 0.0
        self._last_message = ""

    def report(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if message == self._last_message and now - self._last < self._interval and done < total:
            return
        self._last, self._last_message = now, message
        # a percentage only where it means something (rows, bytes), not for "step 3 of 9"
        pct = f" {100 * done // total}%" if total >= 100 else ""
        self._stream.write(f"  {shown(redact(message))}{pct}\n")
        self._stream.flush()

    @property
    def cancelled(self) -> bool:
        return False


def check(progress: Progress) -> None:
    """Raise `Cancelled` if the person asked to stop."""
    if progress.cancelled:
        raise Cancelled("Cancelled. Nothing was written.")
