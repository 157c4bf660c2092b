"""The window's pages as the GUI tests open them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

LONG = 90_000  # ms: child processes start Python on a shared 2-core machine


def flag_file_page(qtbot: Any, wizard: Any, project: Path, export: Path,
                   rows: int) -> tuple[Any, Any]:
    """The project's window on its Flag file page, `export` loaded and its `rows` rows in the
    preview, nothing running. (window, page)"""
    main = wizard.open_project(project)
    main.go_to("flag_file")
    page: Any = main.pages["flag_file"]
    page.load_file(export)
    qtbot.waitUntil(lambda: page.preview.model.rowCount() == rows and not main.runner.busy,
                    timeout=LONG)
    return main, page


def open_from_start_screen(qtbot: Any, wizard: Any, project: Path) -> Any:
    """The project opened as a PM opens it: among the recent projects on the start screen,
    chosen in the portfolio and opened (Enter). The start screen stays, hidden, and goes on
    reading the portfolio. Returns the project's window."""
    from wizard.ui import settings

    settings.add_recent_project(project)
    start = wizard.show_start()
    qtbot.waitUntil(lambda: any(c.path == project for c in start.portfolio.model.rows)
                    and not wizard.runner.running("portfolio"), timeout=LONG)
    panel = start.portfolio
    row = next(i for i, c in enumerate(panel.model.rows) if c.path == project)
    panel.table.setCurrentIndex(panel.proxy.mapFromSource(panel.model.index(row, 0)))
    assert panel.open_current()
    qtbot.waitUntil(lambda: wizard.main is not None, timeout=LONG)
    return wizard.main


def portfolio_reads(qtbot: Any, wizard: Any) -> None:
    """The start screen (hidden behind the window) reads every project again, the open one
    included, as it does when a project changes on disk; returns once it has."""
    wizard.start.portfolio.load()
    qtbot.waitUntil(lambda: not wizard.runner.running("portfolio"), timeout=LONG)
