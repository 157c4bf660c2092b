"""The verification exceptions workbook: every customer whose enrolment was not preserved,
and every warning about the post-conversion export, one row each.

Built on the shared workbook helpers (`wizard.services.workbook`): text cells only, a frozen
and filtered header row, sheets split past Excel's row limit, written atomically. The rows
come as a table of `wizard.core.verify.EXCEPTION_COLUMNS`, already in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
from openpyxl import Workbook

from wizard.core.verify import EXCEPTION_COLUMNS
from wizard.progress import NullProgress, Progress
from wizard.services.files import atomic_path
from wizard.services.workbook import field_words, header_cells, text_cell, write_rows

HEADERS = ("Row in post export", "Row in customer export", "Old account", "New account",
           "Customer name", "Field", "Before", "After", "Severity", "Rule", "What to do")
WIDTHS = (10, 10, 16, 16, 28, 20, 12, 12, 10, 48, 60)
TEXT = (False, False, True, True, True, True, True, True, True, True, True)
FIELD = EXCEPTION_COLUMNS.index("field")


def _rows(table: pa.Table) -> Iterator[Sequence[Any]]:
    for batch in table.select(list(EXCEPTION_COLUMNS)).to_batches(max_chunksize=20_000):
        for row in zip(*(column.to_pylist() for column in batch.columns)):
            values = list(row)
            values[FIELD] = field_words(str(values[FIELD]))
            yield values


def write_verification_exceptions(path: Path, rows: pa.Table, source: str,
                                  summary: Sequence[tuple[str, str]],
                                  counts: Sequence[tuple[str, str, int]],
                                  progress: Progress | None = None) -> Path:
    """Write the workbook at `path`: a Summary (`summary` label/value lines, then the
    (severity, rule, rows) `counts`) and an Exceptions sheet of `rows`."""
    progress = progress or NullProgress()
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("Summary")
    for column, width in zip("ABC", (24, 70, 10)):
        sheet.column_dimensions[column].width = width
    for label, value in summary:
        sheet.append([text_cell(sheet, label), text_cell(sheet, value), None])
    sheet.append([])
    sheet.append(header_cells(sheet, ["Severity", "Rule", "Rows"]))
    for severity, rule, count in counts:
        sheet.append([text_cell(sheet, severity), text_cell(sheet, rule), count])
    write_rows(wb, "Exceptions", HEADERS, WIDTHS, _rows(rows), rows.num_rows, progress,
               text_columns=TEXT)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path
