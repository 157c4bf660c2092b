"""The start screen's portfolio: every conversion in a sortable, filterable table, most
urgent first, with the same columns as `convwiz portfolio`.

The rows come from `wizard.flow.overview.portfolio` on a worker thread (500 projects take a few
hundred milliseconds: never on the window's thread). A QFileSystemWatcher on each project's
folder and `convwiz.sqlite` (and the folders scanned) asks for a new read a second after the
last change. The table's model (its columns, what each cell shows and says) is
`portfolio_model`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QFileSystemWatcher,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from wizard.errors import Cancelled
from wizard.ui import file_dialogs, settings
from wizard.ui.portfolio_model import (
    BILLER,
    COLUMNS,
    FOLDER,
    NEXT_ACTION,
    STATE,
    TASKS,
    WARNINGS,
    PortfolioModel,
    PortfolioProxy,
)
from wizard.ui.widgets import ask_yes

REFRESH_DELAY_MS = 1000  # a step writes its store several times: one read after the last
WIDTHS = {STATE: 190, BILLER: 200, 2: 122, 3: 70, NEXT_ACTION: 420, 5: 60, WARNINGS: 330,
          7: 130, 8: 110, TASKS: 200, 10: 80, FOLDER: 200}
# the widest a column grows to fit its text (the rest is in the row's tool tip)
MOST = {STATE: 300, BILLER: 320, NEXT_ACTION: 520, WARNINGS: 420, FOLDER: 900}


def start_folder() -> Path:
    """Where "Open a project folder…" starts: the last project's folder, else Documents/
    Conversion Wizard (or the nearest of its parents that is there)."""
    from wizard.flow.runtime import projects_folder

    folder = Path(settings.last_folder("project", projects_folder()))
    while not folder.is_dir() and folder.parent != folder:
        folder = folder.parent
    return folder


class PortfolioPanel(QWidget):
    """The table, its filter, and what a PM does with it: open, export, refresh."""

    open_requested = Signal(Path)
    loaded = Signal()  # a read of the portfolio is shown

    def __init__(self, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.loaded_once = False
        self.model = PortfolioModel(self)
        self.proxy = PortfolioProxy(self)
        self.proxy.setSourceModel(self.model)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(self._build_filter_row())
        self._build_table()
        box.addWidget(self.table, 1)
        box.addLayout(self._build_buttons())
        self._watch_for_changes()
        self.message: Callable[[str, str], None] = lambda _kind, _text: None
        self.confirm: Callable[[str], bool] = lambda question: ask_yes(
            self, "Remove the demo project", question)
        self.table.selectionModel().currentRowChanged.connect(
            lambda _now, _before: self._chosen_changed())

    def _build_filter_row(self) -> QHBoxLayout:
        """The filter box and the summary of what is listed."""
        top = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: a biller, a state, a month, an owner…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter conversions")
        self.filter.setAccessibleDescription("Shows only the conversions whose row holds "
                                             "this text")
        self.filter.textChanged.connect(self._filter_changed)
        filter_label = QLabel("F&ilter:")
        filter_label.setBuddy(self.filter)
        top.addWidget(filter_label)
        top.addWidget(self.filter, 1)
        self.summary = QLabel("Reading your conversions…")
        self.summary.setAccessibleName("Reading your conversions…")
        top.addWidget(self.summary)
        return top

    def _build_table(self) -> None:
        """The conversions, sortable by any column; Enter or a double-click opens one."""
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # urgency: the model's
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table, arrows move in it
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in WIDTHS.items():
            self.table.setColumnWidth(column, width)
        self.table.setAccessibleName("Conversions, most urgent first")
        self.table.setAccessibleDescription("Enter or a double-click opens the conversion; "
                                            "a column's header sorts by it")
        # a double-click opens it (not `activated`: a style may activate on one click); Enter
        # opens it through the event filter, on every system (Qt's own handling of Enter in
        # a view differs on macOS), and goes no further (the start screen's Enter creates)
        self.table.installEventFilter(self)
        self.table.doubleClicked.connect(self._activated)

    def _build_buttons(self) -> QHBoxLayout:
        """Open a project folder, Remove this demo, the exports and Refresh."""
        buttons = QHBoxLayout()
        self.open_button = QPushButton("&Open a project folder…")
        self.open_button.setAccessibleName("Open a project folder")
        self.open_button.clicked.connect(self._choose_project)
        self.calendar_button = QPushButton("Export ca&lendar…")
        self.calendar_button.setAccessibleName("Export the calendar of every conversion")
        self.calendar_button.clicked.connect(lambda: self._export("calendar"))
        self.workbook_button = QPushButton("Export wor&kbook…")
        self.workbook_button.setAccessibleName("Export the portfolio workbook")
        self.workbook_button.clicked.connect(lambda: self._export("workbook"))
        self.remove_demo_button = QPushButton("Remo&ve this demo…")
        self.remove_demo_button.setAccessibleName("Remove the chosen demo project")
        self.remove_demo_button.setToolTip("Its made-up files and record go; yours stay")
        self.remove_demo_button.clicked.connect(self.remove_current_demo)
        self.remove_demo_button.setEnabled(False)
        self.refresh_button = QPushButton("Refres&h")
        self.refresh_button.setAccessibleName("Refresh the list")
        self.refresh_button.clicked.connect(self.load)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.remove_demo_button)
        buttons.addStretch(1)
        for b in (self.calendar_button, self.workbook_button, self.refresh_button):
            buttons.addWidget(b)
        return buttons

    def _watch_for_changes(self) -> None:
        """A change on disk asks for one new read a second after the last change."""
        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._changed_on_disk)
        self.watcher.directoryChanged.connect(self._changed_on_disk)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(REFRESH_DELAY_MS)
        self.debounce.timeout.connect(self.load)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's
        if watched is self.table and event.type() == QEvent.Type.KeyPress and \
                isinstance(event, QKeyEvent) and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_current()
            return True
        return super().eventFilter(watched, event)

    # -- loading ------------------------------------------------------------------------------
    @staticmethod
    def recent() -> list[Path]:
        """The recent projects as the window keeps them (QSettings), gone ones included:
        the portfolio lists a vanished one as unreadable."""
        return [Path(p) for p in settings.recent_list()]

    def load(self) -> None:
        """Read the portfolio again, on a worker thread."""
        recent = self.recent()

        def work(_state: Any) -> Any:
            from wizard.flow.overview.portfolio import portfolio

            return portfolio(None, recent=recent, readers=1)

        try:
            self.runner.start("portfolio", work, on_done=self.show_portfolio,
                              on_error=lambda exc: self.message(
                                  "error", f"The list of conversions could not be read: {exc}"))
        except Cancelled:  # the program is closing: no new read
            self.stop_watching()

    def stop_watching(self) -> None:
        self.debounce.stop()
        watched = self.watcher.files() + self.watcher.directories()
        if watched:
            self.watcher.removePaths(watched)

    def show_portfolio(self, found: Any) -> None:
        current = self.selected()
        self.model.set_rows(found.conversions)
        self.loaded_once = True
        demos = sum(1 for c in found.conversions if c.demo)
        n = len(found.conversions) - demos
        urgent = sum(1 for c in found.conversions if self.model.urgent(c))
        clashes = len(found.clashes)
        text = "No conversion yet: start one, or try the demo" if not (n or demos) else (
                f"{n} conversion{'' if n == 1 else 's'}" +
                (f" and {demos} demo{'' if demos == 1 else 's'}" if demos else "") +
                (f", {urgent} to look at" if urgent else "") +
                (f", {clashes} window clash{'' if clashes == 1 else 'es'}" if clashes else ""))
        self.summary.setText(text)
        self.summary.setAccessibleName(text)
        self._watch(found)
        self._fit_columns()
        self.remove_demo_button.setVisible(demos > 0)
        self._select(current)
        self._chosen_changed()
        self.loaded.emit()

    def _fit_columns(self) -> None:
        """Each column as wide as its header and its text (up to MOST): no header clipped,
        no folder cut to its first letters; the table scrolls sideways instead."""
        header, cells = self.table.horizontalHeader().fontMetrics(), self.table.fontMetrics()
        for column, (title, text, _key) in enumerate(COLUMNS):
            # the longest few texts by length measured (cheap: never stalls the window)
            longest = sorted({text(c) for c in self.model.rows}, key=len)[-3:]
            fits = max((cells.horizontalAdvance(t) for t in longest), default=0) + (
                40 if column == STATE else 16)  # its icon; the cell's margins
            wanted = max(WIDTHS.get(column, 100), header.horizontalAdvance(title) + 28,
                         min(fits, MOST.get(column, 300)))
            self.table.setColumnWidth(column, wanted)

    def _watch(self, found: Any) -> None:
        from wizard.flow.runtime import projects_folder

        wanted = {str(projects_folder())}
        for c in found.conversions:
            wanted.add(str(c.path))
            wanted.add(str(c.path / "convwiz.sqlite"))
        old = set(self.watcher.files()) | set(self.watcher.directories())
        gone = sorted(old - wanted)
        if gone:
            self.watcher.removePaths(gone)
        new = sorted(p for p in wanted - old if Path(p).exists())
        if new:
            self.watcher.addPaths(new)

    def _changed_on_disk(self, _path: str) -> None:
        self.debounce.start()  # restarts: one read a second after the last change

    # -- choosing -----------------------------------------------------------------------------
    def selected(self) -> Path | None:
        row = self.current_row()
        return None if row is None else Path(row.path)

    def _select(self, folder: Path | None) -> None:
        row = next((i for i, c in enumerate(self.model.rows) if c.path == folder), 0)
        if not self.model.rows:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.table.setCurrentIndex(index)

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            row = self.proxy.mapToSource(index).row()
            self.open_requested.emit(Path(self.model.conversion(row).path))

    def open_current(self) -> bool:
        folder = self.selected()
        if folder is None:
            return False
        self.open_requested.emit(folder)
        return True

    def _chosen_changed(self) -> None:
        row = self.current_row()
        self.remove_demo_button.setEnabled(row is not None and bool(row.demo))

    def current_row(self) -> Any:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.conversion(self.proxy.mapToSource(index).row())

    def remove_current_demo(self) -> None:
        """Remove the chosen demo project (flow.demo_projects: purge's rules, then its
        record), off the window's thread; the list is read again after."""
        row = self.current_row()
        if row is None or not row.demo:
            return
        folder = Path(row.path)
        if not self.confirm(f"Remove the demo project {folder}? Its made-up customer files "
                            "and its record are removed; files you put in its folder stay."):
            return

        def work(_state: Any) -> Any:
            from wizard.flow.demo_projects import remove_demo
            return remove_demo(folder).words()

        def done(text: Any) -> None:
            self.message("success", str(text))
            self.load()

        self.remove_demo_button.setEnabled(False)
        watched = [p for p in self.watcher.files() + self.watcher.directories()
                   if Path(p) == folder or folder in Path(p).parents]
        if watched:  # no watch on what goes: Windows removes no folder a watch holds open
            self.watcher.removePaths(watched)
        self.runner.start("remove-demo", work, on_done=done,
                          on_error=lambda exc: self.message(
                              "error", f"The demo project {folder} could not be removed: "
                              f"{getattr(exc, 'message', exc)}"))

    def _filter_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())

    def _choose_project(self) -> None:
        path = file_dialogs.existing_directory(self, "Open a conversion project",
                                               str(start_folder()))
        if path:
            self.open_requested.emit(Path(path))

    # -- exports ------------------------------------------------------------------------------
    def _export(self, kind: str) -> None:
        suffix, what = (".ics", "Calendar (*.ics)") if kind == "calendar" else (
            ".xlsx", "Excel workbook (*.xlsx)")
        start = Path(settings.last_folder("export")) / f"conversion-portfolio{suffix}"
        path = file_dialogs.save_file_name(self, f"Export the portfolio {kind}",
                                           str(start), what)
        if path:
            self.export_to(kind, Path(path))

    def export_to(self, kind: str, path: Path) -> None:
        recent = self.recent()
        if path.suffix.lower() not in (".ics", ".xlsx"):
            path = path.with_suffix(".ics" if kind == "calendar" else ".xlsx")

        def work(_state: Any) -> Any:
            from wizard.flow.overview.portfolio import portfolio
            from wizard.flow.overview.portfolio_files import write_calendar, write_workbook

            found = portfolio(None, recent=recent, with_calendar=kind == "calendar")
            if kind == "calendar":
                return (f"Calendar written: {path} ({write_calendar(found, path)} events; "
                        "importing it again updates them)")
            rows = write_workbook(found, path)
            return (f"Workbook written: {path} ({rows} conversions; not encrypted: it holds "
                    "no customer data)")

        settings.remember_folder("export", path.parent)
        self.runner.start(f"export-{kind}", work,
                          on_done=lambda text: self.message("success", str(text)),
                          on_error=lambda exc: self.message(
                              "error", f"The {kind} could not be written: {exc}"))
