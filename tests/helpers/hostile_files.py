"""Hostile input files, built small on disk by the tests and by `bench/hostile.py`.

Each builder writes one file into a folder and returns its path. Workbooks are written part
by part with the standard library's zipfile (no spreadsheet library would write them), and
the large ones streaming, so that a file inflating to gigabytes takes a few megabytes and a
second to make.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

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


def deflated_size(data: bytes) -> int:
    return len(zlib.compress(data, 9))
