"""The start screen's portfolio as a PM meets it: every conversion, most urgent first,
marked with icons and words, sortable and filterable, opened with Enter or a double-click,
refreshed when a project changes on disk, read off the window's thread, and complete for a
screen reader."""

from __future__ import annotations

import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

import icalendar
import pytest
from PySide6.QtCore import Qt, QTimer

from tests.helpers.cli import convwiz
from tests.helpers.portfolio import generate_portfolio
from tests.ui import a11y
from tests.ui.start_screen import LONG, loaded
from wizard.services import places
from wizard.ui.portfolio_view import COLUMNS


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The documents folder's `Conversion Wizard`, with 30 conversions in every state."""
    folder = tmp_path / "Documents" / "Conversion Wizard"
    generate_portfolio(folder, 30, date.today())
    monkeypatch.setattr(places, "documents_dir", lambda: folder)
    return folder


def row_of(start: Any, name: str) -> int:
    return next(i for i, c in enumerate(start.portfolio.model.rows) if c.path.name == name)


def test_every_conversion_most_urgent_first_marked_in_words(qtbot: Any, wizard: Any,
                                                             documents: Path) -> None:
    start = loaded(qtbot, wizard)
    model = start.portfolio.model
    assert model.rowCount() == 30  # the PM's notes folder is not listed
    states = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert states[0].startswith(("Overdue", "Needs attention"))
    # overdue and clashes: an icon AND words as well as colour
    for name, words in (("clash-a", "window clash"), ("0003-overdue", "Overdue")):
        index = model.index(row_of(start, name), 0)
        assert words in index.data()
        assert not index.data(Qt.ItemDataRole.DecorationRole).isNull()
        assert index.data(Qt.ItemDataRole.ForegroundRole) is not None
        assert index.data(Qt.ItemDataRole.AccessibleTextRole).startswith("State: ")
    assert "1 window clash" in start.portfolio.summary.text()
    # "New conversion" and "Try the demo" stay one click away
    assert start.create_button.isVisible() and start.demo_button.isVisible()


def test_sort_filter_and_enter_opens(qtbot: Any, wizard: Any, documents: Path) -> None:
    start = loaded(qtbot, wizard)
    panel = start.portfolio
    proxy, table = panel.proxy, panel.table
    days = next(c for c, column in enumerate(COLUMNS) if column[0] == "Days left")
    table.sortByColumn(days, Qt.SortOrder.AscendingOrder)
    shown = [proxy.index(r, days).data() for r in range(proxy.rowCount())]
    numbers = [int(s) for s in shown if s]
    assert numbers == sorted(numbers)
    qtbot.keyClicks(panel.filter, "clash")
    assert proxy.rowCount() == 2
    assert {proxy.index(r, 1).data() for r in range(2)} == {"Biller clash-a",
                                                            "Biller clash-b"}
    table.setFocus()
    table.setCurrentIndex(proxy.index(0, 0))
    chosen = panel.selected()
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.main is not None, timeout=LONG)
    assert wizard.main.project.folder == chosen
    assert start.banner.kind != "error"


def test_double_click_opens(qtbot: Any, wizard: Any, documents: Path) -> None:
    start = loaded(qtbot, wizard)
    panel = start.portfolio
    index = panel.proxy.mapFromSource(panel.model.index(row_of(start, "0000-fresh"), 1))
    panel.table.scrollTo(index)
    rect = panel.table.visualRect(index)
    assert panel.table.viewport().rect().contains(rect.center())
    # a real double-click: a click, then the press Qt reports as a double-click (QTest's
    # double-click alone has no press before it, and a view opens only what was pressed)
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton,
                      pos=rect.center())
    qtbot.waitUntil(lambda: wizard.main is not None, timeout=LONG)
    assert wizard.main.project.folder == documents / "0000-fresh"


def test_a_change_on_disk_refreshes_the_row(qtbot: Any, wizard: Any,
                                            documents: Path) -> None:
    start = loaded(qtbot, wizard)
    model = start.portfolio.model
    before = model.rows[row_of(start, "0000-fresh")].open_tasks["PM"]
    assert convwiz("checklist", documents / "0000-fresh", "--done", "test_bid", "--by",
                   "Pat").code == 0
    qtbot.waitUntil(lambda: model.rows[row_of(start, "0000-fresh")].open_tasks["PM"] ==
                    before - 1, timeout=LONG)


