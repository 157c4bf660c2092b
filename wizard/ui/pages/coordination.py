"""Step 1, Coordinate: the dates and the maintenance window in plain words, the BIDs, the
coordination checklist with owners and sign-off, and the texts to send with Copy buttons."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wizard.errors import ConvWizError
from wizard.ui.pages.base import PageContext, StepPage
from wizard.ui.views import ChecklistView
from wizard.ui.widgets import open_path, section, value_label


def describe_dates(dates: object, today: date) -> str:
    """'Go-live in 12 days, on Monday 14 December 2026' and where today stands."""
    go_live = dates.go_live  # type: ignore[attr-defined]
    days = dates.days_to_go_live(today)  # type: ignore[attr-defined]
    when = go_live.strftime("%A %d %B %Y")
    if days > 1:
        text = f"Go-live in {days} days, on {when}."
    elif days == 1:
        text = f"Go-live is tomorrow, {when}."
    elif days == 0:
        text = f"Go-live is today, {when}."
    else:
        text = f"Go-live was {-days} days ago, on {when}."
    if dates.in_window(today):  # type: ignore[attr-defined]
        text += " Today is inside the maintenance window."
    elif today < dates.window_start:  # type: ignore[attr-defined]
        left = (dates.window_start - today).days  # type: ignore[attr-defined]
        text += f" The maintenance window opens in {left} days."
    return text


class CoordinationPage(StepPage):
    step_id = "coordination"

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Coordinate", "Confirm go-live and the maintenance window, the "
                         "BIDs and who does what. Sign each task off as it is done; the step "
                         "is done when every coordination task is signed off.", parent)
        self._build_dates()
        self._build_checklist()
        self._build_templates()
        self.layout_.addStretch(1)
        self.template_list.currentRowChanged.connect(self._show_template)
        # chosen through the accessibility interface (a selection, not a current row)
        self.template_list.itemSelectionChanged.connect(self._selection_moved)
        self._templates: list[str] = []

    def _build_dates(self) -> None:
        """The countdown, go-live, window and BIDs, with Edit settings."""
        frame, box = section("Dates and BIDs")
        self.countdown = value_label()
        self.countdown.setStyleSheet("font-size: 13pt; color: #1f4e79;")
        box.addWidget(self.countdown)
        grid = QGridLayout()
        self.go_live = value_label()
        self.window_label = value_label()
        self.bids = value_label()
        for r, (name, label) in enumerate((("Go-live", self.go_live),
                                           ("Maintenance window", self.window_label),
                                           ("BIDs", self.bids))):
            grid.addWidget(QLabel(f"{name}:"), r, 0)
            grid.addWidget(label, r, 1)
        grid.setColumnStretch(1, 1)
        box.addLayout(grid)
        self.settings_button = QPushButton("&Edit settings…")
        self.settings_button.setAccessibleDescription(
            "Change the biller, go-live, window, BIDs, your name and what the biller decided")
        self.settings_button.clicked.connect(self.edit_settings)
        edit_row = QHBoxLayout()
        edit_row.addWidget(self.settings_button)
        edit_row.addStretch(1)
        box.addLayout(edit_row)
        self.layout_.addWidget(frame)

    def _build_checklist(self) -> None:
        frame, box = section("Coordination checklist")
        self.checklist = ChecklistView(("coordination",), self._sign_off,
                                       name="Coordination checklist")
        box.addWidget(self.checklist)
        self.layout_.addWidget(frame)

    def _build_templates(self) -> None:
        """The notices and tickets: the list, and the chosen one's text beside it."""
        frame, box = section("Notices and tickets to send")
        row = QHBoxLayout()
        self.template_list = QListWidget()
        self.template_list.setMaximumWidth(280)
        # every notice in view at once, a long title wrapped: no sideways scroll bar
        self.template_list.setWordWrap(True)
        self.template_list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.template_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.template_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        line = self.template_list.fontMetrics().lineSpacing()
        self.template_list.setMinimumHeight(9 * line)
        self.template_list.setMaximumHeight(14 * line)
        self.template_list.setAccessibleName("Notices and tickets")
        self.template_list.setAccessibleDescription("Choose one to show its text beside")
        row.addWidget(self.template_list, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(self._build_template_text(), 1)
        box.addLayout(row)
        self.layout_.addWidget(frame)

    def _build_template_text(self) -> QVBoxLayout:
        """The chosen notice's text with Copy text and Open as e-mail under it."""
        right = QVBoxLayout()
        self.template_text = QPlainTextEdit()
        self.template_text.setReadOnly(True)
        self.template_text.setAccessibleName("Text of the chosen notice or ticket")
        self.template_text.setAccessibleDescription("Filled from the project; Copy text puts "
                                                    "it on the clipboard")
        self.template_text.setMinimumHeight(160)
        # the texts are laid out for an e-mail: shown as they will be pasted, not re-wrapped
        # wrapped on screen only: Copy text gives the lines exactly as written
        self.template_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        right.addWidget(self.template_text)
        buttons = QHBoxLayout()
        self.copy_button = QPushButton("&Copy text")
        self.copy_button.clicked.connect(self.copy_template)
        buttons.addWidget(self.copy_button)
        self.email_button = QPushButton("Open as e-&mail")
        self.email_button.setAccessibleDescription(
            "Write the e-mail draft and open it in your mail program as a new message")
        self.email_button.clicked.connect(self.open_as_email)
        buttons.addWidget(self.email_button)
        self.copied = QLabel()
        self.copied.setStyleSheet("color: #1d6b3b;")
        buttons.addWidget(self.copied)
        buttons.addStretch(1)
        right.addLayout(buttons)
        return right

    def refresh(self) -> None:
        from wizard.flow.steps.checklist import entries

        d = self.project.dates
        self.countdown.setText(describe_dates(d, date.today()))
        self.go_live.setText(d.go_live.strftime("%A %d %B %Y"))
        self.window_label.setText(f"{d.window_start:%a %d %b} to {d.window_end:%a %d %b %Y} "
                            f"({d.window_days} days, ending on the go-live date)")
        self.bids.setText(f"production {self.project.production_bid}, test "
                          f"{self.project.test_bid or '(not set yet)'}")
        self.checklist.load(entries(self.project))
        self._load_templates()

    def _load_templates(self) -> None:
        try:
            from wizard.flow.papers.templates import TEMPLATES
        except ImportError:
            return
        if self._templates != list(TEMPLATES):
            # filled once: clearing a list on every visit leaves a screen reader's view of it
            # empty (Qt's accessibility cache of its items is not rebuilt)
            self._templates = list(TEMPLATES)
            self.template_list.clear()
            self.template_list.addItems(list(TEMPLATES.values()))
            self.template_list.setCurrentRow(0)
        else:  # the settings may have changed: the text is filled again
            self._show_template(self.template_list.currentRow())

    def _selection_moved(self) -> None:
        chosen = self.template_list.selectedIndexes()
        if chosen and chosen[0].row() != self.template_list.currentRow():
            self.template_list.setCurrentRow(chosen[0].row())

    def _show_template(self, index: int) -> None:
        from wizard.flow.papers.templates import render

        self.copied.clear()
        if not 0 <= index < len(self._templates):
            self.template_text.clear()
            return
        try:
            self.template_text.setPlainText(render(self.project, self._templates[index]))
        except ConvWizError as exc:
            self.template_text.setPlainText(exc.message)

    def copy_template(self) -> None:
        text = self.template_text.toPlainText()
        QGuiApplication.clipboard().setText(text)
        item = self.template_list.currentItem()
        self.copied.setText(f"Copied '{item.text() if item else 'the text'}'; paste it "
                            "into your email or ticket.")

    def edit_settings(self) -> None:
        from wizard.ui.settings_dialog import ProjectSettingsDialog

        dialog = ProjectSettingsDialog(self.project, self)
        if dialog.exec():
            self.banner.show_message("success", f"Settings saved: {dialog.result_text}.")
            self.refresh()
            self.saved.emit()

    def open_as_email(self) -> None:
        """Write every draft (filled from the project now) and open the chosen one."""
        from wizard.flow.papers.templates import write_templates

        index = self.template_list.currentRow()
        if not 0 <= index < len(self._templates):
            return
        try:
            with self.project.writing("templates"):
                written = write_templates(self.project)
        except ConvWizError as exc:
            self.show_error(exc)
            return
        chosen = next(t for t in written.templates if t.name == self._templates[index])
        draft = Path(chosen.draft)
        if chosen.unfilled:
            self.banner.show_message(
                "warning", "This draft is held back until the settings it needs are filled "
                "(Edit settings…): it has no recipient and its subject says NOT READY.")
        if not open_path(draft):
            self.banner.show_message("warning", f"No mail program opened {draft.name}; it "
                                     f"is in {draft.parent}.")
        self.saved.emit()

    def _sign_off(self, task_id: str, by: str, note: str) -> None:
        if self.sign_off_task(task_id, by, note):
            self.banner.clear()
            self.refresh()
        self.saved.emit()
