"""Purge: after the conversion, remove the customer files the program made or received,
listed with their sizes, once the PM has typed PURGE; the audit log stays.

Built on `wizard.flow.purge`: `plan(project)` for what goes, `purge(project, confirm,
remove_secret=...)` for the work (the window has asked before, so `confirm` says yes).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from wizard.progress import TaskState
from wizard.ui.focus import one_tab_stop
from wizard.ui.pages.base import PageContext, StepPage
from wizard.ui.widgets import ProgressPanel, human_bytes, note, section, value_label

CONFIRM_WORD = "PURGE"


class PurgePage(StepPage):
    step_id = "purge"

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Purge", "When the conversion is over, remove the customer "
                         "files the wizard made or received. Your own files in the folder are "
                         "never touched; the audit log of what was done stays.", parent)
        frame, box = section("What will be removed")
        self.plan_label = value_label()
        box.addWidget(self.plan_label)
        self.files = QTableWidget(0, 2)
        self.files.setHorizontalHeaderLabels(["File", "Size"])
        self.files.verticalHeader().hide()
        self.files.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.files.horizontalHeader().setStretchLastSection(False)
        self.files.horizontalHeader().setSectionResizeMode(
            0, self.files.horizontalHeader().ResizeMode.Stretch)
        self.files.horizontalHeader().setSectionResizeMode(
            1, self.files.horizontalHeader().ResizeMode.ResizeToContents)
        self.files.setMinimumHeight(200)
        self.files.setAccessibleName("Files purge will remove")
        one_tab_stop(self.files)
        self.files.setAccessibleDescription("Each file with its size")
        box.addWidget(self.files)
        self.layout_.addWidget(frame)

        frame, box = section("Confirm")
        self.warning = note("")
        self.warning.setStyleSheet("color: #7a4d00;")
        box.addWidget(self.warning)
        row = QHBoxLayout()
        caption = QLabel(f"&Type {CONFIRM_WORD} to confirm:")
        self.confirm = QLineEdit()
        self.confirm.setMaximumWidth(200)
        self.confirm.setAccessibleName(f"Type {CONFIRM_WORD} to confirm the purge")
        self.confirm.setAccessibleDescription("The files listed above are removed for good")
        caption.setBuddy(self.confirm)
        self.purge_button = self.make_primary(QPushButton("&Remove these files"))
        self.purge_button.clicked.connect(self.purge)
        self.confirm.textChanged.connect(lambda _t: self._update_buttons())
        self.secret_box = QCheckBox("Also remove the provider's &password from the system "
                                    "keyring")
        self.secret_box.setChecked(True)
        box.addWidget(self.secret_box)
        self.workbook_password_box = QCheckBox(
            "Also remove the &workbook password from the system keyring (the workbooks "
            "already sent keep it)")
        self.workbook_password_box.setChecked(True)
        box.addWidget(self.workbook_password_box)
        row.addWidget(caption)
        row.addWidget(self.confirm)
        row.addWidget(self.purge_button)
        row.addStretch(1)
        box.addLayout(row)
        self.progress = ProgressPanel()
        self.progress.cancel_button.hide()
        box.addWidget(self.progress)
        self.result_label = value_label()
        box.addWidget(self.result_label)
        self.layout_.addWidget(frame)
        self.layout_.addStretch(1)
        self._count = 0
        self._secret: str | None = None

    def refresh(self) -> None:
        from wizard.flow.purge import plan

        planned = plan(self.project)
        doomed = list(planned.files)
        self._count = len(doomed)
        self._secret = planned.secret_account
        self.secret_box.setVisible(planned.secret_account is not None)
        self.workbook_password_box.setVisible(planned.workbook_entry is not None)
        self.files.setRowCount(len(doomed))
        for r, d in enumerate(doomed):
            self.files.setItem(r, 0, QTableWidgetItem(
                d.name + ("  (changed since the wizard wrote it)" if d.changed else "")))
            size = QTableWidgetItem(human_bytes(d.size))
            self.files.setItem(r, 1, size)
        total = sum(d.size for d in doomed)
        self.plan_label.setText(
            f"{len(doomed):,} file{'s' if len(doomed) != 1 else ''}, {human_bytes(total)} in "
            "all." if doomed else "No customer files are left: nothing to remove.")
        if planned.outside:
            self.plan_label.setText(self.plan_label.text() + " Kept (outside the project, "
                                    "remove them yourself if you wish): "
                                    + ", ".join(planned.outside))
        if planned.skipped:
            self.plan_label.setText(self.plan_label.text() + " Left in place: " + "; ".join(
                f"{s.name} ({s.reason})" for s in planned.skipped))
        self.files.setVisible(bool(doomed))
        verified = planned.verified
        self.warning.setText("" if verified else
                             "⚠ Verification is not done: once purged, the pre-conversion "
                             "snapshot is gone and nothing can be verified. Purge now only if "
                             "you are sure.")
        self.warning.setVisible(not verified)
        self._update_buttons()

    def purge(self) -> None:
        from wizard.flow.purge import purge

        if self.confirm.text().strip() != CONFIRM_WORD:
            return
        self.banner.clear()
        self.progress.start("Removing the customer files…")

        remove_secret = self.secret_box.isChecked()
        remove_password = self.workbook_password_box.isChecked()

        def work(_state: TaskState) -> Any:
            return purge(self.project, lambda _question: True,
                         remove_secret=lambda _account: remove_secret,
                         remove_workbook_password=lambda _entry: remove_password)

        self.ctx.runner.start("purge", work, on_done=self._purged, on_error=self.show_error,
                              on_finished=self._finished)
        self._update_buttons()

    def _purged(self, result: Any) -> None:
        self.confirm.clear()
        files, size = int(result.files), int(result.bytes)
        self.banner.show_message("success", f"Purged: {files:,} files removed "
                                 f"({human_bytes(size)}). The audit log keeps the record of "
                                 "what was done and which files existed.")
        self.saved.emit()
        self.refresh()

    def _update_buttons(self) -> None:
        typed = self.confirm.text().strip() == CONFIRM_WORD
        wait = self.other_work()
        self.purge_button.setEnabled(typed and self._count > 0 and not self.busy and not wait)
        self.purge_button.setToolTip(
            wait or ("" if typed and self._count else "Nothing to remove" if not self._count
                     else f"Type {CONFIRM_WORD} in the box first"))
