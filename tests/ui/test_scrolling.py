"""Issue 22's crash cannot come back (in-process, offscreen; the real reader's walks are in
tests/ui/test_atspi_walks.py).

Qt's accessible interface for a QScrollArea counts the scroll bars that are visible and
reads its child list without checking the index: a screen reader whose count was read
before a scroll bar hid made it read past the list (SIGSEGV). Our scrolled areas are
ScrollPanes, whose QScrollArea has its own scroll bars off, so it has one accessible child
whatever happens; and no bare QScrollArea is made anywhere in the window."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from wizard.ui.scroll import ScrollPane
from wizard.ui.widgets import captioned_value, show_value

UI = Path(__file__).resolve().parents[2] / "wizard" / "ui"


def test_a_scroll_pane_has_one_accessible_child_whether_it_scrolls_or_not(qtbot) -> None:
    body = QWidget()
    box = QVBoxLayout(body)
    tall = QLabel("\n".join(f"line {i}" for i in range(200)))
    box.addWidget(tall)
    pane = ScrollPane(body)
    qtbot.addWidget(pane)
    pane.resize(300, 200)
    pane.show()
    qtbot.waitExposed(pane)
    area = QAccessible.queryAccessibleInterface(pane.area)
    qtbot.waitUntil(lambda: pane.vertical.isVisible())  # it scrolls: the bar beside it shows
    assert area.childCount() == 1
    pane.verticalScrollBar().setValue(120)
    assert pane.vertical.value() == 120  # the visible bar follows the area, and back
    pane.vertical.setValue(40)
    assert pane.verticalScrollBar().value() == 40
    tall.setText("short")
    qtbot.waitUntil(lambda: not pane.vertical.isVisible())
    assert area.childCount() == 1
    pane.hide()
    assert area.childCount() == 1
    # what crashed: a child asked for by an index read before. The pane's own interface
    # (a plain widget's) answers an index past its children with nothing
    outer = QAccessible.queryAccessibleInterface(pane)
    assert outer.child(outer.childCount() + 1) is None


def test_no_bare_scroll_area_is_made_in_the_window() -> None:
    made = [f"{path.relative_to(UI)}:{n}" for path in UI.rglob("*.py") if path.name != "scroll.py"
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"\bQ(Abstract)?ScrollArea\(", line)]
    assert made == [], f"use wizard.ui.scroll.ScrollPane instead: {made}"


def test_a_label_showing_a_value_says_it(qtbot) -> None:
    label = captioned_value("Autopay lost", "–")
    qtbot.addWidget(label)
    assert label.accessibleName() == "Autopay lost: –"
    show_value(label, "1,234")
    assert (label.text(), label.accessibleName()) == ("1,234", "Autopay lost: 1,234")
    show_value(label, "<b>7</b> lost")
    assert label.accessibleName() == "Autopay lost: 7 lost"
