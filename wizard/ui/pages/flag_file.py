"""Step 2, Flag file: choose the portal's customer export, look at it, map its columns,
validate it, and export the flag file; findings in a filterable table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from wizard.progress import TaskState
from wizard.ui import settings
from wizard.ui.pages.base import PageContext, StepPage
from wizard.ui.views import TableView
from wizard.ui.widgets import DropZone, ProgressPanel, note, open_path, section

FIELD_LABELS = {
    "name": "Customer name", "account": "Account number", "email": "Email",
    "paperless": "Paperless", "autopay": "Autopay", "method": "Payment method type",
    "last4": "Last 4",
}
EXPORT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods")
SEVERITIES = (("All findings", ""), ("Blocking only", "blocking"), ("Warnings only", "warning"))


def findings_table(findings: Any) -> Any:
    """Findings (columns of lists) as an Arrow table for the view."""
    import pyarrow as pa

    return pa.table({
        "Row": pa.array(["" if r is None else str(r) for r in findings.rows], pa.string()),
        "Field": pa.array(findings.fields, pa.string()),
        "Value": pa.array(findings.values, pa.string()),
        "Severity": pa.array(findings.severities, pa.string()),
        "Rule": pa.array(findings.rules, pa.string()),
        "What to do": pa.array(findings.fixes, pa.string()),
    })


def read_findings_workbook(path: Path) -> Any:
    """The Findings sheet of an exceptions workbook, as the same table."""
    import pyarrow as pa

    from wizard.core.reader import read_table

    table = read_table(path, "Findings").data
    names = ["Row", "Field", "Value", "Severity", "Rule", "What to do"]
    columns = [table.column(i) for i in range(min(len(names), table.num_columns))]
    result = pa.table(dict(zip(names, columns)))
    severity = pa.compute.utf8_lower(result.column("Severity"))
    return result.set_column(3, "Severity", severity)


class FlagFilePage(StepPage):
    step_id = "flag_file"

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Flag file", "Export every customer's paperless and autopay "
                         "flags for Daffron. Choose the portal's customer export, check the "
                         "columns, then validate and export.", parent)
        self.input_path: Path | None = None
        self.headers: list[str] = []
        # 1. the file
        frame, box = section("1. The portal's customer export")
        self.drop = DropZone("Drop the customer export here (CSV or Excel), or choose it.",
                             EXPORT_SUFFIXES)
        self.drop.button.clicked.connect(self.choose_file)
        self.drop.file_chosen.connect(self.load_file)
        box.addWidget(self.drop)
        line = QHBoxLayout()
        self.file_label = QLabel("No file chosen yet.")
        self.file_label.setWordWrap(True)
        line.addWidget(self.file_label, 1)
        sheet_label = QLabel("S&heet:")
        line.addWidget(sheet_label)
        self.sheet = QLineEdit()
        sheet_label.setBuddy(self.sheet)
        self.sheet.setPlaceholderText("first sheet")
        self.sheet.setMaximumWidth(160)
        self.sheet.setEnabled(False)
        line.addWidget(self.sheet)
        box.addLayout(line)
        self.preview = TableView()
        self.preview.setMinimumHeight(220)
        box.addWidget(self.preview)
        self.layout_.addWidget(frame)
        # 2. the columns
        frame, box = section("2. Which column holds what")
        box.addWidget(note("Found by the usual header names; change any that is wrong."))
        grid = QGridLayout()
        self.mapping: dict[str, QComboBox] = {}
        for i, (field, label) in enumerate(FIELD_LABELS.items()):
            combo = QComboBox()
            combo.setMinimumWidth(200)
            self.mapping[field] = combo
            caption = QLabel(f"{label}:")
            caption.setBuddy(combo)
            grid.addWidget(caption, i // 2, (i % 2) * 2)
            grid.addWidget(combo, i // 2, (i % 2) * 2 + 1)
        grid.setColumnStretch(4, 1)
        box.addLayout(grid)
        self.layout_.addWidget(frame)
        # 3. validate and export
        frame, box = section("3. Validate and export")
        buttons = QHBoxLayout()
        self.validate_button = QPushButton("&Validate")
        self.export_button = self.make_primary(QPushButton("E&xport flag file"))
        self.folder_button = QPushButton("Open &outbox folder")
        for b in (self.validate_button, self.export_button, self.folder_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(self.cancel)
        box.addWidget(self.progress)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        box.addWidget(self.summary)
        self.findings = TableView("Severity", SEVERITIES)
        self.findings.setMinimumHeight(200)
        self.findings.hide()
        box.addWidget(self.findings)
        self.layout_.addWidget(frame)
        self.validate_button.clicked.connect(self.validate)
        self.export_button.clicked.connect(self.export)
        self.folder_button.clicked.connect(lambda: open_path(self.project.outbox))
        self._update_buttons()

    def task_keys(self) -> tuple[str, ...]:
        return ("flag_file", "flag_file.preview", "flag_file.findings")

    # -- the file -----------------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the customer export", settings.last_folder("export"),
            "Customer exports (*.csv *.txt *.tsv *.xlsx *.xlsm *.xls *.ods);;All files (*)")
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> None:
        """Read the export for the preview and pre-fill the column mapping."""
        from wizard.core.customers import ALL_HEADER_NAMES, detect_columns
        from wizard.core.reader import SPREADSHEET_SUFFIXES, read_table

        path = Path(path)
        settings.remember_folder("export", path)
        self.input_path = path
        self.banner.clear()
        self.findings.hide()
        self.summary.clear()
        is_sheet = path.suffix.lower() in SPREADSHEET_SUFFIXES
        self.sheet.setEnabled(is_sheet)
        sheet = self.sheet.text().strip() or None if is_sheet else None
        self.file_label.setText(f"Reading {path.name}…")
        self.progress.start(f"Reading {path.name} for the preview…")

        def work(state: TaskState) -> Any:
            table = read_table(path, sheet, header_hint=ALL_HEADER_NAMES)
            try:
                detected: dict[str, str] = detect_columns(table.headers, None, path)
                problem = None
            except Exception as exc:  # noqa: BLE001 - InputError: shown, mapping left to the PM
                detected, problem = {}, exc
            return table, detected, problem

        def done(value: Any) -> None:
            table, detected, problem = value
            self.headers = list(table.data.column_names)
            self.preview.set_table(table.data, table.row_numbers)
            self.file_label.setText(
                f"<b>{path.name}</b>: {table.num_rows:,} rows, {len(self.headers)} columns "
                f"({path.parent})")
            for field, combo in self.mapping.items():
                combo.clear()
                combo.addItem("(choose a column)", "")
                for h in self.headers:
                    combo.addItem(h, h)
                chosen = detected.get(field, "")
                combo.setCurrentIndex(max(0, combo.findData(chosen)) if chosen else 0)
            if problem is not None:
                self.show_error(problem)
            self._update_buttons()

        def failed(exc: BaseException) -> None:
            self.input_path = None
            self.file_label.setText("No file chosen yet.")
            self.show_error(exc)
            self._update_buttons()

        self.ctx.runner.start("flag_file.preview", work, on_done=done, on_error=failed,
                              on_finished=self.progress.finish)
        self._update_buttons()

    def chosen_mapping(self) -> dict[str, str]:
        return {f: str(c.currentData()) for f, c in self.mapping.items() if c.currentData()}

    def _sheet(self) -> str | None:
        return (self.sheet.text().strip() or None) if self.sheet.isEnabled() else None

    # -- validate and export ------------------------------------------------------------------
    def validate(self) -> None:
        """Read and check without writing anything; show the findings."""
        from wizard.flow.export import check_input

        if self.input_path is None:
            return
        path, sheet, mapping = self.input_path, self._sheet(), self.chosen_mapping()
        self.banner.clear()
        self.progress.start(f"Checking {path.name}…")

        def work(state: TaskState) -> Any:
            prepared = check_input(path, sheet, mapping, state)
            return prepared.customers.num_rows, prepared.findings, findings_table(
                prepared.findings)

        def done(value: Any) -> None:
            rows, findings, table = value
            self._show_findings(table)
            if findings.blocking:
                self.banner.show_message(
                    "error", f"{findings.blocking:,} blocking findings in {path.name}: the flag "
                    "file cannot be made until they are fixed in the export. Filter the table "
                    "below by 'Blocking only' to see the rows.")
            else:
                self.banner.show_message(
                    "success", f"{path.name}: {rows:,} customers, no blocking findings"
                    f"{f', {findings.warnings:,} warnings' if findings.warnings else ''}. "
                    "Press Export flag file.")

        self.ctx.runner.start("flag_file", work, on_progress=self.progress.update_progress,
                              on_done=done, on_error=self.show_error,
                              on_finished=self._finished)
        self._update_buttons()

    def export(self) -> None:
        if self.input_path is None:
            self.choose_file()
            return
        path = self.input_path
        self.banner.clear()
        self.progress.start(f"Checking {path.name} and writing the flag file…")
        work = self.ctx.child_work("wizard.flow.export", "export_flags", path, self._sheet(),
                                   self.chosen_mapping())
        self.ctx.runner.start("flag_file", work, on_progress=self.progress.update_progress,
                              on_done=self._exported, on_error=self._export_failed,
                              on_finished=self._finished)
        self._update_buttons()

    def _exported(self, result: dict[str, Any]) -> None:
        output = Path(result["output"])
        warnings = result.get("warnings", 0)
        text = (f"Flag file written: <b>{output.name}</b> with {result['rows']:,} customers"
                f"{f', {warnings:,} warnings (see the findings below)' if warnings else ''}. "
                "Next: send it to Daffron.")
        self.banner.show_message("success", text, "Open folder",
                                 lambda: open_path(output.parent))
        self.summary.setText(f"SHA-256 {result.get('sha256', '')}")
        if result.get("exceptions"):
            self._load_findings(Path(result["exceptions"]))
        self.saved.emit()

    def _export_failed(self, exc: BaseException) -> None:
        action, callback = self.exceptions_action(exc)
        self.show_error(exc, action, callback)
        path = getattr(exc, "result", {}).get("exceptions")
        if path:
            self._load_findings(Path(path))
        self.saved.emit()

    def _load_findings(self, workbook: Path) -> None:
        self.ctx.runner.start("flag_file.findings", lambda _s: read_findings_workbook(workbook),
                              on_done=self._show_findings, on_finished=self._update_buttons)

    def _show_findings(self, table: Any) -> None:
        self.findings.set_table(table)
        self.findings.setVisible(table.num_rows > 0)
        if table.num_rows == 0:
            self.summary.setText("No findings: every row is fine.")

    def cancel(self) -> None:
        for key in self.task_keys():
            self.ctx.runner.cancel(key)

    def _finished(self) -> None:
        self.progress.finish()
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.busy
        ready = self.input_path is not None and not busy
        self.validate_button.setEnabled(ready)
        self.export_button.setEnabled(ready)
        self.drop.setEnabled(not busy)
