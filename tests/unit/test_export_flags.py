"""`convwiz export-flags`: the contract's reading rules, checks and flag file, end to end."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from tests.conftest import write_export
from tests.helpers.cli import convwiz
from tests.helpers.private import PRIVATE_FILE, mode
from wizard.services.workbook import field_words

FLAG_HEADER = (b"Customer Name,UTI Account Number,Email,Paperless,Autopay,"
               b"Default Payment Method Type,Last 4\r\n")
CARD = "4111111111111111"  # a Luhn-valid test card number
CARD_SPACED = "5500 0000 0000 0004"


def flag_rows(run_result: dict) -> list[dict[str, str]]:
    text = Path(run_result["output"]).read_bytes().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def findings(path: str) -> list[list[object]]:
    """Row, Field, Value, Severity, Rule, What to do (the sheet also names the account and
    the customer: tests/unit/test_exceptions_workbook.py)."""
    book = CalamineWorkbook.from_path(path)
    rows = book.get_sheet_by_name("Findings").to_python()
    at = [rows[0].index(h) for h in ("Row", "Field", "Value", "Severity", "Rule",
                                     "What to do")]
    return [[r[i] for i in at] for r in rows[1:]]


def good_rows() -> list[str]:
    return [
        "Jane Doe,0001234567,jane@example.com,Y,Y,Visa,0042",
        "Bob Smith,0001234568,bob@example.com,N,Y,Checking,9876",
        "Ann Lee,0001234569,,N,N,,",
    ]


# -- the flag file ------------------------------------------------------------------------
def test_flag_file_is_exactly_the_contract(project: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "customers.csv", good_rows())
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    result = run.result
    assert set(result) >= {"output", "rows", "blocking", "warnings", "exceptions"}
    assert (result["rows"], result["blocking"], result["warnings"]) == (3, 0, 0)
    assert result["exceptions"] is None
    out = Path(result["output"])
    assert out.parent == project / "outbox"
    raw = out.read_bytes()
    assert raw.startswith(FLAG_HEADER), "header exact, no BOM"
    assert raw.count(b"\r\n") == 4 and b"\n" not in raw.replace(b"\r\n", b"")
    assert mode(out) == PRIVATE_FILE
    assert raw.split(b"\r\n")[1:4] == [
        b"Jane Doe,0001234567,jane@example.com,Y,Y,card,0042",
        b"Bob Smith,0001234568,bob@example.com,N,Y,check,9876",
        b"Ann Lee,0001234569,,N,N,,",
    ]
    snap = project / "data" / "customers.parquet"
    assert snap.exists() and mode(snap) == PRIVATE_FILE
    status = convwiz("status", project, "--json").result
    assert {s["id"]: s["state"] for s in status["steps"]}["flag_file"] == "done"


def test_values_needing_quotes_are_quoted_and_round_trip(project: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "c.csv", [
        '"Doe, Jane",0001,jane@example.com,Y,N,card,1234',
        '"Bob ""Bobby"" Smith",0002,bob@example.com,N,N,,',
    ])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    rows = flag_rows(run.result)
    assert rows[0]["Customer Name"] == "Doe, Jane"
    assert rows[1]["Customer Name"] == 'Bob "Bobby" Smith'


@pytest.mark.parametrize("value,expected", [
    ("Y", "Y"), ("yes", "Y"), ("TRUE", "Y"), ("t", "Y"), ("1", "Y"), ("Enrolled", "Y"),
    ("ACTIVE", "Y"), ("on", "Y"), ("N", "N"), ("No", "N"), ("false", "N"), ("F", "N"),
    ("0", "N"), ("Not Enrolled", "N"), ("not  enrolled", "N"), ("inactive", "N"),
    ("OFF", "N"), ("", "N"), ("  yes ", "Y"),
])
def test_flag_values(project: Path, tmp_path: Path, value: str, expected: str) -> None:
    export = write_export(tmp_path / "c.csv", [f"A,0001,a@example.com,{value},{value},card,1111"])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    row = flag_rows(run.result)[0]
    assert (row["Paperless"], row["Autopay"]) == (expected, expected)


@pytest.mark.parametrize("value,expected", [
    ("card", "card"), ("Credit", "card"), ("debit", "card"), ("VISA", "card"),
    ("MasterCard", "card"), ("MC", "card"), ("Amex", "card"), ("American Express", "card"),
    ("Discover", "card"), ("Credit Card", "card"), ("Debit Card", "card"),
    ("check", "check"), ("Checking", "check"), ("savings", "check"), ("ACH", "check"),
    ("eCheck", "check"), ("E-Check", "check"), ("bank", "check"),
    ("Checking Account", "check"), ("Savings Account", "check"), ("", ""),
    ("Visa Debit", "card"), ("Visa/MC", "card"), ("Prepaid Debit Card", "card"),
    ("Business Checking", "check"), ("Checking/Savings", "check"), ("ACH - Bank", "check"),
])
def test_method_values(project: Path, tmp_path: Path, value: str, expected: str) -> None:
    last4 = "1111" if value else ""
    export = write_export(tmp_path / "c.csv", [f"A,0001,a@example.com,N,N,{value},{last4}"])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    assert flag_rows(run.result)[0]["Default Payment Method Type"] == expected


# -- blocking checks --------------------------------------------------------------------------
BLOCKING_CASES = {
    "empty account": ("Jane,,jane@example.com,Y,N,card,1234", "account", "empty"),
    "scientific notation": ("Jane,1.23457E+09,jane@example.com,Y,N,card,1234", "account",
                            "mangled"),
    "trailing .0": ("Jane,1234567.0,jane@example.com,Y,N,card,1234", "account", "mangled"),
    "flag": ("Jane,0009,jane@example.com,maybe,N,card,1234", "paperless", "yes/no"),
    "autopay flag": ("Jane,0009,jane@example.com,Y,sometimes,card,1234", "autopay", "yes/no"),
    "method": ("Jane,0009,jane@example.com,Y,N,bitcoin,1234", "method", "card or check"),
    "method naming both": ("Jane,0009,jane@example.com,Y,N,Visa & Checking,1234", "method",
                           "card or check"),
    "method sentence": ("Jane,0009,jane@example.com,Y,N,no card on file,", "method",
                        "card or check"),
    "long last 4": ("Jane,0009,jane@example.com,Y,N,card,123456", "last4", "more than four"),
    "card in last 4": (f"Jane,0009,jane@example.com,Y,N,card,{CARD}", "last4", "card number"),
}


@pytest.mark.parametrize("case", sorted(BLOCKING_CASES))
def test_blocking_checks_stop_the_export(project: Path, tmp_path: Path, case: str) -> None:
    line, field, words = BLOCKING_CASES[case]
    export = write_export(tmp_path / "c.csv", [*good_rows(), line])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 3, run.stderr
    result = run.result
    assert result["blocking"] >= 1 and result["output"] is None
    assert not list((project / "outbox").iterdir()), "no flag file on a blocking finding"
    assert not (project / "data" / "customers.parquet").exists()
    rows = findings(result["exceptions"])
    blocking = [r for r in rows if r[3] == "blocking"]
    assert blocking and blocking[0][0] == 5, "the finding names the file's row (header = 1)"
    assert blocking[0][1] == field_words(field) and words in str(blocking[0][4])
    assert "row 5" in run.stderr


def test_same_account_with_different_values_blocks(project: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "c.csv", [
        "Jane,0001,jane@example.com,Y,Y,card,1234",
        "Jane,0001,jane@example.com,Y,N,card,1234",
    ])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 3
    rows = [r for r in findings(run.result["exceptions"]) if r[3] == "blocking"]
    assert sorted(int(r[0]) for r in rows) == [2, 3]


def test_spaced_card_number_in_any_column_blocks_masked(project: Path, tmp_path: Path) -> None:
    export = write_export(
        tmp_path / "c.csv",
        [*good_rows(), f"Jane,0009,jane@example.com,Y,N,card,1234,paid with {CARD_SPACED}"],
        header="Customer Name,Account Number,Email,Paperless,AutoPay,Payment Type,"
               "Last Four,Notes",
    )
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 3
    rows = findings(run.result["exceptions"])
    assert any(r[1] == "Notes" and r[2] == "paid with ****0004" for r in rows)
    assert CARD_SPACED not in run.stderr and CARD_SPACED not in run.stdout


def test_no_card_number_anywhere_in_the_project(project: Path, tmp_path: Path) -> None:
    """Every byte under the project, inside the XLSX files too: no card number survives."""
    export = write_export(
        tmp_path / "c.csv",
        [f"Jane,0001,jane@example.com,Y,N,card,{CARD}",
         f"Bob,0002,bob@example.com,N,N,card,1234,card {CARD_SPACED} on file",
         "Dee,0003,dee@example.com,N,N,card,5678,4111-1111-1111-1111"],
        header="Customer Name,Account Number,Email,Paperless,AutoPay,Payment Type,"
               "Last Four,Notes",
    )
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 3
    assert Path(run.result["exceptions"]).exists()
    needles = [CARD, CARD_SPACED, "4111-1111-1111-1111", CARD_SPACED.replace(" ", "")]
    for path in project.rglob("*"):
        if not path.is_file():
            continue
        blobs = [path.read_bytes()]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                blobs += [z.read(n) for n in z.namelist()]
        for blob in blobs:
            for needle in needles:
                assert needle.encode() not in blob, f"{needle} found in {path}"


# -- warnings ------------------------------------------------------------------------------
def test_warnings_let_the_export_go_on(project: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "c.csv", [
        "Jane,0001,jane@example.com,Y,Y,card,0042",
        "Jane,0001,jane@example.com,Y,Y,card,0042",  # exact duplicate: collapsed
        "Bob,0002,bob(at)example,N,N,,",  # invalid email
        "Cy,0003,,Y,N,,",  # paperless without email
        "Di,0004,di@example.com,N,Y,,",  # autopay without method
        "Ed,0005,ed@example.com,N,N,card,42",  # short last 4: padded
        "=HYPERLINK(\"x\"),0006,ed@example.com,N,N,,",  # formula-like
    ])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    result = run.result
    assert result["rows"] == 6 and result["blocking"] == 0 and result["warnings"] == 6
    rules = {str(r[4]) for r in findings(result["exceptions"])}
    for words in ("duplicate", "email address is not valid", "paperless without",
                  "autopay without", "fewer than four", "formula"):
        assert any(words in r for r in rules), words
    rows = {r["UTI Account Number"]: r for r in flag_rows(result)}
    assert rows["0005"]["Last 4"] == "0042"
    assert rows["0006"]["Customer Name"] == '=HYPERLINK("x")'


# -- reading ---------------------------------------------------------------------------------
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_and_delimiters(project: Path, tmp_path: Path, delimiter: str,
                                  encoding: str) -> None:
    header = "Customer Name,Account Number,Email,Paperless,AutoPay,Payment Type,Last Four"
    lines = [header, "Renée Núñez,0001234567,renee@example.com,Y,Y,Visa,0042"]
    text = "\r\n".join(line.replace(",", delimiter) for line in lines) + "\r\n"
    export = tmp_path / "c.csv"
    export.write_bytes(text.encode(encoding))
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    row = flag_rows(run.result)[0]
    assert row["Customer Name"] == "Renée Núñez"
    assert row["UTI Account Number"] == "0001234567" and row["Last 4"] == "0042"


def test_xlsx_numeric_and_boolean_cells(project: Path, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Export"
    ws.append(["Acme customers, exported 2026-11-20"])  # a title row above the header
    ws.append([])
    ws.append(["Customer Name", "UTI Account", "E-mail Address", "E-Bill", "AutoPay",
               "Payment Type", "Last Four"])
    ws.append(["Jane Doe", "0001234567", "jane@example.com", True, False, "Visa", "0042"])
    ws.append(["Bob Smith", 1234568, "bob@example.com", False, True, "Checking", 9876])
    ws.append(["Cy Young", 1234569.0, "cy@example.com", 1, 0, "card", 42])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    run = convwiz("export-flags", project, "--input", path, "--json")
    assert run.code == 0, run.stderr
    rows = flag_rows(run.result)
    assert [r["UTI Account Number"] for r in rows] == ["0001234567", "1234568", "1234569"]
    assert [r["Last 4"] for r in rows] == ["0042", "9876", "0042"]
    assert [(r["Paperless"], r["Autopay"]) for r in rows] == [("Y", "N"), ("N", "Y"),
                                                              ("Y", "N")]
    assert run.result["warnings"] == 1  # 42 padded to 0042
    warned = findings(run.result["exceptions"])
    assert int(warned[0][0]) == 6, "the row number is the sheet's row"


def test_sheet_option(project: Path, tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(["notes"])
    ws = wb.create_sheet("Customers")
    ws.append(["Customer Name", "Account Number", "Email", "Paperless", "Autopay",
               "Payment Type", "Last 4"])
    ws.append(["Jane", "0007", "j@example.com", "Y", "N", "", ""])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    assert convwiz("export-flags", project, "--input", path).code == 2
    run = convwiz("export-flags", project, "--input", path, "--sheet", "Customers", "--json")
    assert run.code == 0, run.stderr
    assert flag_rows(run.result)[0]["UTI Account Number"] == "0007"
    bad = convwiz("export-flags", project, "--input", path, "--sheet", "Nope", "--json")
    assert bad.code == 2 and "Customers" in bad.result["error"]


def test_missing_column_names_the_headers_found(project: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "c.csv", ["Jane,0001,j@example.com,Y,N,card"],
                          header="Customer Name,Account Number,Email,Paperless,AutoPay,"
                                 "Payment Type")
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 2
    assert "last4" in run.result["error"] and "'Payment Type'" in run.result["error"]
    assert not list((project / "outbox").iterdir())


def test_map_names_columns_by_hand(project: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "c.csv", ["Jane,0001,j@example.com,Y,N,card,1234"],
                          header="Who,Ref,Contact,Green,Auto,Kind,Tail")
    run = convwiz("export-flags", project, "--input", export, "--json",
                  "--map", "name=Who", "--map", "account=Ref", "--map", "email=Contact",
                  "--map", "paperless=Green", "--map", "autopay=Auto", "--map", "method=Kind",
                  "--map", "last4=Tail")
    assert run.code == 0, run.stderr
    assert flag_rows(run.result)[0]["UTI Account Number"] == "0001"
    bad = convwiz("export-flags", project, "--input", export, "--map", "account=Nope",
                  "--json")
    assert bad.code == 2 and "Nope" in bad.result["error"]
    assert convwiz("export-flags", project, "--input", export, "--map", "bogus").code == 2


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\x03binary", b"PK\x03\x04broken",
                                     "Name,Account\r\n".encode("utf-16")])
def test_not_a_table_is_exit_2(project: Path, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    run = convwiz("export-flags", project, "--input", path, "--json")
    assert run.code == 2
    assert str(path) in run.result["error"]
    assert "Traceback" not in run.stderr


def test_missing_input_file_is_exit_2(project: Path, tmp_path: Path) -> None:
    run = convwiz("export-flags", project, "--input", tmp_path / "nope.csv", "--json")
    assert run.code == 2 and "nope.csv" in run.result["error"]


def test_not_a_project_is_exit_2(tmp_path: Path) -> None:
    export = write_export(tmp_path / "c.csv", good_rows())
    run = convwiz("export-flags", tmp_path / "nowhere", "--input", export, "--json")
    assert run.code == 2 and "not a conversion project" in run.result["error"]


class CancelWhileWriting:
    """Progress whose Cancel is pressed once the flag file starts being written."""

    def __init__(self) -> None:
        self.writing = False

    def report(self, done: int, total: int, message: str = "") -> None:
        if "writing the flag file" in message:
            self.writing = True

    @property
    def cancelled(self) -> bool:
        return self.writing


def test_cancel_while_writing_keeps_the_previous_export_whole(project: Path,
                                                              tmp_path: Path) -> None:
    from wizard.errors import Cancelled
    from wizard.flow.project.project import Project
    from wizard.flow.records import snapshot
    from wizard.flow.steps.export import export_flags

    first = write_export(tmp_path / "first.csv", good_rows())
    assert convwiz("export-flags", project, "--input", first).code == 0
    flag_files = sorted((project / "outbox").iterdir())
    second = write_export(tmp_path / "second.csv", [*good_rows(),
                                                    "New Person,0009,n@example.com,Y,N,,"])
    with Project.open(project) as p:
        with pytest.raises(Cancelled):
            export_flags(p, second, progress=CancelWhileWriting())
        kept = snapshot.load(p, snapshot.CUSTOMERS)  # still the first export, hash intact
        assert kept.num_rows == 3
    assert sorted((project / "outbox").iterdir()) == flag_files
    assert not [f for f in project.rglob(".tmp-*")]


def test_two_exports_in_the_same_second_never_share_a_name(project: Path, tmp_path: Path,
                                                            monkeypatch) -> None:
    """A second run never replaces the first run's flag file or exceptions workbook."""
    from wizard.flow.project import outputs

    monkeypatch.setattr(outputs, "stamp", lambda: "20261202-120000")
    path = write_export(tmp_path / "c.csv", ['"Ann Lee",0001234567,not-an-email,Y,Y,card,0042'])
    first = convwiz("export-flags", project, "--input", path, "--json").result
    second = convwiz("export-flags", project, "--input", path, "--json").result
    assert first["output"] != second["output"]
    assert first["exceptions"] != second["exceptions"]
    assert Path(first["output"]).is_file() and Path(second["output"]).is_file()
