"""The first screen as a new PM meets it (issue 31): it fits 1280x720 (a 1920x1080 screen at
150%) and 1366x768 with "Create the project" in view, a smaller one scrolls and follows the
keyboard, "Open one with Enter" holds from the start, and demo projects are marked, out of
the red, and removed from the list by the PM. The real window at each size, driven by the
keyboard alone, is tests/ui/test_first_screen_walk.py."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QWidget

from tests.helpers.portfolio import generate_portfolio
from tests.ui.start_screen import LONG, loaded
from wizard.flow import demo
from wizard.services import places
from wizard.ui.portfolio_view import COLUMNS


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "Documents" / "Conversion Wizard"
    folder.mkdir(parents=True)
    monkeypatch.setattr(places, "documents_dir", lambda: folder)
    return folder


def fully_shown(widget: QWidget) -> bool:
    """Every pixel of `widget` is on screen in its window: not clipped by a scrolled area
    nor by the window's edge."""
    window = widget.window()
    rect = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    return widget.isVisible() and window.rect().contains(rect) and \
        widget.visibleRegion().boundingRect() == widget.rect()


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768), (1264, 640)])
def test_the_new_conversion_form_and_its_button_fit(qtbot: Any, wizard: Any, documents: Path,
                                                    size: tuple[int, int]) -> None:
    # 1264x640: 1280x720 less a title bar and a taskbar
    start = loaded(qtbot, wizard)
    start.resize(*size)
    qtbot.waitUntil(lambda: start.size().width() == size[0])
    qtbot.waitUntil(lambda: fully_shown(start.create_button))
    for field in (start.biller, start.go_live, start.window_days, start.production_bid,
                  start.test_bid, start.pm_name, start.folder, start.demo_button):
        assert fully_shown(field), field.accessibleName() or field
    assert fully_shown(start.portfolio.table)


def test_a_smaller_window_scrolls_the_form_and_follows_the_keyboard(
        qtbot: Any, wizard: Any, documents: Path) -> None:
    start = loaded(qtbot, wizard)
    start.resize(1180, 380)
    start.activateWindow()
    qtbot.waitUntil(start.isActiveWindow)
    qtbot.waitUntil(lambda: start.side.vertical.isVisible())  # the form scrolls
    start.portfolio.filter.setFocus()
    bar = start.side.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert not fully_shown(start.biller)
    start.biller.setFocus()  # as a mnemonic (Alt+B) or Tab from outside the pane does
    qtbot.waitUntil(lambda: fully_shown(start.biller))
    bar.setValue(0)
    assert not fully_shown(start.demo_button)
    start.demo_button.setFocus()  # Alt+D, or Tab from the form
    qtbot.waitUntil(lambda: fully_shown(start.demo_button))


def test_the_window_never_opens_larger_than_its_screen(qtbot: Any, wizard: Any,
                                                      documents: Path) -> None:
    start = loaded(qtbot, wizard)
    room = start.screen().availableGeometry()  # offscreen: 800x800
    assert start.height() <= room.height() - 40  # room for the title bar: it used to be 860


def test_open_one_with_enter_holds_from_the_start(qtbot: Any, wizard: Any,
                                                  documents: Path) -> None:
    generate_portfolio(documents, 6, date.today())
    start = loaded(qtbot, wizard)
    assert start.focusWidget() is start.portfolio.table
    first = start.portfolio.model.rows[0].path
    qtbot.keyClick(start.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.main is not None, timeout=LONG)
    assert wizard.main.project.folder == first
    assert "biller's name" not in start.banner.text()


def test_with_no_conversion_the_focus_is_in_the_form(qtbot: Any, wizard: Any,
                                                     documents: Path) -> None:
    start = loaded(qtbot, wizard)
    assert start.focusWidget() is start.biller


def make_demo(folder: Path, days_ago: int) -> Path:
    with demo._create_project(folder, date.today() - timedelta(days=days_ago)) as project:
        return project.folder


def test_demos_are_marked_out_of_the_red_and_removed_by_the_pm(
        qtbot: Any, wizard: Any, documents: Path) -> None:
    generate_portfolio(documents, 3, date.today())
    for n in range(3):  # overdue, with overlapping windows: as "Try the demo" thrice made
        make_demo(documents / f"demo-{n}", 30)
    start = loaded(qtbot, wizard)
    panel = start.portfolio
    model = panel.model
    demos = [r for r, c in enumerate(model.rows) if c.demo]
    real = model.rowCount() - 3
    assert demos == [real, real + 1, real + 2]  # after every real conversion
    for r in demos:
        state = model.index(r, 0)
        assert state.data().startswith("Demo · ") and "clash" not in state.data()
        assert "overdue" not in state.data().lower()
        assert state.data(Qt.ItemDataRole.ForegroundRole) is None  # not red
    assert f"{real} conversions and 3 demos" in panel.summary.text()
    assert not any(c.demo or any(p.name.startswith("demo-") for p in c.clashes)
                   for c in model.rows if c.clashes)
    panel.table.setCurrentIndex(panel.proxy.mapFromSource(model.index(0, 0)))
    assert not panel.remove_demo_button.isEnabled()  # a real conversion: never this way
    panel.table.setCurrentIndex(panel.proxy.mapFromSource(model.index(demos[0], 0)))
    assert panel.remove_demo_button.isEnabled()
    gone = model.rows[demos[0]].path
    asked: list[str] = []
    panel.confirm = lambda question: asked.append(question) or True
    qtbot.keyClick(panel.remove_demo_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: start.banner.kind == "success" and model.rowCount() == real + 2,
                    timeout=LONG)
    assert str(gone) in asked[0]
    assert not gone.exists()
    assert all(c.path != gone for c in model.rows)


def test_every_column_can_be_read_at_1366x768(qtbot: Any, wizard: Any,
                                              documents: Path) -> None:
    generate_portfolio(documents, 12, date.today())
    start = loaded(qtbot, wizard)
    start.resize(1366, 768)
    table = start.portfolio.table
    header = table.horizontalHeader()
    metrics = header.fontMetrics()
    for column, (title, _text, _key) in enumerate(COLUMNS):
        width = table.columnWidth(column)
        assert width >= metrics.horizontalAdvance(title) + 16, (title, width)
        longest = max((str(table.model().index(r, column).data() or "")
                       for r in range(table.model().rowCount())), key=len)
        if title == "Folder":  # the whole path, never its first dozen letters
            assert width >= table.fontMetrics().horizontalAdvance(longest), (longest, width)
