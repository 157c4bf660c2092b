"""`convwiz verify`: the post-conversion export compared with the snapshot, on realistic
files with known drift."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.conftest import EXPORT_HEADER, write_export
from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, drifted_post, new_number
from tests.helpers.private import PRIVATE_FILE, mode
from wizard.core import generate
from wizard.core.verify import NOT_IN_XREF, OLD_NUMBER, compare

CONTRACT_KEYS = {"customers", "matched", "missing_after", "unexpected_after", "autopay",
                 "paperless", "method_changed", "last4_changed", "preserved", "registration"}


def _set(table: pa.Table, column: str, index: int, value: str) -> pa.Table:
    values = table.column(column).to_pylist()
    values[index] = value
    i = table.schema.get_field_index(column)
    return table.set_column(i, column, pa.array(values, pa.string()))


def _row_of(table: pa.Table, account: str) -> int:
    return table.column("Account Number").to_pylist().index(account)


def test_figures_on_known_drift(project: Path) -> None:
    built = build(project, n=400)
    drift = drifted_post(project, autopay_lost=3, paperless_gained=2, last4_changed=2,
                         missing=2)
    post = drift.table
    # and two changes the demo drift does not make: a card that became a bank account,
    # and a row the snapshot never had
    before_methods = dict(zip(post.column("Account Number").to_pylist(),
                              post.column("Payment Type").to_pylist()))
    changed_acct = next(a for a, m in before_methods.items() if m == "Credit Card")
    post = _set(post, "Payment Type", _row_of(post, changed_acct), "Checking")
    stranger = pa.table({h: pa.array([v], pa.string()) for h, v in zip(
        post.column_names,
        ["New Person", "7999999999", "new.person@example.com", "N", "N", "", ""])})
    post = pa.concat_tables([post, stranger])
    post_path = generate.write_csv(post, project.parent / "post_export.csv")

    run = convwiz("verify", project, "--post", post_path, "--json")
    assert run.code == 3, run.stderr  # not preserved
    result = run.result
    # the contract's object, with the exceptions workbook, and (exit 3) the error message
    assert set(result) == CONTRACT_KEYS | {"exceptions", "error", "exit"}
    expected = drift.expected
    assert result["customers"] == 400
    assert result["matched"] == expected["matched"] == 398
    assert result["missing_after"] == 2
    assert result["unexpected_after"] == 1
    assert result["autopay"] == expected["autopay"]
    assert result["autopay"]["lost"] == 3
    assert result["paperless"] == expected["paperless"]
    assert result["paperless"]["gained"] == 2
    assert result["last4_changed"] == 2
    assert result["method_changed"] == 1
    assert result["preserved"] is False
    assert "NOT preserved" in run.stderr

    # the customers behind each figure are kept for the report, owner-only
    details_path = project / "data" / "verification.parquet"
    assert mode(details_path) == PRIVATE_FILE
    details = pq.read_table(details_path)

    def accounts(issue: str) -> set[str]:
        rows = details.filter(pc.equal(details["issue"], issue))
        return set(rows["old_account"].to_pylist())

    assert accounts("autopay_lost") == set(drift.autopay_lost)
    assert accounts("paperless_gained") == set(drift.paperless_gained)
    assert accounts("last4_changed") == set(drift.last4_changed)
    assert accounts("missing_after") == set(drift.missing)
    assert accounts("method_changed") == {
        o for o in built.export_table.column("Account Number").to_pylist()
        if new_number(o) == changed_acct}
    unexpected = details.filter(pc.equal(details["issue"], "unexpected_after"))
    assert unexpected["new_account"].to_pylist() == ["7999999999"]

    status = convwiz("status", project, "--json").result
    verification = next(s for s in status["steps"] if s["id"] == "verification")
    assert verification["state"] == "needs attention"
    assert verification["detail"]["autopay"]["lost"] == 3


def test_an_exact_copy_is_preserved(project: Path) -> None:
    build(project, n=250)
    drift = drifted_post(project, autopay_lost=0, paperless_gained=0, last4_changed=0,
                         missing=0)
    post_path = generate.write_xlsx(drift.table, project.parent / "post_export.xlsx")
    run = convwiz("verify", project, "--post", post_path, "--json")
    assert run.code == 0, run.stderr
    r = run.result
    assert set(r) == CONTRACT_KEYS | {"exceptions"}
    assert r["exceptions"] is None  # nothing to list
    assert (r["customers"], r["matched"], r["missing_after"], r["unexpected_after"]) == (
        250, 250, 0, 0)
    assert r["autopay"]["lost"] == r["autopay"]["gained"] == 0
    assert r["autopay"]["kept"] == drift.expected["autopay"]["kept"] > 0
    assert r["method_changed"] == r["last4_changed"] == 0
    assert r["preserved"] is True
    assert r["registration"] == {"measured": False}  # no registration column: not an error


def test_an_unrenumbered_portal_is_reported_not_matched(project: Path) -> None:
    """A post export still holding the OLD numbers matches nobody: every customer is
    missing and every row unexpected, and the rows are said to hold old numbers."""
    built = build(project, n=60)
    post_path = generate.write_csv(built.export_table.select(range(7)),
                                   project.parent / "post_export.csv")
    run = convwiz("verify", project, "--post", post_path, "--json")
    assert run.code == 3, run.stderr
    r = run.result
    assert r["matched"] == 0 and r["missing_after"] == 60 and r["unexpected_after"] == 60
    assert r["preserved"] is False
    assert "60 rows of post_export.csv still hold an old account number" in run.stderr
    status = convwiz("status", project, "--json").result
    detail = next(s for s in status["steps"] if s["id"] == "verification")["detail"]
    assert detail["old_numbers_after"] == 60


def test_mapped_headers(project: Path) -> None:
    build(project, n=80)
    drift = drifted_post(project, autopay_lost=1, paperless_gained=0, last4_changed=0,
                         missing=0)
    renamed = drift.table.rename_columns(
        ["Cust", "Daffron Acct", "E", "PL", "AP", "PM Type", "L4"])
    post_path = generate.write_csv(renamed, project.parent / "post_export.csv")
    run = convwiz("verify", project, "--post", post_path, "--json")
    assert run.code == 2
    assert "Daffron Acct" in run.result["error"]
    run = convwiz("verify", project, "--post", post_path, "--map", "name=Cust",
                  "--map", "account=Daffron Acct", "--map", "email=E", "--map", "paperless=PL",
                  "--map", "autopay=AP", "--map", "method=PM Type", "--map", "last4=L4",
                  "--json")
    assert run.code == 3, run.stderr
    assert run.result["autopay"]["lost"] == 1
    assert run.result["matched"] == 80


def test_blocking_values_stop_verification_with_an_exceptions_workbook(
        project: Path) -> None:
    build(project, n=50)
    drift = drifted_post(project)
    rows = drift.table
    rows = _set(rows, "AutoPay", 4, "maybe")
    card = "4111 1111 1111 1111"
    rows = _set(rows, "Customer Name", 7, f"Card {card}")
    post_path = generate.write_csv(rows, project.parent / "post_export.csv")
    run = convwiz("verify", project, "--post", post_path, "--json")
    assert run.code == 3, run.stderr
    assert run.result["blocking"] == 2
    exceptions = Path(run.result["exceptions"])
    assert exceptions.parent == project / "reports" and exceptions.exists()
    assert not (project / "data" / "verification.parquet").exists()
    status = convwiz("status", project, "--json").result
    assert next(s for s in status["steps"] if s["id"] == "verification")["state"] != "done"
    # the card number is nowhere: not in the output, not in any file the project holds
    assert "4111 1111 1111 1111" not in run.stdout + run.stderr
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(exceptions))
    cells = [str(c) for name in book.sheet_names
             for r in book.get_sheet_by_name(name).to_python() for c in r]
    assert any("****1111" in c for c in cells)
    assert not any("4111111111111111" in c.replace(" ", "") for c in cells)


def test_verify_needs_the_cross_reference(project: Path, tmp_path: Path) -> None:
    build(project, n=30, xref=False)
    post = write_export(tmp_path / "post.csv", ["Ann Lee,7000000001,a@b.com,Y,N,,"],
                        header=EXPORT_HEADER)
    run = convwiz("verify", project, "--post", post, "--json")
    assert run.code == 4
    assert "Cross-reference" in run.result["error"]


def test_unreadable_post_export_is_exit_2(project: Path, tmp_path: Path) -> None:
    build(project, n=30)
    run = convwiz("verify", project, "--post", tmp_path / "nowhere.csv", "--json")
    assert run.code == 2
    missing = write_export(tmp_path / "post.csv", ["Ann Lee,7000000001,a@b.com,Y"],
                           header="Customer Name,Account Number,Email Address,Paperless")
    run = convwiz("verify", project, "--post", missing, "--json")
    assert run.code == 2
    assert "autopay" in run.result["error"]


def test_compare_unmapped_customers_and_old_numbers() -> None:
    """The join rules on a small table: unmapped customers are missing (they have no new
    number), a post row holding an old number is unexpected (not silently matched)."""
    before = pa.table({
        "row": [2, 3, 4], "name": ["Ann", "Bob", "Cy"],
        "account": ["0001", "0002", "0003"], "email": ["a@x.com", "", "c@x.com"],
        "paperless": ["Y", "N", "N"], "autopay": ["Y", "N", "Y"],
        "method": ["card", "", "check"], "last4": ["0042", "", "1234"],
    })
    xref = pa.table({"row": [2, 3], "old": ["0001", "0002"], "new": ["9001", "9002"]})
    after = pa.table({
        "row": [2, 3], "name": ["Ann", "Cy"], "account": ["9001", "0003"],
        "email": ["a@x.com", "c@x.com"], "paperless": ["Y", "N"], "autopay": ["Y", "Y"],
        "method": ["card", "check"], "last4": ["0042", "1234"],
    })
    result = compare(before, xref, after)
    f = result.figures
    assert (f["matched"], f["missing_after"], f["unexpected_after"]) == (1, 2, 1)
    assert f["autopay"] == {"kept": 1, "lost": 0, "gained": 0}
    assert f["not_in_cross_reference"] == 1 and f["old_numbers_after"] == 1
    rows = result.details.to_pylist()
    assert {r["old_account"]: r["reason"] for r in rows if r["issue"] == "missing_after"} == {
        "0002": "not in the post-conversion export", "0003": NOT_IN_XREF}
    assert [r["reason"] for r in rows if r["issue"] == "unexpected_after"] == [OLD_NUMBER]


@pytest.mark.parametrize("flag", ["paperless", "autopay"])
def test_lost_and_gained_are_over_matched_customers_only(flag: str) -> None:
    before = pa.table({
        "row": [2, 3, 4], "name": ["A", "B", "C"], "account": ["1", "2", "3"],
        "email": ["", "", ""], "paperless": ["Y", "N", "Y"], "autopay": ["Y", "N", "Y"],
        "method": ["", "", ""], "last4": ["", "", ""],
    })
    xref = pa.table({"row": [2, 3, 4], "old": ["1", "2", "3"], "new": ["11", "12", "13"]})
    after = pa.table({
        "row": [2, 3], "name": ["A", "B"], "account": ["11", "12"], "email": ["", ""],
        "paperless": ["Y", "N"], "autopay": ["Y", "N"], "method": ["", ""],
        "last4": ["", ""],
    })
    after = after.set_column(after.schema.get_field_index(flag), flag, pa.array(["N", "Y"]))
    f = compare(before, xref, after).figures
    assert f[flag] == {"kept": 0, "lost": 1, "gained": 1}
    assert f["missing_after"] == 1
    assert f["preserved"] is False


def _sheet(path: Path, name: str) -> list[dict[str, str]]:
    """A sheet of a workbook as dicts by header, read by an independent reader."""
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    header = [str(h) for h in rows[0]]

    def text(v: object) -> str:  # row numbers are number cells
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

    return [{h: text(v) for h, v in zip(header, r)} for r in rows[1:]]


def _step(project: Path, step_id: str = "verification") -> dict[str, object]:
    status = convwiz("status", project, "--json").result
    return dict(next(s for s in status["steps"] if s["id"] == step_id))


def _task(project: Path, task_id: str = "check_flags") -> dict[str, object]:
    tasks = convwiz("checklist", project, "--json").result["tasks"]
    return dict(next(t for t in tasks if t["id"] == task_id))


def test_losses_exit_3_list_every_customer_and_need_attention(project: Path) -> None:
    built = build(project, n=200)
    drift = drifted_post(project, autopay_lost=2, paperless_gained=1, last4_changed=1,
                         missing=1)
    post_path = generate.write_csv(drift.table, project.parent / "post_export.csv")
    run = convwiz("verify", project, "--post", post_path, "--json")
    assert run.code == 3, run.stderr
    r = run.result
    assert r["preserved"] is False and r["exit"] == 3
    assert r["autopay"]["lost"] == 2 and r["paperless"]["gained"] == 1
    workbook = Path(r["exceptions"])
    assert workbook.parent == project / "reports" and workbook.is_file()
    assert mode(workbook) == PRIVATE_FILE

    # every customer concerned, named: rows, accounts, customer, field, before/after, rule, fix
    rows = _sheet(workbook, "Exceptions")
    assert len(rows) == 2 + 1 + 1 + 1
    export = built.export_table
    olds = export.column("Account Number").to_pylist()
    names = dict(zip(olds, export.column("Customer Name").to_pylist()))
    post_olds = {new_number(o): o for o in olds}
    post_rows = {post_olds[a]: i + 2 for i, a in
                 enumerate(drift.table.column("Account Number").to_pylist())}
    by_account = {(row["Old account"], row["Field"]): row for row in rows}
    for old, field_, before, after in (
            [(a, "Autopay", "Y", "N") for a in drift.autopay_lost]
            + [(a, "Paperless", "N", "Y") for a in drift.paperless_gained]):
        row = by_account[(old, field_)]
        assert row["New account"] == new_number(old)
        assert row["Customer name"] == names[old]
        assert (row["Before"], row["After"]) == (before, after)
        assert row["Row in customer export"] == str(olds.index(old) + 2)
        assert row["Row in post export"] == str(post_rows[old])
        assert row["Severity"] == "blocking"
        assert row["Rule"] and row["What to do"]
    (changed,) = drift.last4_changed
    assert by_account[(changed, "Last 4")]["Before"] != by_account[(changed, "Last 4")]["After"]
    (missing,) = drift.missing
    gone = by_account[(missing, "Account number")]
    assert gone["Rule"] == "Not in the post-conversion export"
    assert gone["Row in post export"] == "" and gone["Customer name"] == names[missing]
    assert "Re-enrol" in by_account[(drift.autopay_lost[0], "Autopay")]["What to do"]

    # not done: the step needs attention, and the checklist task is not signed off
    assert _step(project)["state"] == "needs attention"
    human = convwiz("status", project)
    assert "needs attention" in human.stdout + human.stderr
    task = _task(project)
    assert task["done"] is False and task["by"] is None

    # a later export with nothing lost: the step is done
    clean = drifted_post(project, autopay_lost=0, paperless_gained=0, last4_changed=0,
                         missing=0)
    clean_path = generate.write_csv(clean.table, project.parent / "post_export_2.csv")
    run = convwiz("verify", project, "--post", clean_path, "--json")
    assert run.code == 0, run.stderr
    assert run.result["preserved"] is True and run.result["exceptions"] is None
    assert _step(project)["state"] == "done"


def test_a_clean_post_export_is_exit_0_and_done(project: Path) -> None:
    build(project, n=120)
    clean = drifted_post(project, autopay_lost=0, paperless_gained=0, last4_changed=0,
                         missing=0)
    post_path = generate.write_csv(clean.table, project.parent / "post_export.csv")
    run = convwiz("verify", project, "--post", post_path, "--json")
    assert run.code == 0, run.stderr
    assert run.result["preserved"] is True and "error" not in run.result
    assert _step(project)["state"] == "done"
    assert not list((project / "reports").glob("verification_exceptions_*.xlsx"))


def test_warnings_are_listed_without_changing_the_verdict(project: Path) -> None:
    build(project, n=120)
    clean = drifted_post(project, autopay_lost=0, paperless_gained=0, last4_changed=0,
                         missing=0)
    post = _set(clean.table, "Email Address", 5, "not-an-email")
    post_path = generate.write_csv(post, project.parent / "post_export.csv")
    run = convwiz("verify", project, "--post", post_path, "--json")
    assert run.code == 0, run.stderr
    assert run.result["preserved"] is True
    workbook = Path(run.result["exceptions"])
    assert workbook.parent == project / "reports" and workbook.is_file()
    rows = _sheet(workbook, "Exceptions")
    assert len(rows) == 1
    (row,) = rows
    new = post.column("Account Number")[5].as_py()
    assert (row["Severity"], row["Field"], row["After"]) == ("warning", "Email", "not-an-email")
    assert row["Row in post export"] == "7"  # the header is row 1
    assert row["New account"] == new and new_number(row["Old account"]) == new
    assert row["Customer name"] == post.column("Customer Name")[5].as_py()
    assert row["Rule"] == "the email address is not valid" and row["What to do"]
    assert _step(project)["state"] == "done"


@pytest.mark.parametrize("accounts", [["0042", "0043", "0044"], ["0042", "0043", "0042"],
                                      ["A-1", "B-2", "A-1"], ["A-1", "B-2", "C-3"]])
def test_xref_positions_of_a_cross_reference_in_snapshot_order(accounts: list[str]) -> None:
    """A cross-reference that starts with the snapshot's accounts (as import-xref keeps
    it) gives each customer its first row, as a lookup does, an account given twice
    included."""
    from wizard.core.verify import lookup, xref_positions

    before = pa.table({"account": accounts})
    xref = pa.table({"old": [*accounts, "9999"], "new": ["n1", "n2", "n3", "n4"]})
    got = xref_positions(before, xref).to_pylist()
    assert got == lookup(pa.array(accounts), xref["old"].combine_chunks()).to_pylist()
    assert got == [accounts.index(a) for a in accounts]
