"""Hostile input files, built small on disk by the tests and by `bench/hostile.py`.

Each builder writes one file into a folder and returns its path. Workbooks are written part
by part with the standard library's zipfile (no spreadsheet library would write them), and
the large ones streaming, so that a file inflating to gigabytes takes a few megabytes and a
second to make.
"""

from __future__ import annotations

import base64
import random
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from wizard.core.limits import MAX_PARTS

HEADERS = ["Customer Name", "Account Number", "Email", "Paperless", "Autopay",
           "Payment Method", "Last 4"]
CUSTOMER = ["Ann Lee", "0001234567", "ann@example.com", "Y", "N", "card", "1234"]
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def column(j: int) -> str:
    """Column letters of 0-based index `j`: 0 A, 25 Z, 26 AA, 16383 XFD."""
    letters, j = "", j + 1
    while j:
        j, r = divmod(j - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def row(number: int, values: Iterable[str], first_col: int = 0) -> str:
    return (f'<row r="{number}">'
            + "".join(cell(f"{column(first_col + j)}{number}", v) for j, v in enumerate(values))
            + "</row>")


def customer_rows(customers: int = 1) -> str:
    """The header and `customers` customers (accounts 0001234567, 0001234568, ...)."""
    out = [row(1, HEADERS)]
    for i in range(customers):
        values = list(CUSTOMER)
        values[1] = f"{1234567 + i:010d}"
        out.append(row(i + 2, values))
    return "".join(out)


def _content_types(shared: bool) -> str:
    extra = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
             'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
             if shared else "")
    return (_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            f'spreadsheetml.worksheet+xml"/>{extra}</Types>')


