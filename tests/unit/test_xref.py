"""`convwiz import-xref`: the cross-reference checked as a whole, then the IC account update
and its rollback (CONTRACT.md, "The cross-reference and the IC update")."""

from __future__ import annotations

import csv
import io
import os
import random
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import write_export
from tests.helpers.cli import Run, convwiz
from tests.helpers.private import PRIVATE_FILE, mode
from wizard.core import xref as core_xref
from wizard.core.reader import read_table
from wizard.core.vocabulary import XREF_HEADERS
from wizard.errors import Cancelled, InputError
from wizard.flow.project.project import Project
from wizard.flow.records import snapshot
from wizard.flow.steps.renumber import import_xref, newest_cross_reference, window_warning
from wizard.progress import TaskState
from wizard.services.files import sha256_file
from wizard.services.workbook import field_words

SIM_HEADER = "UTI Account Number,Daffron Account Number"
IC_HEADER = b"BID,Old Account Number,New Account Number\r\n"
# the customer export behind the snapshot: accounts as text, leading zeros kept
CUSTOMERS = [
    ("Mary Smith", "0001234567", "mary.smith@example.com"),
    ("José Núñez", "0002345678", ""),
    ("Renée O'Brien", "0003456789", "renee@coopmail.net"),
    ("James Brown", "4567890123", "jbrown@example.com"),
]
GOOD_XREF = [("0001234567", "D-100001"), ("0002345678", "D-100002"),
             ("0003456789", "D-100003"), ("4567890123", "D-100004")]


def with_customers(project: Path, tmp_path: Path, customers=CUSTOMERS) -> Path:
    """Run the real export-flags on a customer export so the project has its snapshot."""
    rows = [f'"{name}",{account},{email},N,N,,' for name, account, email in customers]
    export = write_export(tmp_path / "customers.csv", rows)
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    return project


def write_xref(path: Path, pairs: list[tuple[str, str]], header: str = SIM_HEADER,
               newline: str = "\r\n") -> Path:
    path.write_bytes(newline.join([header, *(f"{o},{n}" for o, n in pairs), ""]).encode())
    return path


def import_run(project: Path, xref: Path, *extra: object) -> Run:
    return convwiz("import-xref", project, "--xref", xref, *extra, "--json")


def exceptions_rows(run: Run) -> list[dict[str, object]]:
    """The Findings sheet of the exceptions workbook the run wrote."""
    path = run.result["exceptions"]
    assert path, "no exceptions workbook"
    wb = load_workbook(path, read_only=True)
    rows = list(wb["Findings"].iter_rows(values_only=True))
    wb.close()
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


def outbox_files(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "outbox").iterdir()
                  if p.name.startswith("ic_account"))


