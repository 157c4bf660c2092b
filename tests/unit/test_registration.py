"""Re-registration after go-live: `verify` reads the post export's registration column, keeps
one point per export, and the status, the checklist, the outreach list, the reminder and the
biller workbook (read back by openpyxl) follow it."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from openpyxl import load_workbook
from openpyxl.chart import ScatterChart

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, drifted_post
from tests.helpers.private import PRIVATE_FILE, mode
from tests.helpers.workbooks import decrypted
from wizard.core import generate
from wizard.core.registration import registered_mask
from wizard.flow.project.project import Project
from wizard.flow.records import snapshot
from wizard.flow.steps import verification

GO_LIVE = date(2026, 12, 14)  # the `project` fixture's
SEGMENTS = ("autopay_card", "autopay_bank", "paperless", "neither")


def _segment(customer: dict[str, str]) -> str:
    if customer["autopay"] == "Y" and customer["method"] == "card":
        return "autopay_card"
    if customer["autopay"] == "Y" and customer["method"] == "check":
        return "autopay_bank"
    return "paperless" if customer["paperless"] == "Y" else "neither"


def _customers(project: Path) -> dict[str, dict[str, str]]:
    """The snapshot's customers by their NEW account number (as the post export has them)."""
    with Project.open(project) as p:
        customers = snapshot.load(p, snapshot.CUSTOMERS).to_pylist()
        xref = snapshot.load(p, snapshot.CROSS_REFERENCE).to_pylist()
    new = {r["old"]: r["new"] for r in xref}
    return {new[c["account"]]: c for c in customers}


def _post_with(project: Path, header: str, values: list[str], name: str = "post.csv",
               missing: int = 0) -> tuple[Path, pa.Table]:
    """The post export (no drift but `missing` customers left out) with a registration
    column `header` holding `values` in turn."""
    table = drifted_post(project, autopay_lost=0, paperless_gained=0, last4_changed=0,
                         missing=missing).table
    column = [values[i % len(values)] for i in range(table.num_rows)]
    table = table.append_column(header, pa.array(column, pa.string()))
    return generate.write_csv(table, project.parent / name), table


def _expected(project: Path, table: pa.Table, header: str,
              registered: set[str]) -> dict[str, Any]:
    """The contract's figures, counted here one customer at a time."""
    customers = _customers(project)
    by = {s: {"registered": 0, "expected": 0} for s in SEGMENTS}
    for account, value in zip(table.column("Account Number").to_pylist(),
                              table.column(header).to_pylist()):
        segment = _segment(customers[account])
        by[segment]["expected"] += 1
        by[segment]["registered"] += value in registered
    return {"measured": True, "registered": sum(s["registered"] for s in by.values()),
            "expected": sum(s["expected"] for s in by.values()), "by_segment": by}


KINDS = [
    # header, the values in turn, those of them that are registrations
    ("Registered", ["Y", "N", "yes", "", "TRUE", "false", "1", "0"], {"Y", "yes", "TRUE", "1"}),
    ("Is Registered", ["true", "no", "Y", " "], {"true", "Y"}),
    ("Registration Status", ["YES", "N", "", "1"], {"YES", "1"}),
    ("Registration Date", ["2026-12-14", "", "2026-12-20 09:15:00", "1900-01-01",
                           "12/21/2026", "2026-11-30"],
     {"2026-12-14", "2026-12-20 09:15:00", "12/21/2026"}),
    ("Registered On", ["12/15/2026", "", "01/01/1900", "2027-01-02T10:00:00Z"],
     {"12/15/2026", "2027-01-02T10:00:00Z"}),
    ("Last Login", ["2026-12-16", "2025-06-01", ""], {"2026-12-16"}),
    ("Username", ["jsmith", "", "mary.o'brien@example.com", "   "],
     {"jsmith", "mary.o'brien@example.com"}),
    ("User Name", ["Zoë88", "", "p.lee"], {"Zoë88", "p.lee"}),
    ("Login", ["acme_4471", "  ", "", "rjones"], {"acme_4471", "rjones"}),
]


