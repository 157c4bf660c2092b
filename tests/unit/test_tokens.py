"""`convwiz tokens`: the token registration file for customers who must re-register."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pyarrow.compute as pc

from tests.conftest import write_export
from tests.helpers.cli import convwiz
from tests.helpers.private import PRIVATE_FILE, mode
from wizard.flow.project.project import Project
from wizard.flow.steps.renumber import registration_tokens

HEADER = b"BID,New Account Number,Email,Token,Expires\r\n"
EXPORT_ROWS = [
    '"Mary Smith",0001234567,mary.smith@example.com,Y,Y,Visa,0042',
    '"José Núñez",0002345678,,N,N,,',
    '"Renée O\'Brien",0003456789,renee@coopmail.net,Y,N,,',
    '"James Brown",4567890123,jbrown@example.com,N,Y,Checking,1234',
]
XREF = ("UTI Account Number,Daffron Account Number\r\n0001234567,D-100001\r\n"
        "0002345678,D-100002\r\n0003456789,D-100003\r\n4567890123,D-100004\r\n")


def converted(project: Path, tmp_path: Path, xref: str = XREF, *extra: str) -> Path:
    export = write_export(tmp_path / "customers.csv", EXPORT_ROWS)
    assert convwiz("export-flags", project, "--input", export).code == 0
    path = tmp_path / "xref.csv"
    path.write_bytes(xref.encode())
    run = convwiz("import-xref", project, "--xref", path, *extra)
    assert run.code == 0, run.stderr
    return project


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def test_tokens_for_every_customer_with_an_email(project: Path, tmp_path: Path):
    converted(project, tmp_path)
    run = convwiz("tokens", project, "--days", "14", "--json")
    assert run.code == 0, run.stderr
    result = run.result
    expires = (date(2026, 12, 14) + timedelta(days=14)).isoformat()  # from go-live
    assert (result["rows"], result["skipped_no_email"], result["expires"]) == (3, 1, expires)
    output = Path(result["output"])
    assert output.parent == project / "outbox"
    assert mode(output) == PRIVATE_FILE
    raw = output.read_bytes()
    assert raw.startswith(HEADER) and raw.count(b"\r\n") == 4
    rows = read_rows(output)[1:]
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        ("2806", "D-100001", "mary.smith@example.com", expires),
        ("2806", "D-100003", "renee@coopmail.net", expires),
        ("2806", "D-100004", "jbrown@example.com", expires),
    ]
    tokens = [r[3] for r in rows]
    assert len(set(tokens)) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{31}", t) for t in tokens)
    with Project.open(project) as p:
        entry = p.store.latest_file("tokens")
        assert entry is not None and entry.rows == 3
        audit = " ".join(str(e.detail) for e in p.store.audit_log())
    # the tokens are the customers' secrets: never in the log, the audit or the output
    log = (project / "convwiz.log").read_text(encoding="utf-8")
    for token in tokens:
        assert token not in log and token not in audit
        assert token not in run.stdout and token not in run.stderr


def test_each_run_draws_new_tokens(project: Path, tmp_path: Path):
    converted(project, tmp_path)
    first = read_rows(Path(convwiz("tokens", project, "--json").result["output"]))
    second = read_rows(Path(convwiz("tokens", project, "--json").result["output"]))
    assert {r[3] for r in first[1:]}.isdisjoint({r[3] for r in second[1:]})
    assert [r[:3] for r in first] == [r[:3] for r in second]


def test_unmatched_customers_get_no_token(project: Path, tmp_path: Path):
    xref = XREF.replace("0001234567,D-100001\r\n", "")
    converted(project, tmp_path, xref, "--allow-unmatched")
    result = convwiz("tokens", project, "--json").result
    assert (result["rows"], result["skipped_unmapped"]) == (2, 1)
    assert "mary.smith" not in Path(result["output"]).read_text(encoding="utf-8")


def test_tokens_before_the_cross_reference_is_not_ready(project: Path, tmp_path: Path):
    export = write_export(tmp_path / "customers.csv", EXPORT_ROWS)
    assert convwiz("export-flags", project, "--input", export).code == 0
    run = convwiz("tokens", project, "--json")
    assert run.code == 4
    assert "import-xref" in run.result["error"]
    assert not (project / "outbox" / "token_registration.csv").exists()


def test_days_out_of_range_is_bad_usage(project: Path):
    assert convwiz("tokens", project, "--days", "0", "--json").code == 2


def test_registration_tokens_are_unique_urlsafe_and_never_start_with_a_dash():
    tokens = registration_tokens(20_000)
    assert len(tokens) == 20_000
    assert pc.count_distinct(tokens).as_py() == 20_000
    assert pc.all(pc.match_substring_regex(tokens, r"^[A-Za-z0-9_][A-Za-z0-9_-]{31}$")).as_py()
    assert len(registration_tokens(0)) == 0


def test_links_are_valid_from_go_live_not_from_today(project: Path, tmp_path: Path):
    """Links count from go-live (2026-12-14 here), whatever today is: a project going live
    in weeks gets links still valid when the portal opens."""
    converted(project, tmp_path)
    run = convwiz("tokens", project, "--days", "30", "--json")
    assert run.code == 0, run.stderr
    assert run.result["expires"] == "2027-01-13"
    rows = read_rows(project / "outbox" / "token_registration.csv")
    assert {r[4] for r in rows[1:]} == {"2027-01-13"}


def test_days_ending_before_go_live_plus_14_are_refused(project: Path, tmp_path: Path):
    converted(project, tmp_path)
    run = convwiz("tokens", project, "--days", "10", "--json")
    assert run.code == 2
    assert "before go-live + 14 days" in run.result["error"]
    assert not (project / "outbox" / "token_registration.csv").exists()
