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
