"""The evidence pack for the biller's auditors, from a whole demo conversion (the flag file
sent and the cross-reference received over SFTP, tasks signed off) and a setting changed
after: decrypted by msoffcrypto-tool and read by openpyxl, as an assessor's tools would, it
lists every file of the manifest with its SHA-256, the host key of each transfer, every
sign-off and setting change, and the chain's state; and no customer of the demo data."""

from __future__ import annotations

import contextlib
import io
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.workbooks import decrypted, is_ole
from wizard.core.reader import read_table
from wizard.flow import demo
from wizard.flow.papers.evidence import write_evidence_pack
from wizard.flow.project.project import Project
from wizard.services.files import sha256_file

SHEETS = ["Summary", "Files", "Host Keys", "Sign-offs", "Setting Changes"]


def _rows(book: Any, sheet: str) -> list[dict[str, Any]]:
    """A table sheet's rows as {header: value}."""
    values = list(book[sheet].iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, row)) for row in values[1:]]


def test_the_evidence_pack_lists_the_record_and_no_customer(
        tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    folder = tmp_path / "demo"
    made = demo.run_demo(folder, 120, lambda _text: None)
    run = convwiz("settings", folder, "--pm-name", "Ann Auditor", "--by", "Ann")
    assert run.code == 0, run.stderr
    with Project.open(folder) as project:
        pack = write_evidence_pack(project)
        manifest = project.store.manifest()
        audit = project.store.audit_log()
    assert pack.output == folder / "reports" / "Prairie_Valley_Electric_Co-op_evidence_pack.xlsx"
    assert is_ole(pack.output) and pack.password  # encrypted with the project's password
    book = openpyxl.load_workbook(io.BytesIO(decrypted(pack.output, pack.password)))
    assert book.sheetnames == SHEETS

    # every file of the manifest (as it stood before the pack), its hash, size and rows
    files = _rows(book, "Files")
    before = [e for e in manifest if e.name != "reports/" + pack.output.name]
    assert [(f["File"], f["SHA-256"], f["Bytes"], f["Direction"]) for f in files] == [
        (e.name, e.sha256, e.bytes, e.direction) for e in before]
    newest = {f["File"]: f["SHA-256"] for f in files}
    for name, digest in newest.items():  # and the files on disk are those it names
        assert sha256_file(folder / name) == digest, name
    # the pack itself is in the manifest now, like every output
    assert manifest[-1].kind == "evidence_pack" and manifest[-1].sha256 == pack.sha256

    # the host key each transfer used, and the key as it was accepted
    pinned = next(a.detail["host_key"] for a in audit if a.action == "connection saved")
    transfers = [f for f in files if f["Direction"] in ("sent", "received")]
    assert [f["Direction"] for f in transfers] == ["sent", "received"]
    assert all(f["SFTP Host Key"] == pinned and f["Server"] for f in transfers)
    keys = _rows(book, "Host Keys")
    assert [(k["Fingerprint"], k["Transfers"]) for k in keys] == [(pinned, 2)]

    # every sign-off: who, when, which task
    signed = [a for a in audit if a.action == "checklist signed off"]
    sign_offs = _rows(book, "Sign-offs")
    assert len(sign_offs) == len(signed) > 0
    assert [(s["Task ID"], s["Signed Off By"]) for s in sign_offs] == [
        (a.detail["task"], a.actor) for a in signed]
    assert all(s["Time"] is not None for s in sign_offs)

    # every setting change with its old and new value
    changes = _rows(book, "Setting Changes")
    assert {"Setting": "pm name", "Old Value": "Demo PM", "New Value": "Ann Auditor",
            "Changed By": "Ann"}.items() <= next(
        c for c in changes if c["New Value"] == "Ann Auditor").items()
    assert any(c["Setting"] == "SFTP host key" and c["New Value"] == pinned for c in changes)

    # the chain's state on the Summary
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["State"] == pack.chain.describe()
    assert summary["State"].startswith(f"whole, {len(audit) - 1} rows, last hash ")
    assert summary["Rows"] == pack.chain.rows and summary["Last hash"] == pack.chain.last_hash
    assert summary["Head kept outside the database (keyring)"] == (
        "the tail matches the head kept in the keyring")

    # no customer: no name, account number or email of the demo's customer export
    export = read_table(Path(made["customer_export"]))
    cells = "\n".join(str(v) for ws in book for row in ws.iter_rows(values_only=True)
                      for v in row if v is not None)
    for column in ("Customer Name", "Account Number", "Email Address"):
        for value in export.data.column(column).to_pylist():
            if value:
                assert value not in cells, (column, value)



def test_a_broken_chain_is_stated_in_the_pack(project: Path,
                                             memory_keyring: MemoryKeyring) -> None:
    """A row removed with the sqlite3 shell (the trigger dropped first): the pack says the
    chain is broken and where, and is written all the same (it repairs nothing)."""
    build(project, n=30, xref=False)
    with contextlib.closing(sqlite3.connect(project / "convwiz.sqlite")) as db, db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE seq = 3")
    with Project.open(project) as opened:
        pack = write_evidence_pack(opened)
    assert pack.password is not None
    book = openpyxl.load_workbook(io.BytesIO(decrypted(pack.output, pack.password)))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["State"].startswith("BROKEN at row 3"), summary["State"]
    assert summary["First bad row"] == 3
    assert summary["What is wrong"]
