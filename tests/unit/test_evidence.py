"""The evidence pack's lists, from the record alone: a setting shows its old and new value
each time it changed (by `settings`, or by saving the SFTP connection again), each host key
counts the transfers made with it; and a pack written with --no-encrypt says so in the log."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build
from wizard.flow.papers import evidence_sheets
from wizard.flow.papers.evidence import write_evidence_pack
from wizard.flow.project.project import Project
from wizard.services.audit_chain import AuditEntry
from wizard.services.store import ManifestEntry

T = "2026-12-06T10:00:00+00:00"
OLD_KEY, NEW_KEY = "SHA256:old-key", "SHA256:new-key"


def _connection(key: str, at: str = T) -> AuditEntry:
    return AuditEntry(0, at, "Ann", "connection saved", {
        "host": "sftp.example.net", "port": 22, "user": "acme", "host_key": key,
        "key_type": "ssh-ed25519", "upload_dir": "/in", "download_dir": "/out"})


def _transfer(direction: str, key: str, at: str = T) -> ManifestEntry:
    return ManifestEntry(0, at, direction, "flag_file", "outbox/flags.csv", "ab" * 32, 10, 200,
                         {"host": "sftp.example.net", "port": 22, "host_key": key,
                          "remote_path": "/in/flags.csv"})


def test_each_setting_change_has_its_old_and_new_value() -> None:
    audit = [
        AuditEntry(1, T, "convwiz", "project created", {"biller": "Acme", "production_bid": "1"}),
        AuditEntry(2, T, "Ann", "setting changed", {"setting": "production_bid", "old": "1",
                                                    "new": "2"}),
        _connection(OLD_KEY), _connection(NEW_KEY),
        AuditEntry(5, T, "convwiz", "workbook password made", {"keyring": "Windows Credential "
                                                               "Manager", "keyring_entry": "wb:x"}),
    ]
    rows = {(r[1], r[2], r[3], r[4], r[5]) for r in evidence_sheets.setting_changes(audit)}
    assert ("production bid", "", "1", "convwiz", "project created") in rows
    assert ("production bid", "1", "2", "Ann", "settings changed") in rows
    assert ("SFTP host key", "", OLD_KEY, "Ann", "SFTP connection saved") in rows
    assert ("SFTP host key", OLD_KEY, NEW_KEY, "Ann", "SFTP connection saved") in rows
    # saved again with the same host: no change listed for it
    assert sum(1 for r in rows if r[0] == "SFTP host") == 1
    password = next(r for r in rows if r[0] == "workbook password")
    assert "Windows Credential Manager" in password[2] and "never recorded" in password[2]


def test_each_host_key_counts_the_transfers_made_with_it() -> None:
    audit = [_connection(OLD_KEY), _connection(NEW_KEY, "2026-12-07T10:00:00+00:00")]
    manifest = [_transfer("sent", OLD_KEY), _transfer("received", OLD_KEY),
                _transfer("sent", NEW_KEY, "2026-12-07T11:00:00+00:00"),
                _transfer("received", "SHA256:never-pinned")]
    sheet = evidence_sheets.host_keys_sheet(audit, manifest)
    assert sheet.table is not None
    found = dict(zip(sheet.table.column("c2").to_pylist(), sheet.table.column("c5").to_pylist()))
    assert found == {OLD_KEY: 2, NEW_KEY: 1, "SHA256:never-pinned": 1}
    files = evidence_sheets.files_sheet(manifest)
    assert files.table is not None
    assert files.table.column("c8").to_pylist() == [OLD_KEY, OLD_KEY, NEW_KEY,
                                                    "SHA256:never-pinned"]
    assert files.table.column("c7").to_pylist()[0] == "sftp.example.net:22"


def test_a_pack_without_encryption_is_plain_and_audited(project: Path, tmp_path: Path) -> None:
    build(project, n=20, xref=False)
    assert convwiz("settings", project, "--go-live", "2026-12-15", "--allow-past").code == 0
    out = tmp_path / "for the assessor.xlsx"
    with Project.open(project) as opened:
        pack = write_evidence_pack(opened, out, encrypt=False)
        audit = opened.store.audit_log()
        assert opened.store.latest_file("evidence_pack") is not None
    assert pack.output == out and pack.password is None and not pack.encrypted
    assert audit[-1].action == "evidence pack written without encryption (--no-encrypt)"
    book = openpyxl.load_workbook(out)
    changes = list(book["Setting Changes"].iter_rows(values_only=True))
    assert ("go live", "2026-12-14", "2026-12-15") in [tuple(r[1:4]) for r in changes]
    assert pack.to_json()["chain"]["whole"] is True
    assert "password" not in pack.to_json(show_password=True)


def test_convwiz_audit_workbook_writes_the_encrypted_pack(project: Path, tmp_path: Path) -> None:
    from tests.helpers.workbooks import calamine, is_ole

    build(project, n=20, xref=False)
    run = convwiz("audit", project, "--workbook", "--json", "--show-password")
    assert run.code == 0, run.stderr
    result = run.result
    pack = Path(result["output"])
    assert pack == project / "reports" / "Acme_Electric_Co-op_evidence_pack.xlsx"
    assert is_ole(pack) and result["encrypted"] is True
    assert result["password"] in run.stderr  # said once, as for the biller workbook
    assert result["chain"]["state"].startswith("whole, ")
    assert calamine(pack, result["password"]).sheet_names[0] == "Summary"
    # without --show-password the result holds no password
    assert "password" not in convwiz("audit", project, "--workbook", "--json").result
    # a file of the person's choosing, plain when asked (said, and audited)
    out = tmp_path / "pack.xlsx"
    run = convwiz("audit", project, "--workbook", out, "--no-encrypt", "--json")
    assert run.code == 0, run.stderr
    assert Path(run.result["output"]) == out and not is_ole(out)
    assert "NOT ENCRYPTED" in run.stderr
