"""Every exceptions workbook identifies the row: source row, account, customer, field,
value (masked), rule and fix, with a Summary that counts right. Read back by calamine."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, write_xref

HEADER = "Customer Name,Account Number,Email Address,Paperless,AutoPay,Payment Type,Last Four"
CARD = "4111111111111111"
FINDING_HEADERS = ["Row", "Account", "Customer name", "Field", "Value", "Severity", "Rule",
                   "What to do"]


def sheets(path: str) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_path(path)
    return {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}


def test_flag_file_exceptions_name_account_and_customer(project: Path,
                                                        tmp_path: Path) -> None:
    rows = [
        "Jane Doe,0001234567,jane@example.com,maybe,Y,Visa,0042",
        "Bob Smith,0001234568,not-an-email,N,Y,Checking,9876",
        f"Cy Dee,0001234569,cy@example.com,Y,Y,card,{CARD}",
        f"{CARD},0001234570,,Y,N,,",
        "Ann Lee,0001234571,ann@example.com,Y,Y,card,42",
    ]
    export = tmp_path / "customers.csv"
    export.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 3, run.stderr
    book = sheets(run.result["exceptions"])
    assert list(book) == ["Summary", "Findings"]
    findings = book["Findings"]
    assert findings[0] == FINDING_HEADERS
    body = [dict(zip(FINDING_HEADERS, r)) for r in findings[1:]]
    assert body
    by_row = {int(r["Row"]): r for r in body}
    assert by_row[2]["Account"] == "0001234567" and by_row[2]["Customer name"] == "Jane Doe"
    assert by_row[3]["Account"] == "0001234568" and by_row[3]["Customer name"] == "Bob Smith"
    assert by_row[4]["Customer name"] == "Cy Dee" and by_row[4]["Field"] == "Last 4"
    # the card typed into the name column is shown by its last four only
    assert by_row[5]["Account"] == "0001234570"
    assert CARD not in str(by_row[5]["Customer name"])
    assert str(by_row[5]["Customer name"]).endswith("1111")
    for r in body:
        assert isinstance(r["Row"], float | int) and r["Account"] and r["Customer name"]
        assert r["Rule"] and r["What to do"] and r["Severity"] in ("blocking", "warning")
        assert CARD not in " ".join(str(v) for v in r.values())
    assert [r["Severity"] for r in body] == sorted((r["Severity"] for r in body),
                                                    key=lambda s: s != "blocking")
    # the Summary: the file, a real date cell, and counts that add up
    summary = book["Summary"]
    labels = {r[0]: r[1] for r in summary if r and r[0]}
    assert labels["File checked"] == str(export)
    assert isinstance(labels["Written"], datetime)
    counts = Counter(r["Severity"] for r in body)
    assert labels["Blocking"] == counts["blocking"] == run.result["blocking"]
    assert labels["Warnings"] == counts["warning"] == run.result["warnings"]
    head = next(i for i, r in enumerate(summary) if r[:3] == ["Severity", "Rule", "Rows"])
    per_rule = {(r[0], r[1]): r[2] for r in summary[head + 1:] if r[0]}
    assert per_rule == dict(Counter((r["Severity"], r["Rule"]) for r in body))


def test_cross_reference_exceptions_name_account_and_customer(project: Path,
                                                              tmp_path: Path) -> None:
    built = build(project, n=30, xref=False)
    olds = built.export_table.column("Account Number").to_pylist()
    names = dict(zip(olds, built.export_table.column("Customer Name").to_pylist()))
    pairs = [(o, f"D-{i:06d}") for i, o in enumerate(olds)]
    pairs[5] = (olds[5], pairs[4][1])  # a new number given twice
    xref = write_xref(tmp_path / "xref.csv", [o for o, _ in pairs])
    text = xref.read_text(encoding="utf-8").splitlines()
    lines = [text[0]] + [f"{o},{n}" for o, n in pairs]
    xref.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = convwiz("import-xref", project, "--xref", xref, "--json")
    assert run.code == 3, run.stderr
    findings = sheets(run.result["exceptions"])["Findings"]
    body = [dict(zip(findings[0], r)) for r in findings[1:]]
    assert body
    for r in body:
        assert r["Account"] in names, r
        assert r["Customer name"] == names[r["Account"]], r
    assert {r["Account"] for r in body} >= {olds[4], olds[5]}
