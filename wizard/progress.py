"""Progress and cancellation for long work, with no GUI in sight.

Long work is a plain function taking a `Progress`: it calls `report(done, total, message)`
now and then and stops (raising `Cancelled`) once `cancelled` turns true. The command line
passes a `TextProgress` (`wizard.cli.progress_text`, stderr), tests a `NullProgress`, the
GUI a `TaskState` whose callback it marshals to the GUI thread (after Orange's
`concurrent.TaskState`). It imports nothing of the program but its errors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from wizard.errors import Cancelled

# a message for people, said as the work goes: the command line passes one that prints to
# standard error; a step given none says nothing (printing is the faces' job, never flow's)
Say = Callable[[str], None]


def silent(_message: str) -> None:
    """Say nothing: what a step does with its messages when no `Say` was given."""


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


def check(progress: Progress) -> None:
    """Raise `Cancelled` if the person asked to stop."""
    if progress.cancelled:
        raise Cancelled("Cancelled. Nothing was written.")
