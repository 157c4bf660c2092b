"""`convwiz purge`: customer data goes, the record of what was done stays."""

from __future__ import annotations

import io
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import write_export
from tests.helpers.cli import convwiz
from tests.unit.test_lock import lock_held
from wizard.core import generate
from wizard.flow.project.project import Project
from wizard.services.files import sha256_file
from wizard.services.store import STORE_NAME

CARD = "4111 1111 1111 1111"


class _Terminal(io.StringIO):
    """Standard input as a person at a terminal would type it."""

    def isatty(self) -> bool:
        return True


def _customer_data(project: Path, tmp_path: Path) -> dict[str, str]:
    """Run the real steps that leave customer data behind; return {name: sha256} of the
    files the program made or received (the manifest)."""
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
        received.write_text("Old Account,New Account\r\n0001234567,900001\r\n",
                            encoding="utf-8", newline="")
        p.store.record_file("received", "cross_reference", p.relative(received),
                            sha256_file(received), rows=1, size=received.stat().st_size)
        names = {e.name for e in p.store.manifest() if e.direction in ("made", "received")}
    return {name: sha256_file(project / name) for name in names}


def _own_files(project: Path) -> dict[Path, bytes]:
    """Files the PM put in the project: never the program's to remove."""
    own = {
        project / "reports" / "my_notes.docx": b"PM's notes about the biller",
        project / "data" / "other_biller.csv": b"Account,Name\r\n1,Someone else\r\n",
        project / "reports" / "tokens" / "token_registration.csv": b"kept by hand",
    }
    for path, blob in own.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
    return own


def _unchanged(project: Path, before: dict[str, str]) -> None:
    for name, digest in before.items():
        assert sha256_file(project / name) == digest, name


def test_purge_removes_exactly_the_manifest_and_keeps_the_pms_files(
    project: Path, tmp_path: Path
) -> None:
    before = _customer_data(project, tmp_path)
    own = _own_files(project)
    kinds = {name.split("/")[0] for name in before}
    assert {"data", "outbox", "inbox", "reports"} <= kinds
    total = sum((project / name).stat().st_size for name in before)

    run = convwiz("purge", project, "--yes", "--force", "--json")

    assert run.code == 0, run.stderr
    assert run.result["purged"] is True
    assert run.result["files"] == len(before)
    assert run.result["bytes"] == total
    assert sorted(run.result["removed"]) == sorted(before)
    for name in before:
        assert not (project / name).exists(), name
    for path, blob in own.items():
        assert path.read_bytes() == blob, path
    # said in human words too, with the list and sizes
    assert "Removed" in run.stderr and "outbox/" in run.stderr
    # what stays: the store, whole, with every removed file in the audit log
    with Project.open(project) as p:
        assert p.store.integrity_ok()
        log = p.store.audit_log()
        listing = next(e for e in log if e.action == "purging customer data")
        assert {f["name"] for f in listing.detail["files"]} == set(before)
        assert log[-1].action == "customer data purged"
        assert [e.kind for e in p.store.manifest("flag_file")] == ["flag_file"]
    # the steps say purged, not done
    status = convwiz("status", project, "--json")
    assert status.code == 0, status.stderr
    assert {s["id"]: s["state"] for s in status.result["steps"]}["flag_file"] == "purged"
    assert status.result["complete"] is False


def test_yes_before_verification_needs_force(project: Path, tmp_path: Path) -> None:
    before = _customer_data(project, tmp_path)
    run = convwiz("purge", project, "--yes", "--json")
    assert run.code == 4
    assert "--force" in run.result["error"]
    _unchanged(project, before)


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
    assert run.result["purged"] is False and run.result["files"] == 0
    _unchanged(project, before)
    # the question lists what would go, with sizes, and warns before verification
    assert f"Remove {len(before)} file(s)" in run.stderr
    assert "not been verified" in run.stderr
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


def test_purge_refused_while_another_process_works_on_the_project(
    project: Path, tmp_path: Path
) -> None:
    before = _customer_data(project, tmp_path)
    with lock_held(project, "import-xref"):
        run = convwiz("purge", project, "--yes", "--force", "--json")
    assert run.code == 4
    assert "another process is working on" in run.stderr
    _unchanged(project, before)


def test_workbook_written_outside_the_project_is_kept_and_named(
    project: Path, tmp_path: Path
) -> None:
    handed_over = tmp_path / "handover" / "Acme_biller_workbook.xlsx"
    handed_over.parent.mkdir()
    with Project.open(project) as p:
        generate.write_xlsx(generate.customers(20), handed_over)
        p.record_made(handed_over, "biller_workbook", rows=20)
    run = convwiz("purge", project, "--yes", "--force", "--json")
    assert run.code == 0, run.stderr
    assert handed_over.exists()  # where the PM chose to keep it
    assert str(handed_over) in run.result["kept_outside"]


def test_nothing_to_purge_asks_nothing(project: Path) -> None:
    run = convwiz("purge", project, "--json", stdin="")
    assert run.code == 0, run.stderr
    assert run.result["purged"] is True and run.result["files"] == 0


def test_the_providers_secret_is_offered_for_removal(project: Path, tmp_path: Path,
                                                     memory_keyring: object) -> None:
    from wizard.services import secrets

    account = secrets.sftp_account("acme", "sftp.example.net", 22)
    secrets.store_secret(account, "s3cret-pass")
    with Project.open(project) as p:
        for key, value in {"sftp_host": "sftp.example.net", "sftp_port": 22,
                           "sftp_user": "acme"}.items():
            p.store.set_setting(key, value)
    _customer_data(project, tmp_path)
    kept = convwiz("purge", project, "--yes", "--force", "--keep-secret", "--json")
    assert kept.code == 0 and kept.result["secret_removed"] is False
    assert secrets.read_secret(account) == "s3cret-pass"
    run = convwiz("purge", project, "--yes", "--force", "--json")
    assert run.code == 0, run.stderr
    assert run.result["secret_removed"] is True
    assert secrets.read_secret(account) is None


def test_audit_log_cannot_be_purged_behind_its_back(project: Path, tmp_path: Path) -> None:
    _customer_data(project, tmp_path)
    assert convwiz("purge", project, "--yes", "--force").code == 0
    # closing(): a connection's own `with` ends a transaction and leaves it open
    with closing(sqlite3.connect(project / STORE_NAME)) as db, \
            pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM audit WHERE action LIKE 'purg%'")
