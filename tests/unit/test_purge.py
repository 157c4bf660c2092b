"""`convwiz purge`: customer data goes, the record of what was done stays."""

from __future__ import annotations

import io
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.conftest import write_export
from tests.helpers.cli import convwiz
from tests.unit.test_lock import lock_held
from wizard.core import generate
from wizard.flow.project import Project
from wizard.services.files import sha256_file
from wizard.services.store import STORE_NAME

CARD = "4111 1111 1111 1111"


class _Terminal(io.StringIO):
    """Standard input as a person at a terminal would type it."""

    def isatty(self) -> bool:
        return True


def _customer_data(project: Path, tmp_path: Path) -> dict[str, str]:
    """Run the real steps that leave customer data behind; return {name: sha256}."""
    export = generate.write_csv(generate.customers(300), tmp_path / "customers.csv")
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    # a blocked second export leaves its exceptions workbook in reports/
    bad = write_export(tmp_path / "bad.csv", [
        f"Ann Lee,0001234567,ann@example.com,Y,Y,card,{CARD}",
        "Bob Ray,,bob@example.com,N,N,,",
    ])
    run = convwiz("export-flags", project, "--input", bad, "--json")
    assert run.code == 3, run.stderr
    # a cross-reference received from the provider, as fetch-xref records it
    with Project.open(project) as p:
        received = p.inbox / "xref_2026.csv"
        received.write_text("Old Account,New Account\r\n0001234567,900001\r\n")
        p.store.record_file("received", "cross_reference", p.relative(received),
                            sha256_file(received), rows=1, size=received.stat().st_size)
        nested = p.reports / "tokens"
        nested.mkdir()
        (nested / "token_registration.csv").write_text("BID,New Account,Email\r\n")
    files = [f for sub in ("data", "outbox", "inbox", "reports")
             for f in (project / sub).rglob("*") if f.is_file()]
    files += list(project.glob("convwiz.log*"))
    return {str(f.relative_to(project)): sha256_file(f) for f in files}


def _unchanged(project: Path, before: dict[str, str]) -> None:
    """Every data file is still there as it was (the log grows, of course)."""
    for name, digest in before.items():
        if not name.startswith("convwiz.log"):
            assert sha256_file(project / name) == digest, name


def test_purge_yes_removes_customer_data_and_keeps_the_record(
    project: Path, tmp_path: Path
) -> None:
    before = _customer_data(project, tmp_path)
    kinds = {name.split("/")[0] for name in before}
    assert {"data", "outbox", "inbox", "reports", "convwiz.log"} <= kinds
    total = sum((project / name).stat().st_size for name in before)

    run = convwiz("purge", project, "--yes", "--json")

    assert run.code == 0, run.stderr
    assert run.result["purged"] is True
    assert run.result["files"] == len(before)
    assert run.result["bytes"] == total
    assert sorted(run.result["removed"]) == sorted(before)
    for sub in ("data", "outbox", "inbox", "reports"):
        assert (project / sub).is_dir()
        assert list((project / sub).iterdir()) == [], sub
    # what stays: the store, whole, with every removed file's SHA-256 in the audit log
    with Project.open(project) as p:
        assert p.store.integrity_ok()
        log = p.store.audit_log()
        listing = next(e for e in log if e.action == "purging customer data")
        assert {f["name"]: f["sha256"] for f in listing.detail["files"]} == before
        done = log[-1]
        assert done.action == "customer data purged"
        assert done.detail["files"] == len(before)
        assert listing.seq < done.seq
        # the manifest still says which files were made, received and when
        assert [e.kind for e in p.store.manifest("flag_file")] == ["flag_file"]
        assert p.store.setting("purged_at")
    # the project still opens and says where it stands
    status = convwiz("status", project, "--json")
    assert status.code == 0, status.stderr
    assert {s["id"]: s["state"] for s in status.result["steps"]}["flag_file"] == "done"
    # nothing of the data survives in the project, not even in the store or the new log
    for path in project.rglob("*"):
        if path.is_file():
            assert b"0001234567" not in path.read_bytes() or path.name == STORE_NAME, path


def test_no_terminal_and_no_yes_is_exit_2_and_nothing_removed(
    project: Path, tmp_path: Path
) -> None:
    before = _customer_data(project, tmp_path)
    run = convwiz("purge", project, "--json", stdin="y\n")  # piped, not a terminal
    assert run.code == 2
    assert "--yes" in run.stderr
    assert run.result["exit"] == 2
    _unchanged(project, before)


@pytest.mark.parametrize("answer", ["n\n", "\n", "maybe\n", ""])
def test_declining_removes_nothing(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    before = _customer_data(project, tmp_path)
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    run = convwiz("purge", project, "--json")
    assert run.code == 0, run.stderr
    assert run.result == {"purged": False, "files": 0, "bytes": 0, "removed": []}
    _unchanged(project, before)
    # the question says what would go and that the record stays
    assert f"Remove {len(before)} file(s) of customer data" in run.stderr
    assert "SHA-256" in run.stderr
    with Project.open(project) as p:
        assert p.store.audit_log()[-1].action == "purge declined"


def test_answering_yes_at_the_terminal_purges(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _customer_data(project, tmp_path)
    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    run = convwiz("purge", project, "--json")
    assert run.code == 0, run.stderr
    assert run.result["files"] == len(before)
    # the conversion was not verified: the question warns that the steps would start over
    assert "not been verified" in run.stderr


def test_purge_refused_while_another_process_works_on_the_project(
    project: Path, tmp_path: Path
) -> None:
    before = _customer_data(project, tmp_path)
    with lock_held(project, "import-xref"):
        run = convwiz("purge", project, "--yes", "--json")
    assert run.code == 4
    assert "another process is working on" in run.stderr
    _unchanged(project, before)


def test_workbook_written_outside_the_project_goes_only_if_unchanged(
    project: Path, tmp_path: Path
) -> None:
    handed_over = tmp_path / "handover" / "Acme_biller_workbook.xlsx"
    edited = tmp_path / "handover" / "Acme_copy_edited.xlsx"
    handed_over.parent.mkdir()
    with Project.open(project) as p:
        for path in (handed_over, edited):
            generate.write_xlsx(generate.customers(20), path)
            p.record_made(path, "biller_workbook", rows=20)
    edited.write_bytes(edited.read_bytes() + b"edited by the biller")
    run = convwiz("purge", project, "--yes", "--json")
    assert run.code == 0, run.stderr
    assert not handed_over.exists()
    assert str(handed_over) in run.result["removed"]
    assert edited.exists()  # not what the program wrote any more: not ours to remove


def test_nothing_to_purge_asks_nothing(project: Path) -> None:
    # a new project holds only its store and its log: no question, nothing removed
    run = convwiz("purge", project, "--json", stdin="")
    assert run.code == 0, run.stderr
    assert run.result == {"purged": True, "files": 0, "bytes": 0, "removed": []}
    assert (project / "convwiz.log").exists()


def test_audit_log_cannot_be_purged_behind_its_back(project: Path, tmp_path: Path) -> None:
    _customer_data(project, tmp_path)
    assert convwiz("purge", project, "--yes").code == 0
    with sqlite3.connect(project / STORE_NAME) as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM audit WHERE action LIKE 'purg%'")
