"""Exceptions workbooks and shared workbook helpers (openpyxl, write-only).

Every value taken from the data is written as a text cell: openpyxl turns any string that
starts with `=` into a formula unless told otherwise, so cells are built explicitly with
`data_type = "s"`. Card numbers reach this module already masked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from wizard.core.findings import Findings
from wizard.progress import NullProgress, Progress, check
from wizard.services.files import atomic_path

MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows less the header
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
BLOCKING_FILL = PatternFill("solid", fgColor="F8D7DA")


def text_cell(ws: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """A cell whose value is text, never a formula, whatever it starts with."""
    cell = WriteOnlyCell(ws, value=None)
    if value is None:
        return cell
    cell.value = str(value)
    cell.data_type = "s"
    return cell


def header_cells(ws: WriteOnlyWorksheet, headers: Sequence[str]) -> list[WriteOnlyCell]:
    cells = []
    for h in headers:
        c = WriteOnlyCell(ws, value=h)
        c.font = HEADER_FONT
        c.fill = HEADER_FILL
        c.alignment = Alignment(vertical="center")
        cells.append(c)
    return cells


def start_table_sheet(wb: Workbook, title: str, headers: Sequence[str],
                      widths: Sequence[int]) -> WriteOnlyWorksheet:
    """A write-only sheet with a frozen, filtered header row and readable widths."""
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}1"
    ws.append(header_cells(ws, headers))
    return ws


def write_rows(wb: Workbook, title: str, headers: Sequence[str], widths: Sequence[int],
               rows: Iterable[Sequence[Any]], total: int, progress: Progress,
               text_columns: Sequence[bool] | None = None) -> int:
    """Write rows to one sheet, or several (`title (2)`, ...) past Excel's row limit."""
    part, written, in_sheet = 1, 0, 0
    ws = start_table_sheet(wb, title, headers, widths)
    for row in rows:
        if in_sheet == MAX_DATA_ROWS:
            part += 1
            in_sheet = 0
            ws = start_table_sheet(wb, f"{title} ({part})"[:31], headers, widths)
        if text_columns is None:
            ws.append([text_cell(ws, v) for v in row])
        else:
            ws.append([text_cell(ws, v) if t else v for v, t in zip(row, text_columns)])
        written += 1
        in_sheet += 1
        if written % 50_000 == 0:
            check(progress)
            progress.report(written, total, f"writing {title}")
    return written


# the words a person reads for the fields the checks name (a file's own column names, such
# as "Notes", are shown as they are)
FIELD_WORDS = {
    "name": "Customer name", "account": "Account number", "email": "Email",
    "paperless": "Paperless", "autopay": "Autopay", "method": "Payment method type",
    "last4": "Last 4", "old": "Old account number", "new": "New account number",
}


def field_words(field: str) -> str:
    return FIELD_WORDS.get(field, field)


def write_exceptions(path: Path, findings: Findings, source: str, step: str,
                     progress: Progress | None = None) -> Path:
    """The exceptions workbook: one row per finding, blocking first, written atomically."""
    progress = progress or NullProgress()
    wb = Workbook(write_only=True)
    summary = wb.create_sheet("Summary")
    summary.column_dimensions["A"].width = 14
    summary.column_dimensions["B"].width = 70
    summary.column_dimensions["C"].width = 10
    summary.append(header_cells(summary, ["Severity", "Rule", "Rows"]))
    summary.append([text_cell(summary, "source"), text_cell(summary, source), None])
    summary.append([text_cell(summary, "step"), text_cell(summary, step), None])
    for severity, rule, count in findings.rules_summary():
        summary.append([text_cell(summary, severity), text_cell(summary, rule), count])
    ordered = findings.sorted()
    rows = (
        (f.row, field_words(f.field), f.value, f.severity, f.rule, f.fix)
        for f in ordered
    )
    write_rows(
        wb, "Findings", ["Row", "Field", "Value", "Severity", "Rule", "What to do"],
        [8, 14, 30, 10, 48, 70], rows, len(ordered), progress,
        text_columns=[False, True, True, True, True, True],
    )
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path

