"""`convwiz report`: the biller workbook, read back by python-calamine and by openpyxl."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, drifted_post, new_number
from tests.helpers.private import PRIVATE_FILE, mode
from tests.helpers.workbooks import calamine, decrypted, is_ole
from wizard.core import generate
from wizard.flow.project.project import Project
from wizard.progress import NullProgress
from wizard.services import biller_workbook
from wizard.services.biller_workbook import (
    ChartRow,
    Column,
    Figure,
    Section,
    Summary,
    TableSheet,
    write_biller_workbook,
)

SHEETS = ["Summary", "Account Mapping", "Exceptions", "Re-registration", "Checklist", "Audit"]
FORMULA_NAME = '=HYPERLINK("http://evil.example/x","Click me")'


def _export_with_traps(n: int = 200) -> pa.Table:
    table = generate.customers(n, seed=5)
    names = table.column("Customer Name").to_pylist()
    names[0] = FORMULA_NAME
    names[1] = "#N/A"
    last4 = table.column("Last Four").to_pylist()
    method = table.column("Payment Type").to_pylist()
    last4[2], method[2] = "0042", "Visa"
    table = table.set_column(0, "Customer Name", pa.array(names, pa.string()))
    table = table.set_column(5, "Payment Type", pa.array(method, pa.string()))
    return table.set_column(6, "Last Four", pa.array(last4, pa.string()))


def _rows(book: CalamineWorkbook, sheet: str) -> list[list[Any]]:
    return book.get_sheet_by_name(sheet).to_python()


@pytest.fixture
def verified(project: Path) -> tuple[Path, dict[str, object]]:
    built = build(project, n=200, export_table=_export_with_traps())
    drift = drifted_post(project, autopay_lost=2, paperless_gained=1, last4_changed=1,
                         missing=1)
    post = generate.write_csv(drift.table, project.parent / "post_export.csv")
    run = convwiz("verify", project, "--post", post, "--json")
    assert run.code == 3, run.stderr  # the drift: not preserved
    assert built.export_table.num_rows == 200
    return project, run.result


def test_workbook_after_verification(verified: tuple[Path, dict[str, object]]) -> None:
    project, figures = verified
    run = convwiz("report", project, "--json", "--show-password")
    assert run.code == 0, run.stderr
    out = Path(run.result["output"])
    assert out == project / "reports" / "Acme_Electric_Co-op_conversion_workbook.xlsx"
    assert mode(out) == PRIVATE_FILE
    assert run.result["sheets"] == SHEETS
    assert run.result["encrypted"] is True and is_ole(out)
    password = run.result["password"]

    book = calamine(out, password)
    assert book.sheet_names == SHEETS
    mapping = _rows(book, "Account Mapping")
    assert mapping[0][:3] == ["Old Account Number", "New Account Number", "Customer Name"]
    assert len(mapping) == 201
    by_old = {r[0]: r for r in mapping[1:]}
    export = _export_with_traps()
    first_old = export.column("Account Number")[0].as_py()
    assert first_old.startswith("0")  # leading zeros, kept as text
    assert by_old[first_old][1] == new_number(first_old)
    assert by_old[first_old][2] == FORMULA_NAME
    trap_last4 = by_old[export.column("Account Number")[2].as_py()]
    assert trap_last4[7] == "0042"
    rereg = _rows(book, "Re-registration")
    assert len(rereg) == 201 and rereg[0][:3] == ["Customer Name", "Email",
                                                  "New Account Number"]
    exceptions = _rows(book, "Exceptions")
    issues = [r[0] for r in exceptions[1:]]
    assert issues.count("Autopay lost") == 2 and issues.count("Missing after go-live") == 1
    assert issues.count("Paperless gained") == 1 and issues.count("Last 4 changed") == 1
    summary = {r[0]: r[1] for r in _rows(book, "Summary") if r and r[0]}
    assert summary["Autopay lost"] == 2
    assert summary["Customers before go-live"] == 200
    checklist = _rows(book, "Checklist")
    assert checklist[0][:4] == ["Task", "Owner", "Phase", "Status"]
    status = {r[7]: r[3] for r in checklist[1:]}
    # the program ticks its own steps; a person signs the flags check off (losses here)
    assert status["flag_file"] == "Done" and status["check_flags"] == "Open"
    assert status["test_bid"] == "Open"
    audit = _rows(book, "Audit")
    kinds = {r[2] for r in audit[1:]}
    assert {"Flag file", "Customer snapshot", "Verification details"} <= kinds
    with Project.open(project) as p:
        flag = p.store.latest_file("flag_file")
        assert flag is not None
        assert any(r[4] == flag.sha256 for r in audit[1:])
        assert p.store.latest_file("biller_workbook") is not None
        assert p.store.step("report")[0] == "done"  # type: ignore[index]

    # openpyxl: the cell types, no formula anywhere, the chart, frozen and filtered headers
    wb = load_workbook(io.BytesIO(decrypted(out, password)))
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                assert cell.data_type != "e", (ws.title, cell.coordinate, cell.value)
    ws = wb["Account Mapping"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:H201"
    assert ws.column_dimensions["C"].width >= 20
    names = {c.value: c for c in ws["C"][1:]}
    assert names[FORMULA_NAME].data_type == "s" and names["#N/A"].data_type == "s"
    olds = [c for c in ws["A"][1:]]
    assert all(isinstance(c.value, str) and c.data_type == "s" for c in olds)
    assert all(c.data_type == "s" for c in ws["H"][1:] if c.value)
    assert len(wb["Summary"]._charts) == 2  # before/after, and lost/gained


def test_workbook_right_after_the_flag_file(project: Path) -> None:
    build(project, n=50, xref=False)
    run = convwiz("report", project, "--json", "--no-encrypt")
    assert run.code == 0, run.stderr
    assert run.result["sheets"] == SHEETS and run.result["encrypted"] is False
    book = CalamineWorkbook.from_path(run.result["output"])
    assert book.sheet_names == SHEETS
    mapping = _rows(book, "Account Mapping")
    assert len(mapping) == 2 and "import-xref" in str(mapping[1][0])
    assert "import-xref" in str(_rows(book, "Exceptions")[1][0])
    assert len(_rows(book, "Re-registration")) == 51
    summary = " ".join(str(c) for r in _rows(book, "Summary") for c in r)
    assert "convwiz verify" in summary


def test_report_needs_the_flag_file(project: Path) -> None:
    run = convwiz("report", project, "--json")
    assert run.code == 4


def test_report_to_another_path(project: Path, tmp_path: Path) -> None:
    build(project, n=20)
    out = tmp_path / "handover" / "acme.xlsx"
    run = convwiz("report", project, "--out", out, "--json")
    assert run.code == 0, run.stderr
    assert Path(run.result["output"]) == out and out.exists()


def test_host_key_is_on_the_audit_sheet(project: Path) -> None:
    build(project, n=20)
    fingerprint = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
    with Project.open(project) as p:
        p.store.set_setting("sftp_host_key", fingerprint)
        p.store.set_setting("sftp_host", "sftp.daffron.example")
        p.store.set_setting("sftp_port", 2222)
        p.store.set_setting("sftp_host_key_type", "ssh-ed25519")
    run = convwiz("report", project, "--json", "--show-password")
    assert run.code == 0, run.stderr
    audit = _rows(calamine(run.result["output"], run.result["password"]), "Audit")
    rows = [r for r in audit if r[4] == fingerprint]
    assert len(rows) == 1 and rows[0][1] == "SFTP host key accepted"
    assert rows[0][3] == "sftp.daffron.example:2222 (ssh-ed25519)"


def test_long_sheets_continue_on_numbered_sheets(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(biller_workbook, "MAX_DATA_ROWS", 5)
    table = pa.table({"a": [f"{i:04d}" for i in range(12)],
                      "b": ["=1+1" if i == 7 else "x\x07y" if i == 8 else "ok"
                            for i in range(12)]})
    out = tmp_path / "long.xlsx"
    result = write_biller_workbook(
        out, Summary("t", "s", [Section("Figures", [Figure("Customers", 12)])], [],
                     [ChartRow("Autopay", 1)]),
        [TableSheet("Long", [Column("A", 10), Column("B", 10)], table)], NullProgress())
    assert result.sheets == ["Summary", "Long", "Long (2)", "Long (3)"]
    book = CalamineWorkbook.from_path(str(out))
    values = [r for s in ("Long", "Long (2)", "Long (3)") for r in _rows(book, s)[1:]]
    assert [r[0] for r in values] == [f"{i:04d}" for i in range(12)]
    assert values[7][1] == "=1+1" and values[8][1] == "xy"


def test_cancel_leaves_no_workbook(project: Path) -> None:
    from wizard.errors import Cancelled
    from wizard.flow.papers.report import write_report
    from wizard.progress import TaskState

    build(project, n=60)

    def on_progress(done: int, total: int, message: str) -> None:
        if message.startswith("writing"):
            state.cancel()

    state = TaskState(on_progress)
    with Project.open(project) as opened, pytest.raises(Cancelled):
        write_report(opened, None, state)
    assert list((project / "reports").iterdir()) == []
    with Project.open(project) as p:
        assert p.store.latest_file("biller_workbook") is None
