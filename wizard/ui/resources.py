"""The window's icons, from the package's own resources (`wizard/resources/icons`)."""

from __future__ import annotations

from functools import cache
from importlib.resources import as_file

from PySide6.QtGui import QIcon

from wizard.resources import resource


@cache
def icon(name: str) -> QIcon:
    """An icon from resources/icons by name without suffix (`step-done`, `convwiz`)."""
    for suffix in (".svg", ".png"):
        item = resource("icons", f"{name}{suffix}")
        if item.is_file():
            # a real file in every install we make (wheel, editable, frozen); as_file copes
            # with a zipped one too
            with as_file(item) as path:
                return QIcon(str(path))
    return QIcon()
