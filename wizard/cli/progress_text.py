"""Progress on a terminal, for the command line: the window draws its own bar."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from wizard.core.redaction import redact  # a message may name a file, or data
from wizard.core.visible import shown  # ... or a name from a server: never obeyed


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