@pytest.mark.parametrize(("header", "values", "registered"), KINDS,
                         ids=[k[0] for k in KINDS])
def test_each_header_kind_gives_the_exact_counts_by_segment(
        project: Path, header: str, values: list[str], registered: set[str]) -> None:
    build(project, n=160)
    post, table = _post_with(project, header, values, missing=2)
    run = convwiz("verify", project, "--post", post, "--json")
    assert run.code == 3, run.stderr  # two customers missing: not preserved
    got = run.result["registration"]
    expected = _expected(project, table, header, registered)
    assert got["date"] == date.today().isoformat()
    assert {k: v for k, v in got.items() if k != "date"} == expected
    assert got["expected"] == run.result["matched"] == 158
    assert all(expected["by_segment"][s]["expected"] > 0 for s in SEGMENTS)
    assert 0 < got["registered"] < got["expected"]
    assert f"from the column {header!r}" in run.stderr


UNUSUAL = ["", "N", "1900-01-01", "    ", "n/a"]


@pytest.mark.parametrize(("header", "real"), [
    ("Registered", ["Y", "yes", "TRUE", "1", "2026-12-15"]),
    ("Registration Date", ["2026-12-14", "12/31/2026", "2027-01-05 08:00", "Y"]),
    ("Username", ["jsmith", "N2", "1901user", "2026-12-15"]),
], ids=["flag", "date", "username"])
def test_unusual_values_count_only_real_registrations(project: Path, header: str,
                                                      real: list[str]) -> None:
    """Blank, "N", a date in 1900, a username of spaces: none is a registration."""
    build(project, n=120)
    post, table = _post_with(project, header, real + UNUSUAL)
    run = convwiz("verify", project, "--post", post, "--json")
    assert run.code == 0, run.stderr
    got = run.result["registration"]
    assert {k: v for k, v in got.items() if k != "date"} == _expected(project, table, header,
                                                                    set(real))


def test_registered_mask_per_kind() -> None:
    values = pa.array(["Y", "N", "", "  ", "1900-01-01", "2026-12-14", "2026-12-13",
                       "jsmith", "TRUE", "0", None])
    flag = registered_mask(values, "flag", GO_LIVE).to_pylist()
    date_ = registered_mask(values, "date", GO_LIVE).to_pylist()
    user = registered_mask(values, "username", GO_LIVE).to_pylist()
    assert flag == [True, False, False, False, False, True, False, False, True, False, False]
    assert date_ == flag
    assert user == [True, False, False, False, False, True, False, True, True, False, False]
    # a --map'ped header of no known kind is judged by its values
    assert registered_mask(values, None, GO_LIVE).to_pylist() == user
    assert registered_mask(pa.array(["Y", "N", "2026-12-20", ""]), None,
                           GO_LIVE).to_pylist() == [True, False, True, False]


def test_map_names_the_column_and_without_one_it_is_not_measured(project: Path) -> None:
    build(project, n=90)
    post, table = _post_with(project, "Portal Status", ["Y", "N", "N"])
    run = convwiz("verify", project, "--post", post, "--json")
    assert run.code == 0, run.stderr
    assert run.result["registration"] == {"measured": False}
    assert "re-registration could not be measured" in run.stderr
    assert convwiz("status", project, "--json").result["registration"] == []
    run = convwiz("verify", project, "--post", post, "--map", "registered=portal status",
                  "--json")
    assert run.code == 0, run.stderr
    assert run.result["registration"]["registered"] == 30
    assert run.result["registration"]["expected"] == 90
    run = convwiz("verify", project, "--post", post, "--map", "registered=Nope", "--json")
    assert run.code == 2 and "Nope" in run.result["error"]


def _verify_on(project: Path, post: Path, day: date) -> dict[str, Any]:
    with Project.open(project) as p:
        return verification.verify(p, post, {}, say=lambda _m: None,
                                   measured_on=day).to_json()


