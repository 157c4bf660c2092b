"""A workbook (XLSX and other zip packages) held to the limits of `core.limits` before the
spreadsheet library is handed it.

The library (python-calamine) makes room for a sheet's whole rectangle, from A1 to the last
cell, before it reads a value, and aborts the process when it cannot: one cell at XFD1048576
asked for 549,755,813,888 bytes (exit 134). So the package is read here first, with the
standard library's zipfile, never unpacked to disk:

- the zip directory: the number of parts, each part's declared unpacked size and ratio;
- every part inflated in bounded chunks (a directory can lie), its real size and ratio
  counted as it comes, stopping at the first limit passed;
- every XML part's cells: the sheet's declared `<dimension>`, each cell's position (the
  `r` attribute, or the place a cell without one takes), how many cells there are, how long
  a text runs without markup; a shared-string table's declared and real counts.

Cell positions are found column-wise with pyarrow compute on each chunk (no Python loop per
cell): a million-row sheet of 510 MB is checked in a few seconds, in memory of a few chunks.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core import limits
from wizard.core.limits import size_text
from wizard.errors import InputError

CHUNK_BYTES = 1024**2
_NAME = r"(?:[A-Za-z_][\w.-]*:)?"  # an element's namespace prefix, if any
_ROW_START = rf"<{_NAME}row[\s/>]"
_CELL_START = rf"<{_NAME}c[\s/>]"
_ROW_REF = r'^[^<>]*?\br="(?P<row>[0-9]+)"'
_DIMENSION = re.compile(rb'<' + _NAME.encode() + rb'dimension\s[^<>]*?\bref="([^"]{0,64})"')
_SST = re.compile(rb'<' + _NAME.encode() + rb'sst\s([^<>]{0,4096})>')
_COUNT_ATTR = re.compile(rb'\b(?:uniqueCount|count)="([0-9]{1,20})"')
_SI = rf"<{_NAME}si[\s/>]"
# a cell's position, led by a literal so that the search runs at C speed: its column's letters
# and, apart, its row's digits (a chunk holds a few distinct of each)
_COLUMN_OF = re.compile(rb"r=[\"']([A-Za-z]+)[0-9]")
_ROW_OF = re.compile(rb"r=[\"'][A-Za-z]+([0-9]+)[\"']")
_LAST_REF = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})\"")
_SPACED_ATTR = re.compile(rb"\br(?:\s+=\s*|=\s+)")
_REF = re.compile(r"([A-Za-z]+)([0-9]+)")
FIX = ("Open it in Excel, delete the rows and columns past the customers, and save it "
       "again, or save it as CSV UTF-8")


def column_number(letters: str) -> int:
    """`A` 1, `Z` 26, `AA` 27, `XFD` 16,384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _letters(n: int) -> str:
    """Column letters of column number `n` (1 is A)."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _greater(token: str, low: str, high: str, other: str) -> str:
    """A regex for the strings over `low`-`high` (upper case letters or digits) that sort
    after `token` as numbers do: longer, or as long and greater at the first difference.
    `other` is the class of the characters that may appear (anything else: not matched)."""
    size = len(token)
    choices = [f"{other}{{{size + 1},}}"]
    for i, ch in enumerate(token):
        if ch != high:
            above = f"[{chr(ord(ch) + 1)}-{high}]"
            choices.append(f"{re.escape(token[:i])}{above}{other}{{{size - i - 1}}}")
    return "(?:" + "|".join(choices) + ")"


@functools.lru_cache(maxsize=64)
def _unusual(col: int, row: int) -> str:
    """A regex (RE2, run by pyarrow: one pass, however many alternatives) for what a plain
    chunk never holds: a cell written otherwise than `<c r="A1"` (no position, attributes in
    another order, other quotes or spacing), a cell with a namespace prefix, or a plain cell
    past column `col` or row `row` (lower-case letters always)."""
    letters = _greater(_letters(col), "A", "Z", "[A-Z]") if col else "[A-Z]+"
    digits = _greater(str(row), "0", "9", "[0-9]") if row else "[0-9]+"
    return ('<c(?:>|/>|[\\t\\n\\r]| [^r]| r[^=]| r=[^"])|<[A-Za-z_][\\w.-]*:c[\\s/>]'
            '|<c r="(?:' + letters + "[0-9]|[A-Za-z]*[a-z]|[A-Z]+" + digits + '")')


def bounded_encrypted(path: Path) -> Path:
    """`path`, if an encrypted workbook that size may be decrypted in memory (it is held
    there twice: as read and as decrypted); InputError (exit 2) if not."""
    size = path.stat().st_size
    if size > limits.MAX_ENCRYPTED_BYTES:
        raise InputError(f"{path} is an encrypted workbook of {size_text(size)}, past the "
                         f"limit of {size_text(limits.MAX_ENCRYPTED_BYTES)} for one decrypted "
                         "in memory: open it in Excel and save it without a password as CSV "
                         "UTF-8")
    return path


def check_package(path: Path, package: bytes | None = None) -> None:
    """Raise InputError (exit 2), naming `path` and the limit, when the workbook at `path`
    (or `package`, its plain bytes decrypted in memory) is past a limit of `core.limits`.
    A file that is not a zip package (an old .xls) is left to the reader."""
    source: Path | IO[bytes] = io.BytesIO(package) if package is not None else path
    stamp = _stamp(path) if package is None else None
    if stamp is not None and stamp in _PASSED:
        return  # the same file, unchanged, passed already (the window reads it per sheet)
    try:
        if not zipfile.is_zipfile(source):
            return
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            _check_directory(path, infos)
            for info in infos:
                if not info.is_dir():
                    _check_part(path, archive, info)
        if stamp is not None:
            _PASSED.clear()
            _PASSED.add(stamp)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
            RuntimeError) as exc:
        raise InputError(f"{path} is a damaged workbook ({str(exc)[:200]}); open it in "
                         "Excel and save it again, or save it as CSV UTF-8") from None


_PASSED: set[tuple[str, int, int]] = set()  # the last file that passed


def _stamp(path: Path) -> tuple[str, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return str(path.resolve()), info.st_size, info.st_mtime_ns


def _refuse(path: Path, what: str, limit: str) -> InputError:
    return InputError(f"{path}: {what}, past the limit of {limit} that a customer export "
                      f"stays within. {FIX}")


def _check_directory(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """The zip directory's own claims, before a byte is inflated."""
    if len(infos) > limits.MAX_PARTS:
        raise _refuse(path, f"the workbook has {len(infos):,} parts",
                      f"{limits.MAX_PARTS:,} parts")
    total = 0
    for info in infos:
        _check_size(path, info.filename, info.file_size, info.compress_size, "declares")
        total += info.file_size
    if total > limits.MAX_PACKAGE_BYTES:
        raise _refuse(path, f"its parts declare {size_text(total)} unpacked",
                      f"{size_text(limits.MAX_PACKAGE_BYTES)} for the whole workbook")


