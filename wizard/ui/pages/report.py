"""Step 6, Biller workbook: write the workbook of the whole conversion, then open it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from wizard.ui import jobs
from wizard.ui.pages.base import PageContext, StepPage
from wizard.ui.widgets import ProgressPanel, note, open_path, section, value_label


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
        self.progress.cancel_requested.connect(lambda: self.ctx.runner.cancel("report"))
        box.addWidget(self.progress)
        self.result_label = value_label()
        box.addWidget(self.result_label)
        self.layout_.addWidget(frame)
        self.layout_.addStretch(1)
        self.output: Path | None = None

    def refresh(self) -> None:
        latest = self.project.store.latest_file("biller_workbook")
        if latest is None:
            latest = next((e for e in reversed(self.project.store.manifest())
                           if e.name.endswith("_conversion_workbook.xlsx")), None)
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
        self._update_buttons()

    def write(self) -> None:
        self.banner.clear()
        self.progress.start("Writing the biller workbook…")
        work = self.ctx.child_work(jobs.write_report, None)
        self.ctx.runner.start("report", work, on_progress=self.progress.update_progress,
                              on_done=self._written, on_error=self.show_error,
                              on_finished=self._finished)
        self._update_buttons()

    def _written(self, result: dict[str, Any]) -> None:
        self.output = Path(str(result["output"]))
        self.result_label.setText(f"<b>{self.output}</b><br>SHA-256 "
                                  f"<code>{result.get('sha256', '')}</code>")
        if self.cancel_too_late(result, "the workbook", self.output.name):
            self.saved.emit()
            return
        rows = sum(int(v) for v in (result.get("rows") or {}).values())
        self.banner.show_message("success", f"The biller workbook is written: "
                                 f"{self.output.name} ({rows:,} rows over "
                                 f"{len(result.get('sheets') or [])} sheets).", "Open it",
                                 self.open_workbook)
        self.result_label.setText(f"<b>{self.output}</b><br>SHA-256 "
                                  f"<code>{result.get('sha256', '')}</code>")
        self.reveal(self.result_label)
        self.saved.emit()

    def open_workbook(self) -> None:
        if self.output is not None:
            self.open_file(self.output)

    def _update_buttons(self) -> None:
        from wizard.flow import steps

        busy = self.ctx.runner.running("report")
        why = self.missing_prerequisites() or self.other_work()
        self.write_button.setEnabled(not busy and not why)
        self.write_button.setToolTip(why)
        if not why and not steps.is_done(self.project, "verification"):
            self.write_button.setToolTip("It can be written now; write it again after Verify "
                                         "for the whole story")
        exists = self.output is not None and self.output.exists()
        self.open_button.setEnabled(not busy and exists)
        self.open_button.setToolTip("" if exists else "Write the workbook first")
