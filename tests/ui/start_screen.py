"""The start screen as a test meets it: shown, with its portfolio read once."""

from __future__ import annotations

from typing import Any

LONG = 60_000  # ms: the first read imports the flow, on a shared 2-core machine


def loaded(qtbot: Any, wizard: Any) -> Any:
    """The start screen, once its portfolio has been read and no read is running."""
    start = wizard.show_start()
    qtbot.waitUntil(lambda: start.portfolio.loaded_once and
                    not wizard.runner.running("portfolio"), timeout=LONG)
    return start