def test_three_verifications_three_points_and_the_same_export_adds_none(
        project: Path) -> None:
    build(project, n=100)
    shares = [("a.csv", ["Y", "N", "N", "N"]), ("b.csv", ["Y", "Y", "N", "N"]),
              ("c.csv", ["Y", "Y", "Y", "N"])]
    days = [date(2026, 12, 15), date(2026, 12, 21), date(2026, 12, 28)]
    posts = []
    for (name, values), day in zip(shares, days):
        post, _ = _post_with(project, "Registered", values, name=name)
        posts.append(post)
        assert _verify_on(project, post, day)["registration"]["date"] == day.isoformat()
    status = convwiz("status", project, "--json").result
    assert [(p["date"], p["registered"], p["expected"]) for p in status["registration"]] == [
        ("2026-12-15", 25, 100), ("2026-12-21", 50, 100), ("2026-12-28", 75, 100)]
    # the same export again (another day, even) adds no point
    again = convwiz("verify", project, "--post", posts[1], "--json")
    assert again.code == 0 and again.result["registration"]["registered"] == 50
    assert "this export was verified before" in again.stderr
    assert len(convwiz("status", project, "--json").result["registration"]) == 3
    shown = convwiz("status", project)
    assert ("Re-registration: 25% on 2026-12-15 (25 of 100), 50% on 2026-12-21 (50 of 100), "
            "75% on 2026-12-28 (75 of 100)") in shown.stdout


def test_the_biller_signs_the_figure_off_never_the_program(project: Path) -> None:
    build(project, n=40)
    before = convwiz("checklist", project, "--json").result
    assert "customers_reregistered" not in {t["id"] for t in before["tasks"]}
    run = convwiz("checklist", project, "--done", "customers_reregistered", "--by", "Biller",
                  "--json")
    assert run.code == 2  # nothing measured: nothing to sign
    post, _ = _post_with(project, "Username", ["jsmith", "", "", ""], name="a.csv")
    _verify_on(project, post, date(2026, 12, 15))

    def task() -> dict[str, Any]:
        tasks = convwiz("checklist", project, "--json").result["tasks"]
        return next(t for t in tasks if t["id"] == "customers_reregistered")

    offered = task()
    assert offered["title"] == "Customers re-registered: 25% on 2026-12-15"
    assert offered["owner"] == "Biller" and not offered["done"] and not offered["auto"]
    run = convwiz("checklist", project, "--done", "customers_reregistered", "--by",
                  "Dana (biller)", "--json")
    assert run.code == 0, run.stderr
    assert task()["done"] and task()["by"] == "Dana (biller)"
    # a newer figure is offered again, for the biller to sign
    post, _ = _post_with(project, "Username", ["jsmith", "p.lee", "", ""], name="b.csv")
    with Project.open(project) as p:
        p.store.sign_off("customers_reregistered", "Dana (biller)")  # signed before ...
    _verify_on(project, post, date(2026, 12, 22))  # ... the new figure
    assert task()["title"] == "Customers re-registered: 50% on 2026-12-22"
    with Project.open(project) as p:
        points = p.store.registration_points()
        signed = p.store.sign_offs()["customers_reregistered"]["at"]
    assert task()["done"] is (signed >= points[-1].at)


def _measured_project(project: Path) -> tuple[set[str], list[str]]:
    """Two measurements; returns the new numbers not registered at the last, and the
    post export's registration values by new number."""
    build(project, n=120)
    post, _ = _post_with(project, "Registration Date", ["2026-12-15", "", "", ""],
                         name="a.csv")
    _verify_on(project, post, date(2026, 12, 15))
    post, table = _post_with(project, "Registration Date", ["2026-12-15", "2026-12-20", "", ""],
                             name="b.csv")
    _verify_on(project, post, date(2026, 12, 21))
    accounts = table.column("Account Number").to_pylist()
    values = table.column("Registration Date").to_pylist()
    return {a for a, v in zip(accounts, values) if not v}, accounts


