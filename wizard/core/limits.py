"""The bounds every input file is held to before a library reads it, in one place.

Each limit lets the largest real export through: 2 million customers of about 10 columns
(20 million cells). As a CSV that is about 200 MB; as a workbook it cannot be one sheet at
all (a sheet ends at row 1,048,576), so a workbook's limits admit the fullest sheet Excel
makes, 1,048,576 rows, of up to 14 columns (the reader reads one sheet: `--sheet`). A file
past a limit is refused (exit 2) with the limit named, before any library sees it: a 2.5 KB
workbook whose one cell sits at XFD1048576 made the spreadsheet library ask for
549,755,813,888 bytes and abort the process, and a 3 MB workbook whose sheet inflates to 3 GB
was read until memory ran out.

Measured with a real export (1,000,000 customers, 9 columns, written by xlsxwriter with inline
strings): its sheet is 510 MB unpacked from 59 MB (8.6 to 1), 9.4 million cells, a bounding
box of 9 columns by 1,000,001 rows, every row's cells present except blank ones.
"""

from __future__ import annotations

from typing import Final

# -- workbooks (XLSX): the package ------------------------------------------------------------
# parts in the package: a workbook of one sheet has about 10; a thousand sheets with their
# rels and comments a few thousand
MAX_PARTS: Final = 10_000
# unpacked bytes of any one part. The real export above: 510 MB for 9.4 million cells (54
# bytes a cell with inline strings); a full sheet of 14 columns, 0.8 GB
MAX_PART_BYTES: Final = 2 * 1024**3
# unpacked bytes of all parts together
MAX_PACKAGE_BYTES: Final = 3 * 1024**3
# how many times a part may inflate. Real sheets: 5 to 15 (the export above 8.6); 100 is
# Apache POI's default (its ZipSecureFile.MIN_INFLATE_RATIO of 0.01). A zip bomb inflates
# about 1,000 times. Parts under RATIO_FREE_BYTES unpacked are not held to it (a small
# repetitive part compresses well and costs nothing)
MAX_RATIO: Final = 100
RATIO_FREE_BYTES: Final = 1024**2

# an encrypted workbook is read whole and decrypted in memory (twice its size held): a real
# export of 1,000,000 customers is a 59 MB workbook
MAX_ENCRYPTED_BYTES: Final = 256 * 1024**2

# -- workbooks: the sheet ---------------------------------------------------------------------
MAX_ROWS: Final = 1_048_576  # a sheet's last row, Excel's and the format's own
MAX_COLUMNS: Final = 1_024  # column AMJ; exports have 7 to 60 columns
# cells in the rectangle from A1 to the last row and column that hold a cell: the reader
# makes room for every one of them, filled or not (about 60 bytes each through the whole
# command: the sparsest sheet that passes, 16 columns of a full sheet, two of them filled,
# peaked at 1,063 MB; at 14 columns it stays under 1 GB). 2 million customers of up to 14
# columns fit in two full sheets, as Excel must split them
MAX_CELLS: Final = 1_048_576 * 14
# a rectangle over SPARSE_FREE_CELLS must hold a cell for at least one in DENSITY of its
# places: a real export leaves few cells out (blank emails and methods), while one cell at
# XFD1048576 claims 17 billion places for two filled rows
SPARSE_FREE_CELLS: Final = 1_048_576
DENSITY: Final = 16
# the longest run of a part's text without markup: a cell holds at most 32,767 characters
# (Excel's limit; 4 bytes each at most); a gigabyte of one text or of white space is a bomb
MAX_TEXT_RUN: Final = 1024**2
# strings a workbook's shared-string table may declare or hold: one per cell at most
MAX_SHARED_STRINGS: Final = MAX_CELLS

# -- text tables (CSV) ------------------------------------------------------------------------
# the whole file: a text table is read into memory, and `export-flags` peaks at about four
# times its size. A real export of 2,000,000 customers of 9 columns is 205 MB (827 MB peak);
# the limit lets rows a quarter longer through, and holds the peak near 1 GB
MAX_TEXT_BYTES: Final = 256 * 1024**2
# the header line, and the sample the delimiter and encoding are judged on
MAX_HEADER_BYTES: Final = 256 * 1024
# a value (and the line holding it): the CSV parser reads in blocks of this size, and a row
# longer than a block cannot be read. Real rows are under a kilobyte
MAX_LINE_BYTES: Final = 1024**2


def size_text(n: int) -> str:
    """A byte count for people: `2 GB`, `256 KB`, `1.5 MB`."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value >= 10 or value.is_integer() else \
                f"{value:.1f} {unit}"
    return f"{n} bytes"
