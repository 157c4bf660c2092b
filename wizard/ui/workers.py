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

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from wizard import errors
from wizard.errors import Cancelled, ConvWizError
from wizard.progress import TaskState

log = logging.getLogger("wizard.ui.workers")
Work = Callable[[TaskState], Any]
PROGRESS_INTERVAL = 0.05  # seconds between progress signals: 20 a second is smooth enough
CANCEL_GRACE = 15.0  # seconds a child gets to stop cleanly after Cancel before it is killed


class Task(QObject):
    """One run of a work function. Signals arrive on the GUI thread."""

    progress = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)  # a ConvWizError (Cancelled included) or another Exception
    finished = Signal()  # always, last

    # emitted from the worker thread, delivered queued to this object on the GUI thread
    _raw_progress = Signal(int, int, str)
    _raw_result = Signal(bool, object)

    def __init__(self, key: str, work: Work, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self._work = work
        self._last = 0.0
        self.state = TaskState(self._report)
        self.running = True
        self.superseded = False  # a newer task of the same kind took over: stay silent
        self.on_end: Callable[[Task], None] | None = None
        self._raw_progress.connect(self._deliver_progress, Qt.ConnectionType.QueuedConnection)
        self._raw_result.connect(self._deliver_result, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        self.state.cancel()

    @property
    def cancelled(self) -> bool:
        return self.state.cancelled

    # -- on the worker thread ---------------------------------------------------------------
    def _report(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_INTERVAL and done < total:
            return
        self._last = now
        self._raw_progress.emit(int(done), int(total), message)

    def run(self) -> None:
        try:
            result = self._work(self.state)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the window
            if not isinstance(exc, ConvWizError):
                log.exception("task %s failed", self.key)
            self._raw_result.emit(False, exc)
        else:
            self._raw_result.emit(True, result)

    # -- on the GUI thread ------------------------------------------------------------------
    @Slot(int, int, str)
    def _deliver_progress(self, done: int, total: int, message: str) -> None:
        if self.running and not self.superseded:
            self.progress.emit(done, total, message)

    @Slot(bool, object)
    def _deliver_result(self, ok: bool, value: object) -> None:
        self.running = False
        if not self.superseded:
            if ok:
                self.succeeded.emit(value)
            else:
                self.failed.emit(value)
            self.finished.emit()
        if self.on_end is not None:
            self.on_end(self)


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = task

    def run(self) -> None:
        self._task.run()


class Runner(QObject):
    """The single owner of the window's background tasks."""

    busy_changed = Signal(bool)

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
        self._pool.start(_Runnable(task))
        if not was_busy:
            self.busy_changed.emit(True)
        return task

    def _forget(self, task: Task) -> None:
        if self._live.get(task.key) is task:
            del self._live[task.key]
        self._superseded.discard(task)
        task.deleteLater()
        if not self.busy:
            self.busy_changed.emit(False)

    @property
    def busy(self) -> bool:
        return any(t.running for t in self._live.values())

    def running(self, key: str) -> bool:
        task = self._live.get(key)
        return task is not None and task.running

    def cancel(self, key: str) -> None:
        task = self._live.get(key)
        if task is not None:
            task.cancel()

    def cancel_all(self) -> None:
        for task in list(self._live.values()):
            task.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel every task and wait for them all; True when none is left running."""
        self._closing = True
        self.cancel_all()
        return bool(self._pool.waitForDone(timeout_ms))


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


def in_child(folder: os.PathLike[str] | str, module: str, function: str, *args: Any,
             around: Callable[[], contextlib.AbstractContextManager[Any]] | None = None) -> Work:
    """Work that runs `module.function(project, *args, progress)` in a child process.

    `around` is entered on the worker thread while the child runs: the window uses it to
    hand the project's write lock to the child and take it back afterwards.
    """
    from wizard.ui.child import encode_arg

    job = {"folder": str(folder), "module": module, "function": function,
           "args": [encode_arg(a) for a in args]}

    def work(state: TaskState) -> Any:
        with around() if around is not None else contextlib.nullcontext():
            return _run_child(job, state)

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
