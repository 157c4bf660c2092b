"""The workbook writer every workbook goes through (the biller workbook, the exceptions
workbooks): xlsxwriter for the package, the small sheets, the chart and the print setup;
the rows of the table sheets built column-wise with pyarrow and spliced in.

Why two writers make one file (DESIGN.md, Workbooks, has the measurements): xlsxwriter
writes a correct package with everything a biller prints (print titles, fit to width,
landscape, footers, frozen and filtered headers, charts, date formats), but writing a
million rows through it, or through openpyxl, costs Python calls per cell. So each table
sheet is first written by xlsxwriter with its header row only, and every setting that
depends on the row count (the filter's range, the sheet's dimension) sized for the rows to
come. When xlsxwriter has closed the package (in memory: it writes no temporary file), the
package is copied into the output file entry by entry, and each table sheet's XML gets its
rows inserted before `</sheetData>`. The rows are built a batch at a time by pyarrow string
kernels (no Python loop per row): text as inline strings (`t="inlineStr"`: text, never a
formula or an error value, whatever it starts with), XML-escaped, characters XML forbids
removed; whole numbers as numbers; dates and times as date cells (Excel serial numbers with
a date format). Nothing is spooled to disk: the only file written is the output's own
temporary (beside it, 0600, renamed over it at the end, removed on Cancel or error). A
workbook saved with a password is built in memory and only its encryption is written.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from wizard.core.arrays import row_numbers
from wizard.core.findings import BLOCKING, Findings
from wizard.progress import NullProgress, Progress, check
from wizard.services import office_crypto
from wizard.services.files import atomic_output

MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows less the header
BATCH_ROWS = 32_768
COMPRESS_LEVEL = 1  # deflate level: 1 is 2x faster than 6 for a file 25% larger
HEADER_COLOR = "#1F4E79"
FONT_SIZE = 9  # with 12-point rows: a 2,000-customer workbook prints on few pages
ROW_POINTS = 12
DENSE_ROWS_PER_PAGE = 80
WRAP_CHARS = 1.0  # characters of prose a column holds per unit of width, at FONT_SIZE
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
EXCEL_EPOCH_DAYS = 25_569  # days from 1899-12-30 (Excel's day 0) to 1970-01-01
# characters XML 1.0 does not allow (tab, newline and carriage return are allowed)
_NOT_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
_NOT_XML_RE = re.compile(_NOT_XML)

Kind = Literal["text", "int", "date", "datetime"]


@dataclass(frozen=True)
class Column:
    """One column of a table sheet: its header (plain words), width in characters, and
    what its cells are (`text`: a text cell always; `int`: a number; `date`/`datetime`: a
    date cell, from a pyarrow date32 or a naive local timestamp)."""

    header: str
    width: float
    kind: Kind = "text"
    wrap: bool = False  # long prose (a reason, a fix): wrapped within the column


@dataclass
class TableSheet:
    """One list sheet: its columns, and its rows as a pyarrow table whose columns are in
    the same order. `note` is shown instead of rows when there are none. Wider than a
    portrait page (or `landscape=True`) prints landscape."""

    title: str
    columns: list[Column]
    table: pa.Table | None = None
    note: str = ""
    landscape: bool | None = None
    # a long list printed as a directory is: DENSE_ROWS_PER_PAGE rows to a page (so a
    # 2,000-customer workbook stays within 60 pages), not one row per 12 points
    dense: bool = False

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def rows(self) -> int:
        return self.table.num_rows if self.table is not None else 0


@dataclass
class _Splice:
    part: str  # xl/worksheets/sheetN.xml
    table: pa.Table
    columns: list[Column]
    styles: list[int]


@dataclass
class Book:
    """A workbook being written: add sheets, then `save`. `biller` goes in every footer."""

    biller: str
    book: Any = field(init=False)
    formats: dict[str, Format] = field(init=False)
    _splices: list[_Splice] = field(default_factory=list, init=False)
    titles: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self._buffer, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False, "remove_timezone": True,
        })
        b = self.book
        b.formats[0].set_font_size(FONT_SIZE)

        def fmt(**props: Any) -> Format:
            return b.add_format({"font_size": FONT_SIZE, **props})

        self.add_format = fmt
        self.formats = {
            "header": fmt(**{"bold": True, "font_color": "#FFFFFF",
                                    "bg_color": HEADER_COLOR, "valign": "vcenter",
                                    "text_wrap": True, "border": 1}),
            "wrap": fmt(num_format="@", text_wrap=True, valign="top"),
            "text": fmt(**{"num_format": "@", "valign": "top"}),
            "int": fmt(**{"num_format": "#,##0"}),
            "plain_int": fmt(**{"num_format": "0", "valign": "top"}),
            "date": fmt(**{"num_format": DATE_FORMAT, "align": "left", "valign": "top"}),
            "datetime": fmt(**{"num_format": DATETIME_FORMAT, "align": "left",
                               "valign": "top"}),
            "note": fmt(**{"italic": True, "font_color": "#595959"}),
            "title": fmt(**{"bold": True, "font_size": 15}),
            "label": fmt(**{"bold": True}),
            "value": fmt(**{"align": "left"}),
            "value_int": fmt(**{"num_format": "#,##0", "align": "left"}),
            "bad": fmt(bold=True, align="left", font_color="#9C0006", bg_color="#FFC7CE"),
            "good": fmt(bold=True, align="left", font_color="#006100", bg_color="#C6EFCE"),
            "section": fmt(**{"bold": True, "font_size": 11, "bottom": 1}),
        }

    # -- page setup -------------------------------------------------------------------------
    def footer(self, ws: Worksheet) -> None:
        """Biller on the left, sheet in the middle, page of pages on the right."""
        biller = self.biller.replace("&", "&&")[:80]
        ws.set_footer(f"&L{biller}&C&A&RPage &P of &N", {"margins": 0.3})

    def print_setup(self, ws: Worksheet, landscape: bool) -> None:
        if landscape:
            ws.set_landscape()
        ws.set_paper(1)  # US Letter (the biller's): A4 prints it too, scaled
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        self.footer(ws)

    def sheet(self, title: str) -> Worksheet:
        ws = self.book.add_worksheet(title[:31])
        self.titles.append(ws.name)
        return ws

    # -- table sheets -----------------------------------------------------------------------
    def table_sheet(self, sheet: TableSheet, max_rows: int | None = None) -> list[str]:
        """A list sheet (continued on `Title (2)`, ... past Excel's row limit): header row
        repeated on every printed page, frozen and filtered; fit to the page's width."""
        limit = max_rows or MAX_DATA_ROWS
        n = sheet.rows
        starts = list(range(0, n, limit)) or [0]
        titles = []
        for part, start in enumerate(starts, start=1):
            title = sheet.title if part == 1 else f"{sheet.title} ({part})"
            count = min(limit, n - start)
            ws = self._table_part(sheet, title[:31], count)
            titles.append(ws.name)
            if count and sheet.table is not None:
                styles = [self._style(c.kind, c.wrap) for c in sheet.columns]
                self._splices.append(_Splice(f"xl/worksheets/sheet{ws.index + 1}.xml",
                                             sheet.table.slice(start, count), sheet.columns,
                                             styles))
        return titles

    def _style(self, kind: Kind, wrap: bool = False) -> int:
        fmt = self.formats["wrap" if wrap else "plain_int" if kind == "int" else kind]
        return int(fmt._get_xf_index())

    def _table_part(self, sheet: TableSheet, title: str, rows: int) -> Worksheet:
        ws = self.sheet(title)
        ncols = len(sheet.columns)
        width = sum(c.width for c in sheet.columns)
        landscape = sheet.landscape if sheet.landscape is not None else width > 95
        for j, col in enumerate(sheet.columns):
            fmt = (self.formats["wrap"] if col.wrap else
                   self.formats["text"] if col.kind == "text" else None)
            ws.set_column(j, j, col.width, fmt)
        if not any(c.wrap for c in sheet.columns):
            # a fixed height prints dense lists evenly; rows with wrapped prose keep the
            # automatic height, so Excel and LibreOffice grow them to fit
            ws.set_default_row(ROW_POINTS)
        ws.set_row(0, 30 if any(len(c.header) > c.width for c in sheet.columns) else 18)
        for j, col in enumerate(sheet.columns):
            ws.write_string(0, j, col.header, self.formats["header"])
        if rows == 0 and sheet.note:
            ws.write_string(1, 0, sheet.note, self.formats["note"])
        last = max(rows, 1 if sheet.note else 0)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, last, max(ncols - 1, 0))
        self.print_setup(ws, landscape)
        ws.repeat_rows(0)
        tall = -(-(rows + 1) // DENSE_ROWS_PER_PAGE) if sheet.dense else 0
        ws.fit_to_pages(1, min(tall, 32_767))
        ws.hide_gridlines(0)
        ws.print_area(0, 0, last, max(ncols - 1, 0))
        return ws

    # -- saving -----------------------------------------------------------------------------
    def save(self, path: Path, progress: Progress | None = None,
             message: Callable[[str], str] | None = None,
             password: str | None = None) -> list[str]:
        """Write the package to `path` atomically (0600); return the sheet titles.

        With `password` the package is built in memory and only its encryption (ECMA-376
        agile, AES-256: `services.office_crypto`) is written: the plain workbook never
        touches the disk."""
        progress = progress or NullProgress()
        if password is None:
            with atomic_output(path) as (handle, _tmp):
                self._write_package(handle, progress, message)
            return list(self.titles)
        plain = io.BytesIO()
        self._write_package(plain, progress, message)
        check(progress)
        progress.report(0, 0, f"encrypting {path.name}")
        encrypted = office_crypto.encrypt(plain, password)
        plain = io.BytesIO()  # let the plain package go before the encrypted one is written
        with atomic_output(path) as (handle, _tmp):
            handle.write(encrypted)
        return list(self.titles)

    def _write_package(self, handle: IO[bytes], progress: Progress,
                       message: Callable[[str], str] | None) -> None:
        total = sum(s.table.num_rows for s in self._splices)
        self.book.close()
        package = zipfile.ZipFile(io.BytesIO(self._buffer.getvalue()))
        splices = {s.part: s for s in self._splices}
        done = 0
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED,
                             compresslevel=COMPRESS_LEVEL) as out:
            for info in package.infolist():
                data = package.read(info.filename)
                splice = splices.get(info.filename)
                if splice is None:
                    out.writestr(info.filename, data)
                    continue
                head, tail = _split_sheet(data, splice)
                with out.open(info.filename, "w", force_zip64=True) as entry:
                    entry.write(head)
                    first = 2
                    for batch in splice.table.to_batches(max_chunksize=BATCH_ROWS):
                        check(progress)
                        entry.write(rows_xml(batch, first, splice.columns, splice.styles))
                        first += batch.num_rows
                        done += batch.num_rows
                        progress.report(done, total,
                                        message(splice.part) if message else "writing rows")
                    entry.write(tail)

    def discard(self) -> None:
        """Forget an abandoned workbook (it holds no file: nothing to remove)."""
        self._buffer = io.BytesIO()
        self._splices.clear()


