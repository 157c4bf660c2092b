"""Background work for the screens: one `Runner` owns every task, from start to shutdown.

A task is a plain function taking a `wizard.progress.TaskState` (as in Orange's
`concurrent.TaskState`): it reports progress and stops when cancelled, and knows nothing of
Qt. The runner runs it on its own thread pool and marshals progress, the result and the
error back to the GUI thread by queued signals (after anki's `QueryOp` and superqt's
workers): the owner keeps every task alive until it ends, cancels the previous task of the
same kind before starting a new one, and cancels and awaits them all at shutdown, so there
is never a "QThread: Destroyed while thread is still running".

Work that holds the GIL for long stretches (openpyxl workbooks, Python loops over a million
rows) runs in a child process instead (`in_child`): the window's thread can then never be
starved, whatever the work does.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from wizard import errors
from wizard.errors import Cancelled, ConvWizError
from wizard.progress import TaskState

log = logging.getLogger("wizard.ui.workers")
Work = Callable[[TaskState], Any]
PROGRESS_INTERVAL = 0.05  # seconds between progress signals: 20 a second is smooth enough
CANCEL_GRACE = 15.0  # seconds a child gets to stop cleanly after Cancel before it is killed


class _Relay(QObject):
    """Carries progress and results from worker threads to the GUI thread.

    A worker thread never touches a task's own QObject: the GUI thread may delete a task as
    soon as its result is delivered, and a signal emitted on an object another thread is
    deleting is undefined behaviour (a crash, now and then). The relay lives as long as the
    application, so a worker's emit always has a live sender; its queued slots run on the
    GUI thread and hand the values to the task, if it is still there.
    """

    raw_progress = Signal(int, int, int, str)  # task serial, done, total, message
    raw_result = Signal(int, bool, object)  # task serial, ok, result or exception

    def __init__(self) -> None:
        super().__init__()
        self.tasks: dict[int, Task] = {}
        self.raw_progress.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        self.raw_result.connect(self._result, Qt.ConnectionType.QueuedConnection)

    @Slot(int, int, int, str)
    def _progress(self, serial: int, done: int, total: int, message: str) -> None:
        task = self.tasks.get(serial)
        if task is not None and shiboken6.isValid(task):
            task._deliver_progress(done, total, message)

    @Slot(int, bool, object)
    def _result(self, serial: int, ok: bool, value: object) -> None:
        task = self.tasks.pop(serial, None)
        if task is not None and shiboken6.isValid(task):
            task._deliver_result(ok, value)


_relay: _Relay | None = None
_serials = itertools.count(1)


def relay() -> _Relay:
    """The one relay, made on the GUI thread the first time a runner is made."""
    global _relay
    if _relay is None:
        _relay = _Relay()
    return _relay


class Task(QObject):
    """One run of a work function. Signals arrive on the GUI thread."""

    progress = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)  # a ConvWizError (Cancelled included) or another Exception
    finished = Signal()  # always, last

    def __init__(self, key: str, work: Work, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.serial = next(_serials)
        self._relay = relay()
        self._relay.tasks[self.serial] = self
        self.state = TaskState(_Reporter(self.serial, self._relay))
        self.running = True
        self.superseded = False  # a newer task of the same kind took over: stay silent
        self.on_ending: Callable[[Task], None] | None = None  # before its result is shown
        self.on_end: Callable[[Task], None] | None = None
        # the worker thread holds these plain objects only, never the task itself
        self.job = _Job(self.serial, work, self.state, self._relay, key)

    def cancel(self) -> None:
        self.state.cancel()

    @property
    def cancelled(self) -> bool:
        return self.state.cancelled

    # -- on the GUI thread ------------------------------------------------------------------
    def _deliver_progress(self, done: int, total: int, message: str) -> None:
        if self.running and not self.superseded:
            self.progress.emit(done, total, message)

    def _deliver_result(self, ok: bool, value: object) -> None:
        self.running = False
        if not self.superseded:
            if self.on_ending is not None:
                self.on_ending(self)
            if ok:
                self.succeeded.emit(value)
            else:
                self.failed.emit(value)
            self.finished.emit()
        if self.on_end is not None:
            self.on_end(self)


class _Reporter:
    """A task's progress callback on the worker thread: at most 20 signals a second."""

    def __init__(self, serial: int, relay_: _Relay) -> None:
        self._serial = serial
        self._relay = relay_
        self._last = 0.0

    def __call__(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_INTERVAL and done < total:
            return
        self._last = now
        self._relay.raw_progress.emit(self._serial, int(done), int(total), message)


class _Job:
    """What a worker thread runs: the work function, its state, and where to report."""

    def __init__(self, serial: int, work: Work, state: TaskState, relay_: _Relay,
                 key: str) -> None:
        self.serial = serial
        self.work = work
        self.state = state
        self.relay = relay_
        self.key = key

    def run(self) -> None:
        try:
            result = self.work(self.state)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the window
            if not isinstance(exc, ConvWizError):
                log.exception("task %s failed", self.key)
            self.relay.raw_result.emit(self.serial, False, exc)
        else:
            self.relay.raw_result.emit(self.serial, True, result)


class _Runnable(QRunnable):
    def __init__(self, job: _Job) -> None:
        super().__init__()
        self._job = job

    def run(self) -> None:
        self._job.run()


class Runner(QObject):
    """The single owner of the window's background tasks."""

    busy_changed = Signal(bool)
    # a task ended and its result is about to be shown (its key): what it wrote is read
    # again first (the window redraws from the project, then the page shows the result)
    ending = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        # a long wait for the provider must not hold up a preview: more than the core count
        self._pool.setMaxThreadCount(6)
        self._live: dict[str, Task] = {}
        self._superseded: set[Task] = set()  # cancelled, still ending: kept alive until then
        self._closing = False

    def start(
        self,
        key: str,
        work: Work,
        *,
        on_progress: Callable[[int, int, str], None] | None = None,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_finished: Callable[[], None] | None = None,
    ) -> Task:
        """Run `work` in the background; a running task with the same key is cancelled."""
        if self._closing:
            raise Cancelled("the window is closing")
        old = self._live.get(key)
        if old is not None:
            old.superseded = True
            old.cancel()
            self._superseded.add(old)
        task = Task(key, work, self)
        task.on_ending = lambda t: self.ending.emit(t.key)
        task.on_end = self._forget
        if on_progress is not None:
            task.progress.connect(on_progress)
        if on_done is not None:
            task.succeeded.connect(on_done)
        if on_error is not None:
            task.failed.connect(on_error)
        if on_finished is not None:
            task.finished.connect(on_finished)
        was_busy = self.busy
        self._live[key] = task
        self._pool.start(_Runnable(task.job))
        if not was_busy:
            self.busy_changed.emit(True)
        return task

    def _forget(self, task: Task) -> None:
        if self._live.get(task.key) is task:
            del self._live[task.key]
        self._superseded.discard(task)
        task.deleteLater()
        if not self.busy and not self._closing:
            self.busy_changed.emit(False)

    @property
    def busy(self) -> bool:
        return any(t.running for t in self._live.values())

    def running_keys(self) -> list[str]:
        return [key for key, task in self._live.items() if task.running]

    def running(self, key: str) -> bool:
        task = self._live.get(key)
        return task is not None and task.running

    def cancel(self, key: str) -> None:
        task = self._live.get(key)
        if task is not None:
            task.cancel()

    def drop(self, key: str) -> None:
        """Cancel the task of `key`, if any, and never deliver its result: what it would
        show is out of date."""
        old = self._live.pop(key, None)
        if old is not None:
            old.superseded = True
            old.cancel()
            self._superseded.add(old)
            if not self.busy:
                self.busy_changed.emit(False)

    def cancel_all(self) -> None:
        for task in list(self._live.values()):
            task.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel every task, wait for them all, and drop what they would still deliver;
        True when none is left running.

        Their results wait in the event queue while this waits, and the owner lets go of
        what they would touch (the window closes the project's store) before the queue runs
        again: a result shown then would read a closed store (issue 29: two
        "Cannot operate on a closed database" tracebacks when the window closed while a
        step ran). A step's own record is in the store whatever happens to its result."""
        self._closing = True
        self.cancel_all()
        stopped = bool(self._pool.waitForDone(timeout_ms))
        for task in [*self._live.values(), *self._superseded]:
            task.superseded = True
        return stopped


# -- work in a child process ------------------------------------------------------------------
def _error_from(payload: dict[str, Any]) -> ConvWizError:
    cls = getattr(errors, str(payload.get("kind", "")), None)
    if not (isinstance(cls, type) and issubclass(cls, ConvWizError)):
        cls = ConvWizError
    exc = cls(str(payload.get("message", "the step failed")), **(payload.get("result") or {}))
    if cls is ConvWizError:
        exc.exit_code = int(payload.get("exit_code", 1))
    return exc


def child_command() -> list[str]:
    """How to start the child: this interpreter running `wizard.ui.child`, or, in the frozen
    program (PyInstaller, where there is no `-m`), the program itself with its hidden
    `_ui-child` command."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "_ui-child"]
    return [sys.executable, "-m", "wizard.ui.child"]


def in_child(folder: os.PathLike[str] | str, function: Callable[..., Any], *args: Any,
             around: Callable[[], contextlib.AbstractContextManager[Any]] | None = None) -> Work:
    """Work that runs `function(project, *args, progress)` in a child process; `function`
    must be one of `wizard.ui.jobs.JOBS`, the allow-list the child also checks.

    `around` is entered on the worker thread while the child runs: the window uses it to
    hand the project's write lock to the child and take it back afterwards.
    """
    from wizard.ui.child import encode_arg
    from wizard.ui.jobs import JOBS, answer

    name = getattr(function, "__name__", "")
    if JOBS.get(name) is not function:
        raise ValueError(f"{name or function!r} is not a job the worker process runs")
    job = {"folder": str(folder), "job": name, "args": [encode_arg(a) for a in args]}

    def work(state: TaskState) -> Any:
        with around() if around is not None else contextlib.nullcontext():
            return answer(name, _run_child(job, state))

    return work


def _run_child(job: dict[str, Any], state: TaskState) -> Any:
    proc = subprocess.Popen(
        child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, encoding="utf-8", bufsize=1,
    )
    assert proc.stdin is not None and proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def read(stream: Any) -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, args=(proc.stdout,), daemon=True)
    reader.start()
    outcome: dict[str, Any] | None = None
    cancel_sent: float | None = None
    try:
        proc.stdin.write(json.dumps(job) + "\n")
        proc.stdin.flush()
        while True:
            if state.cancelled and cancel_sent is None:
                cancel_sent = time.monotonic()
                with contextlib.suppress(OSError):
                    proc.stdin.write("cancel\n")
                    proc.stdin.flush()
            if cancel_sent is not None and time.monotonic() - cancel_sent > CANCEL_GRACE:
                proc.kill()  # the flows write atomically: a kill leaves nothing half-written
            try:
                line = lines.get(timeout=0.05)
            except queue.Empty:
                continue
            if line is None:
                break
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "progress" in message:
                state.report(*message["progress"])
            else:
                outcome = message
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
        try:
            proc.wait(timeout=CANCEL_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=CANCEL_GRACE)
        proc.stdout.close()
    if outcome is None:
        if state.cancelled:
            raise Cancelled("Cancelled. Nothing was written.")
        raise ConvWizError(f"the background process stopped unexpectedly (exit {proc.returncode})")
    if "ok" in outcome:
        return outcome["ok"]
    raise _error_from(outcome.get("error") or {})
