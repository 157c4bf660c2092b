"""The portfolio's table model: the columns of `convwiz portfolio`, the conversions most
urgent first, and what each cell shows and says.

Overdue, needs attention, unreadable and clashing rows carry an icon AND words as well as a
colour; each cell says its column's name and value to a screen reader. The table that shows
it is `portfolio_view`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QWidget

from wizard.ui.resources import icon

Index = QModelIndex | QPersistentModelIndex
URGENT = ("overdue", "needs attention", "unreadable")
STATE_ICONS = {"overdue": "step-failed", "needs attention": "step-failed",
               "unreadable": "step-failed", "busy": "step-blocked", "done": "step-done",
               "purged": "step-done", "on track": "step-current"}
RED, RED_BACK = QColor("#9c0006"), QColor("#ffe3e6")


def _state_words(c: Any) -> str:
    words = str(c.state)
    if c.state == "busy" and c.last_state:
        words += f" (last: {c.last_state})"
    if c.clashes:
        words += " · window clash"
    if c.demo:
        return f"Demo · {words}"
    return words[:1].upper() + words[1:]


def _window(c: Any) -> str:
    if c.window is None:
        return ""
    first, last = c.window
    return f"{first:%a %d} – {last:%a %d %b}"


def _tasks(c: Any) -> str:
    if c.open_tasks is None:
        return ""
    return " / ".join(str(c.open_tasks[owner]) for owner in OWNERS)


def _tasks_key(c: Any) -> object:
    return -1 if c.open_tasks is None else sum(c.open_tasks.values())


def _tasks_spoken(c: Any) -> str:
    if c.open_tasks is None:
        return "none"
    return ", ".join(f"{owner} {c.open_tasks[owner]}" for owner in OWNERS)


OWNERS = ("PM", "Biller", "Milsoft")
# (header, text, sort key): the columns of `convwiz portfolio`, what a PM acts on first
COLUMNS: tuple[tuple[str, Callable[[Any], str], Callable[[Any], object] | None], ...] = (
    ("State", _state_words, None),  # sorts by urgency: the model's own order
    ("Biller", lambda c: c.biller or c.path.name, lambda c: (c.biller or "").casefold()),
    ("Go-live", lambda c: f"{c.go_live:%a %d %b %Y}" if c.go_live else "",
     lambda c: c.go_live.toordinal() if c.go_live else 1 << 30),
    ("Days left", lambda c: "" if c.days_left is None else str(c.days_left),
     lambda c: c.days_left if c.days_left is not None else 1 << 30),
    ("Next action", lambda c: c.next_action or c.error or "", None),
    ("Owner", lambda c: c.owner or "", None),
    ("Warnings", lambda c: "; ".join(c.warnings), lambda c: -len(c.warnings)),
    ("Maintenance window", _window, lambda c: c.window[0].toordinal() if c.window else 1 << 30),
    ("Step", lambda c: c.step_title or "", None),
    ("Open tasks: PM / Biller / Milsoft", _tasks, _tasks_key),
    ("Registered", lambda c: c.registration or "", None),
    ("Folder", lambda c: str(c.path), None),
)
STATE, BILLER, NEXT_ACTION, WARNINGS, TASKS, FOLDER = 0, 1, 4, 6, 9, 11


class PortfolioModel(QAbstractTableModel):
    """The conversions, in the order of urgency `flow.overview.portfolio` gives."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt's
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role in (
                Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return COLUMNS[section][0]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def urgent(self, c: Any) -> bool:
        if c.demo:
            return False  # a demo's losses are planted: nobody's customers are at stake
        return c.state in URGENT or bool(c.clashes) or (
            c.state == "busy" and c.last_state in URGENT)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c = self.rows[index.row()]
        header, text, key = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return text(c)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            # a screen reader hears the column and the value ("Days left: 12")
            value = _tasks_spoken(c) if index.column() == TASKS else text(c) or "none"
            return f"{header.split(':')[0]}: {value}"
        if role == Qt.ItemDataRole.UserRole:  # the sort key
            return index.row() if key is None and index.column() == STATE else (
                key(c) if key is not None else text(c).casefold())
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{c.biller or c.path.name}: {_state_words(c)}",
                     c.next_action or c.error or "", *c.warnings, str(c.path)]
            return "\n".join(line for line in lines if line)
        if role == Qt.ItemDataRole.DecorationRole:
            if index.column() == STATE:
                name = "step-failed" if c.clashes else "step-ready" if c.demo else \
                    STATE_ICONS.get(c.state, "step-ready")
                return icon(name)
            if index.column() == WARNINGS and c.warnings:
                return icon("step-failed" if c.clashes else "step-blocked")
            return None
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in (STATE, WARNINGS):
            return QBrush(RED) if self.urgent(c) else None
        if role == Qt.ItemDataRole.BackgroundRole and self.urgent(c) and \
                index.column() == STATE:
            return QBrush(RED_BACK)
        return None

    def conversion(self, row: int) -> Any:
        return self.rows[row]


class PortfolioProxy(QSortFilterProxyModel):
    """Sorts by each column's own key; the filter matches any column's text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(Qt.ItemDataRole.UserRole)
        self.setFilterKeyColumn(-1)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def lessThan(self, left: Index, right: Index) -> bool:  # noqa: N802 - Qt's name
        a, b = left.data(self.sortRole()), right.data(self.sortRole())
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)
