"""One reader for every table the program takes in: CSV (any usual delimiter, UTF-8 with or
without BOM, then Windows-1252) and spreadsheets (XLSX and friends, through python-calamine).

Every column comes back as text. Type inference is never on: it would turn `0001234567` into
`1234567`. Spreadsheet cells holding whole numbers are rendered as their digits (never
`1234567.0`), booleans as TRUE/FALSE, dates as YYYY-MM-DD. Anything that is not a table
raises `InputError` (exit 2) naming the file and what is wrong with it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from wizard.core import limits, text_bounds
from wizard.core.arrays import row_numbers
from wizard.core.limits import size_text
from wizard.core.package_bounds import bounded_encrypted, check_package
from wizard.core.recognition import (
    HEAD_BYTES,
    not_a_table,
    not_a_table_message,
    refuse_database,
)
from wizard.core.vocabulary import SPREADSHEET_SUFFIXES, normalise_header
from wizard.errors import InputError

DELIMITERS = [",", ";", "\t", "|"]
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
HEADER_SEARCH_ROWS = 15


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
    return _read_csv(path, header_hint)


# -- CSV --------------------------------------------------------------------------------------
SAMPLE_BYTES = limits.MAX_HEADER_BYTES


def _decode(path: Path, raw: bytes, whole: bool) -> tuple[str, str]:
    """(encoding, text) of `raw`: UTF-8 (BOM or not), else Windows-1252, else InputError.

    For a sample (`whole` false) a multi-byte character cut at the end is not an error.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            f"{path} is saved as UTF-16 (Excel's 'Unicode Text'); save it as "
            "'CSV UTF-8 (Comma delimited)' and choose it again"
        )
    if text_bounds.binary(raw[:SAMPLE_BYTES]):
        raise InputError(f"{path} is not a text table (it holds binary data); "
                         "choose the CSV or XLSX export")
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        return encoding, raw.decode(encoding)
    except UnicodeDecodeError as exc:
        if not whole and exc.start >= len(raw) - 3:
            return encoding, raw[: exc.start].decode(encoding)
    try:
        return "cp1252", raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: unknown text encoding (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start} is neither UTF-8 nor Windows-1252); save it as CSV UTF-8"
        ) from None


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first lines into the most, most consistent, columns."""
    best, best_score = ",", (0, 0)
    sample = [ln for ln in lines if ln.strip()][:20]
    for delim in DELIMITERS:
        try:
            rows = list(csv.reader(sample, delimiter=delim))
        except csv.Error:
            continue
        counts = [len(r) for r in rows if len(r) > 1]
        if not counts:
            continue
        # the most frequent width wins (title lines above the header do not count)
        common = max(set(counts), key=lambda c: (counts.count(c), c))
        score = (counts.count(common), common)
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_csv(path: Path, header_hint: AbstractSet[str] | None) -> Table:
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES + 1)
    whole = len(head) <= SAMPLE_BYTES
    encoding, text = _decode(path, head, whole)
    lines = text.splitlines()
    if not whole and lines:
        lines = lines[:-1]  # the last sampled line may be cut short
    if not whole and not lines:
        from wizard.core.text_bounds import long_header

        raise long_header(path)
    if not any(line.strip() for line in lines):
        raise InputError(f"{path} holds no rows: export the customers again")
    sep_line = re.fullmatch(r"\ufeff?sep=(.)", lines[0].strip()) if lines else None
    if sep_line:
        # Excel's "sep=;" first line names the delimiter; it is not the header
        delimiter = sep_line.group(1)
    else:
        delimiter = _sniff_delimiter(lines)
    try:
        rows = list(csv.reader(lines[: HEADER_SEARCH_ROWS + 1], delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"{path}: line 1 is not CSV ({exc})") from None
    skip = _header_index(rows, header_hint)
    if sep_line and skip == 0:
        skip = 1
    header = rows[skip] if skip < len(rows) else []
    if not any(h.strip() for h in header):
        raise InputError(f"{path}: the first row has no column names; add a header row")
    if encoding == "utf-8-sig" and skip == 0 and header:
        header[0] = header[0].lstrip("\ufeff")
    names = _unique_names(header)
    # lines before the header row are counted so row numbers match what a person sees
    physical_skip = sum(1 for _ in lines[:skip]) + 1
    table = None
    if encoding != "cp1252":
        try:
            table = _arrow_csv(pa.memory_map(str(path)), physical_skip, names, delimiter)
        except pa.ArrowInvalid as exc:
            if "columns" in str(exc):
                full = path.read_bytes().decode(encoding)
                table = _ragged_csv(path, full, physical_skip, names, delimiter)
            elif "UTF8" not in str(exc) and "utf8" not in str(exc).lower():
                raise _unreadable(path, str(exc), delimiter, encoding, names) from None
            # else: valid UTF-8 at the start, not further on: Windows-1252 after all
    if table is None:
        encoding, full = _decode(path, path.read_bytes(), True)
        if encoding != "cp1252":
            encoding, full = "cp1252", path.read_bytes().decode("cp1252", errors="strict")
        try:
            table = _arrow_csv(io.BytesIO(full.encode("utf-8")), physical_skip, names,
                               delimiter)
        except pa.ArrowInvalid as exc:
            if "columns" not in str(exc):
                raise _unreadable(path, str(exc), delimiter, encoding, names) from None
            table = _ragged_csv(path, full, physical_skip, names, delimiter)
    table, numbers = _drop_blank_rows(table, physical_skip + 1)
    return Table(path, table, numbers, header, encoding, delimiter)


def _ragged_csv(path: Path, text: str, skip: int, names: list[str],
                delimiter: str) -> pa.Table:
    """The slow path for files whose rows do not all have the header's width: short rows
    (trailing empty cells left out, as spreadsheets do) are padded; a row with extra
    non-empty values is an error naming its line."""
    width = len(names)
    columns: list[list[str]] = [[] for _ in range(width)]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            if number <= skip or not row:
                continue
            if len(row) > width:
                if any(cell.strip() for cell in row[width:]):
                    raise InputError(
                        f"{path}: line {reader.line_num} has {len(row)} values where the "
                        f"header has {width}; check for an unquoted delimiter "
                        f"({delimiter!r}) in a value and export again"
                    )
                row = row[:width]
            for j in range(width):
                columns[j].append(row[j] if j < len(row) else "")
    except csv.Error as exc:
        raise InputError(f"{path}: line {reader.line_num} is not valid CSV ({exc})") from None
    return pa.table({n: pa.array(c, pa.string()) for n, c in zip(names, columns)})


def _arrow_csv(source: object, skip: int, names: list[str], delimiter: str) -> pa.Table:
    try:
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names,
                                           block_size=limits.MAX_LINE_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                              ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
                null_values=[], check_utf8=True,
            ),
        )
    except pa.ArrowTypeError as exc:
        raise pa.ArrowInvalid(str(exc)) from None
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def _unreadable(path: Path, message: str, delimiter: str, encoding: str,
                names: list[str]) -> InputError:
    """The parser's refusal, said for people: a value past the line limit is named by its
    line and column (the parser only says "straddling object ... increase block size?")."""
    if "straddl" in message:
        from wizard.core.text_bounds import long_value

        found = long_value(path, delimiter, encoding)
        if found is not None:
            line, column, _ = found
            name = repr(names[column]) if column < len(names) else f"number {column + 1}"
            return InputError(
                f"{path}: line {line:,}, column {name}, holds a value longer than "
                f"{size_text(limits.MAX_LINE_BYTES)}, the limit for one line of a customer "
                "export (a quote left open, or a file pasted into a cell?). Correct that row "
                "in the source system or the spreadsheet and export again")
    return InputError(f"{path}: {_explain_arrow_error(message)}")


def _explain_arrow_error(message: str) -> str:
    m = re.search(r"Expected (\d+) columns, got (\d+)", message)
    row = re.search(r"[Rr]ow #?(\d+)", message)
    if m:
        where = f" (near line {row.group(1)})" if row else ""
        return (f"a row has {m.group(2)} values where the header has {m.group(1)}{where}; "
                "check for an unquoted delimiter or a broken line and export again")
    first = message.strip().splitlines()[0] if message.strip() else "unreadable"
    return f"not a readable CSV table ({first[:200]})"


def _unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for i, h in enumerate(header):
        name = h.strip() or f"Column {i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        seen.setdefault(name, 0)
        names.append(name)
    return names


def _header_index(rows: list[list[str]], hint: AbstractSet[str] | None) -> int:
    """Which of the first rows is the header: the first non-blank one, or with `hint` the
    one naming the most expected columns."""
    first = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), 0)
    if not hint:
        return first
    best, best_hits = first, 0
    for i, r in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = sum(1 for c in r if normalise_header(c) in hint)
        if hits > best_hits:
            best, best_hits = i, hits
    return best if best_hits >= 2 else first


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
    skip = _header_index(text_rows_head, header_hint)
    header = text_rows_head[skip]
    # drop trailing empty header cells (formatting spill), keep interior ones named
    while header and not header[-1].strip():
        header = header[:-1]
    if not header:
        raise InputError(f"{path}: sheet {sheet!r} has no column names in its first rows")
    names_unique = _unique_names(header)
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
