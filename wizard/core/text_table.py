"""Reading a text table (CSV): its encoding (UTF-8 with or without BOM, then Windows-1252),
its delimiter, its header row, then every row as text, in memory that grows with the table
and not with the way it is written.

Measured with `export-flags` on a real export of 2,000,000 customers (205 MB, 9 columns),
peak resident memory (MiB): every row as wide as the header, 834 before this module and 818
after (the file is streamed, not memory-mapped); the same file as a spreadsheet saves it, a
row in ten without its empty last cell, 2,355 before (every cell a Python string at once,
and the whole file as one string) and 926 after (read in batches of rows); in Windows-1252,
831 before (read whole, decoded and encoded again; 999 with one curly apostrophe in a name,
which makes the whole string two bytes a character) and 857 after (825 with it; transcoded
as it is read, 4.8 s before and 7.9 s after). At the size limit (`limits.MAX_TEXT_BYTES`),
2,480,000 customers in 254 MiB: 952.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from wizard.core import limits, text_bounds
from wizard.core.limits import size_text
from wizard.core.vocabulary import normalise_header
from wizard.errors import InputError

DELIMITERS = [",", ";", "\t", "|"]
HEADER_SEARCH_ROWS = 15
# the header line, and the sample the delimiter and encoding are judged on
SAMPLE_BYTES = limits.MAX_HEADER_BYTES
# rows the slow path (rows narrower than the header) holds as Python strings at once
RAGGED_BATCH_ROWS = 65_536
# bytes Windows-1252 leaves undefined: a file holding one is in neither encoding
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


@dataclass(frozen=True)
class TextTable:
    """A CSV read: every column text, `first_line` the line the first data row is on."""

    data: pa.Table
    header: list[str]
    encoding: str  # "utf-8", "utf-8-sig" or "cp1252"
    delimiter: str
    first_line: int


def read_csv(path: Path, header_hint: AbstractSet[str] | None) -> TextTable:
    """Read `path` as a text table; `header_hint` as `reader.read_table` takes it."""
    size = path.stat().st_size
    if size > limits.MAX_TEXT_BYTES:
        limit = size_text(limits.MAX_TEXT_BYTES)
        shown = size_text(size) if size_text(size) != limit else f"{size:,} bytes"
        raise InputError(
            f"{path} is {shown}, past the limit of {limit} for a text table (a CSV export "
            "of 2 million customers is about 200 MB). Check that this is the export of the "
            "customers, not a log or a whole database")
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES + 1)
    whole = len(head) <= SAMPLE_BYTES
    encoding, text = _decode(path, head, whole)
    lines = text.splitlines()
    if not whole and lines:
        lines = lines[:-1]  # the last sampled line may be cut short
    if not whole and not lines:
        raise text_bounds.long_header(path)
    if not any(line.strip() for line in lines):
        raise InputError(f"{path} holds no rows: export the customers again")
    sep_line = re.fullmatch(r"\ufeff?sep=(.)", lines[0].strip()) if lines else None
    # Excel's "sep=;" first line names the delimiter; it is not the header
    delimiter = sep_line.group(1) if sep_line else _sniff_delimiter(lines)
    try:
        rows = list(csv.reader(lines[: HEADER_SEARCH_ROWS + 1], delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"{path}: line 1 is not CSV ({exc})") from None
    skip = header_index(rows, header_hint)
    if sep_line and skip == 0:
        skip = 1
    header = rows[skip] if skip < len(rows) else []
    if not any(h.strip() for h in header):
        raise InputError(f"{path}: the first row has no column names; add a header row")
    if encoding == "utf-8-sig" and skip == 0 and header:
        header[0] = header[0].lstrip("\ufeff")
    names = unique_names(header)
    # lines before the header row are counted so row numbers match what a person sees
    physical_skip = len(lines[:skip]) + 1
    encoding, data = _rows(path, encoding, physical_skip, names, delimiter)
    return TextTable(data, header, encoding, delimiter, physical_skip + 1)


class _NotUtf8(Exception):
    """Valid UTF-8 at the start, not further on: Windows-1252 after all."""


def _rows(path: Path, encoding: str, skip: int, names: list[str],
          delimiter: str) -> tuple[str, pa.Table]:
    """(encoding, the rows after the first `skip` lines): UTF-8 where the whole file is,
    else Windows-1252."""
    if encoding != "cp1252":
        try:
            return encoding, _parsed(path, encoding, skip, names, delimiter)
        except _NotUtf8:
            pass
    _check_cp1252(path)
    return "cp1252", _parsed(path, "cp1252", skip, names, delimiter)


def _parsed(path: Path, encoding: str, skip: int, names: list[str],
            delimiter: str) -> pa.Table:
    """The fast parser first; the slow path where rows are narrower than the header."""
    try:
        return _arrow_csv(path, encoding, skip, names, delimiter)
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "columns" in message:
            return _ragged_csv(path, encoding, skip, names, delimiter)
        if encoding != "cp1252" and "utf8" in message.lower():
            raise _NotUtf8 from None
        raise _unreadable(path, message, delimiter, encoding, names) from None


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
        raise _not_cp1252(path, raw[exc.start], exc.start) from None


def _not_cp1252(path: Path, byte: int, offset: int) -> InputError:
    return InputError(
        f"{path}: unknown text encoding (byte 0x{byte:02x} at offset {offset} is neither "
        "UTF-8 nor Windows-1252); save it as CSV UTF-8")


def _check_cp1252(path: Path) -> None:
    """InputError naming the first byte Windows-1252 leaves undefined, read in chunks."""
    offset = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(text_bounds.CHUNK_BYTES):
            found = _CP1252_UNDEFINED.search(chunk)
            if found:
                raise _not_cp1252(path, chunk[found.start()], offset + found.start())
            offset += len(chunk)


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


def _arrow_csv(path: Path, encoding: str, skip: int, names: list[str],
               delimiter: str) -> pa.Table:
    """The fast parser, reading the file as a stream (a memory map would add the whole file
    to the process's resident memory); Windows-1252 is transcoded as it is read."""
    try:
        with pa.OSFile(str(path)) as source:
            return pacsv.read_csv(
                source,
                read_options=pacsv.ReadOptions(
                    skip_rows=skip, column_names=names, block_size=limits.MAX_LINE_BYTES,
                    encoding="utf8" if encoding.startswith("utf-8") else encoding),
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


def _ragged_csv(path: Path, encoding: str, skip: int, names: list[str],
                delimiter: str) -> pa.Table:
    """The slow path for files whose rows do not all have the header's width: short rows
    (trailing empty cells left out, as spreadsheets do) are padded; a row with extra
    non-empty values is an error naming its line. Read in batches of rows, so that only one
    batch is ever held as Python strings."""
    width = len(names)
    schema = pa.schema([(n, pa.string()) for n in names])
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            batches = [pa.record_batch(columns, schema=schema)
                       for columns in _padded_batches(path, reader, skip, width, delimiter)]
        except csv.Error as exc:
            raise InputError(f"{path}: line {reader.line_num} is not valid CSV ({exc})") \
                from None
        except UnicodeDecodeError:
            raise _NotUtf8 from None  # Windows-1252 is checked before it is read
    return pa.Table.from_batches(batches, schema)


def _padded_batches(path: Path, reader: Iterator[list[str]], skip: int, width: int,
                    delimiter: str) -> Iterator[list[pa.Array]]:
    """The rows after the first `skip`, padded to `width`, as columns of at most
    RAGGED_BATCH_ROWS rows."""
    columns: list[list[str]] = [[] for _ in range(width)]
    for number, row in enumerate(reader, start=1):
        if number <= skip or not row:
            continue
        if len(row) > width:
            if any(cell.strip() for cell in row[width:]):
                raise InputError(
                    f"{path}: line {getattr(reader, 'line_num', number)} has {len(row)} values "
                    f"where the header has {width}; check for an unquoted delimiter "
                    f"({delimiter!r}) in a value and export again")
            row = row[:width]
        for j in range(width):
            columns[j].append(row[j] if j < len(row) else "")
        if len(columns[0]) >= RAGGED_BATCH_ROWS:
            yield [pa.array(c, pa.string()) for c in columns]
            columns = [[] for _ in range(width)]
    if columns[0] or width == 0:
        yield [pa.array(c, pa.string()) for c in columns]


def _unreadable(path: Path, message: str, delimiter: str, encoding: str,
                names: list[str]) -> InputError:
    """The parser's refusal, said for people: a value past the line limit is named by its
    line and column (the parser only says "straddling object ... increase block size?")."""
    if "straddl" in message:
        found = text_bounds.long_value(path, delimiter, encoding)
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


def unique_names(header: list[str]) -> list[str]:
    """The header's names, blanks named by their place and repeats numbered."""
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


def header_index(rows: list[list[str]], hint: AbstractSet[str] | None) -> int:
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
