"""The one table reader: text columns always, and only its own error on bad input."""

from __future__ import annotations

import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tests.conftest import write_export
from tests.helpers.cli import convwiz
from wizard.core import limits, text_table
from wizard.core.reader import cell_text, read_table
from wizard.core.vocabulary import CUSTOMER_HEADERS
from wizard.errors import InputError
from wizard.services.store import STORE_NAME, Store

SETTINGS = settings(max_examples=80, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_leading_zeros_survive_csv(tmp_path: Path) -> None:
    path = write_export(tmp_path / "c.csv", ["Jane,0001234567,j@example.com,Y,N,card,0042"])
    table = read_table(path)
    row = table.data.to_pylist()[0]
    assert row["Account Number"] == "0001234567" and row["Last Four"] == "0042"


def test_leading_zeros_survive_xlsx(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(["Account Number", "Last 4", "Balance", "Big"])
    wb.active.append(["0001234567", "0042", 12.5, 4111111111111111])
    path = tmp_path / "c.xlsx"
    wb.save(path)
    row = read_table(path).data.to_pylist()[0]
    assert row == {"Account Number": "0001234567", "Last 4": "0042", "Balance": "12.5",
                   "Big": "4111111111111111"}


def test_cell_text_renders_whole_numbers_as_digits() -> None:
    assert cell_text(1234567.0) == "1234567"
    assert cell_text(True) == "TRUE" and cell_text(False) == "FALSE"
    assert cell_text(None) == ""
    assert cell_text(0.5) == "0.5"


def test_ragged_rows_are_padded_and_extra_values_named(tmp_path: Path) -> None:
    ok = tmp_path / "ok.csv"
    ok.write_text("A,B,C\r\n1,2\r\n3,4,5\r\n", encoding="utf-8", newline="")
    assert read_table(ok).data.to_pylist() == [{"A": "1", "B": "2", "C": ""},
                                               {"A": "3", "B": "4", "C": "5"}]
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B\r\n1,2\r\n3,4,5\r\n", encoding="utf-8", newline="")
    try:
        read_table(bad)
    except InputError as exc:
        assert "line 3" in exc.message and "bad.csv" in exc.message
    else:
        raise AssertionError("a row with an extra value must be refused")


LATE_1252 = ["Name,Account,Email"] + [f"N{i},{i:08d}," for i in range(40_000)] + ["Zoé,1,"]


@pytest.mark.parametrize("short", [False, True], ids=["full rows", "short rows"])
def test_late_windows_1252_byte_falls_back(tmp_path: Path, short: bool) -> None:
    """Valid UTF-8 for 40,000 rows, then a Windows-1252 byte: read as Windows-1252, by the
    fast parser or, with rows a spreadsheet left short, by the slow path."""
    rows = [r.removesuffix(",") for r in LATE_1252] if short else LATE_1252
    path = tmp_path / "late.csv"
    path.write_bytes("\r\n".join(rows).encode("cp1252"))
    table = read_table(path)
    assert table.encoding == "cp1252"
    assert table.data.column("Name")[-1].as_py() == "Zoé"
    assert table.data.column("Email")[0].as_py() == ""


def test_a_byte_of_neither_encoding_is_named_with_its_offset(tmp_path: Path) -> None:
    head = "\r\n".join(LATE_1252[:-1]).encode("cp1252") + b"\r\n"
    path = tmp_path / "broken.csv"
    path.write_bytes(head + b"Zo\x81,1,z@x\r\n")  # 0x81: undefined in Windows-1252
    with pytest.raises(InputError, match=f"byte 0x81 at offset {len(head) + 2} is neither"):
        read_table(path)


def test_short_rows_across_batches_keep_their_order_and_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The slow path reads in batches of rows: rows stay in order across the batches, blank
    lines and a title row are skipped, and an extra value late in the file names its line."""
    monkeypatch.setattr(text_table, "RAGGED_BATCH_ROWS", 3)
    lines = ["Customers of Acme", "Name,Account,Email"]
    lines += [f"N{i},{i:04d}" + ("" if i % 4 else f",n{i}@example.com") for i in range(10)]
    path = tmp_path / "short.csv"
    path.write_text("\r\n".join(lines[:5] + [""] + lines[5:]) + "\r\n", encoding="utf-8",
                    newline="")
    table = read_table(path, header_hint=CUSTOMER_HEADERS)
    assert [r["Account"] for r in table.data.to_pylist()] == [f"{i:04d}" for i in range(10)]
    assert table.data.column("Email").to_pylist()[:5] == ["n0@example.com", "", "", "",
                                                         "n4@example.com"]
    assert table.source_row(0) == 3 and table.data.column("Email").num_chunks == 4
    extra = tmp_path / "extra.csv"
    extra.write_text("\r\n".join(lines + ["N10,0010,e,surplus"]) + "\r\n", encoding="utf-8",
                     newline="")
    with pytest.raises(InputError, match="line 13 has 4 values where the header has 3"):
        read_table(extra, header_hint=CUSTOMER_HEADERS)


def test_a_text_table_past_its_size_limit_is_refused_unread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_export(tmp_path / "c.csv", [f"N{i},{i:08d},,Y,N,card,0042"
                                             for i in range(100)])
    monkeypatch.setattr(limits, "MAX_TEXT_BYTES", path.stat().st_size - 1)
    with pytest.raises(InputError, match="past the limit of .* for a text table") as caught:
        read_table(path)
    assert str(path) in caught.value.message
    monkeypatch.setattr(limits, "MAX_TEXT_BYTES", path.stat().st_size)
    assert read_table(path).num_rows == 100


@SETTINGS
@given(st.binary(max_size=2048))
def test_random_bytes_raise_only_the_readers_error(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(blob)
    try:
        table = read_table(path)
    except InputError as exc:
        assert str(path) in exc.message
    else:
        assert all(str(t) == "string" for t in table.data.schema.types)


@SETTINGS
@given(st.lists(st.lists(st.text(alphabet=string.printable + "éü\"';|\t,", max_size=12),
                         max_size=8), max_size=12),
       st.sampled_from([",", ";", "\t", "|"]))
def test_mangled_csv_never_raises_anything_else(tmp_path: Path, rows: list[list[str]],
                                                delimiter: str) -> None:
    path = tmp_path / "mangled.csv"
    path.write_text("\n".join(delimiter.join(r) for r in rows), encoding="utf-8")
    try:
        read_table(path)
    except InputError:
        pass


@SETTINGS
@given(st.binary(min_size=1, max_size=600))
def test_bad_input_through_the_command_is_exit_2(tmp_path: Path, blob: bytes) -> None:
    folder = tmp_path / "p"
    if not folder.exists():
        assert convwiz("init", folder, "--biller", "B", "--go-live", "2026-12-14",
                       "--production-bid", "2806", "--allow-past").code == 0
    path = tmp_path / "in.csv"
    path.write_bytes(blob)
    run = convwiz("export-flags", folder, "--input", path, "--json")
    assert run.code in (0, 2, 3), run.stderr
    assert "Traceback" not in run.stderr


def test_title_rows_and_excel_sep_line_are_skipped(tmp_path: Path) -> None:
    from wizard.core.vocabulary import CUSTOMER_HEADERS

    titled = tmp_path / "titled.csv"
    titled.write_text("Acme Co-op customer export\r\nRun 2026-11-20\r\n\r\n"
                      "Customer Name;Account Number;Email;Paperless;AutoPay;Payment Type;"
                      "Last Four\r\nJane;0001;j@example.com;Y;N;card;1234\r\n",
                      encoding="utf-8", newline="")
    sep = tmp_path / "sep.csv"
    sep.write_text("sep=;\r\nCustomer Name;Account Number;Email;Paperless;AutoPay;"
                   "Payment Type;Last Four\r\nJane;0001;j@example.com;Y;N;card;1234\r\n",
                   encoding="utf-8", newline="")
    for path, row in ((titled, 5), (sep, 3)):
        table = read_table(path, header_hint=CUSTOMER_HEADERS)
        assert table.headers[0] == "Customer Name"
        assert table.data.column("Account Number").to_pylist() == ["0001"]
        assert table.source_row(0) == row


def test_xlsx_number_format_zeros_and_used_range(tmp_path: Path) -> None:
    """A numeric account formatted 0000000000 shows its zeros: it is read with them."""
    wb = Workbook()
    ws = wb.active
    ws["B3"], ws["C3"], ws["D3"] = "Account Number", "Last 4", "Name"
    ws["B4"], ws["C4"], ws["D4"] = 1234567, 42, "Jane"
    ws["B4"].number_format = "0000000000"
    ws["C4"].number_format = "0000"
    ws["B5"], ws["C5"], ws["D5"] = 7654321, 9, "Bob"
    ws["B5"].number_format = "0000000000"  # C5 unformatted: a mixed column is left alone
    path = tmp_path / "formatted.xlsx"
    wb.save(path)
    table = read_table(path)
    assert table.headers == ["Account Number", "Last 4", "Name"]
    assert table.data.to_pylist() == [
        {"Account Number": "0001234567", "Last 4": "42", "Name": "Jane"},
        {"Account Number": "0007654321", "Last 4": "9", "Name": "Bob"},
    ]
    assert table.row_numbers.to_pylist() == [4, 5]


def test_data_on_a_second_sheet_names_the_sheets_and_sheet_option(project: Path,
                                                                   tmp_path: Path) -> None:
    """A workbook whose first sheet is a cover page: the message names the other sheets
    and --sheet, and --sheet reads it."""
    import openpyxl

    from tests.helpers.cli import convwiz

    book = openpyxl.Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Read me"
    cover.append(["Customer export for Acme, prepared by the billing office"])
    data = book.create_sheet("Customers")
    data.append(["Customer Name", "Account Number", "Email", "Paperless", "AutoPay",
                 "Payment Type", "Last Four"])
    data.append(["Ann Lee", "0001234567", "ann@example.com", "Y", "N", "card", "0042"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    run = convwiz("export-flags", project, "--input", path, "--json")
    assert run.code == 2
    assert "'Customers'" in run.result["error"] and "--sheet" in run.result["error"]
    run = convwiz("export-flags", project, "--input", path, "--sheet", "Customers", "--json")
    assert run.code == 0, run.stderr



CHILD_WRITES = """
import sys
from pathlib import Path
from wizard.services.store import Store
s = Store(Path(sys.argv[1]))
s.set_setting("child", 2)
s.close()
"""


def test_a_projects_store_is_refused_unopened(project: Path) -> None:
    """A project's store chosen or dropped as a table by mistake is refused by its name,
    and never opened: this process holds that store, and closing a plain open() of it
    would drop this process's locks, so the next process to close its connection deleted
    the -wal under this one (issue 29). Fails on a reader that opens it to look."""
    db = project / STORE_NAME
    window = Store(db)  # as the window holds its project's store
    try:
        window.set_setting("window", 1)
        for name in (STORE_NAME, f"{STORE_NAME}-wal", f"{STORE_NAME}-shm"):
            with pytest.raises(InputError, match="is a database"):
                read_table(project / name)
        run = convwiz("export-flags", project, "--input", db)
        assert run.code == 2 and "is a database" in run.stderr, run.stderr
        subprocess.run([sys.executable, "-c", CHILD_WRITES, str(db)], check=True,
                       cwd=Path(__file__).resolve().parents[2], timeout=120)
        assert (project / f"{STORE_NAME}-wal").exists(), "the -wal went under a live store"
        window.set_setting("window_after", 3)
    finally:
        window.close()
    with Store(db) as fresh:
        assert (fresh.setting("window"), fresh.setting("child"),
                fresh.setting("window_after")) == (1, 2, 3)


@pytest.mark.skipif(sys.platform == "win32", reason="a symbolic link needs a privilege on "
                    "Windows; the name rule is the same")
def test_a_link_to_a_store_is_refused_too(project: Path, tmp_path: Path) -> None:
    link = tmp_path / "customers.csv"
    link.symlink_to(project / STORE_NAME)
    with pytest.raises(InputError, match="is a database"):
        read_table(link)