def test_the_workbook_has_the_chart_and_the_not_registered_sheet(project: Path) -> None:
    waiting, _ = _measured_project(project)
    run = convwiz("report", project, "--json", "--show-password")
    assert run.code == 0, run.stderr
    book = load_workbook(io.BytesIO(decrypted(Path(run.result["output"]),
                                              run.result["password"])))
    summary = book["Summary"]
    charts = [c for c in summary._charts if isinstance(c, ScatterChart)]
    assert len(charts) == 1
    chart = charts[0]

    def text(title: Any) -> str:
        return "".join(r.t for p in title.tx.rich.p for r in (p.r or []))

    assert text(chart.title) == "Re-registration"
    assert text(chart.x_axis.title) == "Days after go-live"
    assert text(chart.y_axis.title) == "Customers registered (% of expected)"
    assert chart.x_axis.scaling.min == 0 and chart.y_axis.scaling.min == 0
    assert chart.y_axis.scaling.max == 1
    # the chart draws the table beside it: days 1 and 7, 25% and 50%
    cells = {row[0].value: [c.value for c in row[1:5]]
             for row in summary.iter_rows(min_col=1, max_col=5) if row[0].is_date}
    assert [v for v in cells.values()] == [[1, 30, 120, 0.25], [7, 60, 120, 0.5]]

    sheet = book["Re-registration"]
    assert sheet.print_title_rows == "$1:$1"  # the header row on every printed page
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Customer Name", "Email", "New Account Number",
                          "Old Account Number"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert {r[2] for r in rows} == waiting and len(rows) == 60
    autopay = [r[5] for r in rows]
    first_other = next(i for i, a in enumerate(autopay) if not a)
    assert all(autopay[:first_other]) and not any(autopay[first_other:])
    assert autopay[0] == "card"
    assert all(r[1] is None or "@" in r[1] for r in rows)


def test_outreach_not_registered_writes_the_list_and_the_reminder(project: Path) -> None:
    build(project, n=30)
    run = convwiz("outreach", project, "--not-registered", "--json")
    assert run.code == 4 and "no re-registration measured yet" in run.result["error"]
    waiting, _ = _measured_project_again(project)
    run = convwiz("outreach", project, "--not-registered", "--json")
    assert run.code == 0, run.stderr
    listed = run.result["lists"]["not_registered"]
    path = Path(listed["path"])
    assert path == project / "reports" / "outreach" / "not_registered.csv"
    assert mode(path) == PRIVATE_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["New Account Number"] for r in rows} == waiting == set(
        r["New Account Number"] for r in rows)
    assert listed["rows"] == len(rows)
    kinds = [r["Autopay or paperless"] for r in rows]
    autopay = [k.startswith("Autopay") for k in kinds]
    assert autopay == sorted(autopay, reverse=True)  # autopay first
    assert listed["autopay"] == sum(autopay)
    draft = Path(run.result["draft"])
    text = draft.with_suffix(".txt").read_text(encoding="utf-8")
    assert "Please notify your customers about re-registration." in text
    assert f"Not yet registered: {len(rows)} customers, {sum(autopay)} of them with autopay" \
        in text
    assert "[NOT READY" in text  # no biller e-mail set: held back
    with Project.open(project) as p:
        kinds_made = {e.kind for e in p.store.manifest()}
    assert {"outreach_list", "draft:registration_reminder"} <= kinds_made


def _measured_project_again(project: Path) -> tuple[set[str], list[str]]:
    post, table = _post_with(project, "Registered", ["Y", "N", "N"], name="a.csv")
    _verify_on(project, post, date(2026, 12, 16))
    accounts = table.column("Account Number").to_pylist()
    values = table.column("Registered").to_pylist()
    return {a for a, v in zip(accounts, values) if v != "Y"}, accounts


def test_the_outreach_workbook_carries_the_not_registered_list(project: Path) -> None:
    """`outreach --workbook` after a measurement: the biller's encrypted workbook has the
    reminder list as a sheet of its own, autopay first, every not-registered customer once."""
    from tests.helpers.memkeyring import kept_secrets
    from tests.helpers.workbooks import calamine

    waiting, _ = _measured_project(project)
    run = convwiz("outreach", project, "--workbook", "--json")
    assert run.code == 0, run.stderr
    (password,) = [p for e in kept_secrets().values() for p in e.values()]
    book = calamine(Path(run.result["workbook"]), password)
    assert "Not yet registered" in book.sheet_names
    rows = book.get_sheet_by_name("Not yet registered").to_python()
    assert rows[0] == ["Customer Name", "Old Account Number", "New Account Number", "Email"]
    assert sorted(str(r[2]) for r in rows[1:]) == sorted(waiting)


