"""Step 2, Flag file: choose the portal's customer export, look at it, map its columns,
validate it, and export the flag file; findings in a filterable table."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from wizard.core.vocabulary import TABLE_SUFFIXES
from wizard.errors import ConvWizError, InputError
from wizard.progress import TaskState, check
from wizard.ui import jobs, settings
from wizard.ui.pages.base import PageContext, StepPage
from wizard.ui.views import TableView
from wizard.ui.widgets import DropZone, ProgressPanel, note, open_path, section

if TYPE_CHECKING:
    from wizard.flow.steps.export import FlagFileResult

FIELD_LABELS = {
    "name": "Customer name", "account": "Account number", "email": "Email",
    "paperless": "Paperless", "autopay": "Autopay", "method": "Payment method type",
    "last4": "Last 4",
}
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
SEVERITIES = (("All findings", ""), ("Blocking only", "Blocking"), ("Warnings only", "Warning"))
FINDING_COLUMNS = ("Row", "Field", "Value", "Severity", "Rule", "What to do")
# the findings' field codes in words (the flag file's fields and the cross-reference's sides)
FIELD_WORDS = {**FIELD_LABELS, "old": "Old account", "new": "New account"}
SEVERITY_WORDS = {"blocking": "Blocking", "warning": "Warning"}


def findings_view(parent: QWidget | None = None) -> TableView:
    """The findings table: no numbering beside its Row column, the Rule wide enough to
    read, long text wrapped on two lines and whole in the tooltip."""
    return TableView("Severity", SEVERITIES, parent, row_numbers=False, lines=2, name="Findings",
                     widths={"Row": 70, "Field": 150, "Value": 200, "Severity": 90,
                             "Rule": 340}, fill_last=True)


def readable_findings(table: Any) -> Any:
    """Field and severity codes in words, for the findings table."""
    from wizard.ui.models import relabel

    table = table.set_column(1, "Field", relabel(table.column(1), FIELD_WORDS))
    return table.set_column(3, "Severity", relabel(table.column(3), SEVERITY_WORDS))


def findings_table(findings: Any) -> Any:
    """Findings (columns of lists) as an Arrow table for the view."""
    import pyarrow as pa

    return readable_findings(pa.table({
        "Row": pa.array(["" if r is None else str(r) for r in findings.rows], pa.string()),
        "Field": pa.array(findings.fields, pa.string()),
        "Value": pa.array(findings.values, pa.string()),
        "Severity": pa.array(findings.severities, pa.string()),
        "Rule": pa.array(findings.rules, pa.string()),
        "What to do": pa.array(_window_fixes(findings.fixes), pa.string()),
    }))


def _window_fixes(fixes: list[str]) -> list[str]:
    """Each fix in the window's words (its controls, not the command line's options)."""
    from wizard.core.vocabulary import for_window

    said = {fix: for_window(fix) for fix in set(fixes)}
    return [said[fix] for fix in fixes]


def findings_of(value: Any) -> Any:
    """The findings a child job sent back (`wizard.ui.jobs.FindingsData` as JSON) as the
    findings table, or None. Runs on the worker thread: pyarrow only, no workbook read."""
    if not value:
        return None
    from wizard.ui.jobs import FindingsData

    return findings_table(FindingsData.from_json(value))


def with_findings(work: Any) -> Any:
    """Child work whose answer (or error) carries findings: turn them into the table on
    the worker thread, so the GUI thread only shows it. The work's answer becomes
    (`jobs.Finished`, the findings table or None)."""
    from wizard.errors import ConvWizError

    def run(state: TaskState) -> tuple[jobs.Finished[Any], Any]:
        try:
            finished: jobs.Finished[Any] = work(state)
        except ConvWizError as exc:
            exc.result["findings"] = findings_of(exc.result.get("findings"))
            raise
        found = finished.findings
        return finished, None if found is None else findings_table(found)

    return run


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook, in order (python-calamine, as the reader uses)."""
    from python_calamine import CalamineWorkbook

    from wizard.core.package_bounds import check_package

    check_package(path)  # the library aborts on some workbooks: bounded first
    try:
        return [str(n) for n in CalamineWorkbook.from_path(str(path)).sheet_names]
    except Exception as exc:  # noqa: BLE001 - calamine raises its own assorted errors
        raise InputError(f"{path} is not a readable spreadsheet ({str(exc)[:200]}); save it "
                         "again from Excel as .xlsx, or export it as CSV") from None


