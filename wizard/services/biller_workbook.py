"""The biller workbook on disk (openpyxl, write-only): the Summary with its chart, then one
table sheet per list (Account Mapping, Exceptions, Re-registration, Checklist, Audit).

Every value taken from the data is text and stays text. openpyxl turns a string starting
with `=` into a formula and one equal to an error code (`#N/A`) into an error cell, and
refuses control characters; so each batch of rows is screened column-wise with pyarrow
first, and only the rare rows holding such a value are written cell by cell as explicit
text cells (`data_type = "s"`, control characters removed). Every other row goes to
openpyxl as plain strings, which it writes as inline text: that keeps the workbook within a
whisker of bare openpyxl write-only speed. Sheets past Excel's row limit continue on
`Title (2)`, ... Header rows are frozen and filtered, columns sized for reading.

Arguments are plain data (dataclasses of pyarrow tables and strings), so the GUI may run
this in another process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from wizard.progress import NullProgress, Progress, check
from wizard.services.files import atomic_path
from wizard.services.workbook import MAX_DATA_ROWS, header_cells

SHEETS = ("Summary", "Account Mapping", "Exceptions", "Re-registration", "Checklist", "Audit")
BATCH_ROWS = 20_000
_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
NOTE_FONT = Font(italic=True, color="7F7F7F")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)


@dataclass
class TableSheet:
    """One list sheet: headers, column widths, and the rows as a pyarrow table whose
    columns are in header order (text columns are written as text, int columns as
    numbers). `note` is shown instead of rows when there are none."""

    title: str
    headers: list[str]
    widths: list[int]
    table: pa.Table | None = None
    note: str = ""


@dataclass
class Summary:
    title: str
    lines: list[tuple[str, Any]]  # label, value (text or number); ("", "") for a gap
    chart_rows: list[tuple[str, int, int | None]]  # measure, before, after (None: unknown)
    notes: list[str] = field(default_factory=list)


def safe_text_cell(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """A value as openpyxl must see it to keep it data: text cells stay text."""
    if value is None or not isinstance(value, str):
        return value
    cell = WriteOnlyCell(ws, value=None)
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.data_type = "s"
    return cell


def _risky_rows(batch: pa.RecordBatch) -> list[int]:
    """Rows of the batch holding a value openpyxl would not keep as plain text."""
    mask = None
    for col in batch.columns:
        if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
            continue
        col = pc.fill_null(col, "")
        hit = pc.or_(
            pc.or_(pc.starts_with(col, "="), pc.is_in(col, value_set=pa.array(ERROR_CODES))),
            pc.match_substring_regex(col, _ILLEGAL),
        )
        mask = hit if mask is None else pc.or_(mask, hit)
    if mask is None:
        return []
    return [int(i) for i in pc.indices_nonzero(mask).to_pylist()]


def _start_sheet(wb: Workbook, title: str, headers: Sequence[str],
                 widths: Sequence[int]) -> WriteOnlyWorksheet:
    ws = wb.create_sheet(title[:31])
    ws.freeze_panes = "A2"
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.append(header_cells(ws, headers))
    return ws


def _finish_sheet(ws: WriteOnlyWorksheet, ncols: int, rows: int) -> None:
    # the filter covers the data, so Excel filters all of it; written at close
    ws.auto_filter.ref = f"A1:{get_column_letter(max(ncols, 1))}{rows + 1}"


def write_table_sheet(wb: Workbook, sheet: TableSheet, progress: Progress, done: int = 0,
                      total: int = 0) -> list[str]:
    """Write one list sheet (split past Excel's row limit); return the sheet titles."""
    ncols = len(sheet.headers)
    ws = _start_sheet(wb, sheet.title, sheet.headers, sheet.widths)
    titles = [ws.title]
    table = sheet.table
    if table is None or table.num_rows == 0:
        if sheet.note:
            note = WriteOnlyCell(ws, value=sheet.note)
            note.data_type = "s"
            note.font = NOTE_FONT
            ws.append([note])
        _finish_sheet(ws, ncols, 1 if sheet.note else 0)
        return titles
    part, in_sheet = 1, 0
    for batch in table.to_batches(max_chunksize=BATCH_ROWS):
        check(progress)
        risky = set(_risky_rows(batch))
        columns = [c.to_pylist() for c in batch.columns]
        for i, row in enumerate(zip(*columns)):
            if in_sheet == MAX_DATA_ROWS:
                _finish_sheet(ws, ncols, in_sheet)
                part += 1
                in_sheet = 0
                ws = _start_sheet(wb, f"{sheet.title} ({part})", sheet.headers, sheet.widths)
                titles.append(ws.title)
            if i in risky:
                ws.append([safe_text_cell(ws, v) for v in row])
            else:
                ws.append(row)
            in_sheet += 1
        done += batch.num_rows
        progress.report(done, total, f"writing {sheet.title}")
    _finish_sheet(ws, ncols, in_sheet)
    return titles


def _summary_sheet(wb: Workbook, summary: Summary) -> None:
    ws = wb.create_sheet("Summary")
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 44
    ws.column_dimensions["C"].width = 14
    title = WriteOnlyCell(ws, value=None)
    title.value = summary.title
    title.data_type = "s"
    title.font = TITLE_FONT
    ws.append([title])
    ws.append([])
    row = 2
    for label, value in summary.lines:
        row += 1
        if not label:
            ws.append([])
            continue
        head = WriteOnlyCell(ws, value=None)
        head.value = label
        head.data_type = "s"
        head.font = BOLD
        ws.append([head, safe_text_cell(ws, value) if isinstance(value, str) else value])
    ws.append([])
    row += 1
    # the chart's data: a small table the chart points at
    ws.append(header_cells(ws, ["Enrolment", "Before go-live", "After go-live"]))
    row += 1
    first = row + 1
    for measure, before, after in summary.chart_rows:
        ws.append([safe_text_cell(ws, measure), before, after])
        row += 1
    last = row
    if summary.notes:
        ws.append([])
        row += 1
        for note in summary.notes:
            cell = WriteOnlyCell(ws, value=None)
            cell.value = note
            cell.data_type = "s"
            cell.font = NOTE_FONT
            ws.append([cell])
            row += 1
    chart = BarChart()
    chart.type = "col"
    chart.title = "Autopay and paperless, before and after go-live"
    chart.y_axis.title = "Customers"
    chart.height, chart.width = 8, 16
    data = Reference(ws, min_col=2, max_col=3, min_row=first - 1, max_row=last)
    cats = Reference(ws, min_col=1, min_row=first, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    ws.add_chart(chart, "E3")


def write_biller_workbook(path: Path, summary: Summary, sheets: Sequence[TableSheet],
                          progress: Progress | None = None) -> dict[str, Any]:
    """Write the workbook atomically (0600). Returns the sheet titles and row counts."""
    progress = progress or NullProgress()
    total = sum(s.table.num_rows for s in sheets if s.table is not None)
    wb = Workbook(write_only=True)
    titles = ["Summary"]
    rows: dict[str, int] = {}
    done = 0
    try:
        _summary_sheet(wb, summary)
        for sheet in sheets:
            titles.extend(write_table_sheet(wb, sheet, progress, done, total))
            n = sheet.table.num_rows if sheet.table is not None else 0
            rows[sheet.title] = n
            done += n
        check(progress)
        progress.report(total, total, f"saving {path.name}")
        with atomic_path(path) as tmp:
            wb.save(tmp)
    except BaseException:
        _discard(wb)
        raise
    return {"sheets": titles, "rows": rows}


def _discard(wb: Workbook) -> None:
    """Close an abandoned write-only workbook in order and remove its temporary files
    (they hold customer data; left to the garbage collector they linger and complain)."""
    for ws in wb.worksheets:
        with contextlib.suppress(Exception):
            if not ws.closed:
                ws.close()
        writer = getattr(ws, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.cleanup()
