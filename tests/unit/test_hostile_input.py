"""Hostile input never harms (issue 30): files built here, small on disk, each read by the real
`convwiz export-flags` in its own process. Each ends in a contract exit code with a message
naming the file and the limit, no traceback, nothing written outside the project, no
temporary file left, and bounded memory.

Before the bounds, a 2.5 KB workbook with one cell at XFD1048576 made the spreadsheet
library ask for 549,755,813,888 bytes and abort (exit 134); a 3 MB workbook inflating to 3 GB
was read until memory ran out; a NUL at byte 360,000 of a CSV reached the flag file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import hostile_files as h
from tests.helpers.cli import Run
from tests.helpers.measured import convwiz_measured
from wizard.core import generate, limits
from wizard.core.limits import size_text

PEAK_LIMIT_MB = 1024


def listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*")
            if p.is_file()}


def run_export(project: Path, source: Path, written: bool = False) -> tuple[Run, float | None]:
    """export-flags on `source`, checking what every hostile file must leave true (and, unless
    `written`, that no flag file was written)."""
    inputs = listing(source.parent)
    run, peak = convwiz_measured("export-flags", project, "--input", source)
    assert run.code in (0, 2, 3, 4), f"exit {run.code}:\n{run.stderr[-2000:]}"
    assert "Traceback" not in run.stderr, run.stderr
    assert peak is not None and peak < PEAK_LIMIT_MB, f"peak {peak} MB"
    assert listing(source.parent) == inputs, "nothing written beside the input"
    left = [p for p in project.rglob("*") if p.name.startswith(".tmp") and p.is_file()]
    assert not left, f"temporary files left: {left}"
    assert written or not list((project / "outbox").glob("*")), "no flag file"
    return run, peak


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


def refused(project: Path, source: Path, *words: str) -> None:
    run, _ = run_export(project, source)
    assert run.code == 2, run.stderr
    assert str(source) in run.stderr, run.stderr
    for word in words:
        assert word in run.stderr, f"{word!r} not in:\n{run.stderr}"


# -- workbooks past the limits ------------------------------------------------------------------
@pytest.mark.parametrize(("build", "words"), [
    (h.far_cell_declared, ("XFD1048576", f"{limits.MAX_COLUMNS:,} columns")),
    (h.far_cell_lying, ("XFD1048576", f"{limits.MAX_COLUMNS:,} columns")),
    (h.far_cell_quoted, ("XFD1048576", f"{limits.MAX_COLUMNS:,} columns")),
    (h.sparse, ("1,048,576 rows by 64 columns", f"{limits.MAX_CELLS:,} cells")),
    (h.far_row, ("A5000000", f"{limits.MAX_ROWS:,} rows")),
    (h.far_cell_midway, ("900,000 rows by 7 columns", f"one cell in {limits.DENSITY}")),
    (h.far_cell_row_overflow, ("A99999999999999999999", f"{limits.MAX_ROWS:,} rows")),
    (h.far_cell_column_overflow, ("AAAAAAAAA3", f"{limits.MAX_COLUMNS:,} columns")),
    (h.unplaced_far_row, ("A99999999999999999999", f"{limits.MAX_ROWS:,} rows")),
    (h.far_cell_renamed, ("XFD1048576", "sheet1.dat")),
])
def test_a_cell_far_out_is_refused_before_the_reader_sees_it(
        project: Path, inputs: Path, build: Callable[[Path], Path],
        words: tuple[str, ...]) -> None:
    source = build(inputs)
    assert source.stat().st_size < 500_000
    refused(project, source, *words)


@pytest.mark.parametrize(("build", "words"), [
    (h.bomb_sheet, ("xl/worksheets/sheet1.xml", f"{limits.MAX_RATIO} times")),
    (h.bomb_strings, ("xl/sharedStrings.xml", f"{limits.MAX_RATIO} times")),
    (h.lying_directory, ("damaged",)),
    (h.extreme_ratio, ("xl/worksheets/sheet1.xml", f"{limits.MAX_RATIO} times")),
    (h.many_parts, (f"{limits.MAX_PARTS:,} parts",)),
    (h.huge_string_count, ("4,000,000,000 strings", f"{limits.MAX_SHARED_STRINGS:,}")),
    (h.giant_text, (size_text(limits.MAX_TEXT_RUN),)),
])
def test_a_package_past_its_limits_is_refused_in_bounded_memory(
        project: Path, inputs: Path, build: Callable[[Path], Path],
        words: tuple[str, ...]) -> None:
    source = build(inputs)
    assert source.stat().st_size < 3 * 1024**2
    refused(project, source, *words)


def test_deep_nesting_is_read_or_refused_never_fatal(project: Path, inputs: Path) -> None:
    deep = "<x>" * 100_000 + "</x>" * 100_000
    source = h.workbook(inputs / "deep.xlsx", h.sheet_xml(h.customer_rows()).replace(
        "<sheetData>", deep + "<sheetData>"))
    run, _ = run_export(project, source, written=True)
    assert run.code in (0, 2, 3), run.stderr


def test_a_plain_sheet_of_many_chunks_passes_the_check(inputs: Path) -> None:
    from wizard.core.package_bounds import check_package

    check_package(h.far_cell_midway(inputs, far=False))  # no InputError


def test_a_real_workbook_passes(project: Path, inputs: Path) -> None:
    source = generate.write_xlsx(generate.customers(300, seed=4), inputs / "export.xlsx")
    run, peak = convwiz_measured("export-flags", project, "--input", source)
    assert run.code == 0, run.stderr
    assert peak is not None


def test_an_export_as_excel_saves_it_is_read_in_bounded_memory(project: Path,
                                                               inputs: Path) -> None:
    """A CSV saved by a spreadsheet leaves a row's empty last cells out. A million customers,
    one row in ten one value short: every row read and padded, under the memory bound (read
    whole as Python strings, the same file took 1.2 GB)."""
    full = generate.write_csv(generate.customers(1_000_000, seed=3), inputs / "full.csv")
    source = inputs / "saved_by_excel.csv"
    with open(full, "rb") as rows, open(source, "wb") as out:
        for number, line in enumerate(rows):
            out.write(line.rsplit(b",", 1)[0] + b"\n" if number % 10 == 5 else line)
    full.unlink()
    run, _ = run_export(project, source, written=True)
    assert run.code == 0, run.stderr
    assert "1,000,000" in run.stderr, run.stderr


def test_a_text_table_past_its_size_limit_is_refused_unread(project: Path,
                                                            inputs: Path) -> None:
    source = inputs / "huge.csv"
    with open(source, "wb") as out:  # sparse where the system allows: nothing to read
        out.write(b"Customer Name,Account Number,Email,Paperless,Autopay,Payment Method,"
                  b"Last 4\r\nAnn,1,a@example.com,Y,N,card,1234\r\n")
        out.seek(limits.MAX_TEXT_BYTES)
        out.write(b"\r\n")
    refused(project, source, "past the limit of", size_text(limits.MAX_TEXT_BYTES),
            "text table")


# -- control characters, anywhere ---------------------------------------------------------------
def csv_with(folder: Path, at: int, text: bytes, column: int = 0) -> tuple[Path, int]:
    """A realistic export with `text` put into the value of `column` on the first line that
    starts after byte `at`; (the file, that line's number)."""
    path = generate.write_csv(generate.customers(6000, seed=7), folder / "export.csv")
    data = path.read_bytes()
    start = data.index(b"\n", at) + 1
    cell = start
    for _ in range(column):
        cell = data.index(b'","', cell) + 2
    cell = data.index(b'"', cell) + 2  # inside the value, after its first character
    path.write_bytes(data[:cell] + text + data[cell:])
    return path, data[:start].count(b"\n") + 1


def blocked(project: Path, source: Path, line: int, shown: str) -> None:
    run, _ = run_export(project, source)
    assert run.code == 3, run.stderr
    assert f"row {line}" in run.stderr and shown in run.stderr, run.stderr
    assert "control character" in run.stderr
    assert list((project / "reports").glob("flag_file_exceptions_*.xlsx"))


def test_a_nul_far_into_a_csv_blocks_and_never_reaches_the_flag_file(
        project: Path, inputs: Path) -> None:
    source, line = csv_with(inputs, 360_000, b"\x00")
    assert source.read_bytes().index(b"\x00") > 360_000
    blocked(project, source, line, "\\x00")


@pytest.mark.parametrize(("text", "shown", "column"), [
    (b"\x1b]0;owned\x07", "\\x1b]0;owned\\x07", 0),  # a terminal's escape in a name
    (b"\x0c", "\\x0c", 7),  # a form feed in a column the flag file does not take
    (b"a\nb", "\\n", 1),  # a line break inside an account number
    (b"\x00", "\\x00", 0),  # near the start: a finding too, not "binary data"
])
def test_other_controls_block_with_their_row(project: Path, inputs: Path, text: bytes,
                                             shown: str, column: int) -> None:
    source, line = csv_with(inputs, 2000, text, column)
    blocked(project, source, line, shown)


def test_a_nul_in_a_workbook_cell_blocks(project: Path, inputs: Path) -> None:
    # Excel writes a control character as _x0000_; the reader gives it back as one
    rows = h.customer_rows(3).replace("Ann Lee</t>", "Ann_x0000_Lee</t>", 1)
    # not "nul.xlsx": NUL, whatever its extension, is a device on Windows
    source = h.workbook(inputs / "control_cell.xlsx", h.sheet_xml(rows, "A1:G4"))
    blocked(project, source, 2, "Ann\\x00Lee")


# -- the two messages that said nothing useful ---------------------------------------------------
def test_a_header_line_too_long_says_so(project: Path, inputs: Path) -> None:
    source = inputs / "long_header.csv"
    source.write_bytes(b"Customer Name," + b"X" * 300_000 + b",Account Number\r\nAnn,1\r\n")
    refused(project, source, "first line", "293 KB", "256 KB", "header")


def test_a_value_of_200_mb_names_its_line_and_column(project: Path, inputs: Path) -> None:
    source = inputs / "big_value.csv"
    with open(source, "wb") as out:
        out.write(b"Customer Name,Account Number,Email,Paperless,Autopay,Payment Method,"
                  b"Last 4\r\n")
        out.write(b'Ann,1,a@example.com,Y,N,card,1234\r\nBob,2,"')
        block = b"x" * 1024**2
        for _ in range(200):
            out.write(block)
        out.write(b'",Y,N,card,1234\r\n')
    refused(project, source, "line 3", "'Email'", size_text(limits.MAX_LINE_BYTES))
