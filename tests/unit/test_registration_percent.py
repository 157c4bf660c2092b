"""999 of 1,000 customers re-registered is "99%" on every face (issue 33): `status`, the
portfolio (its JSON and its workbook), the checklist task, the biller workbook's Summary and
the reminder draft. The portfolio once rounded (100%) where `status` floored (99%), and the
portfolio's test used 620 of 1,000, where both agree."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.helpers.cli import convwiz
from tests.helpers.nearly_all import NEARLY_ALL, NearlyAll, nearly_all_registered
from tests.helpers.workbooks import decrypted


@pytest.fixture
def nearly(tmp_path: Path) -> NearlyAll:
    return nearly_all_registered(tmp_path)


def test_status_and_the_checklist_say_99(nearly: NearlyAll) -> None:
    day = nearly.measured_on.isoformat()
    shown = convwiz("status", nearly.folder)
    assert shown.code == 0, shown.stderr
    assert f"Re-registration: {NEARLY_ALL} on {day} (999 of 1,000)" in shown.stdout
    tasks = convwiz("checklist", nearly.folder, "--json").result["tasks"]
    titles = [t["title"] for t in tasks if t["id"] == "customers_reregistered"]
    assert titles == [f"Customers re-registered: {NEARLY_ALL} on {day}"]


def test_the_portfolio_says_99(nearly: NearlyAll, tmp_path: Path) -> None:
    root = nearly.folder.parent
    run = convwiz("portfolio", root, "--json")
    assert run.code == 0, run.stderr
    (row,) = run.result["conversions"]  # (its text lists no percentage)
    assert row["registration"] == NEARLY_ALL
    target = tmp_path / "portfolio.xlsx"
    run = convwiz("portfolio", root, "--workbook", target)
    assert run.code == 0, run.stderr
    sheet = load_workbook(target).worksheets[0]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = next(r for r in rows if "Registered" in r)
    column = header.index("Registered")
    assert [r[column] for r in rows[rows.index(header) + 1:] if r[column]] == [NEARLY_ALL]


def test_the_biller_workbook_and_the_reminder_say_99(nearly: NearlyAll) -> None:
    day = nearly.measured_on.isoformat()
    run = convwiz("report", nearly.folder, "--json", "--show-password")
    assert run.code == 0, run.stderr
    book = load_workbook(io.BytesIO(decrypted(Path(run.result["output"]),
                                              run.result["password"])))
    rows = [[c.value for c in r] for r in book["Summary"].iter_rows()]
    said = [r[1] for r in rows if r[0] == f"Re-registered on {day}"]
    assert said == [f"{NEARLY_ALL} on {day} (999 of 1,000)"]
    # the chart's table: registered, expected and the share (a number shown as 0%)
    assert [r[2:5] for r in rows if r[0] is not None and r[2:4] == [999, 1000]] == [
        [999, 1000, 0.99]]
    run = convwiz("outreach", nearly.folder, "--not-registered", "--json")
    assert run.code == 0, run.stderr
    text = Path(run.result["draft"]).with_suffix(".txt").read_text(encoding="utf-8")
    assert f"customers re-registered {NEARLY_ALL} on {day}" in text
    assert f"{day}: 999 of 1,000 customers ({NEARLY_ALL})." in text
