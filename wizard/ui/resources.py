"""Where the window's icons are: `resources/` beside the package, or inside a frozen build."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    here = Path(__file__).resolve().parents[2] / "resources"
    installed = Path(__file__).resolve().parents[1] / "resources"  # pip install: wizard/resources
    return here if here.is_dir() or not installed.is_dir() else installed


@cache
def icon(name: str) -> QIcon:
    """An icon from resources/icons by name without suffix (`step-done`, `convwiz`)."""
    folder = resources_dir() / "icons"
    for suffix in (".svg", ".png"):
        path = folder / f"{name}{suffix}"
        if path.exists():
            return QIcon(str(path))
    return QIcon()
