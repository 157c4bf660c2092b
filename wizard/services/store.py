"""The project store: one SQLite file (WAL) holding settings, step status, checklist
sign-offs, the append-only audit log and the manifest of every file made, sent or received.

Schema changes are numbered migrations applied in order and recorded in `user_version`.
The audit log is append-only: triggers refuse UPDATE and DELETE on it, and it is a hash
chain (`audit_chain`) checked by `verify_chain`. No secret is ever stored here;
`set_setting` refuses keys that look like one.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from wizard.core.registration_points import RegistrationPoint
from wizard.core.vocabulary import STORE_NAME as STORE_NAME  # one home: core
from wizard.services import audit_chain
from wizard.services.audit_chain import AuditEntry, ChainState, Head
from wizard.services.places import restrict_path


def _migrate_paths(db: sqlite3.Connection, folder: Path) -> None:
    """Number 2: one path form (see `stored_path`) for the files of the manifest and the
    paths of the steps' details, written before by `str(path)` (backslashes on Windows,
    sometimes absolute). The audit log stays as written: it is append-only."""
    for seq, name in db.execute("SELECT seq, name FROM manifest").fetchall():
        new = stored_path(folder, name, moved=True)
        if new != name:
            db.execute("UPDATE manifest SET name = ? WHERE seq = ?", (new, seq))
    for step_id, detail in db.execute("SELECT id, detail FROM steps").fetchall():
        try:
            values = json.loads(detail)
        except ValueError:
            continue
        if not isinstance(values, dict):
            continue
        changed = {k: stored_path(folder, v, moved=True) for k, v in values.items()
                   if k in _PATH_KEYS and isinstance(v, str) and v}
        if any(values[k] != v for k, v in changed.items()):
            db.execute("UPDATE steps SET detail = ? WHERE id = ?",
                       (json.dumps({**values, **changed}), step_id))


# keys of a step's detail whose value is a file of the project
_PATH_KEYS = frozenset({"output", "exceptions", "source", "path", "file", "workbook",
                        "flag_file", "target"})

# each migration is SQL, or a function given the connection and the project folder
MIGRATIONS: list[str | Callable[[sqlite3.Connection, Path], Head | None]] = [
    # 1: the first schema
    """
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE steps (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        updated TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE checklist (
        id TEXT PRIMARY KEY,
        done_by TEXT NOT NULL,
        done_at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE manifest (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('made', 'sent', 'received')),
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        rows INTEGER,
        bytes INTEGER,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX manifest_kind ON manifest (kind, seq);
    """,
    # 2: every path in POSIX form, relative to the project (a project moved between systems)
    _migrate_paths,
    # 3: re-registration after go-live, one point per verified export
    """
    CREATE TABLE IF NOT EXISTS registration_points (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        date TEXT NOT NULL,
        export_sha256 TEXT NOT NULL UNIQUE,
        registered INTEGER NOT NULL,
        expected INTEGER NOT NULL,
        by_segment TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # 4: the audit log as a hash chain, older rows chained once (audited); the project's id
    audit_chain.chain_existing,
]

_SECRET_WORDS = ("password", "passphrase", "secret", "token_value", "private_key", "pwd",
                 "credential", "api_key", "apikey")


def now_iso() -> str:
    """The current time, UTC, to the second, ISO 8601."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class ManifestEntry:
    seq: int
    at: str
    direction: str
    kind: str
    name: str
    sha256: str
    rows: int | None
    bytes: int | None
    detail: dict[str, Any]


class ReadOnlyProject(OSError):
    """A write to a project whose folder cannot be written."""

    def __init__(self, folder: Path) -> None:
        super().__init__(errno.EROFS, "the project is on a read-only medium", str(folder))


class Store:
    """The project's SQLite store. Cheap to open; every write is its own transaction."""

    def __init__(self, path: Path, *, immutable: bool = False) -> None:
        """`immutable`: read the file as it is on disk, without a lock, without migrating
        and without writing anything (no -wal or -shm made): the portfolio's way to read
        projects another process may own. Changes still in a -wal file are not seen."""
        self.path = Path(path)
        # one connection shared by the GUI thread and its workers, serialised by _lock
        self._lock = threading.RLock()
        self._head: Head | None = None  # the chain's head after this process's last write
        # a project on a read-only medium (a CD, a write-protected share, a folder whose
        # permissions say so) can still be read: `status`, `checklist`. SQLite cannot open a
        # WAL database read-only without writing its -shm file unless told it is immutable.
        self.read_only = immutable or not _writable(self.path)
        if self.read_only:
            uri = self.path.absolute().as_uri() + "?mode=ro&immutable=1"
            self._db = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None,
                                       check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            return
        self._db = sqlite3.connect(
            self.path, timeout=10, isolation_level=None, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                restrict_path(p)

    # -- plumbing ---------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self.read_only:
            raise ReadOnlyProject(self.path.parent)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                self._head = None
                raise
            else:
                self._db.execute("COMMIT")
                self._publish_head()

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction() as db:
                if callable(script):  # a migration that writes the log returns the new head
                    self._head = script(db, self.path.parent)
                else:
                    for statement in _split_sql(script):
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @staticmethod
    def known_schema() -> int:
        """The newest schema this program knows: a store above it was made by a newer one."""
        return len(MIGRATIONS)

    def latest_registration_point(self) -> tuple[int, int] | None:
        """The newest (registered, expected) of the re-registration history, or None when
        there is none (or the store predates the history: no table)."""
        if not self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                           "name = 'registration_points'"):
            return None
        row = _first(self._query("SELECT registered, expected FROM registration_points "
                                 "ORDER BY seq DESC LIMIT 1"))
        return None if row is None else (int(row[0]), int(row[1]))

    def integrity_ok(self) -> bool:
        return bool(self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    # -- settings ---------------------------------------------------------------------------
    def set_setting(self, key: str, value: Any) -> None:
        if any(word in key.lower() for word in _SECRET_WORDS) or "PRIVATE KEY-----" in str(value):
            raise ValueError(f"refusing to store {key!r} in the project: secrets go to the keyring")
        with self.transaction() as db:
            db.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def setting(self, key: str, default: Any = None) -> Any:
        row = _first(self._query("SELECT value FROM settings WHERE key = ?", (key,)))
        return default if row is None else json.loads(row[0])

    def settings(self) -> dict[str, Any]:
        rows = self._query("SELECT key, value FROM settings ORDER BY key")
        return {r["key"]: json.loads(r["value"]) for r in rows}

    # -- steps ------------------------------------------------------------------------------
    def set_step(self, step_id: str, status: str, detail: dict[str, Any] | None = None) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO steps (id, status, updated, detail) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET status = excluded.status, "
                "updated = excluded.updated, detail = excluded.detail",
                (step_id, status, now_iso(), json.dumps(detail or {})),
            )

    def step(self, step_id: str) -> tuple[str, str, dict[str, Any]] | None:
        row = _first(
            self._query("SELECT status, updated, detail FROM steps WHERE id = ?", (step_id,))
        )
        if row is None:
            return None
        return row["status"], row["updated"], json.loads(row["detail"])

    def steps(self) -> dict[str, tuple[str, str, dict[str, Any]]]:
        rows = self._query("SELECT id, status, updated, detail FROM steps")
        return {r["id"]: (r["status"], r["updated"], json.loads(r["detail"])) for r in rows}

    # -- checklist sign-offs ----------------------------------------------------------------
    def sign_off(self, task_id: str, by: str, note: str = "") -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO checklist (id, done_by, done_at, note) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET done_by = excluded.done_by, "
                "done_at = excluded.done_at, note = excluded.note",
                (task_id, by, now_iso(), note),
            )

    def sign_offs(self) -> dict[str, dict[str, str]]:
        rows = self._query("SELECT id, done_by, done_at, note FROM checklist")
        return {
            r["id"]: {"by": r["done_by"], "at": r["done_at"], "note": r["note"]} for r in rows
        }

    # -- audit log --------------------------------------------------------------------------
    def audit(self, action: str, actor: str = "convwiz", **detail: Any) -> None:
        with self.transaction() as db:
            self._head = audit_chain.append(db, now_iso(), actor, action,
                                            json.dumps(detail, default=str))

    def verify_chain(self, *, head: bool = True) -> ChainState:
        """Check the audit log's hash chain from its first row, and its tail against the
        head kept in the keyring (`head=False`: not read). Never repairs, never writes."""
        wal = self.path.with_name(self.path.name + "-wal") if self.read_only else None
        with self._lock:
            return audit_chain.check(self._db, self.path.parent, head=head, wal=wal)

    def _publish_head(self) -> None:
        """After a commit that added audit rows: keep the new head in the keyring (when
        there is a usable one; the log is written all the same without)."""
        new, self._head = self._head, None
        if new is not None:
            audit_chain.publish(self._db, self.path.parent, new)

    def audit_log(self) -> list[AuditEntry]:
        rows = self._query("SELECT * FROM audit ORDER BY seq")
        return [
            AuditEntry(r["seq"], r["at"], r["actor"], r["action"], json.loads(r["detail"]))
            for r in rows
        ]

    # -- manifest ---------------------------------------------------------------------------
    def record_file(
        self,
        direction: str,
        kind: str,
        name: str,
        sha256: str,
        rows: int | None = None,
        size: int | None = None,
        **detail: Any,
    ) -> None:
        """Record a file made, sent or received, and say so in the audit log. `name` is kept
        in one form whatever the system (see `stored_path`)."""
        name = stored_path(self.path.parent, name)
        with self.transaction() as db:
            at = now_iso()
            db.execute(
                "INSERT INTO manifest (at, direction, kind, name, sha256, rows, bytes, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (at, direction, kind, name, sha256, rows, size, json.dumps(detail, default=str)),
            )
            self._head = audit_chain.append(db, at, "convwiz", f"file {direction}", json.dumps(
                {"kind": kind, "name": name, "sha256": sha256, "rows": rows, "bytes": size,
                 **detail}, default=str))

    def manifest(self, kind: str | None = None) -> list[ManifestEntry]:
        if kind is None:
            rows = self._query("SELECT * FROM manifest ORDER BY seq")
        else:
            rows = self._query("SELECT * FROM manifest WHERE kind = ? ORDER BY seq", (kind,))
        return [
            ManifestEntry(
                r["seq"], r["at"], r["direction"], r["kind"], r["name"], r["sha256"],
                r["rows"], r["bytes"], json.loads(r["detail"]),
            )
            for r in rows
        ]

    # -- re-registration points ---------------------------------------------------------------
    def add_registration_point(self, date: str, export_sha256: str, registered: int,
                               expected: int, by_segment: dict[str, Any]) -> bool:
        """Keep one verification's re-registration figures; False (and nothing kept) when
        the same export was measured before."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO registration_points (at, date, export_sha256, "
                "registered, expected, by_segment) VALUES (?, ?, ?, ?, ?, ?)",
                (now_iso(), date, export_sha256, registered, expected,
                 json.dumps(by_segment)),
            )
            return bool(cursor.rowcount)

    def registration_points(self) -> list[RegistrationPoint]:
        """Every point, oldest first (none before the table exists: a read-only old store)."""
        try:
            rows = self._query("SELECT * FROM registration_points ORDER BY seq")
        except sqlite3.OperationalError:
            return []
        return [RegistrationPoint(r["seq"], r["at"], r["date"], r["export_sha256"],
                                  r["registered"], r["expected"], json.loads(r["by_segment"]))
                for r in rows]

    def latest_file(self, kind: str) -> ManifestEntry | None:
        entries = self.manifest(kind)
        return entries[-1] if entries else None


def stored_path(folder: Path, path: str | Path, moved: bool = False) -> str:
    """A file's path as the project stores it, the same on every system: POSIX separators,
    relative to the project folder when the file is inside it (`inbox/xref.csv`), so that a
    project copied from a Windows laptop to a Mac, or to another drive letter, still finds
    its files. A file outside the project keeps its absolute path (with `/`).

    Also reads the forms stored before (migration 2): `inbox\\xref.csv`, or (`moved`) an
    absolute path inside the project as it was on this or another system
    (`C:\\Users\\Ann\\Documents\\Acme\\inbox\\xref.csv` for a project now at
    `/Users/ann/Acme`: the part after the project folder's name, when that file is there).
    """
    text = str(path)
    windows = PureWindowsPath(text)  # reads `\\` and `/` as separators, and drive letters
    if "\\" in text or windows.drive:
        parts, absolute = windows.parts, windows.is_absolute() or text.startswith("\\")
        whole = windows.as_posix()
    else:
        parts, absolute = PurePosixPath(text).parts, text.startswith("/")
        whole = PurePosixPath(text).as_posix()
    if not absolute:
        return whole
    here = Path(folder).absolute()
    if Path(text).is_absolute():  # inside the project where it is now (Windows: any case)
        full, base = Path(text).parts, here.parts
        if len(full) > len(base) and all(os.path.normcase(a) == os.path.normcase(b)
                                         for a, b in zip(full, base)):
            return PurePosixPath(*full[len(base):]).as_posix()
    # inside the project where it was (another system, drive or folder): what follows the
    # last place the project folder's name stands in the path, when that file is here
    for at in range(len(parts) - 2, 0, -1) if moved else ():
        if os.path.normcase(parts[at]) == os.path.normcase(here.name):
            rest = PurePosixPath(*parts[at + 1:])
            if (here / rest).exists():
                return rest.as_posix()
            break
    return whole


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        joined = "\n".join(current).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current).strip())
    return statements


def stored_schema(path: Path) -> int:
    """The schema version of the store at `path`, read through SQLite alone.

    Never a plain open() of the file: on POSIX, closing any descriptor of a file drops every
    lock this process holds on it, so a header read beside a live connection lets the next
    process to close its connection delete the -wal and -shm under it (SQLite's "How To
    Corrupt An SQLite Database File", 2.2). SQLite defers the close of its own descriptors
    while the process holds locks. Raises FileNotFoundError, NotADirectoryError,
    PermissionError, IsADirectoryError as open() would, and sqlite3.DatabaseError for a file
    that is not a SQLite database."""
    info = path.stat()  # a stat opens nothing: FileNotFoundError, NotADirectoryError, ...
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
    if info.st_size < 100:  # shorter than SQLite's header: empty or cut short
        raise sqlite3.DatabaseError("file is not a database")
    if not os.access(path, os.R_OK):
        raise PermissionError(errno.EACCES, "permission denied", str(path))
    uri = path.absolute().as_uri() + "?mode=ro&immutable=1"
    db = sqlite3.connect(uri, uri=True, timeout=10)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def _writable(path: Path) -> bool:
    """Whether the store (and its folder, for the WAL files) can be written."""
    folder = path.parent
    if not os.access(folder, os.W_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def _first(rows: list[sqlite3.Row]) -> sqlite3.Row | None:
    return rows[0] if rows else None