def _split_sheet(xml: bytes, splice: _Splice) -> tuple[bytes, bytes]:
    """The sheet's XML before and after the point where its rows go; the dimension grown
    to cover them."""
    at = xml.rindex(b"</sheetData>")
    head, tail = xml[:at], xml[at:]
    last = column_letter(len(splice.columns) - 1) + str(splice.table.num_rows + 1)
    head = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>'.encode(),
                  head, count=1)
    return head, tail


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def xml_text(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text made safe for an XML text node: forbidden characters dropped, & < > escaped."""
    column = pc.fill_null(pc.cast(column, pa.string()), "")
    if pc.any(pc.match_substring_regex(column, _NOT_XML)).as_py():
        column = pc.replace_substring_regex(column, _NOT_XML, "")
    if pc.any(pc.match_substring_regex(column, "[&<>]")).as_py():
        column = pc.replace_substring(column, "&", "&amp;")
        column = pc.replace_substring(column, "<", "&lt;")
        column = pc.replace_substring(column, ">", "&gt;")
    return column


def _serial(column: pa.Array, kind: Kind) -> pa.Array:
    """Dates and naive (local) timestamps as Excel serial day numbers, as text."""
    if kind == "date":
        days = pc.cast(pc.cast(column, pa.date32()), pa.int32())
        return pc.cast(pc.add(pc.cast(days, pa.int64()), EXCEL_EPOCH_DAYS), pa.string())
    seconds = pc.cast(pc.cast(column, pa.timestamp("s")), pa.int64())
    serial = pc.add(pc.divide(pc.cast(seconds, pa.float64()), 86_400.0), EXCEL_EPOCH_DAYS)
    return pc.cast(pc.round(serial, 8), pa.string())


def rows_xml(batch: pa.RecordBatch, first_row: int, columns: Sequence[Column],
             styles: Sequence[int]) -> memoryview:
    """The `<row>` elements of one batch, built column-wise; returned as one buffer."""
    n = batch.num_rows
    numbers = pc.cast(row_numbers(first_row, n), pa.string())
    parts: list[Any] = [pc.binary_join_element_wise('<row r="', numbers, '"', "")]
    wrapped = [(col, column) for col, column in zip(columns, batch.columns) if col.wrap]
    if wrapped:
        # the height each row needs for its wrapped prose, set on the row: LibreOffice does
        # not measure rows when it opens a file, and a row too short hides its text
        lines = None
        for col, column in wrapped:
            length = pc.fill_null(pc.utf8_length(pc.cast(column, pa.string())), 0)
            need = pc.ceil(pc.divide(pc.cast(length, pa.float64()), col.width * WRAP_CHARS))
            lines = need if lines is None else pc.max_element_wise(lines, need)
        lines = pc.max_element_wise(lines, 1.0)
        height = pc.cast(pc.cast(pc.multiply(lines, float(ROW_POINTS)), pa.int64()), pa.string())
        parts.append(pc.binary_join_element_wise(' ht="', height, '" customHeight="1"', ""))
    parts.append(">")
    for j, (col, column, style) in enumerate(zip(columns, batch.columns, styles)):
        ref = f'<c r="{column_letter(j)}'
        if col.kind == "text":
            text = xml_text(column)
            spaced = pc.match_substring_regex(text, r"^\s|\s$")
            open_t = pc.if_else(spaced, '<t xml:space="preserve">', "<t>")
            cell = pc.binary_join_element_wise(
                ref, numbers, f'" s="{style}" t="inlineStr"><is>', open_t, text, "</t></is></c>",
                "")
            cell = pc.if_else(pc.equal(text, ""), "", cell)
        else:
            value = (pc.cast(column, pa.string()) if col.kind == "int"
                     else _serial(column, col.kind))
            cell = pc.binary_join_element_wise(ref, numbers, f'" s="{style}"><v>', value,
                                               "</v></c>", "")
            cell = pc.fill_null(cell, "")
        parts.append(cell)
    parts.append("</row>")
    joined = pc.binary_join_element_wise(*parts, "")
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    offsets = memoryview(joined.buffers()[1]).cast("i")  # int32, native order as arrow's
    start, end = offsets[joined.offset], offsets[joined.offset + len(joined)]
    return memoryview(joined.buffers()[2])[start:end]


def clean_text(value: str) -> str:
    """One string as a cell may hold it (XML-forbidden characters removed)."""
    return _NOT_XML_RE.sub("", value)


def local_time(iso: str | None) -> datetime | None:
    """An ISO time from the store (UTC) in this computer's local time, without zone (a
    spreadsheet date cell has none)."""
    if not iso:
        return None
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.replace(tzinfo=None)


def local_times(values: Sequence[str | None]) -> pa.Array:
    return pa.array([local_time(v) for v in values], pa.timestamp("s"))


# -- the exceptions workbook ----------------------------------------------------------------
# the words a person reads for the fields the checks name (a file's own column names, such
# as "Notes", are shown as they are)
FIELD_WORDS = {
    "name": "Customer name", "account": "Account number", "email": "Email",
    "paperless": "Paperless", "autopay": "Autopay", "method": "Payment method type",
    "last4": "Last 4", "old": "Old account number", "new": "New account number",
}

FINDING_COLUMNS = [
    Column("Row", 7, "int"), Column("Account", 16), Column("Customer name", 22),
    Column("Field", 16), Column("Value", 22), Column("Severity", 9), Column("Rule", 40),
    Column("What to do", 52),
]


def field_words(field: str) -> str:
    return FIELD_WORDS.get(field, field)


def findings_table(findings: Findings) -> pa.Table:
    """The findings in the exceptions sheet's column order, blocking first."""
    ordered = findings.sorted()
    fields = pa.array(ordered.fields, pa.string())
    words = pa.array(list(FIELD_WORDS.values()), pa.string())
    where = pc.index_in(fields, value_set=pa.array(list(FIELD_WORDS), pa.string()))
    return pa.table({
        "row": pa.array(ordered.rows, pa.int64()),
        "account": pa.array(ordered.accounts, pa.string()),
        "name": pa.array(ordered.names, pa.string()),
        "field": pc.coalesce(pc.take(words, where), fields),
        "value": pa.array(ordered.values, pa.string()),
        "severity": pa.array(ordered.severities, pa.string()),
        "rule": pa.array(ordered.rules, pa.string()),
        "fix": pa.array(ordered.fixes, pa.string()),
    })


