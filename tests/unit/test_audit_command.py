"""`convwiz audit`, as a PM or an auditor runs it: the log printed, its chain verified, and a
row removed or changed with the sqlite3 shell (triggers dropped first) reported by `audit
--verify` (exit 3, the row named), by `status` and by the portfolio (CONTRACT.md, "The
record"). Projects made before the chain get it once, audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.old_store import audit_rows, before_the_chain, tamper


@pytest.fixture
def worked(project: Path) -> Path:
    """A project with a few rows in its log: made, then two settings changes and a
    sign-off."""
    for args in (("settings", project, "--pm-name", "Pat Lee"),
                 ("settings", project, "--window-days", "4"),
                 ("checklist", project, "--done", "confirm_go_live", "--by", "Pat")):
        run = convwiz(*args, "--json")
        assert run.code == 0, run.stderr
    assert len(audit_rows(project)) >= 4
    return project


def _verify(project: Path) -> tuple[int, dict[str, object], str]:
    run = convwiz("audit", project, "--verify", "--json")
    return run.code, run.result, run.stderr


def _status(project: Path) -> tuple[dict[str, object], str]:
    as_json = convwiz("status", project, "--json")
    text = convwiz("status", project)
    assert as_json.code == 0 and text.code == 0, as_json.stderr + text.stderr
    return as_json.result, text.stdout


def _portfolio_row(project: Path) -> dict[str, object]:
    run = convwiz("portfolio", project, "--json")
    assert run.code == 0, run.stderr
    (row,) = run.result["conversions"]
    return dict(row)


def test_the_log_is_printed_and_a_whole_chain_verifies(worked: Path) -> None:
    rows = audit_rows(worked)
    run = convwiz("audit", worked)
    assert run.code == 0, run.stderr
    printed = run.stdout.splitlines()
    assert len(printed) == len(rows) and "project created" in printed[0]
    assert f"{len(rows)} rows; the chain: whole, {len(rows)} rows" in run.stderr
    as_json = convwiz("audit", worked, "--json")
    assert as_json.code == 0
    assert [e["seq"] for e in as_json.result["entries"]] == [r[0] for r in rows]
    assert as_json.result["chain"]["whole"] is True
    code, result, stderr = _verify(worked)
    assert code == 0 and result["whole"] is True and "whole" in stderr
    status, text = _status(worked)
    assert status["chain"]["whole"] is True  # type: ignore[index]
    assert "audit log: whole" in text
    assert _portfolio_row(worked)["state"] != "needs attention"


def _assert_reported(project: Path, row: int, time: str, words: str) -> None:
    code, result, stderr = _verify(project)
    assert code == 3, stderr
    assert f"row {row}" in stderr and time in stderr and words in stderr
    chain = result["chain"]
    assert chain["first_bad_row"] == row and chain["first_bad_time"] == time  # type: ignore[index]
    status, text = _status(project)
    assert status["chain"]["whole"] is False  # type: ignore[index]
    assert str(status["headline"]).startswith("The audit log needs attention")
    assert f"broken at row {row}, {time}" in text.splitlines()[-1]
    listed = _portfolio_row(project)
    assert listed["state"] == "needs attention"
    assert f"broken at row {row}, {time}" in str(listed["next_action"])


def test_a_changed_row_is_reported_by_verify_status_and_the_portfolio(worked: Path) -> None:
    seq, at, _action = audit_rows(worked)[1]
    tamper(worked, f"UPDATE audit SET detail = '{{}}' WHERE seq = {seq}")
    _assert_reported(worked, seq, at, "was changed after it was written")


def test_a_removed_row_is_reported_by_verify_status_and_the_portfolio(worked: Path) -> None:
    rows = audit_rows(worked)
    seq, _at, _action = rows[1]
    tamper(worked, f"DELETE FROM audit WHERE seq = {seq}")
    # the missing row's time is not known: the row after the gap's is named
    _assert_reported(worked, seq, rows[2][1], f"row {seq} is missing")


def test_a_broken_chain_is_never_repaired_by_working_on(worked: Path) -> None:
    seq, at, _action = audit_rows(worked)[1]
    tamper(worked, f"UPDATE audit SET actor = 'nobody' WHERE seq = {seq}")
    assert convwiz("settings", worked, "--pm-name", "Sam Roe").code == 0
    code, result, _stderr = _verify(worked)
    assert code == 3 and result["chain"]["first_bad_row"] == seq  # type: ignore[index]


def test_a_cut_tail_is_found_through_the_keyring_s_head(
        worked: Path, memory_keyring: MemoryKeyring) -> None:
    rows = audit_rows(worked)
    assert MemoryKeyring.secrets.get("convwiz audit chain")  # the head, beside no secret
    keep = rows[-3][0]
    # the last two rows removed, and SQLite's counter set back so the table hides the cut
    tamper(worked, f"DELETE FROM audit WHERE seq > {keep}",
           f"UPDATE sqlite_sequence SET seq = {keep} WHERE name = 'audit'")
    code, result, stderr = _verify(worked)
    assert code == 3, stderr
    assert result["chain"]["first_bad_row"] == keep + 1  # type: ignore[index]
    assert "missing from the end" in stderr and "keyring" in stderr
    status, _text = _status(worked)
    assert status["chain"]["whole"] is False  # type: ignore[index]
    assert _portfolio_row(worked)["state"] == "needs attention"


def test_without_a_keyring_the_tail_is_unchecked_but_nothing_fails(
        worked: Path, memory_keyring: MemoryKeyring) -> None:
    MemoryKeyring.locked = True
    code, result, stderr = _verify(worked)
    assert code == 0, stderr
    assert "keyring is locked" in str(result["chain"]["head"])  # type: ignore[index]


def test_a_project_made_before_the_chain_gets_it_once_audited(worked: Path) -> None:
    old_rows = before_the_chain(worked)
    listed = _portfolio_row(worked)  # the portfolio reads it as it is, never migrating
    assert listed["state"] != "needs attention" and listed["state"] != "unreadable"
    assert len(audit_rows(worked)) == old_rows
    code, result, stderr = _verify(worked)
    assert code == 0, stderr
    rows = audit_rows(worked)
    assert len(rows) == old_rows + 1 and rows[-1][2] == "audit log chained"
    log = convwiz("audit", worked, "--json").result["entries"]
    assert log[-1]["detail"]["rows"] == old_rows and log[-1]["detail"]["first"] == 1
    assert convwiz("status", worked).code == 0
    assert [r[2] for r in audit_rows(worked)].count("audit log chained") == 1


def test_the_options_and_the_evidence_pack_s_seam(worked: Path) -> None:
    run = convwiz("audit", worked, "--no-encrypt", "--json")
    assert run.code == 2 and "go with --workbook" in run.result["error"]
    run = convwiz("audit", worked, "--workbook", "--json")
    assert run.code in (0, 2), run.stderr  # 2 until the evidence pack is in this version


def test_rows_still_in_the_wal_of_an_open_project_are_no_cut_tail_for_the_portfolio(
        worked: Path, memory_keyring: MemoryKeyring) -> None:
    """The window holds the project and has just written rows (in the -wal, with the head
    in the keyring counting them); the portfolio's immutable read does not see them, and
    must not call that a cut tail."""
    from wizard.services.store import STORE_NAME, Store

    window = Store(worked / STORE_NAME)
    try:
        for n in range(3):
            window.audit("written by the window", n=n)
        assert (worked / f"{STORE_NAME}-wal").stat().st_size > 0
        listed = _portfolio_row(worked)
        assert listed["state"] != "needs attention", listed
    finally:
        window.close()
    code, result, _stderr = _verify(worked)
    assert code == 0 and result["chain"]["head"].startswith("the tail matches")  # type: ignore[index]


def test_text_from_outside_is_printed_with_control_characters_made_visible(
        project: Path) -> None:
    from wizard.services.store import STORE_NAME, Store

    with Store(project / STORE_NAME) as s:  # a file name as a provider may send it
        s.record_file("received", "xref", "inbox/x\x1b[2Jref.csv", "0" * 64, rows=1, size=1)
    run = convwiz("audit", project)
    assert run.code == 0, run.stderr
    assert "\x1b" not in run.stdout and "x\\x1b[2Jref.csv" in run.stdout