def test_exports_from_the_window(qtbot: Any, wizard: Any, documents: Path,
                                 tmp_path: Path) -> None:
    start = loaded(qtbot, wizard)
    start.portfolio.export_to("calendar", tmp_path / "mine.ics")
    qtbot.waitUntil(lambda: start.banner.kind == "success", timeout=LONG)
    assert "Calendar written" in start.banner.text()
    calendar = icalendar.Calendar.from_ical((tmp_path / "mine.ics").read_bytes())
    uids = [str(e["uid"]) for e in calendar.walk("VEVENT")]
    # every conversion's go-live, window and due tasks, once each: what the command gives
    assert convwiz("portfolio", documents, "--calendar", tmp_path / "cli.ics").code == 0
    cli = icalendar.Calendar.from_ical((tmp_path / "cli.ics").read_bytes())
    assert len(uids) == len(set(uids)) >= 28 * 27
    assert set(uids) == {str(e["uid"]) for e in cli.walk("VEVENT")}
    start.banner.hide()
    start.banner.kind = ""
    start.portfolio.export_to("workbook", tmp_path / "mine")
    qtbot.waitUntil(lambda: start.banner.kind == "success", timeout=LONG)
    assert "not encrypted" in start.banner.text()
    assert (tmp_path / "mine.xlsx").is_file()


def test_names_for_a_screen_reader_and_readable_cells(qtbot: Any, wizard: Any,
                                                      documents: Path) -> None:
    start = loaded(qtbot, wizard)
    nodes = list(a11y.walk(start))
    assert a11y.unnamed(nodes) == []
    names = {n.name for n in nodes}
    for name in ("Filter conversions", "Conversions, most urgent first", "Try the demo",
                 "Create the project", "Open a project folder",
                 "Export the calendar of every conversion", "Export the portfolio workbook"):
        assert any(n == name or n.replace("&", "") == name for n in names), name
    cells = [n.name for n in nodes if n.role == a11y.Role.Cell]
    assert any(c.startswith("State: ") for c in cells), cells[:5]
    assert any(c.startswith("Next action: ") for c in cells)
    buttons = [n for n in nodes if n.role == a11y.Role.PushButton and n.visible and n.enabled]
    assert buttons and all(a11y.QAccessibleActionInterface.pressAction() in b.actions
                           for b in buttons)


def test_the_portfolio_is_read_off_the_windows_thread(qtbot: Any, wizard: Any, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """While 200 conversions are read again the window answers: the read runs on another
    thread, and the window's own events go on while it is held. How long the window's loop
    waits at worst is a figure of `bench/portfolio.py` (its "window" line), not a test."""
    from wizard.flow.overview import portfolio as module

    folder = tmp_path / "many"
    generate_portfolio(folder, 200, date.today())
    monkeypatch.setattr(places, "documents_dir", lambda: folder)
    start = loaded(qtbot, wizard)  # the first read also imports the flow: not a refresh
    start.portfolio.model.set_rows(())
    read_portfolio = module.portfolio
    release = threading.Event()
    readers: list[threading.Thread] = []

    def held_read(*args: Any, **kwargs: Any) -> Any:
        readers.append(threading.current_thread())
        release.wait(LONG / 1000)
        return read_portfolio(*args, **kwargs)

    monkeypatch.setattr(module, "portfolio", held_read)
    start.portfolio.load()  # returns at once: were the read on this thread, it would hang here
    try:
        qtbot.waitUntil(lambda: bool(readers), timeout=LONG)
        assert readers[0] is not threading.main_thread()
        answered: list[bool] = []
        QTimer.singleShot(0, lambda: answered.append(True))
        qtbot.waitUntil(lambda: bool(answered), timeout=5_000)  # the loop turns meanwhile
        qtbot.keyClicks(start.portfolio.filter, "clash")
        assert start.portfolio.filter.text() == "clash"
        assert wizard.runner.running("portfolio")
    finally:
        release.set()
    qtbot.waitUntil(lambda: not wizard.runner.running("portfolio"), timeout=LONG)
    assert start.portfolio.model.rowCount() == 200
    assert start.portfolio.proxy.rowCount() == 2  # the filter typed meanwhile applies


def test_the_window_settings_are_read_without_qt(tmp_path: Path,
                                                 qsettings_in_tmp: Path) -> None:
    from wizard.flow.overview.portfolio_sources import recent_projects
    from wizard.ui import settings

    # names the INI form must quote; '"' only where the system allows it in a name
    names = ["a b ñ", "x,y", "s;e=m%i", "日本"]
    if sys.platform != "win32":
        names.insert(2, 'q"uote')
    for name in names:
        folder = tmp_path / name
        folder.mkdir()
        settings.add_recent_project(folder)
    ini = Path(settings.store().fileName())
    assert recent_projects(ini) == [tmp_path / n for n in reversed(names)]
    assert recent_projects(tmp_path / "none.ini") == []


def test_a_recent_project_that_is_gone_is_listed_unreadable(
        qtbot: Any, wizard: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wizard.ui import settings

    monkeypatch.setattr(places, "documents_dir", lambda: tmp_path / "none")
    gone = tmp_path / "usb-drive" / "acme"
    gone.mkdir(parents=True)
    settings.add_recent_project(gone)
    gone.rmdir()
    start = loaded(qtbot, wizard)
    rows = start.portfolio.model.rows
    assert [(r.path, r.state) for r in rows] == [(gone, "unreadable")]
    assert "not there" in rows[0].error
