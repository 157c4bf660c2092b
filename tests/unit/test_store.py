"""The project store: numbered migrations, an append-only audit log, no secrets, integrity."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.helpers.private import PRIVATE_DIR, PRIVATE_FILE, mode
from wizard.services import store as store_module
from wizard.services.store import MIGRATIONS, STORE_NAME, Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / STORE_NAME)
    yield s
    s.close()


def test_a_new_store_is_at_the_last_migration(store: Store) -> None:
    assert store.schema_version == len(MIGRATIONS)
    tables = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"settings", "steps", "checklist", "audit", "manifest"} <= tables


def test_migrations_apply_in_order_once_and_only_the_new_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / STORE_NAME
    with Store(path) as first:
        first.audit("before the upgrade", step="flag_file")
    # a later release adds migration 2; opening the old store applies it alone
    added = "CREATE TABLE remote_files (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL);"
    monkeypatch.setattr(store_module, "MIGRATIONS", [*MIGRATIONS, added])
    with Store(path) as upgraded:
        assert upgraded.schema_version == len(MIGRATIONS) + 1
        upgraded._db.execute("INSERT INTO remote_files VALUES ('flags.csv', 'ab')")
        assert [e.action for e in upgraded.audit_log()] == ["before the upgrade"]
    # opening again runs nothing twice (a second CREATE TABLE would fail)
    with Store(path) as again:
        assert again.schema_version == len(MIGRATIONS) + 1
        assert again._db.execute("SELECT count(*) FROM remote_files").fetchone()[0] == 1


def test_audit_log_refuses_update_and_delete(store: Store) -> None:
    store.audit("flag file made", rows=2000, sha256="0" * 64)
    store.record_file("made", "flag_file", "outbox/flags.csv", "a" * 64, rows=2000, size=10)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store._db.execute("UPDATE audit SET action = 'nothing happened'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store._db.execute("DELETE FROM audit")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with store.transaction() as db:
            db.execute("DELETE FROM audit WHERE seq = 1")
    actions = [e.action for e in store.audit_log()]
    assert actions == ["flag file made", "file made"]
    assert store.audit_log()[1].detail["sha256"] == "a" * 64
    # the store is still usable after the refused statements
    store.audit("still writable")
    assert len(store.audit_log()) == 3


def test_audit_entries_keep_order_and_time(store: Store) -> None:
    for n in range(5):
        store.audit(f"action {n}", n=n)
    entries = store.audit_log()
    assert [e.detail["n"] for e in entries] == list(range(5))
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    assert all(e.at.endswith("+00:00") for e in entries)


@pytest.mark.parametrize("key", [
    "password", "sftp_password", "SFTP_Password", "key_passphrase", "secret", "client_secret",
    "private_key", "token_value",
])
def test_secret_like_setting_keys_are_refused(store: Store, key: str) -> None:
    with pytest.raises(ValueError, match="keyring"):
        store.set_setting(key, "hunter22")
    assert key not in store.settings()
    raw = Path(store.path).read_bytes() + _wal_bytes(store.path)
    assert b"hunter22" not in raw


def test_ordinary_settings_round_trip_as_json(store: Store) -> None:
    store.set_setting("production_bid", "2806")
    store.set_setting("window_days", 3)
    store.set_setting("test_bid", None)
    store.set_setting("production_bid", "0042")
    assert store.settings() == {"production_bid": "0042", "test_bid": None, "window_days": 3}


def test_integrity_check_passes_and_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / STORE_NAME
    with Store(path) as s:
        s.set_step("flag_file", "done", {"rows": 3})
        s.sign_off("confirm_go_live", "Pat", "called the biller")
        s.record_file("made", "flag_file", "outbox/f.csv", "b" * 64, rows=3, size=100)
        assert s.integrity_ok()
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(path) + suffix)
            if p.exists():
                assert mode(p) == PRIVATE_FILE, p.name
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction() as db:
            db.execute("INSERT INTO settings (key, value) VALUES ('half', '1')")
            raise RuntimeError("crash in the middle")
    assert "half" not in store.settings()


def _wal_bytes(path: Path) -> bytes:
    wal = Path(str(path) + "-wal")
    return wal.read_bytes() if wal.exists() else b""


def test_writing_a_file_never_changes_an_existing_folders_permissions(tmp_path: Path) -> None:
    """`report --out ~/Desktop/x.xlsx` must not make the Desktop (or /tmp) owner-only."""
    from wizard.services.files import atomic_output

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # noqa: S103 - a shared folder like /tmp, on purpose
    before = mode(shared)  # Windows: chmod only sets or clears read-only (0o777 here)
    with atomic_output(shared / "out.csv") as (handle, _tmp):
        handle.write(b"x")
    assert mode(shared) == before
    assert mode(shared / "out.csv") == PRIVATE_FILE
    with atomic_output(tmp_path / "new" / "out.csv") as (handle, _tmp):
        handle.write(b"x")
    assert mode(tmp_path / "new") == PRIVATE_DIR
