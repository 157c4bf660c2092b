"""The project's settings, edited in the window: the same settings `convwiz settings`
changes, through the same flow function (`flow.project.settings_change.change_settings`), so every
change is audited and a step that used an old value goes back to ready."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wizard.core.vocabulary import TEMPLATE_SETTINGS, WINDOW_DAYS_RANGE
from wizard.errors import ConvWizError
from wizard.ui.scroll import ScrollPane
from wizard.ui.widgets import confirm_past_go_live


class ProjectSettingsDialog(QDialog):
    """Biller, dates, BIDs, the PM's signature and what the biller decided for the notices."""

    def __init__(self, project: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.setWindowTitle("Project settings")
        self.setAccessibleName("Project settings")
        self.result_text = ""
        current = project.settings
        outer = QVBoxLayout(self)
        body = QWidget()
        form = QFormLayout(body)
        self.fields: dict[str, QLineEdit] = {}

        def line(key: str, label: str, value: str, hint: str = "") -> None:
            edit = QLineEdit(value)
            edit.setPlaceholderText(hint)
            edit.setAccessibleName(label.replace("&", ""))
            edit.setAccessibleDescription(hint or label.replace("&", ""))
            self.fields[key] = edit
            form.addRow(label, edit)

        line("biller", "&Biller", current.biller, "the biller's name")
        self.go_live = QDateEdit(QDate(current.go_live.year, current.go_live.month,
                                       current.go_live.day))
        self.go_live.setCalendarPopup(True)
        self.go_live.setDisplayFormat("yyyy-MM-dd")
        self.go_live.setAccessibleName("Go-live date")
        form.addRow("&Go-live", self.go_live)
        self.window_days = QSpinBox()
        self.window_days.setRange(*WINDOW_DAYS_RANGE)
        self.window_days.setValue(current.window_days)
        self.window_days.setSuffix(" days, ending on go-live")
        self.window_days.setAccessibleName("Maintenance window in days")
        form.addRow("Maintenance &window", self.window_days)
        line("production_bid", "&Production BID", current.production_bid, "e.g. 2806")
        line("test_bid", "&Test BID", current.test_bid or "", "different from production")
        line("pm_name", "PM's &name", current.pm_name, "signs the notices")
        line("pm_email", "PM's e-&mail", current.pm_email)
        line("pm_phone", "PM's p&hone", current.pm_phone)
        form.addRow(QLabel("<b>What the biller decided (quoted by the notices)</b>"))
        for setting in TEMPLATE_SETTINGS:
            line(setting.key, setting.label, current.extra.get(setting.key, ""),
                 f"e.g. {setting.placeholder}")
        # a ScrollPane, not a bare QScrollArea (issue 22: wizard/ui/scroll.py)
        outer.addWidget(ScrollPane(body, frame=True))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)
        self.resize(640, 560)

    def changes(self) -> dict[str, str | None]:
        qd = self.go_live.date()
        out: dict[str, str | None] = {key: edit.text() for key, edit in self.fields.items()}
        out["go_live"] = date(qd.year(), qd.month(), qd.day()).isoformat()
        out["window_days"] = str(self.window_days.value())
        return out

    def save(self) -> None:
        from wizard.flow.project.settings_change import change_settings

        changes = self.changes()
        go_live = date.fromisoformat(str(changes["go_live"]))
        allow_past = go_live < date.today() and go_live != self.project.settings.go_live
        if allow_past and not confirm_past_go_live(self, go_live, "Save it"):
            return
        try:
            result = change_settings(self.project, changes, allow_past=allow_past,
                                     by=self.project.settings.pm_name or "the window")
        except ConvWizError as exc:
            QMessageBox.warning(self, "Settings not saved", exc.message)
            return
        words = [f"{key} changed" for key in result.changed]
        if result.stale_steps:
            words.append("run again: " + ", ".join(result.stale_steps))
        self.result_text = "; ".join(words) or "nothing changed"
        self.accept()
