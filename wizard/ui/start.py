"""The start screen: the PM's portfolio of conversions (`portfolio_view`), a new
conversion, open a project, or the demo."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDateEdit as _QDateEdit
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wizard.core.vocabulary import DEFAULT_WINDOW_DAYS, WINDOW_DAYS_RANGE
from wizard.ui import file_dialogs, settings
from wizard.ui.portfolio_view import PortfolioPanel
from wizard.ui.resources import icon
from wizard.ui.scroll import ScrollPane
from wizard.ui.widgets import (
    FOCUS_COLOUR,
    Banner,
    ProgressPanel,
    confirm_past_go_live,
    fit_on_screen,
    heading,
    note,
    section,
)

SIDE_WIDTH = 440  # the new conversion's form: its labels, and room for its hints


def default_project_folder(biller: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", biller).strip("-").lower() or "conversion"
    from wizard.flow.runtime import projects_folder

    base = Path(settings.last_folder("project", projects_folder()))
    return base / slug


class StartWindow(QWidget):
    """Everything before a project is open."""

    open_requested = Signal(Path)
    create_requested = Signal(dict)
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None, runner: Any = None) -> None:
        super().__init__(parent)
        if runner is None:
            from wizard.ui.workers import Runner

            runner = Runner(self)
        self.runner = runner
        self.setWindowTitle("Conversion Wizard")
        self.setWindowIcon(icon("convwiz"))
        self.setStyleSheet(
            "QPushButton#primary { background: #1f6fb2; color: white; border: 1px solid #185a91;"
            " border-radius: 4px; padding: 6px 14px; font-weight: bold; }"
            "QPushButton#primary:disabled { background: #9fb8cf; border-color: #9fb8cf; }"
            f"QPushButton#primary:focus {{ border: 2px solid {FOCUS_COLOUR}; }}"
            "StartWindow, #startSide { background: #f3f5f8; }")
        self._folder_edited: bool = False
        self._allow_past: bool = False
        self._focus_placed = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 14, 24, 14)
        outer.setSpacing(10)
        outer.addWidget(heading("Conversion Wizard", 1.5))
        outer.addWidget(note("Every conversion you run, most urgent first. Open one with "
                             "Enter or a double-click, start a new one, or try the demo."))
        self.banner = Banner()
        outer.addWidget(self.banner)
        frame, box = section("Your conversions")
        self.portfolio = PortfolioPanel(self.runner)
        self.portfolio.open_requested.connect(self.open_requested.emit)
        self.portfolio.message = self.banner.show_message
        self.portfolio.loaded.connect(self._first_focus)
        box.addWidget(self.portfolio, 1)
        # side by side, so that the new conversion's form and its button fit a 1280x720
        # screen (1920x1080 at 150% too); a smaller one scrolls the form, and the form's
        # pane follows the keyboard focus (wizard/ui/scroll.py)
        columns = QHBoxLayout()
        columns.setSpacing(14)
        columns.addWidget(frame, 3)
        side = QWidget()
        side.setObjectName("startSide")
        side_box = QVBoxLayout(side)
        side_box.setContentsMargins(0, 0, 0, 0)
        side_box.setSpacing(12)
        side_box.addWidget(self._new_conversion())
        side_box.addWidget(self._continue_conversion())
        side_box.addStretch(1)
        self.side = ScrollPane(side)
        self.side.setMinimumWidth(SIDE_WIDTH)
        self.side.area.viewport().setAutoFillBackground(False)
        columns.addWidget(self.side, 1)
        outer.addLayout(columns, 1)
        self.load_recent()
        fit_on_screen(self, 1440, 860)  # or less: the screen decides (widgets.py)
        self.biller.setFocus()

    def _new_conversion(self) -> QFrame:
        """The form for a new conversion project."""
        # a new conversion
        frame, box = section("New conversion")
        form = QFormLayout()
        self.biller = QLineEdit()
        self.biller.setPlaceholderText("e.g. Prairie Valley Electric Co-op")
        self.go_live = _QDateEdit()
        self.go_live.setCalendarPopup(True)
        self.go_live.setDisplayFormat("dddd d MMMM yyyy")
        soon = date.today() + timedelta(days=30)
        self.go_live.setDate(QDate(soon.year, soon.month, soon.day))
        self.go_live.setMinimumDate(QDate.currentDate().addDays(-365))
        self.window_days = QSpinBox()
        self.window_days.setRange(*WINDOW_DAYS_RANGE)
        self.window_days.setValue(DEFAULT_WINDOW_DAYS)
        self.window_days.setSuffix(" days, ending on go-live")
        self.production_bid = QLineEdit()
        self.production_bid.setPlaceholderText("required: the biller's BID, e.g. 2806")
        self.test_bid = QLineEdit()
        self.test_bid.setPlaceholderText("optional, can be set later (Edit settings)")
        self.pm_name = QLineEdit()
        self.pm_name.setPlaceholderText("your name, to sign the notices")
        self.folder = QLineEdit()
        browse = QPushButton("Brow&se…")
        browse.clicked.connect(self._choose_new_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        form.addRow("&Biller:", self.biller)
        form.addRow("&Go-live date:", self.go_live)
        form.addRow("Maintenance &window:", self.window_days)
        form.addRow("&Production BID:", self.production_bid)
        form.addRow("&Test BID:", self.test_bid)
        form.addRow("Your na&me:", self.pm_name)
        folder_label = QLabel("Project &folder:")  # a row of widgets: the label needs a buddy
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, folder_row)
        box.addLayout(form)
        box.addWidget(note("The project folder will hold the files for this biller (customer "
                           "data, readable by you only)."))
        self.create_button = QPushButton("C&reate the project")
        self.create_button.setObjectName("primary")
        self.create_button.clicked.connect(self._create)
        line = QHBoxLayout()
        line.addStretch(1)
        line.addWidget(self.create_button)
        box.addLayout(line)
        self.biller.textChanged.connect(self._biller_changed)
        self.folder.textEdited.connect(lambda _t: setattr(self, "_folder_edited", True))
        return frame

    def _continue_conversion(self) -> QFrame:
        """The demo (opening a project is the portfolio's)."""
        frame, box = section("Try it first")
        box.addWidget(note("New to the wizard? The demo runs a whole conversion on made-up "
                           "customers against a simulated provider on this computer."))
        self.demo_button = QPushButton("Try the &demo")
        self.demo_button.clicked.connect(self.demo_requested.emit)
        box.addWidget(self.demo_button)
        self.open_button = self.portfolio.open_button
        self.progress = ProgressPanel()
        box.addWidget(self.progress)
        return frame

    def load_recent(self) -> None:
        """Read the portfolio again (off the window's thread)."""
        self.portfolio.load()

    def _biller_changed(self, text: str) -> None:
        if not self._folder_edited:
            self.folder.setText(str(default_project_folder(text)) if text.strip() else "")

    def _choose_new_folder(self) -> None:
        path = file_dialogs.existing_directory(self, "Where should the project live?",
                                               str(settings.last_folder("project")))
        if path:
            self._folder_edited = True
            name = re.sub(r"[^A-Za-z0-9]+", "-", self.biller.text()).strip("-").lower()
            self.folder.setText(str(Path(path) / name) if name else path)

    def _choose_project(self) -> None:
        path = file_dialogs.existing_directory(self, "Open a conversion project",
                                               str(settings.last_folder("project")))
        if path:
            self.open_requested.emit(Path(path))

    def _first_focus(self) -> None:
        """Once the list is read: "Open one with Enter" holds from the start, so the focus
        goes to the list when it has a conversion and the PM has not begun the form."""
        if self._focus_placed:
            return
        self._focus_placed = True
        if self.portfolio.model.rows and self.focusWidget() in (None, self.biller) and \
                not self.biller.text():
            self.portfolio.table.setFocus()

    def values(self) -> dict[str, object]:
        d = self.go_live.date()
        return {
            "folder": Path(self.folder.text().strip()).expanduser(),
            "biller": self.biller.text().strip(),
            "go_live": date(d.year(), d.month(), d.day()),
            "production_bid": self.production_bid.text().strip(),
            "test_bid": self.test_bid.text().strip() or None,
            "window_days": self.window_days.value(),
            "pm_name": self.pm_name.text().strip(),
            "allow_past": self._allow_past,
        }

    def _create(self) -> None:
        if not self.biller.text().strip():
            self.banner.show_message("warning", "Give the biller's name first.")
            self.biller.setFocus()
            return
        if not self.production_bid.text().strip():
            self.banner.show_message("warning", "Give the biller's production BID: each "
                                     "biller has its own, there is no default.")
            self.production_bid.setFocus()
            return
        if not self.folder.text().strip():
            self.banner.show_message("warning", "Choose where the project folder goes.")
            return
        d = self.go_live.date()
        go_live = date(d.year(), d.month(), d.day())
        self._allow_past = go_live < date.today()
        if self._allow_past and not confirm_past_go_live(self, go_live, "Create the project"):
            return
        self.create_requested.emit(self.values())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focus = self.focusWidget()
            if focus is self.portfolio.table:
                return  # the table opens it itself (its event filter)
            if focus is self.portfolio.filter:
                self.portfolio.table.setFocus()  # Enter in the filter: on to its rows
                return
            if isinstance(focus, QPushButton) and focus.isEnabled():
                focus.click()
                return
            self._create()
            return
        super().keyPressEvent(event)
