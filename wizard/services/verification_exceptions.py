"""The verification exceptions workbook: every customer whose enrolment was not preserved,
and every warning about the post-conversion export, one row each.

Written by the shared writer (`wizard.services.workbook.Book`): text cells only, a frozen
and filtered header row repeated on every printed page, fit to width, sheets split past
Excel's row limit, written atomically. The rows come as a table of
`wizard.core.verify.EXCEPTION_COLUMNS`, already in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.findings import BLOCKING
from wizard.core.verify import EXCEPTION_COLUMNS
from wizard.progress import NullProgress, Progress
from wizard.services.workbook import FIELD_WORDS, Book, Column, TableSheet, clean_text

COLUMNS = [
    Column("Row in post export", 9, "int"), Column("Row in customer export", 9, "int"),
    Column("Old account", 13), Column("New account", 13),
    Column("Customer name", 20, wrap=True), Column("Field", 14), Column("Before", 9),
    Column("After", 9), Column("Severity", 9), Column("Rule", 34, wrap=True),
    Column("What to do", 40, wrap=True),
]
HEADERS = tuple(c.header for c in COLUMNS)
FIELD = EXCEPTION_COLUMNS.index("field")


def _readable(rows: pa.Table) -> pa.Table:
    table = rows.select(list(EXCEPTION_COLUMNS))
    fields = pc.cast(table.column(FIELD), pa.string())
    where = pc.index_in(fields, value_set=pa.array(list(FIELD_WORDS), pa.string()))
    words = pc.coalesce(pc.take(pa.array(list(FIELD_WORDS.values()), pa.string()), where),
                        fields)
    return table.set_column(FIELD, "field", words)


def write_verification_exceptions(path: Path, rows: pa.Table, source: str,
                                  summary: Sequence[tuple[str, str]],
                                  counts: Sequence[tuple[str, str, int]],
                                  progress: Progress | None = None,
                                  biller: str = "") -> Path:
    """Write the workbook at `path`: a Summary (`summary` label/value lines, then the
    (severity, rule, rows) `counts`) and an Exceptions sheet of `rows`."""
    progress = progress or NullProgress()
    book = Book(biller or "Verification")
    f = book.formats
    ws = book.sheet("Summary")
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 10)
    ws.write_string(0, 0, "Verification: exceptions", f["title"])
    r = 2
    for label, value in [("File checked", source), *summary]:
        ws.write_string(r, 0, clean_text(str(label)), f["label"])
        ws.write_string(r, 1, clean_text(str(value)), f["value"])
        r += 1
    ws.write_string(r, 0, "Written", f["label"])
    ws.write_datetime(r, 1, datetime.now().replace(microsecond=0), f["datetime"])
    r += 2
    ws.write_row(r, 0, ["Severity", "Rule", "Rows"], f["header"])
    head = r
    for severity, rule, count in counts:
        r += 1
        ws.write_string(r, 0, severity, f["bad"] if severity == BLOCKING else f["value"])
        ws.write_string(r, 1, clean_text(rule))
        ws.write_number(r, 2, count, f["int"])
    book.print_setup(ws, landscape=False)
    ws.repeat_rows(head)
    ws.fit_to_pages(1, 0)
    book.table_sheet(TableSheet("Exceptions", COLUMNS, _readable(rows), "Nothing found",
                                landscape=True))
    book.save(path, progress, lambda _part: "writing the verification exceptions")
    return path
