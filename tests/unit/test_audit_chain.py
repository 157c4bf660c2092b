"""The audit log is a hash chain (CONTRACT.md, "The record"): a row changed, removed or cut
from the end is found, named by its number and time, and never repaired."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.memkeyring import MemoryKeyring
from wizard.services import store as store_module
from wizard.services.audit_chain import GENESIS, row_hash
from wizard.services.store import MIGRATIONS, STORE_NAME, Store


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / STORE_NAME


def _write(path: Path, rows: int) -> None:
    with Store(path) as s:
        for n in range(rows):
            s.audit("step done", actor="Pat", step=f"s{n}", rows=n)


def _attack(path: Path, *sql: str) -> None:
    """What a person with the sqlite3 shell does: drop the triggers, then change rows."""
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER IF EXISTS audit_no_update")
    db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    for statement in sql:
        db.execute(statement)
    db.commit()
    db.close()


@pytest.fixture
def keyring_memory() -> Iterator[MemoryKeyring]:
    from tests.helpers.memkeyring import installed

    with installed() as backend:
        yield backend


def test_a_whole_chain_links_every_row_to_the_one_before(path: Path) -> None:
    _write(path, 5)
    with Store(path) as s:
        s.record_file("made", "flag_file", "outbox/flags.csv", "ab" * 32, rows=3, size=10)
        state = s.verify_chain()
        log = s.audit_log()
    assert state.whole and state.rows == 6 and state.first_bad_row is None
    db = sqlite3.connect(path)
    rows = db.execute("SELECT seq, at, actor, action, detail, prev_hash, row_hash FROM audit "
                      "ORDER BY seq").fetchall()
    db.close()
    prev = GENESIS
    for seq, at, actor, action, detail, link, digest in rows:
        assert link == prev and digest == row_hash(seq, at, actor, action, detail, link)
        prev = digest
    assert state.last_hash == prev and [e.seq for e in log] == [1, 2, 3, 4, 5, 6]
    assert state.describe().startswith(f"whole, 6 rows, last hash {prev}")


def test_a_changed_row_is_named_with_its_number_and_time(path: Path) -> None:
    _write(path, 5)
    _attack(path, "UPDATE audit SET detail = '{\"step\": \"nothing happened\"}' WHERE seq = 3")
    with Store(path) as s:
        state = s.verify_chain()
        at = s.audit_log()[2].at
    assert not state.whole
    assert (state.first_bad_row, state.first_bad_time) == (3, at)
    assert "row 3 was changed" in state.why and "BROKEN at row 3" in str(state)


def test_a_removed_row_is_named(path: Path) -> None:
    _write(path, 5)
    _attack(path, "DELETE FROM audit WHERE seq = 2")
    with Store(path) as s:
        state = s.verify_chain()
    assert not state.whole and state.first_bad_row == 2
    assert "row 2 is missing" in state.why


def test_a_row_rewritten_with_its_own_hash_made_again_is_found_by_the_next_row(
        path: Path) -> None:
    _write(path, 4)
    db = sqlite3.connect(path)
    seq, at, actor, _action, detail, prev = db.execute(
        "SELECT seq, at, actor, action, detail, prev_hash FROM audit WHERE seq = 2").fetchone()
    db.close()
    forged = row_hash(seq, at, actor, "nothing", detail, prev)
    _attack(path, f"UPDATE audit SET action = 'nothing', row_hash = '{forged}' WHERE seq = 2")
    with Store(path) as s:
        state = s.verify_chain()
    assert not state.whole and state.first_bad_row == 2


def test_rows_cut_from_the_end_are_found_by_the_table_s_counter(path: Path) -> None:
    _write(path, 5)
    _attack(path, "DELETE FROM audit WHERE seq >= 4")
    with Store(path) as s:
        state = s.verify_chain()
        s.audit("next")  # a later write never hides the gap: it takes number 6
        after = s.verify_chain()
    assert not state.whole and state.first_bad_row == 4
    assert "rows 4 to 5 are missing from the end" in state.why
    assert not after.whole and after.first_bad_row == 4


def test_a_cut_tail_with_the_counter_set_back_is_found_by_the_keyring_s_head(
        path: Path, keyring_memory: MemoryKeyring) -> None:
    _write(path, 5)
    with Store(path) as s:
        whole = s.verify_chain()
    assert whole.whole and whole.head == "the tail matches the head kept in the keyring"
    _attack(path, "DELETE FROM audit WHERE seq >= 4",
            "UPDATE sqlite_sequence SET seq = 3 WHERE name = 'audit'")
    with Store(path) as s:
        cut = s.verify_chain()
        unchecked = s.verify_chain(head=False)
    assert not cut.whole and cut.first_bad_row == 4
    assert "keyring" in cut.why and "had 5 rows" in cut.why
    assert unchecked.whole  # the chain alone cannot see it: that is what the head is for


def test_without_a_keyring_the_tail_is_said_unchecked_and_nothing_fails(path: Path) -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        _write(path, 2)
        with Store(path) as s:
            state = s.verify_chain()
    finally:
        keyring.set_keyring(previous)
    assert state.whole and "cannot be checked" in state.head


def test_a_locked_keyring_never_blocks_reading_or_writing(
        path: Path, keyring_memory: MemoryKeyring) -> None:
    MemoryKeyring.locked = True
    _write(path, 2)
    with Store(path) as s:
        state = s.verify_chain()
    assert state.whole and state.rows == 2 and "keyring is locked" in state.head


def test_the_log_stays_append_only(path: Path) -> None:
    _write(path, 2)
    with Store(path) as s, s.transaction() as db:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE audit SET actor = 'x'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM audit")


def _old_project(path: Path, monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    """A store made by the program before the chain (schema 3), with `rows` audit rows."""
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:3])
    Store(path).close()
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    db = sqlite3.connect(path)
    for n in range(rows):  # as that program wrote them
        db.execute("INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
                   (f"2026-11-0{n + 1}T10:00:00+00:00", "Pat", "step done", f'{{"n": {n}}}'))
    db.commit()
    columns = {r[1] for r in db.execute("PRAGMA table_info(audit)")}
    assert db.execute("PRAGMA user_version").fetchone()[0] == 3 and "row_hash" not in columns
    db.close()


def test_an_older_project_is_chained_once_from_its_first_row_and_says_so(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _old_project(path, monkeypatch, 4)
    with Store(path, immutable=True) as old:  # the portfolio reads it as it is
        before = old.verify_chain()
    assert before.whole and not before.chained and before.rows == 4
    with Store(path) as s:
        state = s.verify_chain()
        log = s.audit_log()
    assert state.whole and state.rows == 5
    assert log[-1].action == "audit log chained"
    assert log[-1].detail["rows"] == 4 and log[-1].detail["first"] == 1
    with Store(path) as again:  # once: opening it again adds nothing
        assert [e.action for e in again.audit_log()].count("audit log chained") == 1
        assert again.verify_chain().whole
        with again.transaction() as db:  # still append-only: the triggers were made again
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute("UPDATE audit SET actor = 'x' WHERE seq = 1")
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute("DELETE FROM audit WHERE seq = 1")


def test_an_older_project_changed_before_it_was_chained_keeps_its_gap(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _old_project(path, monkeypatch, 4)
    _attack(path, "DELETE FROM audit WHERE seq = 2")
    with Store(path) as s:
        state = s.verify_chain()
    assert not state.whole and state.first_bad_row == 2


def test_a_new_store_starts_its_log_at_row_one_with_no_chaining_row(path: Path) -> None:
    _write(path, 1)
    with Store(path) as s:
        assert [e.action for e in s.audit_log()] == ["step done"]


WRITER = """
import sys
from pathlib import Path
from wizard.services.store import Store
s = Store(Path(sys.argv[1]))
for n in range(int(sys.argv[2])):
    s.audit("written", actor=sys.argv[3], n=n)
    s.record_file("made", "k", f"outbox/{sys.argv[3]}{n}.csv", "0" * 64, rows=n)
s.close()
"""


def test_writers_in_several_processes_chain_every_row(path: Path) -> None:
    _write(path, 1)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), "25", f"w{i}"])
             for i in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    with Store(path) as s:
        state = s.verify_chain()
    assert state.whole, state.describe()
    assert state.rows == 1 + 3 * 25 * 2


def test_a_locked_keyring_is_asked_once_not_at_every_row(
        path: Path, keyring_memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked GNOME Keyring asks the person to unlock it at each call: the head, written
    after every row, must not ask again and again."""
    MemoryKeyring.locked = True
    asked: list[str] = []
    check = MemoryKeyring._check

    def counted(self: MemoryKeyring) -> None:
        asked.append("asked")
        check(self)

    monkeypatch.setattr(MemoryKeyring, "_check", counted)
    _write(path, 3)
    with Store(path) as s:
        assert s.verify_chain().whole and s.verify_chain().whole
    assert len(asked) == 1