def write_exceptions(path: Path, findings: Findings, source: str, step: str,
                     progress: Progress | None = None, biller: str = "") -> Path:
    """The exceptions workbook: a Summary (what was checked, the counts, each rule with
    its rows) and `Findings`, one row per finding naming the source row, the account and
    the customer, with the rule and the fix; blocking first. Written atomically, 0600."""
    progress = progress or NullProgress()
    book = Book(biller or step)
    f = book.formats
    ws = book.sheet("Summary")
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 10)
    ws.write_string(0, 0, f"{step}: exceptions", f["title"])
    ws.write_string(2, 0, "File checked", f["label"])
    ws.write_string(2, 1, clean_text(source), f["value"])
    ws.write_string(3, 0, "Written", f["label"])
    ws.write_datetime(3, 1, datetime.now().replace(microsecond=0), f["datetime"])
    ws.write_string(4, 0, "Blocking", f["label"])
    ws.write_number(4, 1, findings.blocking, f["value_int"])
    ws.write_string(5, 0, "Warnings", f["label"])
    ws.write_number(5, 1, findings.warnings, f["value_int"])
    ws.write_string(6, 0, "What now", f["label"])
    ws.write_string(6, 1, "Fix the blocking rows in the file and run the step again"
                    if findings.blocking else "Nothing blocks: read the warnings",
                    f["bad"] if findings.blocking else f["good"])
    ws.write_row(8, 0, ["Severity", "Rule", "Rows"], f["header"])
    r = 9
    for severity, rule, count in findings.rules_summary():
        ws.write_string(r, 0, severity, f["bad"] if severity == BLOCKING else f["value"])
        ws.write_string(r, 1, clean_text(rule))
        ws.write_number(r, 2, count, f["int"])
        r += 1
    book.print_setup(ws, landscape=False)
    ws.repeat_rows(8)
    ws.fit_to_pages(1, 0)
    book.table_sheet(TableSheet("Findings", FINDING_COLUMNS, findings_table(findings),
                                "Nothing found", landscape=True))
    book.save(path, progress, lambda _part: f"writing the {step} exceptions")
    return path
