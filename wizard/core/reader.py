"""One reader for every table the program takes in: CSV (any usual delimiter, UTF-8 with or
without BOM, then Windows-1252; `core.text_table`) and spreadsheets (XLSX and friends, through
python-calamine).

Every column comes back as text. Type inference is never on: it would turn `0001234567` into
`1234567`. Spreadsheet cells holding whole numbers are rendered as their digits (never
`1234567.0`), booleans as TRUE/FALSE, dates as YYYY-MM-DD. Anything that is not a table
raises `InputError` (exit 2) naming the file and what is wrong with it.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from wizard.core.arrays import row_numbers
from wizard.core.package_bounds import bounded_encrypted, check_package
from wizard.core.recognition import (
    HEAD_BYTES,
    not_a_table,
    not_a_table_message,
    refuse_database,
)
from wizard.core.text_table import HEADER_SEARCH_ROWS, header_index, read_csv, unique_names
from wizard.core.vocabulary import SPREADSHEET_SUFFIXES
from wizard.errors import InputError

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class Table:
    """A table read from a file: all-text columns, and where each row came from."""

    path: Path
    data: pa.Table  # every column pa.string(), no nulls; names unique
    row_numbers: pa.Array  # int64: each row's 1-based row (line) number in the file
    headers: list[str]  # the header row as the file has it
    encoding: str  # "utf-8", "utf-8-sig", "cp1252" or "xlsx"
    delimiter: str | None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()  # every sheet of a workbook, to name when the first is wrong

    def other_sheets_hint(self) -> str:
        """" The workbook's other sheets are ...: give --sheet NAME" or ""."""
        others = [name for name in self.sheets if name != self.sheet]
        if not others:
            return ""
        return (f" This was sheet {self.sheet!r}; the workbook's other sheets are "
                + ", ".join(repr(n) for n in others) + ": give --sheet NAME to read another")

    @property
    def num_rows(self) -> int:
        return int(self.data.num_rows)

    def source_row(self, index: int) -> int:
        """The row number a person sees in the file for data row `index` (0-based)."""
        return int(self.row_numbers[index].as_py())


# opens a password-protected workbook: its plain package, or None for a file it does not
# decrypt (an old .xls is an OLE file too); flow.project.workbook_password gives one per project
Opener = Callable[[Path], bytes | None]


def read_table(
    path: Path | str, sheet: str | None = None, header_hint: AbstractSet[str] | None = None,
    opener: Opener | None = None,
) -> Table:
    """Read `path` into all-text columns.

    `header_hint` holds normalised header names the caller expects; when given, a title row
    or blank rows above the real header row (common in spreadsheets billers send) are
    skipped by choosing, among the first rows, the one that names the most of them.
    `opener` decrypts an encrypted workbook (an OLE file) in memory.
    """
    path = Path(path)
    refuse_database(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path} is a folder: choose the export file itself")
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if not head:
        raise InputError(f"{path} is empty: export the customers again")
    no_table = not_a_table(head)  # a PDF, an image...: said so, never read as one column
    if no_table:
        raise InputError(not_a_table_message(path, no_table))
    suffix = path.suffix.lower()
    if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)) or suffix in SPREADSHEET_SUFFIXES:
        package = None
        if opener is not None and head.startswith(_OLE_MAGIC):
            package = opener(bounded_encrypted(path))
        return _read_spreadsheet(path, sheet, header_hint, package)
    if sheet is not None:
        raise InputError(f"{path} is not a spreadsheet, so it has no sheet {sheet!r}")
    read = read_csv(path, header_hint)
    table, numbers = _drop_blank_rows(read.data, read.first_line)
    return Table(path, table, numbers, read.header, read.encoding, read.delimiter)


def _drop_blank_rows(table: pa.Table, first_row: int) -> tuple[pa.Table, pa.Array]:
    """Drop rows whose every cell is blank (spreadsheet padding, not customers), keeping
    each remaining row's number in the file."""
    import pyarrow.compute as pc

    numbers = row_numbers(first_row, table.num_rows)
    if table.num_columns == 0 or table.num_rows == 0:
        return table, numbers
    blank = None
    for col in table.columns:
        empty = pc.equal(pc.utf8_trim_whitespace(col), "")
        blank = empty if blank is None else pc.and_(blank, empty)
        if not pc.any(blank).as_py():
            return table, numbers  # most files: the first column already rules it out
    keep = pc.invert(blank)
    return table.filter(keep), numbers.filter(keep)


