"""The audit log as a hash chain (CONTRACT.md, "The record").

Each row of the store's `audit` table holds `prev_hash`, the SHA-256 of the row before it
(`GENESIS` for the first), and `row_hash`, the SHA-256 of its own content with that link:
a row changed, removed or inserted by hand breaks the chain at that row. The chain alone
cannot see its newest rows removed, so its head (the last row's number and hash) is also
kept outside the database, in the OS keyring under the project's id and folder (`Head`);
a head with more rows than the log, or whose row differs, is a cut or rewritten tail.

`verify` is pure: the rows and the head in, a `ChainState` out. It never repairs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets as _random
import sqlite3
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("wizard.audit_chain")

GENESIS = "0" * 64  # the link of the first row: no row before it

# the tail's check, in words (ChainState.head)
HEAD_MATCHES = "the tail matches the head kept in the keyring"
HEAD_NONE = "no head in the keyring yet for this project and folder: the tail is not checked"
HEAD_NO_KEYRING = "no usable keyring: the tail (the newest rows) cannot be checked"
HEAD_LOCKED = ("the keyring is locked: the tail (the newest rows) is not checked; unlock it "
               "and check again")
HEAD_IN_WAL = ("the newest rows are still in the -wal (a program has the project open), "
               "which this read does not see: the tail is checked when the project is opened")
HEAD_NOT_READ = "the head was not read: the tail (the newest rows) is not checked"


def row_hash(seq: int, at: str, actor: str, action: str, detail: str, prev: str) -> str:
    """The SHA-256 (hex) of one audit row: its number, time, actor, action, detail (the JSON
    text as stored) and the previous row's hash, as one canonical JSON array in UTF-8."""
    text = json.dumps([seq, at, actor, action, detail, prev], ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log, for people (`Store.audit_log`)."""

    seq: int
    at: str
    actor: str
    action: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class ChainRow:
    """One audit row as stored, with its links (None: a row without a hash)."""

    seq: int
    at: str
    actor: str
    action: str
    detail: str
    prev_hash: str | None
    row_hash: str | None


@dataclass(frozen=True)
class Head:
    """The chain's head as kept outside the database: the last row's number and hash."""

    rows: int
    last_hash: str
    at: str = ""  # when the head was recorded (UTC ISO)

    def to_text(self) -> str:
        return json.dumps({"rows": self.rows, "hash": self.last_hash, "at": self.at},
                          separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str) -> Head | None:
        try:
            values = json.loads(text)
            return cls(int(values["rows"]), str(values["hash"]), str(values.get("at", "")))
        except (ValueError, TypeError, KeyError):
            return None


@dataclass(frozen=True)
class ChainState:
    """The audit log's chain as checked now.

    `whole`: every row links to the one before and matches its hash, no row is missing, and
    the tail matches the keyring's head where there is one. `rows`: the log's rows (the last
    row's number when whole); `last_hash`: the last row's hash. When broken, `first_bad_row`
    (the row's number, 1 for the first) and `first_bad_time` (its time as stored; for a
    missing row, the time of the row after the gap, or of the last row) say where, `why`
    says what. `head`: how the tail was checked. `chained`: False for a store made before
    the chain that was read without migrating (the portfolio): then nothing was checked."""

    whole: bool
    rows: int
    last_hash: str
    first_bad_row: int | None = None
    first_bad_time: str | None = None
    why: str = ""
    head: str = HEAD_NOT_READ
    chained: bool = True

    def describe(self) -> str:
        """One sentence for a person or an auditor: "whole, 57 rows, last hash 3f…"."""
        if not self.chained:
            return (f"not chained yet, {self.rows} rows: the project was made before the "
                    "chain; it is chained, once and audited, when the project is next opened")
        if self.whole:
            return f"whole, {self.rows} rows, last hash {self.last_hash}; {self.head}"
        return (f"BROKEN at row {self.first_bad_row} ({self.first_bad_time or 'time unknown'})"
                f": {self.why}. The log has {self.rows} rows, last hash "
                f"{self.last_hash or 'none'}. It is not repaired: keep the project as it is "
                "and tell whoever audits it")

    def __str__(self) -> str:
        return self.describe()

    def to_json(self) -> dict[str, Any]:
        return {"whole": self.whole, "rows": self.rows, "last_hash": self.last_hash,
                "first_bad_row": self.first_bad_row, "first_bad_time": self.first_bad_time,
                "why": self.why, "head": self.head, "chained": self.chained,
                "state": self.describe()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainState:
        """The state back from `to_json()` (its words, "state", are made again)."""
        return cls(bool(data["whole"]), int(data["rows"]), str(data["last_hash"]),
                   data.get("first_bad_row"), data.get("first_bad_time"),
                   str(data.get("why", "")), str(data.get("head", HEAD_NOT_READ)),
                   bool(data.get("chained", True)))


def chain_rows(rows: Iterable[Sequence[Any]]) -> list[ChainRow]:
    """Rows of (seq, at, actor, action, detail, prev_hash, row_hash) as ChainRows."""
    return [ChainRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]),
                     None if r[5] is None else str(r[5]), None if r[6] is None else str(r[6]))
            for r in rows]


def verify(rows: Sequence[ChainRow], highest: int = 0, head: Head | None = None,
           head_note: str = HEAD_NOT_READ) -> ChainState:
    """Check the chain from its first row. `highest`: the highest row number the table ever
    gave (SQLite's `sqlite_sequence`), so rows cut from the end show even without a head.
    `head`: the head kept outside the database, or None (then `head_note` says why)."""
    prev, expected, last_at = GENESIS, 1, None
    for row in rows:
        if row.seq != expected:
            gap = (f"row {expected}" if row.seq == expected + 1
                   else f"rows {expected} to {row.seq - 1}")
            return _broken(rows, expected, row.at,
                           f"{gap} {'is' if row.seq == expected + 1 else 'are'} missing: the "
                           f"log goes from row {expected - 1} to row {row.seq}")
        if row.row_hash is None or row.prev_hash is None:
            return _broken(rows, row.seq, row.at,
                           f"row {row.seq} has no hash: it was added outside the program")
        if row.prev_hash != prev:
            # this row's link says row seq-1 was something else: that row was rewritten
            # (its own hash made again) or this row's link was; name the earlier one
            bad = max(1, row.seq - 1)
            before = next((r.at for r in rows if r.seq == bad), row.at)
            return _broken(rows, bad, before,
                           f"row {row.seq} does not link to row {row.seq - 1} as written: "
                           f"row {row.seq - 1} or row {row.seq} was changed")
        if row_hash(row.seq, row.at, row.actor, row.action, row.detail,
                    row.prev_hash) != row.row_hash:
            return _broken(rows, row.seq, row.at,
                           f"row {row.seq} was changed after it was written: its content no "
                           "longer matches its hash")
        prev, expected, last_at = row.row_hash, expected + 1, row.at
    last = expected - 1
    if highest > last:
        gap = f"row {highest}" if highest == last + 1 else f"rows {last + 1} to {highest}"
        return _broken(rows, last + 1, last_at,
                       f"{gap} {'is' if highest == last + 1 else 'are'} missing from the end: "
                       f"the log had {highest} rows")
    if head is None:
        return ChainState(True, last, prev if last else "", head=head_note)
    if head.rows > last:
        gap = f"row {head.rows}" if head.rows == last + 1 else f"rows {last + 1} to {head.rows}"
        when = f" (recorded {head.at})" if head.at else ""
        return _broken(rows, last + 1, last_at,
                       f"{gap} {'is' if head.rows == last + 1 else 'are'} missing from the "
                       f"end: the head kept in the keyring{when} says the log had "
                       f"{head.rows} rows", head_note="the tail does not match the keyring's "
                                                      "head")
    if head.rows > 0:
        at_head = rows[head.rows - 1]
        if at_head.row_hash != head.last_hash:
            return _broken(rows, head.rows, at_head.at,
                           f"row {head.rows} is not the row the head kept in the keyring "
                           "names: the log was rewritten up to there",
                           head_note="the tail does not match the keyring's head")
    return ChainState(True, last, prev if last else "", head=HEAD_MATCHES)


def _broken(rows: Sequence[ChainRow], bad: int, at: str | None, why: str,
            head_note: str = "") -> ChainState:
    last = rows[-1] if rows else None
    return ChainState(False, len(rows), (last.row_hash or "") if last else "", bad, at, why,
                      head=head_note or "not checked: the chain is broken before the tail")


# -- the chain in the store's `audit` table --------------------------------------------------
_NO_UPDATE = ("CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
              "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


def append(db: sqlite3.Connection, at: str, actor: str, action: str, detail: str) -> Head:
    """Insert one audit row, linked to the last one. Call inside the write transaction
    (`BEGIN IMMEDIATE`), so that the last row read is still the last when the row goes in,
    whichever process writes. The row's number follows the highest the table ever gave, so
    a row cut from the end before this one stays a gap. Returns the new head."""
    given = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
    last = db.execute("SELECT seq, row_hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq = max(int(given[0]) if given else 0, int(last[0]) if last else 0) + 1
    prev = (last[1] or "") if last else GENESIS
    digest = row_hash(seq, at, actor, action, detail, prev)
    db.execute("INSERT INTO audit (seq, at, actor, action, detail, prev_hash, row_hash) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)", (seq, at, actor, action, detail, prev, digest))
    return Head(seq, digest, at)


def read_chain(db: sqlite3.Connection) -> tuple[list[ChainRow], int] | None:
    """The audit rows with their links and the highest row number the table ever gave;
    None for a store made before the chain (no hash columns)."""
    columns = {str(r[1]) for r in db.execute("PRAGMA table_info(audit)").fetchall()}
    if "row_hash" not in columns:
        return None
    rows = chain_rows(db.execute("SELECT seq, at, actor, action, detail, prev_hash, row_hash "
                                 "FROM audit ORDER BY seq").fetchall())
    given = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
    return rows, int(given[0]) if given else 0


def chain_existing(db: sqlite3.Connection, folder: Path) -> Head | None:
    """Schema migration 4: the hash columns, and the rows written before them chained once,
    from the first row on, and said so in the log. The trigger that refuses UPDATE is
    dropped for these updates alone and made again in the same transaction. The project
    gets its own random id (table `identity`): the keyring's head is kept under it.
    A log that has the columns already (its schema number set back) is never chained again:
    that would bless whatever was changed since."""
    db.execute("CREATE TABLE IF NOT EXISTS identity (project_id TEXT NOT NULL)")
    db.execute("INSERT INTO identity (project_id) SELECT ? WHERE NOT EXISTS "
               "(SELECT 1 FROM identity)", (_random.token_hex(16),))
    if read_chain(db) is not None:
        return None
    db.execute("ALTER TABLE audit ADD COLUMN prev_hash TEXT")
    db.execute("ALTER TABLE audit ADD COLUMN row_hash TEXT")
    rows = db.execute("SELECT seq, at, actor, action, detail FROM audit ORDER BY seq").fetchall()
    if not rows:
        return None
    db.execute("DROP TRIGGER IF EXISTS audit_no_update")
    prev = GENESIS
    for seq, when, actor, action, detail in rows:
        digest = row_hash(int(seq), when, actor, action, detail, prev)
        db.execute("UPDATE audit SET prev_hash = ?, row_hash = ? WHERE seq = ?",
                   (prev, digest, seq))
        prev = digest
    db.execute(_NO_UPDATE)
    at = datetime.now(UTC).replace(microsecond=0).isoformat()
    return append(db, at, "convwiz", "audit log chained", json.dumps(
        {"rows": len(rows), "first": int(rows[0][0]), "last": int(rows[-1][0]),
         "last_hash": prev, "schema": 4}))


def last_head(db: sqlite3.Connection) -> Head | None:
    """The last row's number and hash, or None for an empty log."""
    row = db.execute("SELECT seq, row_hash, at FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None or not row[1] else Head(int(row[0]), str(row[1]), str(row[2]))


def check(db: sqlite3.Connection, folder: Path, *, head: bool = True,
          wal: Path | None = None) -> ChainState:
    """The store's chain checked (`Store.verify_chain`), with the keyring's head unless
    `head` is False. Reads only. `wal`: for a store read immutable (the portfolio, a
    read-only medium), its -wal file, whose rows such a read does not see: the head, which
    counts them, is compared only when that file is empty or absent, before and after."""
    seen_all = wal is None or not _holds_rows(wal)
    state = _check(db, folder, head and seen_all)
    if head and seen_all and wal is not None and not state.whole and _holds_rows(wal):
        state, seen_all = _check(db, folder, False), False  # a writer came in meanwhile
    return state if seen_all or not head else replace(state, head=HEAD_IN_WAL)


def _holds_rows(wal: Path) -> bool:
    try:
        return wal.stat().st_size > 0  # a stat, never an open: SQLite's file
    except OSError:
        return False


def _check(db: sqlite3.Connection, folder: Path, head: bool) -> ChainState:
    found = read_chain(db)
    if found is None:  # made before the chain, read without migrating (the portfolio)
        count = int(db.execute("SELECT COUNT(*) FROM audit").fetchone()[0])
        return ChainState(True, count, "", head="not checked", chained=False)
    kept, note = None, HEAD_NOT_READ
    project_id = _project_id(db)
    if head and project_id:
        kept, note = read_head(head_account(project_id, folder))
    return verify(found[0], found[1], kept, note)


def publish(db: sqlite3.Connection, folder: Path, new: Head) -> None:
    """Keep `new` as the project's head in the keyring, when it has a usable one."""
    project_id = _project_id(db)
    if project_id:
        write_head(head_account(project_id, folder), new)


def _project_id(db: sqlite3.Connection) -> str | None:
    """The project's own random id (table `identity`, made by migration 4)."""
    try:
        row = db.execute("SELECT project_id FROM identity LIMIT 1").fetchone()
    except sqlite3.OperationalError:  # made before the chain
        return None
    return str(row[0]) if row and row[0] else None


# -- the head in the keyring ----------------------------------------------------------------
# the heads' own keyring service: they are not secrets, and a person browsing the keyring,
# or purge removing the project's secrets, tells them apart
HEAD_SERVICE = "convwiz audit chain"


def head_account(project_id: str, folder: Path) -> str:
    """The keyring username of a project's chain head: the project's id and its folder (a
    copy of a project in another folder writes its own log, so it keeps its own head)."""
    place = os.path.normcase(str(Path(folder).absolute()))  # Windows: C:\ and c:\ alike
    where = hashlib.sha256(place.encode("utf-8")).hexdigest()[:16]
    return f"head:{project_id}:{where}"


# a keyring that refused once (locked, failing) is not asked again by this process: a locked
# GNOME Keyring asks the person to unlock it at every call, and the head is written after
# every write of the log. Per backend object, so a new keyring (a test's) is asked afresh.
_REFUSED: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _usable_backend() -> tuple[Any, str | None]:
    """The keyring backend and None, or why the head is not kept or read with it. Never
    fails: a keyring that cannot even start (no home folder to read its configuration from,
    a broken D-Bus) is just no keyring here."""
    try:
        import keyring

        from wizard.services import secrets

        chosen = keyring.get_keyring()
        if chosen in _REFUSED:
            return chosen, _REFUSED[chosen]
        if not secrets.backend().usable:
            return chosen, HEAD_NO_KEYRING
    except Exception as exc:  # noqa: BLE001 - the head is a second check, never a blocker
        log.info("no keyring for the chain's head (%s)", type(exc).__name__)
        return None, f"{HEAD_NO_KEYRING} ({type(exc).__name__})"
    return chosen, None


def _refused(backend: Any, exc: Exception) -> str:
    import keyring.errors

    note = (HEAD_LOCKED if isinstance(exc, keyring.errors.KeyringLocked)
            else f"{HEAD_NO_KEYRING} (the keyring failed: {type(exc).__name__})")
    log.info("the chain's head: %s", note)
    with contextlib.suppress(TypeError):  # a backend that cannot be weakly referenced
        _REFUSED[backend] = note
    return note


def read_head(account: str) -> tuple[Head | None, str]:
    """The head kept for `account`, and how the tail can be checked. Never fails: without a
    usable keyring the tail is just not checked (reading a project needs no keyring)."""
    backend, why = _usable_backend()
    if why is not None:
        return None, why
    try:
        text = backend.get_password(HEAD_SERVICE, account)
    except Exception as exc:  # noqa: BLE001 - a keyring that fails never blocks a read
        return None, _refused(backend, exc)
    if not text:
        return None, HEAD_NONE
    head = Head.from_text(str(text))
    if head is None:
        return None, "the head in the keyring cannot be read: the tail is not checked"
    return head, HEAD_MATCHES


def write_head(account: str, head: Head) -> bool:
    """Keep the head in the keyring; False (logged, nothing raised) when there is no usable
    keyring: the log itself is written all the same."""
    backend, why = _usable_backend()
    if why is not None:
        return False
    try:
        backend.set_password(HEAD_SERVICE, account, head.to_text())
    except Exception as exc:  # noqa: BLE001 - the head is a second check, never a blocker
        _refused(backend, exc)
        return False
    return True
