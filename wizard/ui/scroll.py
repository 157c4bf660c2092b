"""A scrolled area a screen reader can read while it changes (issue 22's crash).

Qt's accessible interface for a QScrollArea (`QAccessibleAbstractScrollArea`, Qt 6.12)
counts its children as the viewport plus each scroll bar *that is visible*, and its
`child(index)` reads that list without checking the index. A screen reader asks for the
number of children and then for each child by index, in separate calls (pyatspi's
`childCount` and `getChildAtIndex`). When a scroll bar hides in between (the page got
shorter as a progress bar hid, another page was chosen, the window was resized), the reader
asks for child 1 of a list that now holds one: Qt reads past the end of the list and takes
whatever bytes lie there for a widget; `QAccessibleCache::idForObject` then calls through
that pointer and the program dies with SIGSEGV. No widget of ours was freed: the "object"
Qt referred to is stale heap memory (in the crashes caught under gdb, the UTF-16 text of a
freed string, 0x0031003400380034).

`ScrollPane` keeps Qt's scroll area and its scrolling (wheel, Page Up/Down, following the
keyboard focus, `ensureWidgetVisible`) but turns both of its own scroll bars off, so its
accessible children are the viewport alone, always: an index a reader read earlier can never
be past the end. The scroll bars the person sees are two plain QScrollBars beside it, in a
plain QWidget, whose accessible `child(index)` checks the index; they follow the hidden
ones both ways. The pane keeps the keyboard focus in view, however it came there (Qt's
own area follows only a Tab inside it). Every scrolled area in the window is a ScrollPane
(tests/ui/test_scrolling.py checks that no QScrollArea is made anywhere else).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QScrollArea,
    QScrollBar,
    QWidget,
)

FOCUS_MARGIN = 8  # pixels kept in view around the focused widget


class ScrollPane(QWidget):
    """`widget` in a scrolled area whose accessible tree never changes shape."""

    def __init__(self, widget: QWidget, parent: QWidget | None = None, *,
                 frame: bool = False) -> None:
        super().__init__(parent)
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        # no focus stop of its own: a screen reader would say a bare 'layered pane' (issue
        # 32); the keyboard scrolls it by moving through what it shows
        self.area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        if not frame:
            self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setWidget(widget)
        self.vertical = self._follow(self.area.verticalScrollBar(), Qt.Orientation.Vertical)
        self.horizontal = self._follow(self.area.horizontalScrollBar(),
                                       Qt.Orientation.Horizontal)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(0)
        grid.addWidget(self.area, 0, 0)
        grid.addWidget(self.vertical, 0, 1)
        grid.addWidget(self.horizontal, 1, 0)
        grid.setRowStretch(0, 1)
        grid.setColumnStretch(0, 1)
        # the keyboard focus is always in view, however it came (Tab from outside the pane,
        # a mnemonic, a page giving focus): Qt's scroll area follows only a Tab inside it
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_moved)

    def _focus_moved(self, _old: QWidget | None, new: QWidget | None) -> None:
        inner = self.area.widget()
        if new is None or inner is None or not inner.isAncestorOf(new) or \
                QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            return  # not ours, or a click: what was clicked is in view already
        self.area.ensureWidgetVisible(new, 8, 8)  # its cursor or current item, sideways too
        # and the whole widget when it fits (Qt's shows only a list's current item, or none)
        top = new.mapTo(inner, QPoint(0, 0)).y() - FOCUS_MARGIN
        bottom = top + new.height() + 2 * FOCUS_MARGIN
        bar, room = self.area.verticalScrollBar(), self.area.viewport().height()
        if bottom - top > room or top < bar.value():
            bar.setValue(top)
        elif bottom > bar.value() + room:
            bar.setValue(bottom - room)

    def _follow(self, inner: QScrollBar, orientation: Qt.Orientation) -> QScrollBar:
        """A visible scroll bar that mirrors the area's hidden one, both ways."""
        bar = QScrollBar(orientation)
        bar.setAccessibleName("Scroll the page " + ("up and down" if orientation
                                                    == Qt.Orientation.Vertical else
                                                    "left and right"))
        bar.hide()

        def ranged(low: int, high: int) -> None:
            viewport = self.area.viewport().size()
            bar.setRange(low, high)
            bar.setPageStep(max(1, viewport.height() if orientation == Qt.Orientation.Vertical
                                else viewport.width()))
            bar.setSingleStep(inner.singleStep())
            bar.setValue(inner.value())
            bar.setVisible(high > low)

        inner.rangeChanged.connect(ranged)
        inner.valueChanged.connect(bar.setValue)
        bar.valueChanged.connect(inner.setValue)
        return bar

    def widget(self) -> QWidget | None:
        return self.area.widget()

    def verticalScrollBar(self) -> QScrollBar:  # noqa: N802 - QScrollArea's name
        """The area's own (hidden) vertical bar: setting its value scrolls."""
        return self.area.verticalScrollBar()

    def ensureWidgetVisible(self, child: QWidget, xmargin: int = 50,  # noqa: N802 - Qt's name
                            ymargin: int = 50) -> None:
        self.area.ensureWidgetVisible(child, xmargin, ymargin)
