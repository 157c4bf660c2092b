"""Projects as an older Conversion Wizard left them, and a person with the sqlite3 shell."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from wizard.services.store import STORE_NAME


def before_the_chain(folder: Path) -> int:
    """Make a project's store what the program before the audit chain wrote (schema 3): the
    same rows, without the hash columns or the project's id. Returns its audit rows."""
    db = sqlite3.connect(folder / STORE_NAME)
    try:
        db.execute("ALTER TABLE audit DROP COLUMN prev_hash")
        db.execute("ALTER TABLE audit DROP COLUMN row_hash")
        db.execute("DROP TABLE identity")
        db.execute("PRAGMA user_version = 3")
        db.commit()
        return int(db.execute("SELECT COUNT(*) FROM audit").fetchone()[0])
    finally:
        db.close()


def tamper(folder: Path, *sql: str) -> None:
    """What a person with the sqlite3 shell does to the log: drop the triggers that refuse
    UPDATE and DELETE, then run `sql`."""
    db = sqlite3.connect(folder / STORE_NAME)
    try:
        db.execute("DROP TRIGGER IF EXISTS audit_no_update")
        db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        for statement in sql:
            db.execute(statement)
        db.commit()
    finally:
        db.close()


def audit_rows(folder: Path) -> list[tuple[int, str, str]]:
    """(number, time, action) of every audit row, read with the sqlite3 module."""
    db = sqlite3.connect(folder / STORE_NAME)
    try:
        return [(int(r[0]), str(r[1]), str(r[2]))
                for r in db.execute("SELECT seq, at, action FROM audit ORDER BY seq")]
    finally:
        db.close()
