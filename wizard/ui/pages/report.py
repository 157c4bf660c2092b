"""Step 6, Biller workbook: write the workbook of the whole conversion, then open it; its
password (the project's, from the keyring) shown with a Copy button and how to hand it over."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from wizard.core.vocabulary import BILLER_WORKBOOK_KIND
from wizard.ui import jobs
from wizard.ui.pages.base import PageContext, StepPage
from wizard.ui.widgets import ProgressPanel, note, open_path, section, value_label

if TYPE_CHECKING:
    from wizard.flow.papers.evidence import EvidencePack
    from wizard.flow.papers.report import WorkbookWritten

KEPT_IN_KEYRING = "Kept in this computer's system keyring, with the project's other secrets."
EVIDENCE = "report.evidence"  # the runner's key for the evidence pack (this page's work)


class ReportPage(StepPage):
    step_id = "report"

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Biller workbook", "Hand the biller one Excel workbook of it "
                         "all: the figures with a chart, the account mapping, the exceptions, "
                         "who must re-register, the checklist and the audit of every file.",
                         parent)
        frame, box = section("The workbook")
        box.addWidget(note("Write it again whenever something changed; the newest replaces "
                           "the old one in reports/."))
        row = QHBoxLayout()
        self.write_button = self.make_primary(QPushButton("&Write the workbook"))
        self.write_button.clicked.connect(self.write)
        self.open_button = QPushButton("&Open the workbook")
        self.open_button.clicked.connect(self.open_workbook)
        self.folder_button = QPushButton("Open the &reports folder")
        self.folder_button.clicked.connect(lambda: open_path(self.project.reports))
        for b in (self.write_button, self.open_button, self.folder_button):
            row.addWidget(b)
        row.addStretch(1)
        box.addLayout(row)
        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(self.cancel)
        box.addWidget(self.progress)
        self.result_label = value_label()
        box.addWidget(self.result_label)
        self.layout_.addWidget(frame)
        self.layout_.addWidget(self._password_section())
        self.layout_.addWidget(self._evidence_section())
        self.layout_.addStretch(1)
        self.output: Path | None = None
        # the demo without a usable keyring: its password for this session, in memory only
        self._demo_password: str | None = None

    def _password_section(self) -> QWidget:
        from wizard.flow.project.workbook_password import TELL_THE_BILLER

        frame, box = section("The workbook's password")
        # where the password is kept is said below, as it is: the keyring, or (the demo on a
        # computer without one) this session only
        box.addWidget(note("The workbook is encrypted (AES-256): Excel and LibreOffice ask for "
                           "this password. It is never written into the project."))
        row = QHBoxLayout()
        caption = QLabel("&Password:")
        self.password_field = QLineEdit()
        self.password_field.setReadOnly(True)
        self.password_field.setAccessibleName("Workbook password")
        self.password_field.setAccessibleDescription(TELL_THE_BILLER)
        caption.setBuddy(self.password_field)
        self.copy_password_button = QPushButton("Cop&y the password")
        self.copy_password_button.setAccessibleName("Copy the workbook password")
        self.copy_password_button.clicked.connect(self.copy_password)
        row.addWidget(caption)
        row.addWidget(self.password_field, 1)
        row.addWidget(self.copy_password_button)
        box.addLayout(row)
        self.tell_label = note(TELL_THE_BILLER)
        self.tell_label.setAccessibleName(TELL_THE_BILLER)
        box.addWidget(self.tell_label)
        self.password_status = note("")
        box.addWidget(self.password_status)
        return frame

    def _evidence_section(self) -> QWidget:
        frame, box = section("For the biller's auditors")
        box.addWidget(note("The evidence pack: every file made, sent or received with its "
                           "SHA-256, the SFTP host keys, every sign-off and setting change, and "
                           "the audit log's state, for a PCI DSS assessor. No customer data; "
                           "encrypted with the same password."))
        self.evidence_button = QPushButton("Write the &evidence pack")
        self.evidence_button.setAccessibleName("Write the evidence pack for the auditors")
        self.evidence_button.clicked.connect(self.write_evidence)
        row = QHBoxLayout()
        row.addWidget(self.evidence_button)
        row.addStretch(1)
        box.addLayout(row)
        self.evidence_label = value_label()
        box.addWidget(self.evidence_label)
        self.evidence: Path | None = None
        return frame

    def task_keys(self) -> tuple[str, ...]:
        return (self.step_id, EVIDENCE)

    def show_password(self) -> None:
        """The project's password from the keyring, if it has one (never a crash: a keyring
        that fails is said on the page)."""
        from wizard.errors import ConvWizError
        from wizard.flow.project import workbook_password

        try:
            password = workbook_password.current(self.project)
            status = KEPT_IN_KEYRING if password else self._no_password_words(
                workbook_password.entry(self.project))
        except ConvWizError as exc:
            password, status = None, f"⚠ {exc.message}"
        if not password and self._demo_password:
            password, status = self._demo_password, ("The demo's password, for this session "
                                                     "only: this computer has no usable "
                                                     "keyring to keep it in.")
        self.password_field.setText(password or "")
        self.copy_password_button.setEnabled(bool(password))
        self.password_status.setText(status)
        self.password_status.setVisible(bool(status))

    def _no_password_words(self, entry: str | None) -> str:
        """Why the keyring holds no password, from what the project recorded: the workbook
        may have been written elsewhere (the command line, another session), never "no
        password yet" for a workbook that has one."""
        written = getattr(self, "_workbook", None)
        if entry:
            return (f"This project's password (keyring entry {entry}) is not in this "
                    "computer's keyring: it was removed, or kept under another user account. "
                    "Writing the workbook again makes a new one.")
        if written is None:
            return ("No password yet: writing the workbook makes one and keeps it in the "
                    "system keyring.")
        if written.detail.get("encrypted") is False:
            return ("The last workbook was written without a password (--no-encrypt on the "
                    "command line). Writing it here encrypts it with a password kept in the "
                    "system keyring.")
        return ("The last workbook's password was shown once when it was written and kept "
                "nowhere (no usable keyring then, as for a demo on the command line). Writing "
                "the workbook again makes one kept in the system keyring.")

    def copy_password(self) -> None:
        text = self.password_field.text()
        if text:
            QGuiApplication.clipboard().setText(text)
            self.password_status.setText("Copied. " + self.tell_label.text())
            self.password_status.setVisible(True)

    def refresh(self) -> None:
        latest = self.project.store.latest_file(BILLER_WORKBOOK_KIND)
        if latest is None:
            latest = next((e for e in reversed(self.project.store.manifest())
                           if e.name.endswith("_conversion_workbook.xlsx")), None)
        self._workbook = latest  # how it was written says where its password is
        self.output = None
        if latest is not None:
            path = Path(latest.name)
            path = path if path.is_absolute() else self.project.folder / path
            when = latest.at[:16].replace("T", " ")
            if path.exists():
                self.output = path
                self.result_label.setText(f"Last written: <b>{path.name}</b> ({when} UTC), "
                                          f"SHA-256 {latest.sha256[:16]}…")
            else:  # purged, or removed by hand: never shown as if it were there
                self.result_label.setText(f"The workbook written {when} UTC ({path.name}) is "
                                          "no longer there (purged or removed). Press Write "
                                          "the workbook to make it again.")
        else:
            self.result_label.setText("No workbook written yet.")
        pack = self.project.store.latest_file("evidence_pack")
        self.evidence_label.setText(
            f"Last written: <b>{Path(pack.name).name}</b> ({pack.at[:16].replace('T', ' ')} "
            "UTC)" if pack is not None else "No evidence pack written yet.")
        self.show_password()
        self._update_buttons()

    def _password(self) -> str | None:
        """The project's workbook password for a write, or None with the reason shown."""
        from wizard.errors import ConvWizError
        from wizard.flow.project import workbook_password

        self.banner.clear()
        try:  # here, not in the worker: the keyring may ask the person to unlock it
            if self.ctx.demo is not None:  # the demo needs no keyring, as on the command line
                kept = workbook_password.for_demo(self.project)
                self._demo_password = None if kept.entry else kept.password
            else:
                kept = workbook_password.ensure(self.project)
        except ConvWizError as exc:
            self.show_error(exc)
            return None
        self.show_password()
        return kept.password

    def write(self) -> None:
        password = self._password()
        if password is None:
            return
        self.progress.start("Writing the biller workbook…")
        # the password reaches the worker process through its pipe, never a file
        work = self.ctx.child_work(jobs.write_report, None, password)
        self.ctx.runner.start("report", work, on_progress=self.progress.update_progress,
                              on_done=self._written, on_error=self.show_error,
                              on_finished=self._finished)
        self._update_buttons()

    def _written(self, finished: jobs.Finished[WorkbookWritten]) -> None:
        result = finished.result
        self.output = result.output
        self.result_label.setText(f"<b>{self.output}</b><br>SHA-256 "
                                  f"<code>{result.sha256}</code>")
        if self.cancel_too_late(finished, "the workbook", self.output.name):
            self.saved.emit()
            return
        rows = sum(result.rows.values())
        self.banner.show_message("success", f"The biller workbook is written, encrypted: "
                                 f"{self.output.name} ({rows:,} rows over "
                                 f"{len(result.sheets)} sheets). Its password "
                                 "is below: tell the biller by phone or a separate message.",
                                 "Open it", self.open_workbook)
        self.reveal(self.result_label)
        self.saved.emit()

    def write_evidence(self) -> None:
        password = self._password()
        if password is None:
            return
        self.progress.start("Writing the evidence pack…")
        work = self.ctx.child_work(jobs.write_evidence_pack, None, password)
        self.ctx.runner.start(EVIDENCE, work, on_progress=self.progress.update_progress,
                              on_done=self._evidence_written, on_error=self.show_error,
                              on_finished=self._finished)
        self._update_buttons()

    def _evidence_written(self, finished: jobs.Finished[EvidencePack]) -> None:
        result = finished.result
        self.evidence = result.output
        chain = result.chain.describe()
        self.evidence_label.setText(f"<b>{self.evidence}</b><br>SHA-256 "
                                    f"<code>{result.sha256}</code><br>"
                                    f"The audit log: {chain}")
        evidence = self.evidence
        self.banner.show_message("success", f"The evidence pack is written, encrypted with the "
                                 f"workbook's password: {evidence.name}. The audit log: "
                                 f"{chain}.", "Open it", lambda: self.open_file(evidence))
        self.reveal(self.evidence_label)
        self.saved.emit()

    def open_workbook(self) -> None:
        if self.output is not None:
            self.open_file(self.output)

    def _update_buttons(self) -> None:
        from wizard.flow.project import steps

        busy = self.busy
        why = self.missing_prerequisites() or self.other_work()
        self.evidence_button.setEnabled(not busy and not self.other_work())
        self.evidence_button.setToolTip(self.other_work())  # it needs no step done first
        self.write_button.setEnabled(not busy and not why)
        self.write_button.setToolTip(why)
        if not why and not steps.is_done(self.project, "verification"):
            self.write_button.setToolTip("It can be written now; write it again after Verify "
                                         "for the whole story")
        exists = self.output is not None and self.output.exists()
        self.open_button.setEnabled(not busy and exists)
        self.open_button.setToolTip("" if exists else "Write the workbook first")