def _workbook_rels(shared: bool) -> str:
    extra = (f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" '
             'Target="sharedStrings.xml"/>' if shared else "")
    return (_DECL + f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>{extra}</Relationships>')


def sheet_xml(rows_xml: str, dimension: str | None = "A1:G2") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'{_DECL}<worksheet xmlns="{_MAIN}">{dim}<sheetData>{rows_xml}</sheetData></worksheet>'


Part = str | bytes | Callable[[], Iterator[bytes]]


def workbook(path: Path, sheet: Part, shared: Part | None = None,
             extra: dict[str, Part] | None = None) -> Path:
    """An XLSX of one sheet named Customers; a part given as a function is streamed."""
    parts: dict[str, Part] = {
        "[Content_Types].xml": _content_types(shared is not None),
        "_rels/.rels": (_DECL + f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
                        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
                        "</Relationships>"),
        "xl/workbook.xml": (_DECL + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
                            '<sheet name="Customers" sheetId="1" r:id="rId1"/></sheets>'
                            "</workbook>"),
        "xl/_rels/workbook.xml.rels": _workbook_rels(shared is not None),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    parts.update(extra or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, part in parts.items():
            if callable(part):
                with archive.open(name, "w", force_zip64=True) as out:
                    for piece in part():
                        out.write(piece)
            else:
                archive.writestr(name, part)
    return path


def repeated(head: str, unit: bytes, times: int, tail: str) -> Callable[[], Iterator[bytes]]:
    """A part streamed as `head`, `unit` `times` times, `tail` (a zip bomb's sheet)."""
    def parts() -> Iterator[bytes]:
        yield head.encode()
        block = unit * max(1, (1024**2) // len(unit))
        per_block = len(block) // len(unit)
        left = times
        while left >= per_block:
            yield block
            left -= per_block
        yield unit * left
        yield tail.encode()
    return parts


def lying_sizes(path: Path, part: str, declared: int) -> Path:
    """Rewrite `path` so that the zip directory declares `declared` bytes for `part` (its
    local header too): a directory that lies about what inflates."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := data.find(sig, start)) >= 0:
            name_at = at + (30 if sig == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(name)] == name:
                data[at + size_at:at + size_at + 4] = declared.to_bytes(4, "little")
            start = at + 4
    path.write_bytes(bytes(data))
    return path


# -- the catalogue: each builder writes one hostile workbook into a folder -----------------
FAR_CELL = row(1_048_576, ["x"], first_col=16_383)  # one cell at XFD1048576


def far_cell_declared(folder: Path) -> Path:
    """The issue's file: a header, one customer, one cell at XFD1048576 (2.5 KB)."""
    return workbook(folder / "far_cell.xlsx",
                    sheet_xml(customer_rows() + FAR_CELL, "A1:XFD1048576"))


def far_cell_lying(folder: Path) -> Path:
    """The same cell, under a dimension that says A1:G2."""
    return workbook(folder / "lying.xlsx", sheet_xml(customer_rows() + FAR_CELL))


def far_cell_quoted(folder: Path) -> Path:
    """The cell's position in single quotes, spaced, with no dimension at all."""
    cell = "<row r='1048576'><c r = 'XFD1048576' t='inlineStr'><is><t>x</t></is></c></row>"
    return workbook(folder / "quoted.xlsx", sheet_xml(customer_rows() + cell, None))


def sparse(folder: Path) -> Path:
    """Within the column limit (BL is 64) but a rectangle of 67 million places for 15 cells:
    the library took 2.7 GB and 11 s."""
    return workbook(folder / "sparse.xlsx",
                    sheet_xml(customer_rows() + row(1_048_576, ["x"], first_col=63)))


def far_row(folder: Path) -> Path:
    return workbook(folder / "far_row.xlsx",
                    sheet_xml(customer_rows() + row(5_000_000, ["x"])))


def bomb_sheet(folder: Path) -> Path:
    """A sheet inflating to 200 MB from a few hundred KB (the issue's was 3 GB from 3 MB)."""
    unit = b'<row><c t="inlineStr"><is><t>0001234567</t></is></c></row>'
    head = sheet_xml(customer_rows()).split("</sheetData>")[0]
    return workbook(folder / "bomb.xlsx", repeated(head, unit, 200 * 1024**2 // len(unit),
                                                     "</sheetData></worksheet>"))


def bomb_strings(folder: Path) -> Path:
    unit = b"<si><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></si>"
    head = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats'
            '.org/spreadsheetml/2006/main">')
    return workbook(folder / "bomb_strings.xlsx", sheet_xml(customer_rows()),
                    shared=repeated(head, unit, 200 * 1024**2 // len(unit), "</sst>"))


def lying_directory(folder: Path) -> Path:
    """A 50 MB sheet whose zip directory says it is 900 bytes: the directory can lie, so
    the inflation itself is bounded."""
    unit = b"<row><c><v>1</v></c></row>"
    head = sheet_xml(customer_rows()).split("</sheetData>")[0]
    sheet = b"".join(repeated(head, unit, 50 * 1024**2 // len(unit),
                              "</sheetData></worksheet>")())
    path = workbook(folder / "lying_sizes.xlsx", sheet)
    return lying_sizes(path, "xl/worksheets/sheet1.xml", 900)


def extreme_ratio(folder: Path) -> Path:
    """Only 2 MB unpacked, but of one character: 1,000 times its packed size."""
    head = sheet_xml(customer_rows()).split("</sheetData>")[0]
    return workbook(folder / "ratio.xlsx", repeated(head, b" ", 2 * 1024**2,
                                                      "</sheetData></worksheet>"))


def many_parts(folder: Path) -> Path:
    extra: dict[str, Part] = {f"xl/media/p{i}.xml": "" for i in range(MAX_PARTS)}
    return workbook(folder / "many_parts.xlsx", sheet_xml(customer_rows()), extra=extra)


def huge_string_count(folder: Path) -> Path:
    """A shared-string table declaring 4 billion strings: the library aborted (exit 134)."""
    sst = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.'
           'org/spreadsheetml/2006/main" count="1" uniqueCount="4000000000"><si><t>x</t></si>'
           "</sst>")
    return workbook(folder / "string_count.xlsx", sheet_xml(customer_rows()), shared=sst)


def giant_text(folder: Path) -> Path:
    """One cell of 1.5 MB of text that does not compress (no cell holds more than 32,767
    characters): its length, not its ratio, gives it away."""
    head = sheet_xml(customer_rows()).split("</sheetData>")[0] + (
        '<row r="3"><c r="A3" t="inlineStr"><is><t>')
    text = base64.b64encode(random.Random(30).randbytes(1_200_000))
    return workbook(folder / "giant_text.xlsx",
                    repeated(head, text, 1, "</t></is></c></row></sheetData></worksheet>"))




def bomb_3gb(folder: Path) -> Path:
    """The issue's zip bomb: a sheet inflating to 3 GB from about 3 MB (slow to build: for
    `bench/hostile.py`, not the tests)."""
    unit = b'<row><c t="inlineStr"><is><t>0001234567</t></is></c></row>'
    head = sheet_xml(customer_rows()).split("</sheetData>")[0]
    return workbook(folder / "bomb_3gb.xlsx", repeated(head, unit, 3 * 1000**3 // len(unit),
                                                         "</sheetData></worksheet>"))


def sparse_within_limits(folder: Path) -> Path:
    """The worst a hostile sheet can be and still pass: 1,048,576 rows, cells in columns A
    and N only (14.7 million places, one in 7 filled), values all "1"."""
    def rows() -> Iterator[bytes]:
        yield sheet_xml(customer_rows()).split("</sheetData>")[0].encode()
        batch = []
        for n in range(3, 1_048_577):
            batch.append(f'<row r="{n}"><c r="A{n}"><v>1</v></c><c r="N{n}"><v>1</v></c>'
                         "</row>")
            if len(batch) == 10_000:
                yield "".join(batch).encode()
                batch = []
        yield ("".join(batch) + "</sheetData></worksheet>").encode()
    return workbook(folder / "sparse_within_limits.xlsx", rows)


def far_cell_midway(folder: Path, far: bool = True) -> Path:
    """20,000 customers written plainly, and among them, mid-sheet, one more cell at row
    900,000: the chunk that holds it looks like every other until its cells are compared.
    Without `far`, a plain sheet of 20,000 customers."""
    def rows() -> Iterator[bytes]:
        yield sheet_xml(customer_rows()).split("</sheetData>")[0].encode()
        for start in range(3, 20_003, 1000):
            chunk = [row(n, CUSTOMER) for n in range(start, start + 1000)]
            if far and start == 10_003:
                chunk.insert(500, row(900_000, ["x"]))
            yield "".join(chunk).encode()
        yield b"</sheetData></worksheet>"
    return workbook(folder / "far_cell_midway.xlsx", rows)


def far_cell_row_overflow(folder: Path) -> Path:
    """A cell's row of 20 digits, past what the reader's row counter holds: it asked for
    372 GB and aborted."""
    cell = '<row r="3"><c r="A99999999999999999999" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(folder / "row_overflow.xlsx", sheet_xml(customer_rows() + cell, None))


def far_cell_column_overflow(folder: Path) -> Path:
    """A cell's column of nine letters."""
    cell = '<row r="3"><c r="AAAAAAAAA3" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(folder / "column_overflow.xlsx", sheet_xml(customer_rows() + cell, None))


def unplaced_far_row(folder: Path) -> Path:
    """A row of 20 digits holding a cell without a position (it takes the row's number)."""
    cell = '<row r="99999999999999999999"><c t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(folder / "unplaced_far_row.xlsx", sheet_xml(customer_rows() + cell, None))


def far_cell_renamed(folder: Path) -> Path:
    """The far cell in a sheet part not named .xml (the relationships may name any part)."""
    path = workbook(folder / "renamed.xlsx", "", extra={
        "xl/worksheets/sheet1.dat": sheet_xml(customer_rows() + FAR_CELL)})
    data = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            data[name] = archive.read(name)
    data["xl/_rels/workbook.xml.rels"] = data["xl/_rels/workbook.xml.rels"].replace(
        b"worksheets/sheet1.xml", b"worksheets/sheet1.dat")
    del data["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in data.items():
            archive.writestr(name, part)
    return path
