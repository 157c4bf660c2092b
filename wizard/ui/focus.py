"""The keyboard focus as a screen reader user needs it (issue 32, found with Orca).

A screen reader says what gets the keyboard focus. So what a person must hear is a focus stop
(a figure, a checklist's progress, a task's status: `heard_by_tab`), a table or list is one
stop that Tab leaves and the arrow keys move inside (`one_tab_stop`), and a text box has a
label that says what it is for (`labelled`). Orca, reading Qt over AT-SPI, hears of a text
box only its caret: Qt tells of the caret (the text selected on Tab) before it tells of the
focus, and Orca, which takes the first for the second, then never says the box's name.
`FocusSaidFirst` has the focus told first.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAccessible, QFocusEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QWidget,
)
from shiboken6 import isValid


def heard_by_tab(label: QLabel) -> QLabel:
    """A label whose words matter (a figure with its value, a status) as a Tab stop: a
    screen reader says it, by its accessible name, when Tab reaches it."""
    label.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return label


def one_tab_stop(view: QAbstractItemView) -> QAbstractItemView:
    """Tab leaves the table or list at once (Qt's tables walk their cells with Tab, a
    keyboard trap); the arrow keys move inside it."""
    view.setTabKeyNavigation(False)
    return view


def labelled(field: QWidget, text: str, name: str) -> QLabel:
    """A visible label `text` (with its &-shortcut) for `field`, its buddy, and the field's
    accessible name `name`; the label carries the name too, as a screen reader reading the
    label instead of the field's name (Orca does) says it whole."""
    label = QLabel(text)
    label.setBuddy(field)
    label.setAccessibleName(name)
    field.setAccessibleName(name)
    return label


class FocusSaidFirst(QObject):
    """An application-wide filter: a text box's own focus-in (which selects its text and
    moves its caret, each told to the accessibility bus) waits for the next turn of the event
    loop, after Qt has told the bus of the focus. Orca then presents the box (its label, its
    role, its text) and reads the caret and selection after it. Told the other way round,
    Orca takes the caret move for the focus, says nothing of the box, and skips Qt's focus
    that follows as already known (a box said as 'Text unselected.' or as nothing)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._delivering = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (self._delivering or event.type() != QEvent.Type.FocusIn
                or not isinstance(watched, QLineEdit) or not QAccessible.isActive()
                or not isinstance(event, QFocusEvent)):
            return False
        reason = event.reason()
        if reason == Qt.FocusReason.MouseFocusReason:
            return False  # a click: the box's own press and release follow at once
        QTimer.singleShot(0, self, lambda: self._deliver(watched, reason))
        return True  # the box's focus-in comes on the next turn

    def _deliver(self, edit: QLineEdit, reason: Qt.FocusReason) -> None:
        if not isValid(edit) or not edit.hasFocus():
            return  # the focus moved on (or the box went) meanwhile: no focus-in is due
        self._delivering = True
        try:
            QCoreApplication.sendEvent(edit, QFocusEvent(QEvent.Type.FocusIn, reason))
        finally:
            self._delivering = False


def say_focus_first(app: QApplication) -> None:
    """Install `FocusSaidFirst` once (Linux: the order is AT-SPI's and Orca's question)."""
    if sys.platform.startswith("linux") and not hasattr(app, "_focus_said_first"):
        said = FocusSaidFirst(app)
        app.installEventFilter(said)
        app._focus_said_first = said  # type: ignore[attr-defined]  # kept alive with the app