def _check_size(path: Path, name: str, unpacked: int, packed: int, verb: str) -> None:
    if unpacked > limits.MAX_PART_BYTES:
        raise _refuse(path, f"its part {name} {verb} {size_text(unpacked)} unpacked",
                      f"{size_text(limits.MAX_PART_BYTES)} a part")
    if unpacked > limits.RATIO_FREE_BYTES and unpacked > limits.MAX_RATIO * max(packed, 1):
        raise _refuse(path, f"its part {name} {verb} {size_text(unpacked)} unpacked from "
                      f"{size_text(packed)} (a zip bomb?)",
                      f"{limits.MAX_RATIO} times its packed size")


def _check_part(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Inflate one part in chunks, counting what really comes out. Every part that reads as
    XML has its cells checked, whatever its name (the relationships may name any part as a
    sheet)."""
    scan: _Cells | None = None
    unpacked = 0
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(CHUNK_BYTES)
            if not chunk:
                break
            if not unpacked and chunk.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
                scan = _Cells(path, info.filename)
            unpacked += len(chunk)
            _check_size(path, info.filename, unpacked, info.compress_size, "inflates to")
            if scan is not None:
                scan.feed(chunk)
    if scan is not None:
        scan.close()


@dataclass
class _Extent:
    """What a part's cells claim so far."""

    cells: int = 0
    rows: int = 0
    max_row: int = 0  # from the cells' and rows' own positions
    max_col: int = 0
    cells_unplaced: int = 0  # cells with no position: each takes the next column
    rows_unplaced: int = 0  # rows with no number: each takes the next row
    widest_row: int = 0  # the most cells one row holds
    open_row: int = 0  # cells of the row the last chunk ended in


class _Cells:
    """The cells of one XML part, fed in chunks; a limit passed raises at once."""

    def __init__(self, path: Path, part: str) -> None:
        self.path, self.part = path, part
        self.carry = b""
        self.first = True
        self.extent = _Extent()
        self.strings = 0  # a shared-string table's <si> items
        self.shared_strings = False  # the part is one (its head says <sst)
        self.unmarked = 0  # bytes since the last '<': a text or tag still open

    def feed(self, chunk: bytes) -> None:
        first_mark = chunk.find(b"<")
        run = self.unmarked + (len(chunk) if first_mark < 0 else first_mark)
        if run > limits.MAX_TEXT_RUN:
            raise _refuse(self.path, f"its part {self.part} holds a text or tag of more than "
                          f"{size_text(limits.MAX_TEXT_RUN)} without markup",
                          size_text(limits.MAX_TEXT_RUN))
        self.unmarked = run if first_mark < 0 else len(chunk) - chunk.rfind(b"<") - 1
        data = self.carry + chunk
        if self.first:
            self.first = False
            self._head(data)
        cut = data.rfind(b"<")
        if cut <= 0:
            self.carry = data
        else:
            self._scan(data[:cut])
            self.carry = data[cut:]
        self._check()

    def close(self) -> None:
        if self.carry:
            self._scan(self.carry)
            self.carry = b""
        self.extent.widest_row = max(self.extent.widest_row, self.extent.open_row)
        self._check()

    def _head(self, data: bytes) -> None:
        """The sheet's declared dimension and a shared-string table's declared count, both
        at the start of the part."""
        head = data[: 64 * 1024]
        dimension = _DIMENSION.search(head)
        if dimension is not None:
            for ref in _REF.finditer(dimension.group(1).decode("ascii", "replace")):
                self._place(ref.group(0), "its declared dimension reaches")
            self._check_box(*self._box(dimension.group(1)), declared=True)
        sst = _SST.search(head)
        if sst is not None:
            self.shared_strings = True
            for count in _COUNT_ATTR.finditer(sst.group(1)):
                self._check_strings(int(count.group(1)), "declares")

    def _box(self, ref: bytes) -> tuple[int, int]:
        places = [(int(m.group(2)), column_number(m.group(1)))
                  for m in _REF.finditer(ref.decode("ascii", "replace"))]
        return (max((r for r, _ in places), default=0), max((c for _, c in places), default=0))

    def _place(self, ref: str, what: str) -> None:
        """Refuse a position (`XFD1048576`) past the sheet's limits."""
        found = _REF.fullmatch(ref)
        if found is None:
            return
        letters, row = found.group(1), int(found.group(2))
        col = column_number(letters[:16])
        ref = f"{letters.upper()}{row}"[:40]
        if col > limits.MAX_COLUMNS:
            where = f"column {col:,}" if len(letters) <= 16 else f"{len(letters):,} letters"
            raise _refuse(self.path, f"{what} {ref} ({where}) in its part {self.part}",
                          f"{limits.MAX_COLUMNS:,} columns")
        if row > limits.MAX_ROWS:
            raise _refuse(self.path, f"{what} {ref} (row {row:,}) in its part {self.part}",
                          f"{limits.MAX_ROWS:,} rows")

    def _scan(self, text: bytes) -> None:
        """One chunk's cells. Their positions are read by literal-led regular expressions
        (C speed, a set of a chunk's few distinct columns and rows); a chunk holding cells
        without a position, rare, has its rows counted column-wise (`_rows`)."""
        if self.shared_strings:
            block = pa.array([text], pa.binary())
            self.strings += int(pc.count_substring_regex(block, _SI)[0].as_py())
        if self._plain(text):
            return
        extent = self.extent
        block = pa.array([text], pa.binary())
        letters = _COLUMN_OF.findall(text)
        cells = len(letters)
        if text.count(b"<c") > cells or b":c" in text:
            # cells without a position, with a namespace prefix, or `r = "A1"` spaced; or
            # only other elements (<cols>, <conditionalFormatting>): counted exactly
            if _SPACED_ATTR.search(text):
                text = _SPACED_ATTR.sub(b"r=", text)
                block = pa.array([text], pa.binary())
                letters = _COLUMN_OF.findall(text)
            cells = int(pc.count_substring_regex(block, _CELL_START)[0].as_py())
            if cells > len(letters):
                extent.cells_unplaced += cells - len(letters)
                self._rows(pc.list_flatten(pc.split_pattern_regex(block, _ROW_START)))
            cells = max(cells, len(letters))
        extent.cells += cells
        if letters:
            last = max(set(letters), key=lambda b: (len(b), b.upper()))
            extent.max_col = max(extent.max_col, column_number(last.decode()))
            if extent.max_col > limits.MAX_COLUMNS or len(last) > 3:
                ref = re.search(rb"r=[\"']" + last + rb"[0-9]*", text)
                self._place(ref.group(0)[3:].decode() if ref else last.decode() + "1",
                            "a cell lies at")
        numbers = set(_ROW_OF.findall(text))
        if numbers:
            top = max(numbers, key=lambda b: (len(b), b))
            if len(top) > 7 or int(top) > limits.MAX_ROWS:
                ref = re.search(rb"r=[\"'][A-Za-z]+" + top + rb"[\"']", text)
                self._place(ref.group(0)[3:-1].decode() if ref else "A" + top.decode(),
                            "a cell lies at")
            extent.max_row = max(extent.max_row, int(top))

    def _plain(self, text: bytes) -> bool:
        """The common chunk of a large sheet, in two passes at C speed: every cell written
        `<c r="...`, none with a namespace prefix, and none beyond the furthest column seen
        so far nor the row of the chunk's last cell (that row is then the furthest).
        False: read the chunk exactly."""
        cells = text.count(b'<c r="')
        last = _LAST_REF.match(text, text.rfind(b'<c r="') + 6) if cells else None
        if last is None:
            return False
        extent = self.extent
        col = max(extent.max_col, column_number(last.group(1).decode()))
        row = max(extent.max_row, int(last.group(2)))
        if col > limits.MAX_COLUMNS or row > limits.MAX_ROWS:
            return False
        block = pa.array([text], pa.binary())
        if pc.match_substring_regex(block, _unusual(col, row))[0].as_py():
            return False
        extent.cells += cells
        extent.max_col, extent.max_row = col, row
        return True

    def _rows(self, pieces: pa.Array) -> None:
        """Rows: their numbers, and how many cells each holds (for cells without one)."""
        extent = self.extent
        counts = pc.count_substring_regex(pieces, _CELL_START)
        extent.open_row += int(counts[0].as_py())
        if len(pieces) == 1:
            return
        extent.widest_row = max(extent.widest_row, extent.open_row,
                                int(pc.max(counts[1:]).as_py()))
        extent.open_row = int(counts[-1].as_py())
        rows = pieces[1:]
        extent.rows += len(rows)
        numbers = pc.struct_field(pc.extract_regex(rows, _ROW_REF), "row")
        extent.rows_unplaced += numbers.null_count
        if numbers.null_count < len(numbers):
            longest = pc.max(pc.binary_length(numbers)).as_py()
            if longest > 9:  # past any sheet, and past what int64 holds
                self._place("A" + pc.filter(numbers, pc.equal(pc.binary_length(numbers),
                                                              longest))[0].as_py().decode(),
                            "a row lies at")
            top = int(pc.max(pc.cast(pc.cast(numbers, pa.string()), pa.int64())).as_py())
            if top > limits.MAX_ROWS:
                self._place(f"A{top}", "a row lies at")
            extent.max_row = max(extent.max_row, top)

    def _check(self) -> None:
        extent = self.extent
        rows = extent.max_row + extent.rows_unplaced
        cols = extent.max_col + (max(extent.widest_row, extent.open_row)
                                 if extent.cells_unplaced else 0)
        if extent.rows_unplaced and rows > limits.MAX_ROWS:
            raise _refuse(self.path, f"its part {self.part} holds {rows:,} rows",
                          f"{limits.MAX_ROWS:,} rows")
        if extent.cells_unplaced and cols > limits.MAX_COLUMNS:
            raise _refuse(self.path, f"its part {self.part} has a row of {cols:,} cells",
                          f"{limits.MAX_COLUMNS:,} columns")
        self._check_box(rows, cols)
        if self.strings > 0:
            self._check_strings(self.strings, "holds")

    def _check_box(self, rows: int, cols: int, declared: bool = False) -> None:
        box = rows * cols
        whose = "its declared dimension spans" if declared else "its cells span"
        if box > limits.MAX_CELLS:
            raise _refuse(self.path, f"{whose} {rows:,} rows by {cols:,} columns in its part "
                          f"{self.part} ({box:,} cells)", f"{limits.MAX_CELLS:,} cells")
        if not declared and box > limits.SPARSE_FREE_CELLS \
                and box > limits.DENSITY * self.extent.cells:
            raise _refuse(self.path, f"{whose} {rows:,} rows by {cols:,} columns in its part "
                          f"{self.part} but hold only {self.extent.cells:,} cells",
                          f"one cell in {limits.DENSITY} filled for a sheet over "
                          f"{limits.SPARSE_FREE_CELLS:,} cells")

    def _check_strings(self, count: int, verb: str) -> None:
        if count > limits.MAX_SHARED_STRINGS:
            raise _refuse(self.path, f"its shared-string table {self.part} {verb} "
                          f"{count:,} strings", f"{limits.MAX_SHARED_STRINGS:,} strings")
