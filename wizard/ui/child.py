"""Run one flow function in a child process, for work that holds the GIL for long stretches.

openpyxl and pure-Python loops over a million rows would starve the window's thread of the
GIL; in a separate process they cannot. The parent (`wizard.ui.workers.in_child`) writes one
JSON line to standard input describing the job, then may write `cancel`. This process answers
on its standard output with JSON lines: `{"progress": [done, total, message]}` now and then,
and one last `{"ok": result}` or `{"error": {"kind", "message", "exit_code", "result"}}`.

No Qt here: the child starts fast and never draws. Messages pass through the redacting log.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from wizard.errors import ConvWizError, UsageError

log = logging.getLogger("wizard.ui.child")
PATH_KEY = "__path__"


def encode_arg(value: Any) -> Any:
    """A job argument as JSON: paths are tagged so the child gets a Path back."""
    if isinstance(value, Path):
        return {PATH_KEY: str(value)}
    return value


def decode_arg(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {PATH_KEY}:
        return Path(value[PATH_KEY])
    return value


class _PipeProgress:
    """Progress sent to the parent at most 20 times a second; cancelled by the parent."""

    def __init__(self, out: IO[str], lock: threading.Lock) -> None:
        self._out = out
        self._lock = lock
        self._cancel = threading.Event()
        self._last = 0.0

    def report(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last < 0.05 and done < total:
            return
        self._last = now
        _send(self._out, self._lock, {"progress": [int(done), int(total), str(message)]})

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


def _send(out: IO[str], lock: threading.Lock, message: dict[str, Any]) -> None:
    line = json.dumps(message, default=str, ensure_ascii=False)
    with lock:
        out.write(line + "\n")
        out.flush()


def _listen_for_cancel(progress: _PipeProgress) -> None:
    for line in sys.stdin:
        if line.strip() == "cancel":
            progress.cancel()
            return
    # the parent went away (stdin closed): stop the work, nothing half-written stays
    progress.cancel()


def run_job(job: dict[str, Any], progress: Any) -> dict[str, Any]:
    """Open the project, call the flow function, return its result."""
    from wizard.flow.project.project import Project
    from wizard.flow.runtime import configure_log
    from wizard.ui.jobs import JOBS

    function = JOBS.get(str(job.get("job")))
    if function is None:
        raise UsageError(f"the worker process runs no job named {job.get('job')!r}")
    project = Project.open(job["folder"])
    configure_log(project.folder)
    with project:
        args = [decode_arg(a) for a in job.get("args", [])]
        result: dict[str, Any] = function(project, *args, progress)
        return result


def main() -> int:
    # the protocol owns the real standard output; anything else printed goes to stderr
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr
    lock = threading.Lock()
    progress = _PipeProgress(out, lock)
    first = sys.stdin.readline()
    try:
        job = json.loads(first)
    except ValueError:
        _send(out, lock, {"error": {"kind": "ConvWizError", "message": "no job given",
                                    "exit_code": 1, "result": {}}})
        return 1
    threading.Thread(target=_listen_for_cancel, args=(progress,), daemon=True).start()
    try:
        result = run_job(job, progress)
    except ConvWizError as exc:
        from wizard.flow.runtime import redact

        _send(out, lock, {"error": {"kind": type(exc).__name__, "message": redact(exc.message),
                                    "exit_code": exc.exit_code, "result": exc.result}})
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - report it to the window, never a traceback
        from wizard.flow.runtime import log_path_for

        log.exception("internal error in job %s", job.get("job"))
        where = log_path_for(Path(job["folder"]) if job.get("folder") else None)
        _send(out, lock, {"error": {
            "kind": "ConvWizError", "exit_code": 1, "result": {"log": str(where)},
            "message": f"internal error ({type(exc).__name__}); details are in {where}. "
                       "Nothing was changed by the failed step"}})
        return 1
    _send(out, lock, {"ok": result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