def detect_some_columns(headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Field -> column for every field found by its usual header names, and the fields not
    found (the core's own rule, without giving up when one is missing)."""
    from wizard.core.customers import FIELDS, match_columns

    found = match_columns(headers)
    return found, [f for f in FIELDS if f not in found]


def _read_for_preview(path: Path, sheet: str | None, is_sheet: bool,
                      state: TaskState) -> Any:
    """On a worker thread: the workbook's sheets, and the first sheet (or `sheet`) read
    with the columns found; the first problem when nothing could be read."""
    # imported here, on the worker thread: the first import must not hold the window
    from wizard.core.reader import read_table
    from wizard.core.vocabulary import CUSTOMER_HEADERS

    names = sheet_names(path) if is_sheet else []
    # no sheet asked for: the first sheet that has the customers' columns
    tries = [sheet] if sheet or len(names) < 2 else names
    first: tuple[str | None, Any, dict[str, str], list[str]] | None = None
    problem: BaseException | None = None
    for name in tries:
        check(state)
        try:
            table = read_table(path, name, header_hint=CUSTOMER_HEADERS)
        except InputError as exc:
            problem = problem or exc
            continue
        detected, missing = detect_some_columns(list(table.headers))
        if first is None:
            first = (name, table, detected, missing)
        if "account" in detected:
            return names, (name, table, detected, missing), None
    return names, first, problem


class FlagFilePage(StepPage):
    step_id = "flag_file"

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Flag file", "Export every customer's paperless and autopay "
                         "flags for Daffron. Choose the portal's customer export, check the "
                         "columns, then validate and export.", parent)
        self.input_path: Path | None = None
        self.headers: list[str] = []
        self._build_file_section()
        self._build_columns_section()
        self._build_export_section()
        self.validate_button.clicked.connect(self.validate)
        self.export_button.clicked.connect(self.export)
        self.folder_button.clicked.connect(lambda: open_path(self.project.outbox))
        self._update_buttons()

    def _build_file_section(self) -> None:
        """1. The file: the drop zone, the chosen file (and its sheet), the preview."""
        frame, box = section("1. The portal's customer export")
        self.drop = DropZone("Drop the customer export here (CSV or Excel), or choose it.",
                             TABLE_SUFFIXES)
        self.drop.button.clicked.connect(self.choose_file)
        self.drop.file_chosen.connect(self.load_file)
        box.addWidget(self.drop)
        line = QHBoxLayout()
        self.file_label = QLabel("No file chosen yet.")
        self.file_label.setWordWrap(True)
        line.addWidget(self.file_label, 1)
        self.sheet_label = QLabel("&Sheet:")
        line.addWidget(self.sheet_label)
        self.sheet = QComboBox()
        self.sheet_label.setBuddy(self.sheet)
        self.sheet.setMinimumWidth(160)
        self.sheet.setToolTip("The workbook's sheet that holds the customers")
        self.sheet.activated.connect(self._sheet_chosen)
        line.addWidget(self.sheet)
        self.sheet_label.hide()  # shown for a workbook; a CSV has no sheets
        self.sheet.hide()
        box.addLayout(line)
        # narrower columns and the last one taking the rest: a usual export fits the window
        self.preview = TableView(name="Preview of the customer export", max_width=170,
                                 fill_last=True)
        self.preview.setMinimumHeight(220)
        box.addWidget(self.preview)
        self.layout_.addWidget(frame)

    def _build_columns_section(self) -> None:
        """2. The columns: which column holds what, and what is missing."""
        frame, box = section("2. Which column holds what")
        box.addWidget(note("Found by the usual header names; change any that is wrong."))
        grid = QGridLayout()
        self.mapping: dict[str, QComboBox] = {}
        for i, (field, label) in enumerate(FIELD_LABELS.items()):
            combo = QComboBox()
            combo.setMinimumWidth(200)
            combo.currentIndexChanged.connect(self._mapping_changed)
            self.mapping[field] = combo
            caption = QLabel(f"{label}:")
            caption.setBuddy(combo)
            grid.addWidget(caption, i // 2, (i % 2) * 2)
            grid.addWidget(combo, i // 2, (i % 2) * 2 + 1)
        grid.setColumnStretch(4, 1)
        box.addLayout(grid)
        self.mapping_note = QLabel()
        self.mapping_note.setWordWrap(True)
        self.mapping_note.setStyleSheet("color: #7a4d00;")
        self.mapping_note.hide()
        box.addWidget(self.mapping_note)
        self.layout_.addWidget(frame)

    def _build_export_section(self) -> None:
        """3. Validate and export: the buttons, progress, the summary and findings."""
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
        self.findings = findings_view()
        self.findings.setMinimumHeight(220)
        self.findings.hide()
        box.addWidget(self.findings)
        self.layout_.addWidget(frame)

    def task_keys(self) -> tuple[str, ...]:
        return ("flag_file", "flag_file.preview", "flag_file.findings")

    # -- the file -----------------------------------------------------------------------------
    def choose_file(self) -> None:
        path = self.ask_for_table("Choose the customer export", "export")
        if path:
            self.load_file(path)

    def load_file(self, path: Path, sheet: str | None = None) -> None:
        """Read the export (of a workbook: `sheet`, else its first sheet) for the preview,
        list a workbook's sheets, and pre-fill the column mapping with what was found."""
        path = Path(path)
        settings.remember_folder("export", path)
        self.input_path = path
        self.banner.clear()
        self.findings.hide()
        self.summary.clear()
        is_sheet = path.suffix.lower() in SPREADSHEETS
        if is_sheet:
            # the reader may use openpyxl for a workbook's number formats: its first import
            # happens here, on the GUI thread, never on a worker while the window runs
            import openpyxl  # noqa: F401
        self.sheet_label.setVisible(is_sheet)
        self.sheet.setVisible(is_sheet)
        if not is_sheet:
            self.sheet.clear()
        where = f"{path.name}, sheet {sheet}" if sheet else path.name
        self.file_label.setText(f"Reading {where}…")
        self.progress.start(f"Reading {where} for the preview…")

        self.ctx.runner.start(
            "flag_file.preview", lambda state: _read_for_preview(path, sheet, is_sheet, state),
            on_done=lambda value: self._preview_loaded(path, sheet, value),
            on_error=self._preview_failed, on_finished=self.progress.finish)
        self._update_buttons()

    def _preview_loaded(self, path: Path, sheet: str | None, value: Any) -> None:
        names, read, problem = value
        self.sheet.blockSignals(True)
        self.sheet.clear()
        self.sheet.addItems(names)
        chosen = read[0] if read is not None else sheet
        if names:
            self.sheet.setCurrentIndex(max(0, self.sheet.findText(chosen or names[0])))
        self.sheet.blockSignals(False)
        if read is None:  # no readable sheet (or file): the PM may pick another sheet
            self.headers = []
            self.preview.set_table(pa_empty())
            self.file_label.setText(f"<b>{escape(path.name)}</b> cannot be used as it is.")
            for combo in self.mapping.values():
                combo.clear()
            self._mapping_changed()
            if problem is not None:
                self.show_error(problem)
            self._update_buttons()
            return
        _name, table, detected, missing = read
        self.headers = list(table.data.column_names)
        self.preview.set_table(table.data, table.row_numbers)
        shown = f"<b>{escape(path.name)}</b>"
        if self._sheet():
            shown += f", sheet <b>{escape(str(self._sheet()))}</b>"
        self.file_label.setText(
            f"{shown}: {table.num_rows:,} rows, {len(self.headers)} columns "
            f"({escape(str(path.parent))})")
        for field, combo in self.mapping.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("(choose a column)", "")
            for h in self.headers:
                combo.addItem(h, h)
            chosen = detected.get(field, "")
            combo.setCurrentIndex(max(0, combo.findData(chosen)) if chosen else 0)
            combo.blockSignals(False)
        self._mapping_changed()
        if missing and not detected:  # not one column of a customer export
            from wizard.core.recognition import shares_no_column_message

            said = shares_no_column_message(path.name, self.headers, "customer_export")
            self.banner.show_message("warning", said.replace(
                "--map FIELD=HEADER", "the column choices under '2. Which column holds what'"))
            self.mapping[missing[0]].setFocus()
        elif missing:
            words = _join([FIELD_LABELS[f] for f in missing])
            self.banner.show_message(
                "warning", f"{path.name}: no column found for {words}. The other columns "
                f"are filled in; choose the column that holds {words} under '2. Which "
                "column holds what'.")
            self.mapping[missing[0]].setFocus()
        self._update_buttons()

    def _preview_failed(self, exc: BaseException) -> None:
        self.input_path = None
        self.headers = []
        self.file_label.setText("No file chosen yet.")
        self.show_error(exc)
        self._update_buttons()

    def _sheet_chosen(self, _index: int) -> None:
        if self.input_path is not None and self.sheet.currentText():
            self.load_file(self.input_path, self.sheet.currentText())

    def missing_fields(self) -> list[str]:
        """The fields no column is chosen for yet."""
        return [f for f, c in self.mapping.items() if not c.currentData()]

    def _mapping_changed(self, _index: int = 0) -> None:
        missing = self.missing_fields() if self.headers else []
        for field, combo in self.mapping.items():
            combo.setStyleSheet("QComboBox { border: 2px solid #c77700; border-radius: 3px; }"
                                if field in missing else "")
        if missing:
            self.mapping_note.setText(
                f"⚠ Still to choose: {_join([FIELD_LABELS[f] for f in missing])}. Validate "
                "and Export wait until every field has its column.")
        elif self.banner.kind == "warning" and "no column found" in self.banner.text():
            self.banner.clear()
        self.mapping_note.setVisible(bool(missing))
        self._update_buttons()

    def chosen_mapping(self) -> dict[str, str]:
        return {f: str(c.currentData()) for f, c in self.mapping.items() if c.currentData()}

    def _sheet(self) -> str | None:
        return (self.sheet.currentText() or None) if self.sheet.count() else None

    # -- validate and export ------------------------------------------------------------------
    def validate(self) -> None:
        """Read and check without writing anything; show the findings."""
        from wizard.flow.steps.export import check_input

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
            self.reveal(self.findings if self.findings.isVisibleTo(self) else self.summary)

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
        work = with_findings(self.ctx.child_work(jobs.export_flags, path,
                                                 self._sheet(), self.chosen_mapping()))
        self.ctx.runner.start("flag_file", work, on_progress=self.progress.update_progress,
                              on_done=self._exported, on_error=self._export_failed,
                              on_finished=self._finished)
        self._update_buttons()

    def _exported(self, answer: tuple[jobs.Finished[FlagFileResult], Any]) -> None:
        finished, table = answer
        result = finished.result
        output = Path(str(result.output))
        warnings = result.warnings
        if table is not None:
            self._show_findings(table)
        if self.cancel_too_late(finished, "the flag file", output.name):
            self.saved.emit()
            return
        rows = f"{result.rows:,} customer{'' if result.rows == 1 else 's'}"
        text = (f"Flag file written: <b>{escape(output.name)}</b> with {rows}, in "
                f"{escape(str(output.parent))}"
                f"{f', {warnings:,} warnings (see the findings below)' if warnings else ''}. "
                "Next: send it to Daffron.")
        self.banner.show_message("success", text, "Open folder",
                                 lambda: open_path(output.parent))
        # beside the findings, where the page scrolls to: what, how many, where, the digest
        self.summary.setText(f"Flag file written: {output.name} with {rows}, in "
                             f"{output.parent}. SHA-256 {result.sha256 or ''}")
        self.reveal(self.findings if self.findings.isVisibleTo(self) else self.summary)
        self.saved.emit()

    def _export_failed(self, exc: BaseException) -> None:
        action, callback = self.exceptions_action(exc)
        self.show_error(exc, action, callback)
        table = exc.result.get("findings") if isinstance(exc, ConvWizError) else None
        if table is not None:
            self._show_findings(table)
        self.saved.emit()

    def _show_findings(self, table: Any) -> None:
        self.findings.set_table(table)
        self.findings.setVisible(table.num_rows > 0)
        if table.num_rows == 0:
            self.summary.setText("No findings: every row is fine.")

    def _update_buttons(self) -> None:
        busy = self.busy
        wait = self.other_work()
        ready = (self.input_path is not None and not busy and bool(self.headers)
                 and not self.missing_fields() and not wait)
        self.validate_button.setEnabled(ready)
        self.export_button.setEnabled(ready)
        self.export_button.setToolTip(wait)
        self.drop.setEnabled(not busy)
        self.sheet.setEnabled(not busy and self.sheet.count() > 1)


def pa_empty() -> Any:
    import pyarrow as pa

    return pa.table({})


def _join(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
