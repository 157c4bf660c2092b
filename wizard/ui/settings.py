"""What the window remembers between runs, through QSettings: geometry, recent projects and
the folders last used. Never a secret, never customer data; only paths and window state.

Tests point QSettings at a temporary folder with `QSettings.setPath` (IniFormat).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

ORGANISATION = "Convwiz"
APPLICATION = "Conversion Wizard"
RECENT_LIMIT = 8


def store() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION,
                     APPLICATION)


def _as_list(value: object) -> list[str]:
    """QSettings gives one string for a one-item list (INI format): always a list back."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v]
    return []


def recent_projects() -> list[Path]:
    """Recent project folders that still hold a project, newest first."""
    from wizard.flow.project.project import Project

    items = _as_list(store().value("recent_projects", []))
    return [Path(p) for p in items if p and Project.is_project(Path(p))]


def recent_list() -> list[str]:
    """The recent project folders as kept, newest first, whether they are still there or
    not (the portfolio lists a vanished one as unreadable)."""
    return _as_list(store().value("recent_projects", []))


def add_recent_project(folder: Path) -> None:
    s = store()
    items = _as_list(s.value("recent_projects", []))
    folder_text = str(Path(folder).absolute())
    items = [folder_text] + [p for p in items if p != folder_text]
    s.setValue("recent_projects", items[:RECENT_LIMIT])
    s.sync()


def last_folder(kind: str, fallback: Path | None = None) -> str:
    """The folder last used for `kind` (export, xref, post, project, key), or home."""
    value = store().value(f"last_folder/{kind}", "")
    if isinstance(value, str) and value and Path(value).is_dir():
        return value
    return str(fallback if fallback is not None else Path.home())


def remember_folder(kind: str, path: Path) -> None:
    folder = path if path.is_dir() else path.parent
    s = store()
    s.setValue(f"last_folder/{kind}", str(folder))
    s.sync()