def read_ic(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


# -- the good path ----------------------------------------------------------------------------
def test_clean_cross_reference_writes_update_and_rollback(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    # the provider lists them in another order; the update follows the customer export
    xref = write_xref(tmp_path / "xref.csv", list(reversed(GOOD_XREF)))
    run = import_run(project, xref)
    assert run.code == 0, run.stderr
    result = run.result
    assert {"mapped", "unmatched", "extra", "blocking", "update", "rollback"} <= set(result)
    assert (result["mapped"], result["unmatched"], result["extra"], result["blocking"]) == (
        4, 0, 0, 0)
    update, rollback = Path(result["update"]), Path(result["rollback"])
    assert update == project / "outbox" / "ic_account_update.csv"
    assert rollback == project / "outbox" / "ic_account_rollback.csv"
    raw = update.read_bytes()
    assert raw.startswith(IC_HEADER)  # exact header, no BOM
    assert raw.count(b"\r\n") == 5 and b"\n" not in raw.replace(b"\r\n", b"")
    assert read_ic(update)[1:] == [["2806", old, new] for old, new in GOOD_XREF]
    for path in (update, rollback):
        assert mode(path) == PRIVATE_FILE
    assert result["exceptions"] is None


def test_rollback_is_the_exact_reverse_of_the_update(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    run = import_run(project, write_xref(tmp_path / "xref.csv", GOOD_XREF))
    assert run.code == 0, run.stderr
    update = read_ic(Path(run.result["update"]))
    rollback = read_ic(Path(run.result["rollback"]))
    assert rollback[0] == update[0] == ["BID", "Old Account Number", "New Account Number"]
    assert rollback[1:] == [[bid, new, old] for bid, old, new in update[1:]]
    # applying the update then the rollback brings every account back
    forward = {old: new for _, old, new in update[1:]}
    back = {old: new for _, old, new in rollback[1:]}
    assert all(back[forward[acct]] == acct for _, acct, _ in CUSTOMERS)


def test_import_is_recorded_and_the_step_done(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    run = import_run(project, write_xref(tmp_path / "xref.csv", GOOD_XREF))
    assert run.code == 0, run.stderr
    with Project.open(project) as p:
        kinds = {e.kind: e for e in p.store.manifest()}
        assert kinds["ic_account_update"].rows == 4
        assert kinds["ic_account_rollback"].rows == 4
        saved = snapshot.load(p, snapshot.CROSS_REFERENCE)
    assert saved.column_names == ["row", "old", "new"]
    assert saved.column("old").to_pylist() == [o for o, _ in GOOD_XREF]
    assert saved.column("row").to_pylist() == [2, 3, 4, 5]
    status = convwiz("status", project, "--json").result
    assert {s["id"]: s["state"] for s in status["steps"]}["cross_reference"] == "done"


def test_accounts_stay_text_and_only_surrounding_spaces_go(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    xref = tmp_path / "xref.csv"
    xref.write_bytes(b"UTI Account Number,Daffron Account Number\r\n"
                      b" 0001234567 , 000987\r\n0002345678,00000000002\r\n"
                      b"0003456789,00D0E5\r\n4567890123,D-1 04\r\n")
    run = import_run(project, xref)
    assert run.code == 0, run.stderr
    assert read_ic(Path(run.result["update"]))[1:] == [
        ["2806", "0001234567", "000987"], ["2806", "0002345678", "00000000002"],
        ["2806", "0003456789", "00D0E5"], ["2806", "4567890123", "D-1 04"]]


@pytest.mark.parametrize(("header", "delimiter"), [
    ("Old Account,New Account", ","),
    ("Legacy Account Number;Milsoft Account", ";"),
    ("Account Number\tNew Account Number", "\t"),
    ("Previous Account|Daffron Acct #", "|"),
])
def test_columns_found_by_their_usual_names(project: Path, tmp_path: Path, header: str,
                                            delimiter: str):
    with_customers(project, tmp_path)
    xref = tmp_path / "xref.csv"
    lines = [header] + [f"{o}{delimiter}{n}" for o, n in GOOD_XREF]
    xref.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    run = import_run(project, xref)
    assert run.code == 0, run.stderr
    assert run.result["mapped"] == 4


def test_map_names_unusual_columns(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    xref = write_xref(tmp_path / "xref.csv", [(o, f"{n},Customer") for o, n in GOOD_XREF],
                      header="Was,Becomes,Customer Name")
    run = import_run(project, xref)
    assert run.code == 2
    assert "'Was', 'Becomes', 'Customer Name'" in run.result["error"]
    assert "--map old=" in run.result["error"]
    run = import_run(project, xref, "--map", "old=Was", "--map", "new=becomes")
    assert run.code == 0, run.stderr
    assert read_ic(Path(run.result["update"]))[1][1:] == ["0001234567", "D-100001"]


def test_ambiguous_columns_ask_for_map(tmp_path: Path):
    xref = write_xref(tmp_path / "xref.csv", [("1,1", "2")],
                      header="Old Account,UTI Account Number,New Account")
    with pytest.raises(InputError, match="more than one column looks like the old account"):
        core_xref.find_columns(read_table(xref, header_hint=XREF_HEADERS))


# -- blocking checks --------------------------------------------------------------------------
def assert_blocked(run: Run, project: Path) -> list[dict[str, object]]:
    assert run.code == 3, run.stderr
    assert run.result["update"] is None and run.result["rollback"] is None
    assert run.result["blocking"] >= 1
    assert outbox_files(project) == []
    assert Path(run.result["exceptions"]).parent == project / "reports"
    return exceptions_rows(run)


def test_old_account_mapped_twice_blocks(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    pairs = [*GOOD_XREF, ("0002345678", "D-200002")]
    rows = assert_blocked(import_run(project, write_xref(tmp_path / "x.csv", pairs)), project)
    twice = [r for r in rows if r["Rule"] == core_xref.RULE_OLD_TWICE]
    assert [(r["Row"], r["Value"], r["Severity"]) for r in twice] == [
        (3, "0002345678 -> D-100002", "blocking"), (6, "0002345678 -> D-200002", "blocking")]


def test_identical_repeated_row_is_a_warning_collapsed_to_one(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    pairs = [*GOOD_XREF, GOOD_XREF[1]]
    run = import_run(project, write_xref(tmp_path / "x.csv", pairs))
    assert run.code == 0, run.stderr
    assert run.result["mapped"] == 4
    assert len(read_ic(Path(run.result["update"]))) == 5
    rows = exceptions_rows(run)
    assert [(r["Row"], r["Value"], r["Severity"]) for r in rows] == [
        (6, "0002345678", "warning")]


def test_new_account_given_to_two_old_accounts_blocks(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    pairs = [*GOOD_XREF[:3], ("4567890123", "D-100001")]
    rows = assert_blocked(import_run(project, write_xref(tmp_path / "x.csv", pairs)), project)
    twice = [r for r in rows if r["Rule"] == core_xref.RULE_NEW_TWICE]
    assert [(r["Row"], r["Field"]) for r in twice] == [(2, "New account number"),
                                                       (5, "New account number")]
    assert "D-100001" in str(twice[0]["Value"]) and "D-100001" in str(twice[1]["Value"])


@pytest.mark.parametrize(("old", "new", "field"), [
    ("1.23457E+09", "D-100004", "old"),
    ("4567890123.0", "D-100004", "old"),
    ("4567890123", "1.00004E+05", "new"),
    ("4567890123", "100004.0", "new"),
    ("", "D-100004", "old"),
    ("4567890123", "", "new"),
])
def test_mangled_or_empty_number_blocks(project: Path, tmp_path: Path, old: str, new: str,
                                        field: str):
    with_customers(project, tmp_path)
    pairs = [*GOOD_XREF[:3], (old, new)]
    rows = assert_blocked(import_run(project, write_xref(tmp_path / "x.csv", pairs)), project)
    bad = [r for r in rows
           if r["Field"] == field_words(field) and r["Severity"] == "blocking"]
    assert [(r["Row"], r["Value"] or "") for r in bad] == [(5, old if field == "old" else new)]


def test_customer_missing_from_the_file_blocks(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    run = import_run(project, write_xref(tmp_path / "x.csv", GOOD_XREF[:3]))
    rows = assert_blocked(run, project)
    assert run.result["unmatched"] == 1
    assert [(r["Row"], r["Value"], r["Rule"]) for r in rows] == [
        (5, "4567890123", core_xref.RULE_UNMATCHED)]  # row 5 of the customer export
    assert "--allow-unmatched" in run.stderr


def test_allow_unmatched_lists_them_and_goes_on(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    run = import_run(project, write_xref(tmp_path / "x.csv", GOOD_XREF[1:]), "--allow-unmatched")
    assert run.code == 0, run.stderr
    assert (run.result["mapped"], run.result["unmatched"], run.result["blocking"]) == (3, 1, 0)
    assert [r[1] for r in read_ic(Path(run.result["update"]))[1:]] == [
        o for o, _ in GOOD_XREF[1:]]
    rows = exceptions_rows(run)
    assert [(r["Value"], r["Severity"]) for r in rows] == [("0001234567", "warning")]


def test_allow_unmatched_does_not_excuse_a_conflict(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    pairs = [*GOOD_XREF[1:], ("0002345678", "D-999")]
    assert_blocked(import_run(project, write_xref(tmp_path / "x.csv", pairs),
                              "--allow-unmatched"), project)


def test_extra_accounts_are_warnings_left_out_of_the_update(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    pairs = [*GOOD_XREF, ("9999999999", "D-109999")]
    run = import_run(project, write_xref(tmp_path / "x.csv", pairs))
    assert run.code == 0, run.stderr
    assert (run.result["mapped"], run.result["extra"]) == (4, 1)
    assert "9999999999" not in Path(run.result["update"]).read_text(encoding="utf-8")
    rows = exceptions_rows(run)
    assert [(r["Row"], r["Value"], r["Severity"], r["Rule"]) for r in rows] == [
        (6, "9999999999", "warning", core_xref.RULE_EXTRA)]
    # the cross-reference snapshot keeps it (after the customers) for later steps
    with Project.open(project) as p:
        saved = snapshot.load(p, snapshot.CROSS_REFERENCE)
    assert saved.column("old").to_pylist()[-1] == "9999999999"
    assert saved.num_rows == 5


def test_a_failed_import_leaves_nothing_in_outbox_and_step_not_done(project: Path,
                                                                    tmp_path: Path):
    with_customers(project, tmp_path)
    run = import_run(project, write_xref(tmp_path / "x.csv", GOOD_XREF[:2]))
    assert run.code == 3
    with Project.open(project) as p:
        assert not snapshot.exists(p, snapshot.CROSS_REFERENCE)
        assert p.store.latest_file("ic_account_update") is None
    status = convwiz("status", project, "--json").result
    assert {s["id"]: s["state"] for s in status["steps"]}["cross_reference"] != "done"


# -- spreadsheets -----------------------------------------------------------------------------
def write_xlsx(path: Path, rows: list[tuple[object, object]], title: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    if title:
        ws.append([title])
        ws.append([])
    ws.append(["UTI Account Number", "Daffron Account Number"])
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def test_xlsx_with_numeric_cells(project: Path, tmp_path: Path):
    customers = [("Ann Lee", "1234567890", "ann@example.com"),
                 ("Bo Diaz", "2345678901", "bo@example.com")]
    with_customers(project, tmp_path, customers)
    xlsx = write_xlsx(tmp_path / "xref.xlsx", [(1234567890, 5000001), (2345678901, 5000002)],
                      title="Daffron cross-reference for Acme Electric")
    run = import_run(project, xlsx)
    assert run.code == 0, run.stderr
    assert read_ic(Path(run.result["update"]))[1:] == [
        ["2806", "1234567890", "5000001"], ["2806", "2345678901", "5000002"]]


def test_xlsx_number_that_lost_its_leading_zeros_is_reported_not_joined(project: Path,
                                                                        tmp_path: Path):
    with_customers(project, tmp_path)
    # Excel saved the old accounts as numbers: 0001234567 became 1234567
    numeric = [(int(o), n) if o.startswith("0") else (o, n) for o, n in GOOD_XREF]
    run = import_run(project, write_xlsx(tmp_path / "xref.xlsx", numeric))
    assert run.code == 3
    assert run.result["unmatched"] == 3 and run.result["mapped"] == 1
    rows = exceptions_rows(run)
    lost = [(r["Row"], r["Value"]) for r in rows
            if r["Rule"] == f"old {core_xref.RULE_LOST_ZEROS}"]
    assert lost == [(2, "1234567"), (3, "2345678"), (4, "3456789")]
    assert outbox_files(project) == []
    # allowing unmatched accounts does not let a mangled number through either
    run = import_run(project, write_xlsx(tmp_path / "xref.xlsx", numeric), "--allow-unmatched")
    assert run.code == 3


# -- which file, when, and whether the project is ready --------------------------------------
def test_without_xref_the_newest_file_in_inbox_is_used(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    inbox = project / "inbox"
    write_xref(inbox / "old_xref.csv", GOOD_XREF[:1])
    newest = write_xref(inbox / "xref_final.csv", GOOD_XREF)
    older = inbox / "old_xref.csv"
    os.utime(older, (1_600_000_000, 1_600_000_000))
    run = convwiz("import-xref", project, "--json")
    assert run.code == 0, run.stderr
    assert run.result["mapped"] == 4
    steps = convwiz("status", project, "--json").result["steps"]
    detail = {s["id"]: s["detail"] for s in steps}["cross_reference"]
    assert detail["source"] == f"inbox/{newest.name}"


def test_the_file_fetch_xref_recorded_wins(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    inbox = project / "inbox"
    received = write_xref(inbox / "received.csv", GOOD_XREF)
    write_xref(inbox / "notes.csv", GOOD_XREF[:1])  # newer, but not the received file
    with Project.open(project) as p:
        p.store.record_file("received", "cross_reference", "inbox/received.csv",
                            sha256_file(received), rows=4)
        assert newest_cross_reference(p) == received


def test_no_cross_reference_at_all_is_not_ready(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    run = convwiz("import-xref", project, "--json")
    assert run.code == 4
    assert "fetch-xref" in run.result["error"] and "--xref" in run.result["error"]


def test_import_before_the_flag_file_is_not_ready(project: Path, tmp_path: Path):
    run = import_run(project, write_xref(tmp_path / "x.csv", GOOD_XREF))
    assert run.code == 4
    assert "Flag file" in run.result["error"]


def test_outside_the_maintenance_window_warns_naming_it(project: Path, tmp_path: Path):
    with Project.open(project) as p:
        assert window_warning(p, date(2026, 12, 13)) is None
        text = window_warning(p, date(2026, 11, 1))
    assert text is not None and "2026-12-12 to 2026-12-14" in text


def test_window_warning_in_the_result(tmp_path: Path):
    today = date.today()
    inside = tmp_path / "inside"
    assert convwiz("init", inside, "--biller", "Acme", "--go-live", today.isoformat(),
                   "--production-bid", "2806").code == 0
    with_customers(inside, tmp_path)
    run = import_run(inside, write_xref(tmp_path / "x.csv", GOOD_XREF))
    assert run.code == 0, run.stderr
    assert run.result["window_warning"] is None
    outside = tmp_path / "outside"
    assert convwiz("init", outside, "--biller", "Acme", "--go-live",
                   date(today.year + 1, 1, 15).isoformat(), "--production-bid", "2806").code == 0
    with_customers(outside, tmp_path)
    run = import_run(outside, write_xref(tmp_path / "x.csv", GOOD_XREF))
    assert run.code == 0, run.stderr
    assert f"{today.year + 1}-01-13" in run.result["window_warning"]
    assert "maintenance window" in run.stderr


def test_cancel_leaves_nothing_behind(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    state = TaskState()
    state.cancel()
    with Project.open(project) as p, pytest.raises(Cancelled):
        import_xref(p, write_xref(tmp_path / "x.csv", GOOD_XREF), {}, False, state)
    assert outbox_files(project) == []
    assert not any(p.name.startswith(".tmp-") for p in (project / "outbox").iterdir())


def test_chained_renumbering_is_a_warning(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    # the provider reuses an old number as someone else's new number
    pairs = [("0001234567", "0002345678"), ("0002345678", "0003456789"),
             ("0003456789", "D-3"), ("4567890123", "D-4")]
    run = import_run(project, write_xref(tmp_path / "x.csv", pairs))
    assert run.code == 0, run.stderr
    chained = [r["Row"] for r in exceptions_rows(run) if r["Rule"] == core_xref.RULE_CHAIN]
    assert chained == [2, 3]


def test_a_cross_reference_without_rows_is_unreadable_input(project: Path, tmp_path: Path):
    with_customers(project, tmp_path)
    run = import_run(project, write_xref(tmp_path / "x.csv", []))
    assert run.code == 2
    assert "no accounts" in run.result["error"]
    assert outbox_files(project) == []


# -- the vectorised check against a plain reading of the rules --------------------------------
def reference_check(accounts: list[str], pairs: list[tuple[str, str]]):
    """The contract's rules, one row at a time: what check_cross_reference must agree with."""
    usable = [i for i, (o, n) in enumerate(pairs) if o and n]
    seen: set[tuple[str, str]] = set()
    keep, repeats = [], []
    for i in usable:
        (repeats if pairs[i] in seen else keep).append(i)
        seen.add(pairs[i])
    news: dict[str, set[str]] = {}
    olds: dict[str, set[str]] = {}
    for i in keep:
        o, n = pairs[i]
        news.setdefault(o, set()).add(n)
        olds.setdefault(n, set()).add(o)
    old_twice = [i for i in usable if len(news[pairs[i][0]]) > 1]
    new_twice = [i for i in usable if len(olds[pairs[i][1]]) > 1]
    bad = set(old_twice) | set(new_twice)
    clean = {pairs[i][0]: i for i in keep if i not in bad}
    file_olds = {o for o, _ in pairs if o}
    unmatched = [a for a in accounts if a not in file_olds]
    extra = {pairs[i][0] for i in keep} - set(accounts)
    update = [(clean[a] + 2, a, pairs[clean[a]][1]) for a in accounts if a in clean]
    return repeats, old_twice, new_twice, unmatched, len(extra), update


def test_vectorised_check_agrees_with_the_rules_on_random_files(tmp_path: Path):
    rng = random.Random(4)
    for case in range(60):
        accounts = [f"{x:04d}" for x in rng.sample(range(40), rng.randrange(1, 25))]
        pairs = [(f"{rng.randrange(40):04d}" if rng.random() > 0.05 else "",
                  f"N{rng.randrange(30)}" if rng.random() > 0.05 else "")
                 for _ in range(rng.randrange(1, 40))]
        path = tmp_path / f"case{case}.csv"
        write_xref(path, pairs)
        table = read_table(path)
        got = core_xref.check_cross_reference(
            table, "UTI Account Number", "Daffron Account Number", pa.array(accounts),
            pa.array(range(2, len(accounts) + 2), pa.int64()))
        repeats, old_twice, new_twice, unmatched, extra, update = reference_check(
            accounts, pairs)
        by_rule: dict[str, list[object]] = {}
        for f in got.findings:
            by_rule.setdefault(f.rule, []).append(f.row if f.row is not None else f.value)
        assert sorted(by_rule.get(core_xref.RULE_DUPLICATE, [])) == [i + 2 for i in repeats]
        assert sorted(by_rule.get(core_xref.RULE_OLD_TWICE, [])) == [i + 2 for i in old_twice]
        assert sorted(by_rule.get(core_xref.RULE_NEW_TWICE, [])) == [i + 2 for i in new_twice]
        assert got.unmatched == len(unmatched)
        assert got.extra == extra
        assert [tuple(r.values()) for r in got.update.to_pylist()] == update, case


def test_an_account_given_twice_in_the_snapshot_is_mapped_once(tmp_path: Path):
    """export-flags never keeps an account twice; were one there anyway, the update holds it
    once (its last snapshot row's place), never a rename of the same account twice."""
    path = write_xref(tmp_path / "x.csv", [("0002", "N2"), ("0001", "N1"), ("0003", "N3")])
    got = core_xref.check_cross_reference(
        read_table(path), "UTI Account Number", "Daffron Account Number",
        pa.array(["0001", "0002", "0001", "0003"]), pa.array([2, 3, 4, 5], pa.int64()))
    assert [tuple(r.values()) for r in got.update.to_pylist()] == [
        (2, "0002", "N2"), (3, "0001", "N1"), (4, "0003", "N3")]
    assert got.unmatched == 0 and got.extra == 0 and got.blocking == 0


def test_the_command_line_says_what_import_xref_did_and_flow_itself_prints_nothing(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The messages are the command line's to print (issue 33): `convwiz import-xref` says
    them on standard error, in their order; the flow function, given no `say`, is silent."""
    with_customers(project, tmp_path)
    xref = write_xref(tmp_path / "xref.csv", GOOD_XREF)
    run = import_run(project, xref)
    assert run.code == 0, run.stderr
    said = run.stderr.splitlines()  # after the progress lines (and any window warning)
    assert said[-3:] == [f"Mapped 4 customers from {xref.name}: 0 unmatched customers, "
                    "0 extra accounts.",
                    f"  IC account update: {project / 'outbox' / 'ic_account_update.csv'}",
                    f"  rollback:          {project / 'outbox' / 'ic_account_rollback.csv'}"]
    capsys.readouterr()
    with Project.open(project) as opened:
        import_xref(opened, xref, {}, False)
    assert capsys.readouterr() == ("", "")