# -- spreadsheets -----------------------------------------------------------------------------
def cell_text(value: object) -> str:
    """A spreadsheet cell as text: whole numbers as digits, booleans TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return str(value)


def _read_spreadsheet(path: Path, sheet: str | None, header_hint: AbstractSet[str] | None,
                      package: bytes | None = None) -> Table:
    """`package`: the plain XLSX of an encrypted workbook, decrypted in memory."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError as exc:  # pragma: no cover - a broken install
        raise InputError(f"{path}: python-calamine is not installed ({exc})") from None
    # the library aborts the process on a sheet it cannot make room for: bounded first
    check_package(path, package)
    try:
        book = (CalamineWorkbook.from_filelike(io.BytesIO(package)) if package is not None
                else CalamineWorkbook.from_path(str(path)))
        names = list(book.sheet_names)
    except Exception as exc:  # noqa: BLE001 - calamine raises its own assorted errors
        raise InputError(
            f"{path} is not a readable spreadsheet ({str(exc)[:200]}); "
            "open it in Excel and save it as .xlsx or CSV UTF-8"
        ) from None
    if not names:
        raise InputError(f"{path} has no sheets")
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        raise InputError(f"{path} has no sheet {sheet!r}; its sheets are {', '.join(names)}")
    try:
        rows = book.get_sheet_by_name(sheet).to_python()
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{path}: sheet {sheet!r} cannot be read ({str(exc)[:200]})") from None
    # leading fully-empty rows: calamine may trim them; we search for the header anyway
    text_rows_head = [[cell_text(c) for c in r] for r in rows[: HEADER_SEARCH_ROWS + 1]]
    if not any(any(c.strip() for c in r) for r in text_rows_head):
        others = [n for n in names if n != sheet]
        hint = (f"; its other sheets are {', '.join(repr(n) for n in others)}: give "
                "--sheet NAME" if others else "")
        raise InputError(f"{path}: sheet {sheet!r} is empty{hint}")
    skip = header_index(text_rows_head, header_hint)
    header = text_rows_head[skip]
    # drop trailing empty header cells (formatting spill), keep interior ones named
    while header and not header[-1].strip():
        header = header[:-1]
    if not header:
        raise InputError(f"{path}: sheet {sheet!r} has no column names in its first rows")
    names_unique = unique_names(header)
    columns, numeric = _text_columns(rows[skip + 1 :], len(header))
    # calamine's rows and columns start at the sheet's used range, not at A1
    start_row, start_col = _sheet_start(book, sheet)
    header_row = start_row + skip + 1
    if numeric and (package is not None or path.suffix.lower() in (".xlsx", ".xlsm")):
        _apply_zero_formats(io.BytesIO(package) if package is not None else path, sheet,
                            header_row, start_col, numeric, columns)
    table = pa.table({name: pa.array(col, pa.string()) for name, col in zip(names_unique, columns)})
    table, numbers = _drop_blank_rows(table, header_row + 1)
    return Table(path, table, numbers, header, "xlsx", None, sheet, tuple(names))


def _text_columns(body: Sequence[Sequence[object]], width: int) -> tuple[list[list[str]], set[int]]:
    """The first `width` cells of each row as text, by column, and the columns with numbers."""
    columns: list[list[str]] = [[] for _ in range(width)]
    numeric: set[int] = set()
    for r in body:
        n = len(r)
        for j in range(width):
            value = r[j] if j < n else None
            if j not in numeric and isinstance(value, int | float) and not isinstance(
                    value, bool):
                numeric.add(j)
            columns[j].append(cell_text(value))
    return columns, numeric


def _sheet_start(book: object, sheet: str) -> tuple[int, int]:
    """(row, column), 0-based, of the first cell calamine returned (its used range)."""
    try:
        start = book.get_sheet_by_name(sheet).start  # type: ignore[attr-defined]
        if start is not None:
            return int(start[0]), int(start[1])
    except Exception:  # noqa: BLE001,S110 - older calamine has no `start`
        pass
    return 0, 0


_ZERO_FORMAT = re.compile(r'^"?0{2,}"?$')
FORMAT_SAMPLE_ROWS = 200


def _apply_zero_formats(path: Path | io.BytesIO, sheet: str, header_row: int, start_col: int,
                        numeric: set[int], columns: list[list[str]]) -> None:
    """Give back the leading zeros a number format like `0000000000` shows.

    A biller's spreadsheet often holds account numbers as numbers formatted to show their
    leading zeros: the cell holds 1234567, the person sees 0001234567. calamine reads
    values, not formats, so the formats of the numeric columns are read (first rows only)
    with openpyxl, and whole-number values are padded to the width the format shows.
    """
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            ws = book[sheet]
            formats: dict[int, set[str]] = {}
            for row in ws.iter_rows(min_row=header_row + 1,
                                    max_row=header_row + FORMAT_SAMPLE_ROWS):
                for cell in row:
                    col = getattr(cell, "column", None)
                    if col is None:
                        continue
                    j = col - 1 - start_col
                    if j in numeric and isinstance(cell.value, int | float):
                        formats.setdefault(j, set()).add(str(cell.number_format or ""))
        finally:
            book.close()
    except Exception:  # noqa: BLE001,S112 - formats are a courtesy; values are already read
        return
    # only a column formatted one way throughout the sample is padded: a mixed column is
    # left as its values are, rather than guessed
    widths = {j: next(iter(f)).count("0") for j, f in formats.items()
              if len(f) == 1 and _ZERO_FORMAT.match(next(iter(f)))}
    for j, width in widths.items():
        columns[j] = [v.zfill(width) if v.isdigit() and len(v) < width else v
                      for v in columns[j]]