def test_a_status_column_of_registered_not_registered_pending_is_measured(
        project: Path) -> None:
    """The words a portal writes: a third each, and a third registered (not a silent 0%)."""
    build(project, n=150)
    post, table = _post_with(project, "Registration Status",
                             ["Registered", "Not Registered", "Pending"])
    run = convwiz("verify", project, "--post", post, "--json")
    assert run.code == 0, run.stderr
    got = run.result["registration"]
    assert got["measured"] is True
    assert (got["registered"], got["expected"]) == (50, 150)
    expected = _expected(project, table, "Registration Status", {"Registered"})
    assert {k: v for k, v in got.items() if k != "date"} == expected
    assert "re-registered: 50 of 150 matched customers (33%)" in run.stderr


@pytest.mark.parametrize("values", [
    ["registered", "NOT  REGISTERED", "unregistered", "Active", "inactive", "ENROLLED", "null",
     "N/A", "", "y", "No", "false", "0", "TRUE", "1", "yes", "n", "pending"],
], ids=["every-contract-word"])
def test_every_word_of_the_contract_is_read(project: Path, values: list[str]) -> None:
    build(project, n=72)
    post, table = _post_with(project, "Registered", values)
    run = convwiz("verify", project, "--post", post, "--json")
    assert run.code == 0, run.stderr
    yes = {"registered", "Active", "ENROLLED", "y", "TRUE", "1", "yes"}
    got = run.result["registration"]
    assert {k: v for k, v in got.items() if k != "date"} == _expected(
        project, table, "Registered", yes)


def test_words_the_contract_does_not_list_are_reported_not_counted(project: Path) -> None:
    build(project, n=90)
    post, _ = _post_with(project, "Registration Status", ["Registered", "Invited", "Invited",
                                                          "Not Registered", "Live", "Pending"])
    run = convwiz("verify", project, "--post", post, "--json")
    assert run.code == 0, run.stderr
    assert run.result["registration"] == {"measured": False,
                                          "unknown_values": {"Invited": 30, "Live": 15}}
    assert "re-registration was not measured" in run.stderr
    assert "'Invited' (30 rows), 'Live' (15 rows)" in run.stderr
    assert "--registered-values" in run.stderr
    # not counted anywhere: no point in the history, no list, no checklist figure
    assert convwiz("status", project, "--json").result["registration"] == []
    with Project.open(project) as p:
        assert not snapshot.exists(p, "not_registered")
    # named by hand, they are read: Live is registered, Invited is not
    run = convwiz("verify", project, "--post", post, "--registered-values", "yes=live",
                  "no=Invited", "--json")
    assert run.code == 0, run.stderr
    got = run.result["registration"]
    assert got["measured"] is True and (got["registered"], got["expected"]) == (30, 90)
    # a word given both ways, or a side that is neither, is bad usage (exit 2)
    for bad in (["yes=Live", "no=live"], ["maybe=Live"], ["Live"]):
        run = convwiz("verify", project, "--post", post, "--registered-values", *bad, "--json")
        assert run.code == 2, run.stderr
        assert "--registered-values" in run.result["error"]


def test_a_date_column_with_a_word_it_does_not_know_is_not_measured(project: Path) -> None:
    build(project, n=40)
    post, _ = _post_with(project, "Registration Date", ["2026-12-15", "", "Never", "N/A"])
    run = convwiz("verify", project, "--post", post, "--json")
    assert run.result["registration"] == {"measured": False, "unknown_values": {"Never": 10}}
    run = convwiz("verify", project, "--post", post, "--registered-values", "no=never",
                  "--json")
    assert run.result["registration"]["registered"] == 10
